"""What an import has read so far, and the report it gives back: rows and rejects per file, notices."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from metrics.importers.files import SourceFile
from metrics.importers.mapping import Mapping
from metrics.importers.merging import TableChange
from metrics.importers.models import FileCount, ImportReport, TableCount
from metrics.importers.readers import RawTable


@dataclass
class Loaded:
    """The source files read so far, the problems met, and what each canonical table gets."""

    raws: dict[str, list[tuple[SourceFile, RawTable]]]
    files: list[tuple[str, str]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    outputs: dict[str, list[str]] = field(default_factory=dict)
    #: Tickets whose every row was rejected.
    lost_tickets: int = 0


def build_report(
    connection: duckdb.DuckDBPyConnection,
    loaded: Loaded,
    counts: dict[str, int],
    into: Path,
    mapping: Mapping,
    changes: list[TableChange],
    dry_run: bool,
) -> ImportReport:
    rejected = dict(
        connection.execute(
            "SELECT file, count(DISTINCT line) FROM rejects WHERE line IS NOT NULL AND severity = 'rejected' "
            "GROUP BY file"
        ).fetchall()
    )
    severities = dict(connection.execute("SELECT severity, count(*) FROM rejects GROUP BY ALL").fetchall())
    notices = list(loaded.notices)
    if loaded.lost_tickets:
        many = loaded.lost_tickets != 1
        notices.append(
            f"{loaded.lost_tickets:,} ticket{'s' if many else ''} had no usable row and "
            f"{'were' if many else 'was'} left out (see rejects.csv)"
        )
    return ImportReport(
        into=into,
        mapping=mapping.name,
        tables=[TableCount(table=name, rows=rows) for name, rows in counts.items()],
        files=[
            FileCount(
                file=name, source=source, rows=loaded.rows.get(name, 0), rejected=int(rejected.get(name, 0))
            )
            for name, source in loaded.files
        ],
        rejects=int(severities.get("rejected", 0)),
        warnings=int(severities.get("warning", 0)),
        tickets_without_rows=loaded.lost_tickets,
        rejects_path=into / "rejects.csv",
        notices=notices,
        changes=changes,
        dry_run=dry_run,
    )
