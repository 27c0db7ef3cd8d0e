"""An organisation's data folder (canonical CSV or Parquet files) loaded into an in-memory DuckDB database.

CSV files are copied in and checked value by value. Parquet files whose column types already fit the
canonical schema (what the importers write) stay where they are: each table is a view over its file, so a
million tickets cost no copy and no memory until a query reads them. Such files are taken as typed: a
missing value is a null there, as the importers write it (an empty CSV cell is turned into a null).

Times outside the plausible window (metrics.plausible: "never" markers such as 9999-12-31, typos such as
2999) are hidden, with a warning, should an older import have let them in: a row whose required time is
implausible is left out, an optional time is read as empty.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from metrics.engines import union_time_range
from metrics.engines.duckdb_engine import DuckDBSession
from metrics.errors import InvalidInputData
from metrics.folders import wait_for_folder
from metrics.plausible import DateWindow
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


def activity_columns(tables: frozenset[str]) -> list[tuple[str, str]]:
    """The time columns whose range says which months the data covers (see ACTIVITY_TIME_COLUMNS)."""
    return [(table, column) for table, column in ACTIVITY_TIME_COLUMNS if table in tables] or [
        (table, column) for table, column in FALLBACK_TIME_COLUMNS if table in tables
    ]


@dataclass
class OrganisationStore:
    """The canonical tables of one organisation, typed, in DuckDB. Use `open_store` to make one."""

    data_dir: Path
    connection: duckdb.DuckDBPyConnection
    sources: dict[str, Path]
    warnings: list[str] = field(default_factory=list)
    #: The plausible dates: times outside them are hidden (and do not move the default period).
    window: DateWindow = field(default_factory=DateWindow.default)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def tables(self) -> frozenset[str]:
        return frozenset(self.sources)

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for one thread: DuckDB connections must not be shared between threads."""
        with self._lock:
            return self.connection.cursor()

    @contextlib.contextmanager
    def session(self) -> Iterator[DuckDBSession]:
        """The embedded engine's session for one scorecard: a cursor whose temporary tables go with it."""
        with self.cursor() as cursor:
            yield DuckDBSession(cursor)

    def time_range(self) -> tuple[datetime, datetime] | None:
        """Earliest and latest activity time in the data, or None when there is none."""
        with self.session() as session:
            return union_time_range(session, activity_columns(self.tables))

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


def open_store(
    data_dir: Path,
    *,
    time_zone: str = "UTC",
    window: DateWindow | None = None,
    memory_bytes: int | None = None,
    spill_dir: Path | None = None,
) -> OrganisationStore:
    """Load every canonical table found in `data_dir`; a missing table simply means 'no data'. Times outside
    `window` (default: 1990-01-01 to a year after today) are hidden.

    `memory_bytes` caps what the engine holds in memory (default: DuckDB's, 80% of the machine's); beyond
    it, large aggregations and sorts spill to `spill_dir` (default: DuckDB's temporary folder).
    """
    if not wait_for_folder(data_dir.absolute()):  # a write killed mid-swap is repaired first
        raise InvalidInputData(f"data folder {data_dir} does not exist")
    connection = duckdb.connect(":memory:")
    # GLOBAL: every cursor of this database (one per thread) must read times in the same zone.
    connection.execute("SET GLOBAL TimeZone = ?", [time_zone])
    if memory_bytes is not None:
        connection.execute(f"SET GLOBAL memory_limit = '{max(memory_bytes // 2**20, 1)}MiB'")
    if spill_dir is not None:
        spill_dir.mkdir(parents=True, exist_ok=True)
        literal = str(spill_dir).replace("'", "''")
        connection.execute(f"SET GLOBAL temp_directory = '{literal}'")
    store = OrganisationStore(
        data_dir=data_dir, connection=connection, sources={}, window=window or DateWindow.default()
    )
    for name, path in find_table_files(data_dir).items():
        _load_table(store, TABLES[name], path)
        _hide_implausible(store, TABLES[name], path, store.window)
        store.sources[name] = path
    return store


def _hide_implausible(store: OrganisationStore, table: Table, path: Path, window: DateWindow) -> None:
    """Leave out rows whose required time is outside `window`, and empty such optional times (a warning)."""
    times = [column for column in table.columns if column.type == "timestamp"]
    if not times:
        return
    connection = store.connection
    counts = connection.execute(
        "SELECT "
        + ", ".join(f"count(*) FILTER (WHERE {window.outside_sql(_quoted(column.name))})" for column in times)
        + f" FROM {table.name}"
    ).fetchone()
    found = {column.name: int(count) for column, count in zip(times, counts or (), strict=True) if count}
    if not found:
        return
    required = [name for name in found if name in table.required_columns]
    keep = " AND ".join(f"NOT {window.outside_sql(_quoted(name))}" for name in required) or "TRUE"
    emptied = [
        f"{window.inside_sql(_quoted(name))} AS {_quoted(name)}" for name in found if name not in required
    ]
    replace = f" REPLACE ({', '.join(emptied)})" if emptied else ""
    kind = connection.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = ?", [table.name]
    ).fetchone()
    if kind is not None and kind[0] == "VIEW":
        connection.execute(f"ALTER VIEW {table.name} RENAME TO {table.name}__file")
        connection.execute(
            f"CREATE VIEW {table.name} AS SELECT *{replace} FROM {table.name}__file WHERE {keep}"
        )
    else:
        connection.execute(
            f"CREATE OR REPLACE TABLE {table.name} AS SELECT *{replace} FROM {table.name} WHERE {keep}"
        )
    listed = ", ".join(f"{name}: {count:,}" for name, count in found.items())
    store.warnings.append(
        f"{path.name}: times outside the plausible dates {window} are ignored ({listed})"
        + (f"; rows without a plausible {' or '.join(required)} are left out" if required else "")
        + "; import the data again to see them in rejects.csv"
    )


def _quoted(name: str) -> str:
    return f'"{name}"'


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


#: File versions (path, size, modification time) whose keys were found unique: a version is checked once,
#: not on every open (a million-ticket check costs a scan). A hidden marker beside the file (`.NAME.keys`)
#: carries the verdict to later processes; a changed file has another size or time, so it is checked again.
_UNIQUE_KEYS: set[tuple[str, int, int]] = set()
_UNIQUE_KEYS_LOCK = threading.Lock()


def _check_key(store: OrganisationStore, table: Table, path: Path) -> None:
    if table.key is None:
        return
    stat = path.stat()
    version = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    marker, stamp = path.with_name(f".{path.name}.keys"), f"unique {stat.st_size} {stat.st_mtime_ns}"
    with _UNIQUE_KEYS_LOCK:
        if version in _UNIQUE_KEYS:
            return
    try:
        checked = marker.read_text(encoding="utf-8") == stamp
    except OSError:
        checked = False
    if not checked:
        duplicate = store.connection.execute(
            f"SELECT {table.key}, count(*) FROM {table.name} WHERE {table.key} IS NOT NULL "
            f"GROUP BY 1 HAVING count(*) > 1 LIMIT 1"
        ).fetchone()
        if duplicate is not None:
            raise InvalidInputData(
                f"{path.name}, column '{table.key}': id {duplicate[0]!r} appears {duplicate[1]} times"
            )
        with contextlib.suppress(OSError):  # a read-only folder: checked again by the next process
            marker.write_text(stamp, encoding="utf-8")
    with _UNIQUE_KEYS_LOCK:
        _UNIQUE_KEYS.add(version)


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
