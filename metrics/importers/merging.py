"""An import into a folder that already holds data: the imported rows are merged with the old ones by id.

A table with an id (tickets, surveys, accounts, ...) keeps its old rows whose id the import does not hold; an
imported row with an old id replaces the old row (updated when it differs, unchanged otherwise); new ids are
added. A table without an id is merged per owner: the imported rows of a ticket (ticket_events), an account
(usage, revenue_events) or an employee (competency) replace that owner's old rows, the other owners' rows stay.
A table the user chose to replace loses all its old rows. Tables the import does not fill are not touched.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

import duckdb
from pydantic import BaseModel

from metrics.errors import InvalidInputData, MetricsError
from metrics.importers.sql import ident, lit
from metrics.plausible import DateWindow
from metrics.schema import TABLES
from metrics.store import open_store

#: The column whose rows an import replaces as a whole, for tables without an id.
OWNERS: dict[str, str] = {
    "ticket_events": "ticket_id",
    "usage": "account_id",
    "revenue_events": "account_id",
    "competency": "employee_id",
}


class TableChange(BaseModel):
    """What an import does to one table of the folder: rows before and after, and how they came about."""

    table: str
    before: int
    after: int
    #: Rows the import brought for this table (0 for a table it does not fill).
    imported: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    #: Old rows that are gone: replaced with the whole table, or (tables without an id) an owner's old rows.
    removed: int = 0
    #: "new" (no rows before), "merged", "replaced" (the user chose to), "kept" (not imported).
    action: str = "kept"


def load_existing(
    connection: duckdb.DuckDBPyConnection, into: Path, scratch: Path, window: DateWindow | None = None
) -> dict[str, int]:
    """Copy every table of the folder `into` into `old_<table>` (canonical columns); return rows per table.

    Rows an older import let in with times outside `window` are read as the store reads them (left out, or
    the time emptied), so the merged tables hold plausible times only; the version keeps the old files.
    """
    if not into.is_dir():
        return {}
    try:
        store = open_store(into, window=window)
    except MetricsError as error:
        raise InvalidInputData(
            f"the data already in {into} cannot be read, so the import cannot merge with it ({error}); "
            "replace the tables instead, or fix the folder"
        ) from None
    counts: dict[str, int] = {}
    try:
        cursor = store.cursor()
        for name in sorted(store.tables):
            columns = ", ".join(ident(column) for column in TABLES[name].column_names)
            target = scratch / f"old_{name}.parquet"
            cursor.execute(
                f"COPY (SELECT {columns} FROM {ident(name)}) TO {lit(str(target))} (FORMAT parquet)"
            )
            connection.execute(
                f"CREATE TEMP TABLE old_{name} AS SELECT * FROM read_parquet({lit(str(target))})"
            )
            counts[name] = _count(connection, f"old_{name}")
    finally:
        store.close()
    return counts


def merge_outputs(
    connection: duckdb.DuckDBPyConnection,
    imported: dict[str, int],
    existing: dict[str, int],
    replace: Collection[str],
) -> list[TableChange]:
    """Turn each `out_<table>` into the table to write (old rows merged in); say what changes per table."""
    changes = []
    for name in sorted(set(imported) | set(existing)):
        before = existing.get(name, 0)
        if name not in imported:
            changes.append(TableChange(table=name, before=before, after=before))
            continue
        rows = imported[name]
        if before == 0:
            changes.append(
                TableChange(table=name, before=before, after=rows, imported=rows, added=rows, action="new")
            )
        elif name in replace:
            change = TableChange(table=name, before=before, after=rows, imported=rows, added=rows)
            changes.append(change.model_copy(update={"removed": before, "action": "replaced"}))
        else:
            changes.append(_merge(connection, name, rows, before))
    return changes


def _merge(connection: duckdb.DuckDBPyConnection, name: str, rows: int, before: int) -> TableChange:
    table = TABLES[name]
    columns = ", ".join(ident(column) for column in table.column_names)
    key = table.key or OWNERS.get(name)
    if key is None:  # pragma: no cover - every canonical table has an id or an owner
        raise InvalidInputData(f"{name}: no id to merge by")
    k = ident(key)
    kept = f"SELECT {columns}, 0 AS __src, rowid AS __line, 0 AS __order FROM old_{name} o"
    kept += f" WHERE o.{k} IS NULL OR o.{k} NOT IN (SELECT {k} FROM out_{name} WHERE {k} IS NOT NULL)"
    matched = before - _count(connection, f"({kept})")
    unchanged = _count(
        connection, f"(SELECT {columns} FROM out_{name} INTERSECT ALL SELECT {columns} FROM old_{name})"
    )
    if table.key is not None:
        # an old row with an imported id is replaced: unchanged when equal, updated otherwise
        updated, added, removed = matched - unchanged, rows - matched, 0
    else:
        # the owner's rows are replaced: rows equal to old ones are unchanged, the rest added or removed
        updated, added, removed = 0, rows - unchanged, matched - unchanged
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE out_{name} AS SELECT * FROM out_{name} UNION ALL BY NAME {kept}"
    )
    return TableChange(
        table=name,
        before=before,
        after=_count(connection, f"out_{name}"),
        imported=rows,
        added=added,
        updated=updated,
        unchanged=unchanged,
        removed=removed,
        action="merged",
    )


def _count(connection: duckdb.DuckDBPyConnection, relation: str) -> int:
    row = connection.execute(f"SELECT count(*) FROM {relation}").fetchone()
    return int(row[0]) if row else 0
