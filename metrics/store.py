"""An organisation's data folder (canonical CSV or Parquet files) loaded into an in-memory DuckDB database.

CSV files are copied in and checked value by value. Parquet files whose column types already fit the
canonical schema (what the importers write) stay where they are: each table is a view over its file, so a
million tickets cost no copy and no memory until a query reads them. Such files are taken as typed: a
missing value is a null there, as the importers write it (an empty CSV cell is turned into a null).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from metrics.errors import InvalidInputData
from metrics.schema import DUCKDB_TYPES, TABLES, Table

#: File names tried for each table, in order of preference.
SUFFIXES: tuple[str, ...] = (".parquet", ".csv", ".csv.gz")

#: Columns whose range says which months the data covers: the support activity itself. Other tables only
#: count when there are no tickets, since they often reach far back (a veteran's sign-off from 2015) or
#: ahead, and would move the baseline to months without tickets.
ACTIVITY_TIME_COLUMNS: tuple[tuple[str, str], ...] = (
    ("tickets", "created_at"),
    ("tickets", "resolved_at"),
    ("ticket_events", "at"),
)
FALLBACK_TIME_COLUMNS: tuple[tuple[str, str], ...] = (
    ("surveys", "at"),
    ("interruptions", "back_to_happy_at"),
    ("competency", "peer_trust_at"),
)


@dataclass
class OrganisationStore:
    """The canonical tables of one organisation, typed, in DuckDB. Use `open_store` to make one."""

    data_dir: Path
    connection: duckdb.DuckDBPyConnection
    sources: dict[str, Path]
    warnings: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def tables(self) -> frozenset[str]:
        return frozenset(self.sources)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for one thread: DuckDB connections must not be shared between threads."""
        with self._lock:
            return self.connection.cursor()

    def time_range(self) -> tuple[datetime, datetime] | None:
        """Earliest and latest activity time in the data, or None when there is none."""
        columns = [(table, column) for table, column in ACTIVITY_TIME_COLUMNS if table in self.sources] or [
            (table, column) for table, column in FALLBACK_TIME_COLUMNS if table in self.sources
        ]
        parts = [
            f'SELECT min("{column}") AS lo, max("{column}") AS hi FROM {table}' for table, column in columns
        ]
        if not parts:
            return None
        row = self.cursor().execute(f"SELECT min(lo), max(hi) FROM ({' UNION ALL '.join(parts)})").fetchone()
        if row is None or row[0] is None:
            return None
        return row[0], row[1]

    def close(self) -> None:
        self.connection.close()


def find_table_files(data_dir: Path) -> dict[str, Path]:
    """The file that holds each canonical table in `data_dir`; other files are left alone."""
    found: dict[str, Path] = {}
    for name in TABLES:
        for suffix in SUFFIXES:
            path = data_dir / f"{name}{suffix}"
            if path.is_file():
                found[name] = path
                break
    return found


def open_store(data_dir: Path, *, time_zone: str = "UTC") -> OrganisationStore:
    """Load every canonical table found in `data_dir`; a missing table simply means 'no data'."""
    if not data_dir.is_dir():
        raise InvalidInputData(f"data folder {data_dir} does not exist")
    connection = duckdb.connect(":memory:")
    # GLOBAL: every cursor of this database (one per thread) must read times in the same zone.
    connection.execute("SET GLOBAL TimeZone = ?", [time_zone])
    store = OrganisationStore(data_dir=data_dir, connection=connection, sources={})
    for name, path in find_table_files(data_dir).items():
        _load_table(store, TABLES[name], path)
        store.sources[name] = path
    return store


#: Parquet column types that read losslessly as each canonical type, so a view can cast them row by row
#: without a check (an importer's Parquet output); anything else is copied and checked like a CSV file.
_VIEWABLE: dict[str, tuple[str, ...]] = {
    "id": ("VARCHAR", "BIGINT", "INTEGER", "UBIGINT", "UINTEGER", "SMALLINT"),
    "text": ("VARCHAR",),
    "timestamp": (
        "TIMESTAMP WITH TIME ZONE",
        "TIMESTAMP",
        "TIMESTAMP_NS",
        "TIMESTAMP_MS",
        "TIMESTAMP_S",
        "DATE",
    ),
    "number": ("DOUBLE", "FLOAT", "BIGINT", "INTEGER", "SMALLINT", "TINYINT", "DECIMAL"),
    "integer": ("BIGINT", "INTEGER", "SMALLINT", "TINYINT", "UINTEGER", "USMALLINT", "UTINYINT"),
    "boolean": ("BOOLEAN",),
}


def _view_parquet(store: OrganisationStore, table: Table, path: Path) -> bool:
    """Expose a Parquet file whose column types already fit as a view over the file itself (no copy).

    Returns False, leaving nothing behind, when a column needs checking value by value.
    """
    connection = store.connection
    try:
        described = connection.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    except duckdb.Error as error:
        raise InvalidInputData(f"{path.name}: cannot be read: {error}") from None
    present = {row[0]: str(row[1]) for row in described}
    missing = [name for name in table.required_columns if name not in present]
    if missing:
        raise InvalidInputData(f"{path.name}: missing required column(s): {', '.join(missing)}")
    selects = []
    for column in table.columns:
        sql_type = DUCKDB_TYPES[column.type]
        quoted = f'"{column.name}"'
        if column.name not in present:
            selects.append(f"NULL::{sql_type} AS {quoted}")
            continue
        source_type = present[column.name].split("(")[0]
        if source_type not in _VIEWABLE[column.type]:
            return False
        # A cast to the type a column already has costs nothing, and lets filters reach the file.
        selects.append(f"CAST({quoted} AS {sql_type}) AS {quoted}")
    unknown = [name for name in present if name not in table.column_names]
    if unknown:
        store.warnings.append(f"{path.name}: ignored unknown column(s): {', '.join(unknown)}")
    literal = str(path).replace("'", "''")
    connection.execute(
        f"CREATE VIEW {table.name} AS SELECT {', '.join(selects)} FROM read_parquet('{literal}')"
    )
    _check_key(store, table, path)
    return True


def _check_key(store: OrganisationStore, table: Table, path: Path) -> None:
    if table.key is None:
        return
    duplicate = store.connection.execute(
        f"SELECT {table.key}, count(*) FROM {table.name} WHERE {table.key} IS NOT NULL "
        f"GROUP BY 1 HAVING count(*) > 1 LIMIT 1"
    ).fetchone()
    if duplicate is not None:
        raise InvalidInputData(
            f"{path.name}, column '{table.key}': id {duplicate[0]!r} appears {duplicate[1]} times"
        )


def _load_table(store: OrganisationStore, table: Table, path: Path) -> None:
    connection = store.connection
    if path.suffix == ".parquet" and _view_parquet(store, table, path):
        return
    if path.suffix == ".parquet":
        reader = "read_parquet(?)"
    else:
        reader = "read_csv(?, header = true, all_varchar = true, auto_detect = true)"
    try:
        connection.execute(
            f"CREATE TEMP TABLE raw_{table.name} AS SELECT row_number() OVER () + 1 AS __line, * FROM {reader}",
            [str(path)],
        )
    except duckdb.Error as error:
        raise InvalidInputData(f"{path.name}: cannot be read: {error}") from None
    raw = f"raw_{table.name}"
    present = [column[0] for column in connection.execute(f"DESCRIBE {raw}").fetchall()][1:]
    missing = [name for name in table.required_columns if name not in present]
    if missing:
        raise InvalidInputData(f"{path.name}: missing required column(s): {', '.join(missing)}")
    unknown = [name for name in present if name not in table.column_names]
    if unknown:
        store.warnings.append(f"{path.name}: ignored unknown column(s): {', '.join(unknown)}")
    selects = []
    for column in table.columns:
        sql_type = DUCKDB_TYPES[column.type]
        if column.name not in present:
            selects.append(f'NULL::{sql_type} AS "{column.name}"')
            continue
        quoted = f'"{column.name}"'
        value = f"nullif(trim(CAST({quoted} AS VARCHAR)), '')"
        bad = connection.execute(
            f"SELECT __line, {quoted} FROM {raw} "
            f"WHERE {value} IS NOT NULL AND TRY_CAST({value} AS {sql_type}) IS NULL LIMIT 1"
        ).fetchone()
        if bad is not None:
            line = f"line {bad[0]}" if path.suffix != ".parquet" else f"row {bad[0] - 1}"
            raise InvalidInputData(
                f"{path.name} {line}, column '{column.name}': {bad[1]!r} is not a valid {column.type}"
            )
        selects.append(f"TRY_CAST({value} AS {sql_type}) AS {quoted}")
    connection.execute(f"CREATE TABLE {table.name} AS SELECT {', '.join(selects)} FROM {raw}")
    _check_key(store, table, path)
    connection.execute(f"DROP TABLE {raw}")
