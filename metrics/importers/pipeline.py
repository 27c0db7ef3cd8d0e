"""The import: source files -> DuckDB -> mapped, checked canonical tables -> Parquet -> swapped into the folder."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb

from metrics.errors import InvalidInputData
from metrics.importers.files import FileProblem, SourceFile, assign_files, prepare
from metrics.importers.mapping import (
    ENUMERATED,
    Condition,
    Mapping,
    StateLogSpec,
    TableSpec,
    ValueSpec,
    check_time_zone,
)
from metrics.importers.models import FileCount, ImportReport, TableCount
from metrics.importers.outputs import collect_outputs, write_outputs
from metrics.importers.readers import RawTable, read_source
from metrics.importers.sql import compile_value, ident, lit, row_filter
from metrics.importers.staging import Stage, create_stage, keep_usable
from metrics.importers.state_logs import (
    EVENT_COLUMNS,
    assignment_sql,
    compile_log,
    derive_events,
    derive_tickets,
)
from metrics.importers.writing import carry_over, replaced_names, swap, work_folder
from metrics.schema import DUCKDB_TYPES, TABLES
from metrics.store import open_store

#: Files larger than this (bytes, or uncompressed bytes for zip members) are refused by default.
DEFAULT_MAX_FILE_BYTES = 2 * 1024**3

_KIND_WORDS = {
    "ticket_events": "event kind",
    "surveys": "survey kind",
    "revenue_events": "revenue event kind",
}


@dataclass
class _Loaded:
    """The source files read so far, the problems met, and what each canonical table gets."""

    raws: dict[str, list[tuple[SourceFile, RawTable]]]
    files: list[tuple[str, str]] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    outputs: dict[str, list[str]] = field(default_factory=dict)


def import_sources(
    sources: Sequence[str | Path],
    into: Path,
    mapping: Mapping,
    *,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    time_zone: str | None = None,
) -> ImportReport:
    """Import `sources` through `mapping` into the data folder `into`.

    Each source is a path, or `NAME=PATH` to feed the mapping's source NAME. Usable rows are written as
    `<table>.parquet`; the others are listed in `rejects.csv` with file, line, column and reason. The folder is
    replaced at once at the end: when the import fails, the folder keeps its previous data. `time_zone`
    overrides the mapping's zone for source times that carry no offset.
    """
    if max_file_bytes <= 0:
        raise InvalidInputData(f"the maximum file size must be positive, not {max_file_bytes}")
    if time_zone is not None:
        try:
            check_time_zone(time_zone)
        except ValueError as error:
            raise InvalidInputData(str(error)) from None
    assigned = assign_files(sources, mapping)
    into = into.absolute()
    if into.exists() and not into.is_dir():
        raise InvalidInputData(f"{into} is not a folder")
    work = work_folder(into)
    connection = duckdb.connect(":memory:")
    try:
        return _import(connection, assigned, into, work, mapping, max_file_bytes, time_zone)
    finally:
        connection.close()
        shutil.rmtree(work, ignore_errors=True)


def _import(
    connection: duckdb.DuckDBPyConnection,
    assigned: dict[str, list[Path]],
    into: Path,
    work: Path,
    mapping: Mapping,
    max_file_bytes: int,
    time_zone: str | None,
) -> ImportReport:
    scratch, new = work / "scratch", work / "new"
    scratch.mkdir()
    new.mkdir()
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute(f"SET temp_directory = {lit(str(scratch / 'duckdb'))}")
    connection.execute(
        'CREATE TEMP TABLE rejects (file VARCHAR, line BIGINT, "column" VARCHAR, "table" VARCHAR, reason VARCHAR)'
    )
    connection.execute("CREATE TEMP TABLE files (idx INTEGER, name VARCHAR)")
    loaded = _load(connection, assigned, mapping, scratch, max_file_bytes)
    for number, (name, spec) in enumerate(mapping.tables.items()):
        _fill_table(
            connection, loaded, name, spec, number, time_zone or mapping.sources[spec.from_].time_zone
        )
    for number, log in enumerate(mapping.state_logs):
        _fill_from_log(connection, loaded, log, number, time_zone or mapping.sources[log.from_].time_zone)
    counts = collect_outputs(connection, loaded.outputs)
    write_outputs(connection, counts, new)
    # what was written must load exactly as the scorecard will load it
    open_store(new).close()
    carry_over(into, new, replaced_names(list(counts)))
    swap(new, into, work / "old")
    return _report(connection, loaded, counts, into, mapping)


def _load(
    connection: duckdb.DuckDBPyConnection,
    assigned: dict[str, list[Path]],
    mapping: Mapping,
    scratch: Path,
    max_file_bytes: int,
) -> _Loaded:
    loaded = _Loaded(raws={name: [] for name in mapping.sources})
    index = 0
    for source, paths in assigned.items():
        spec = mapping.sources[source]
        for path in paths:
            prepared = prepare(path, source, spec, scratch, max_file_bytes)
            loaded.notices += prepared.notices
            for problem in prepared.problems:
                _record(connection, problem)
                loaded.files.append((problem.file, source))
            for file in prepared.files:
                if file.name in loaded.rows:
                    file = replace(file, name=f"{file.name} ({path})")
                index += 1
                connection.execute("INSERT INTO files VALUES (?, ?)", [index, file.name])
                loaded.files.append((file.name, source))
                result = read_source(connection, file, index, spec.delimiter)
                parsed = connection.execute(
                    "SELECT count(DISTINCT line) FROM rejects WHERE file = ?", [file.name]
                ).fetchone()
                loaded.rows[file.name] = (0 if isinstance(result, FileProblem) else result.rows) + (
                    int(parsed[0]) if parsed else 0
                )
                if isinstance(result, FileProblem):
                    _record(connection, result)
                else:
                    loaded.raws[source].append((file, result))
    return loaded


def _record(connection: duckdb.DuckDBPyConnection, problem: FileProblem, table: str = "") -> None:
    connection.execute(
        "INSERT INTO rejects VALUES (?, ?, ?, ?, ?)",
        [problem.file, problem.line, problem.column, table, problem.reason],
    )


def _references(spec: ValueSpec | None) -> set[str]:
    if spec is None:
        return set()
    return ({spec.column} if spec.column is not None else set()) | set(spec.when or {})


def _condition_columns(*conditions: Condition | None) -> set[str]:
    return {name for condition in conditions for name in (condition or {})}


def _view(
    connection: duckdb.DuckDBPyConnection,
    loaded: _Loaded,
    source: str,
    name: str,
    *,
    table: str,
    purpose: str,
    required: set[str],
    optional: set[str],
) -> tuple[str, dict[str, str | None]] | None:
    """A view over the files of `source` that have every required column; None when no file has."""
    included = []
    for file, raw in loaded.raws[source]:
        resolved = _resolve(raw.columns, required | optional)
        missing = sorted(column for column in required if resolved[column] is None)
        for column in missing:
            _record(
                connection,
                FileProblem(
                    file.name,
                    f"column {column!r} is missing (needed for {purpose}); the file has: "
                    + ", ".join(raw.columns[:12])
                    + (", ..." if len(raw.columns) > 12 else ""),
                    1 if file.format == "csv" else None,
                    column,
                ),
                table,
            )
        if missing:
            continue
        absent = sorted(column for column in optional if resolved[column] is None)
        if absent:
            loaded.notices.append(
                f"{file.name}: no column {', '.join(map(repr, absent))}: left empty in {purpose}"
            )
        included.append(raw.table)
    if not included:
        return None
    connection.execute(
        f"CREATE TEMP VIEW {name} AS "
        + " UNION ALL BY NAME ".join(f"SELECT * FROM {table}" for table in included)
    )
    columns = [row[0] for row in connection.execute(f"DESCRIBE {name}").fetchall()]
    return name, _resolve(columns, required | optional)


def _resolve(columns: list[str], wanted: set[str]) -> dict[str, str | None]:
    """Each wanted column's name in the source: the same name, else the only one equal ignoring case and spaces."""
    folded: dict[str, list[str]] = {}
    for column in columns:
        folded.setdefault(column.strip().casefold(), []).append(column)
    resolved: dict[str, str | None] = {}
    for name in wanted:
        candidates = folded.get(name.strip().casefold(), [])
        resolved[name] = name if name in columns else (candidates[0] if len(candidates) == 1 else None)
    return resolved


def _fill_table(
    connection: duckdb.DuckDBPyConnection, loaded: _Loaded, name: str, spec: TableSpec, number: int, zone: str
) -> None:
    table = TABLES[name]
    required = _condition_columns(spec.where, spec.where_not) | set(spec.skip_if_empty)
    optional: set[str] = set()
    for column, value in spec.columns.items():
        (required if column in table.required_columns else optional).update(_references(value))
    view = _view(
        connection,
        loaded,
        spec.from_,
        f"source_t{number}",
        table=name,
        purpose=name,
        required=required,
        optional=optional - required,
    )
    if view is None:
        return
    view_name, columns = view
    values = {
        column: compile_value(
            value,
            table.column(column).type,
            columns,
            time_zone=zone,
            allowed=ENUMERATED.get((name, column)),
            what=_KIND_WORDS.get(name, "value"),
        )
        for column, value in spec.columns.items()
    }
    where = row_filter(spec.where, spec.where_not, spec.skip_if_empty, columns)
    stage = create_stage(connection, f"stage_t{number}", f"SELECT * FROM {view_name}", values, where=where)
    usable = keep_usable(connection, stage, table=name, required=table.required_columns, key=table.key)
    loaded.outputs.setdefault(name, []).append(_canonical_select(name, stage, usable))


def _fill_from_log(
    connection: duckdb.DuckDBPyConnection, loaded: _Loaded, log: StateLogSpec, number: int, zone: str
) -> None:
    required = _references(log.ticket_id) | _references(log.at)
    required |= _condition_columns(log.where, log.where_not, log.assignment.when) | set(log.skip_if_empty)
    optional = set().union(
        *(_references(value) for value in (log.status, log.team, log.agent_id, log.events)),
        *(_references(value) for value in log.ticket_columns.values()),
    )
    view = _view(
        connection,
        loaded,
        log.from_,
        f"source_l{number}",
        table="ticket_events",
        purpose="ticket_events (state log)",
        required=required,
        optional=optional - required,
    )
    if view is None:
        return
    view_name, columns = view
    values = compile_log(log, columns, zone)
    where = row_filter(log.where, log.where_not, log.skip_if_empty, columns)
    stage = create_stage(
        connection,
        f"stage_l{number}",
        f"SELECT * FROM {view_name}",
        values,
        where=where,
        extra={"__assign": assignment_sql(log, columns)},
    )
    usable = keep_usable(connection, stage, table="ticket_events", required=("ticket_id", "at"))
    events = derive_events(connection, usable, log, number)
    loaded.outputs.setdefault("ticket_events", []).append(
        f"SELECT {', '.join(ident(column) for column in EVENT_COLUMNS)}, __src, __line, __order FROM {events}"
    )
    if log.derives_tickets:
        tickets = derive_tickets(connection, log, stage.labels, number)
        usable_tickets = keep_usable(
            connection, tickets, table="tickets", required=TABLES["tickets"].required_columns, key="id"
        )
        loaded.outputs.setdefault("tickets", []).append(_canonical_select("tickets", tickets, usable_tickets))


def _canonical_select(name: str, stage: Stage, usable: str) -> str:
    selects = [
        f"{stage.v(column.name)} AS {ident(column.name)}"
        if column.name in stage.labels
        else f"NULL::{DUCKDB_TYPES[column.type]} AS {ident(column.name)}"
        for column in TABLES[name].columns
    ]
    return f"SELECT {', '.join(selects)}, __src, __line, 0 AS __order FROM {usable}"


def _report(
    connection: duckdb.DuckDBPyConnection,
    loaded: _Loaded,
    counts: dict[str, int],
    into: Path,
    mapping: Mapping,
) -> ImportReport:
    rejected = dict(
        connection.execute(
            "SELECT file, count(DISTINCT line) FROM rejects WHERE line IS NOT NULL GROUP BY file"
        ).fetchall()
    )
    row = connection.execute("SELECT count(*) FROM rejects").fetchone()
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
        rejects=int(row[0]) if row else 0,
        rejects_path=into / "rejects.csv",
        notices=loaded.notices,
    )
