"""Writing small hand-made canonical tables for metric tests."""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from pathlib import Path

from metrics.schema import TABLES


def write_tables(folder: Path, tables: Mapping[str, Sequence[Mapping[str, object]]]) -> Path:
    """Write each table as `<name>.csv` with the canonical header; missing cells are left empty."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        columns = TABLES[name].column_names
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns)
            writer.writeheader()
            for row in rows:
                writer.writerow({column: row.get(column, "") for column in columns})
    return folder


def ticket(ticket_id: str, created: str, resolved: str | None = None, **extra: object) -> dict[str, object]:
    return {"id": ticket_id, "created_at": created, "resolved_at": resolved or "", **extra}


def event(ticket_id: str, at: str, kind: str, **extra: object) -> dict[str, object]:
    return {"ticket_id": ticket_id, "at": at, "kind": kind, **extra}
