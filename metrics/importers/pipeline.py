"""The import: source files -> DuckDB -> mapped, checked canonical tables -> Parquet -> swapped into the folder."""

from __future__ import annotations

import shutil
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from metrics.errors import InvalidInputData
from metrics.importers.files import FileProblem, assign_files, prepare
from metrics.importers.mapping import ENUMERATED, Mapping, StateLogSpec, TableSpec
from metrics.importers.merging import load_existing, merge_outputs
from metrics.importers.models import ImportReport
from metrics.importers.outputs import collect_outputs, write_outputs
from metrics.importers.readers import read_source
from metrics.importers.reporting import Loaded, build_report
from metrics.importers.specs import check_time_zone
from metrics.importers.sql import compile_value, ident, lit, row_filter
from metrics.importers.staging import canonical_select, create_stage, keep_usable, lost_tickets
from metrics.importers.state_logs import (
    EVENT_COLUMNS,
    assignment_sql,
    compile_log,
    derive_events,
    derive_tickets,
)
from metrics.importers.versions import Version, keep_version, new_version_id
from metrics.importers.versions import author as version_author
from metrics.importers.versions import now as version_time
from metrics.importers.views import condition_columns, references, source_view
from metrics.importers.writing import carry_over, folder_lock, replaced_names, swap, work_folder
from metrics.plausible import DateWindow
from metrics.schema import TABLES
from metrics.store import open_store

#: Files larger than this (bytes, also once decompressed: gzip files and zip members) are refused by default.
DEFAULT_MAX_FILE_BYTES = 2 * 1024**3
#: The memory DuckDB may use for an import by default; beyond it, it spills to the import's work folder.
DEFAULT_MEMORY_LIMIT_BYTES = 1024**3

_KIND_WORDS = {
    "ticket_events": "event kind",
    "surveys": "survey kind",
    "revenue_events": "revenue event kind",
}


@dataclass(frozen=True)
class _Options:
    max_file_bytes: int
    time_zone: str | None
    replace: set[str]
    dry_run: bool
    by: str
    sources: list[str]
    rejects_copy: Path | None
    window: DateWindow


def import_sources(
    sources: Sequence[str | Path],
    into: Path,
    mapping: Mapping,
    *,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    time_zone: str | None = None,
    replace: Collection[str] = (),
    dry_run: bool = False,
    by: str | None = None,
    rejects_copy: Path | None = None,
    date_window: DateWindow | None = None,
    memory_limit_bytes: int = DEFAULT_MEMORY_LIMIT_BYTES,
) -> ImportReport:
    """Import `sources` through `mapping` into the data folder `into`.

    Each source is a path, or `NAME=PATH` to feed the mapping's source NAME. Usable rows are written as
    `<table>.parquet`; the others are listed in `rejects.csv` with file, line, column, severity and reason.
    Rows already in the folder are merged with the imported ones by id (metrics.importers.merging), except in
    the tables named in `replace` (or all, with "all"). The folder is replaced at once at the end, and what the
    import replaced is kept as a version (`versions/`, see `undo_import`): when the import fails, the folder
    keeps its previous data. `dry_run` computes everything (rows per table before and after, rejects) and
    writes nothing; `rejects_copy` receives a copy of its rejects.csv. `time_zone` overrides the mapping's zone
    for source times that carry no offset; `by` names who imports (default: the system user). A time outside
    `date_window` (default: 1990-01-01 to a year after today) rejects its row, or is emptied with a warning in
    an optional column. DuckDB holds at most `memory_limit_bytes` in memory and spills the rest to disk.

    One writer at a time works on a folder (metrics.folders.folder_lock); on entry, what a killed import
    left is repaired first (an interrupted swap is undone, work folders removed).
    """
    if max_file_bytes <= 0:
        raise InvalidInputData(f"the maximum file size must be positive, not {max_file_bytes}")
    if memory_limit_bytes < 64 * 1024**2:
        raise InvalidInputData(
            f"the import's memory limit must be at least 64 MiB, not {memory_limit_bytes:,} bytes"
        )
    if time_zone is not None:
        try:
            check_time_zone(time_zone)
        except ValueError as error:
            raise InvalidInputData(str(error)) from None
    assigned = assign_files(sources, mapping)
    into = into.absolute()
    if into.exists() and not into.is_dir():
        raise InvalidInputData(f"{into} is not a folder")
    unknown = sorted(set(replace) - set(TABLES) - {"all"})
    if unknown:
        raise InvalidInputData(
            f"cannot replace {', '.join(unknown)}: not tables (tables: {', '.join(TABLES)})"
        )
    options = _Options(
        max_file_bytes,
        time_zone,
        set(TABLES) if "all" in replace else set(replace),
        dry_run,
        version_author() if by is None else by,
        [str(Path(str(source).partition("=")[2] or str(source)).name) for source in sources],
        rejects_copy,
        date_window or DateWindow.default(),
    )
    with folder_lock(into):
        work = work_folder(into)
        connection = duckdb.connect(
            ":memory:", config={"memory_limit": f"{memory_limit_bytes // 1024**2}MiB"}
        )
        try:
            return _import(connection, assigned, into, work, mapping, options)
        finally:
            connection.close()
            shutil.rmtree(work, ignore_errors=True)


def _import(
    connection: duckdb.DuckDBPyConnection,
    assigned: dict[str, list[Path]],
    into: Path,
    work: Path,
    mapping: Mapping,
    options: _Options,
) -> ImportReport:
    max_file_bytes, time_zone = options.max_file_bytes, options.time_zone
    scratch, new = work / "scratch", work / "new"
    scratch.mkdir()
    new.mkdir()
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute(f"SET temp_directory = {lit(str(scratch / 'duckdb'))}")
    connection.execute(
        'CREATE TEMP TABLE rejects (file VARCHAR, line BIGINT, "column" VARCHAR, "table" VARCHAR, reason VARCHAR, '
        "severity VARCHAR)"
    )
    connection.execute("CREATE TEMP TABLE files (idx INTEGER, name VARCHAR)")
    loaded = _load(connection, assigned, mapping, scratch, max_file_bytes)
    for number, (name, spec) in enumerate(mapping.tables.items()):
        _fill_table(
            connection,
            loaded,
            mapping,
            name,
            spec,
            number,
            time_zone or mapping.sources[spec.from_].time_zone,
            options.window,
        )
    for number, log in enumerate(mapping.state_logs):
        zone = time_zone or mapping.sources[log.from_].time_zone
        _fill_from_log(connection, loaded, mapping, log, number, zone, options.window)
    counts = collect_outputs(connection, loaded.outputs)
    existing = load_existing(connection, into, scratch, options.window)
    changes = merge_outputs(connection, counts, existing, options.replace)
    write_outputs(connection, counts, new)
    if options.rejects_copy is not None:
        shutil.copyfile(new / "rejects.csv", options.rejects_copy)
    report = build_report(connection, loaded, counts, into, mapping, changes, options.dry_run)
    if options.dry_run:
        return report
    # what was written must load exactly as the scorecard will load it
    open_store(new, window=options.window).close()
    carry_over(into, new, replaced_names(list(counts)))
    at = version_time()
    version = Version(
        id=new_version_id(at),
        at=at,
        by=options.by,
        mapping=mapping.name,
        sources=options.sources,
        tables=changes,
    )
    keep_version(into, new, version, list(counts))
    swap(new, into, work / "old")
    return report.model_copy(update={"version": version.id})


def _load(
    connection: duckdb.DuckDBPyConnection,
    assigned: dict[str, list[Path]],
    mapping: Mapping,
    scratch: Path,
    max_file_bytes: int,
) -> Loaded:
    loaded = Loaded(raws={name: [] for name in mapping.sources})
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
        "INSERT INTO rejects VALUES (?, ?, ?, ?, ?, 'rejected')",
        [problem.file, problem.line, problem.column, table, problem.reason],
    )


def _view(
    connection: duckdb.DuckDBPyConnection,
    loaded: Loaded,
    mapping: Mapping,
    source: str,
    name: str,
    *,
    table: str,
    purpose: str,
    required: set[str],
    optional: set[str],
) -> tuple[str, dict[str, str | None]] | None:
    view = source_view(
        connection,
        loaded.raws[source],
        name,
        table=table,
        purpose=purpose,
        required=required,
        optional=optional,
        missing_values=mapping.missing_values_of(source),
        aliases=mapping.sources[source].aliases,
        record=lambda problem, where: _record(connection, problem, where),
        notices=loaded.notices,
    )
    return None if view is None else (view.name, view.columns)


def _fill_table(
    connection: duckdb.DuckDBPyConnection,
    loaded: Loaded,
    mapping: Mapping,
    name: str,
    spec: TableSpec,
    number: int,
    zone: str,
    window: DateWindow,
) -> None:
    table = TABLES[name]
    required = condition_columns(spec.where, spec.where_not) | set(spec.skip_if_empty)
    optional: set[str] = set()
    for column, value in spec.columns.items():
        (required if column in table.required_columns else optional).update(references(value))
    view = _view(
        connection,
        loaded,
        mapping,
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
            window=window,
        )
        for column, value in spec.columns.items()
    }
    where = row_filter(spec.where, spec.where_not, spec.skip_if_empty, columns)
    stage = create_stage(connection, f"stage_t{number}", f"SELECT * FROM {view_name}", values, where=where)
    usable = keep_usable(connection, stage, table=name, required=table.required_columns, key=table.key)
    if name == "tickets":
        loaded.lost_tickets += lost_tickets(connection, stage, usable, "id", name_them=False)
    loaded.outputs.setdefault(name, []).append(canonical_select(name, stage, usable))


def _fill_from_log(
    connection: duckdb.DuckDBPyConnection,
    loaded: Loaded,
    mapping: Mapping,
    log: StateLogSpec,
    number: int,
    zone: str,
    window: DateWindow,
) -> None:
    required = references(log.ticket_id) | references(log.at)
    required |= condition_columns(log.where, log.where_not, log.assignment.when) | set(log.skip_if_empty)
    optional = set().union(
        *(references(value) for value in (log.status, log.team, log.agent_id, *log.events)),
        *(references(value) for value in log.ticket_columns.values()),
    )
    view = _view(
        connection,
        loaded,
        mapping,
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
    values = compile_log(log, columns, zone, window)
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
    loaded.lost_tickets += lost_tickets(connection, stage, usable, "ticket_id", name_them=True)
    events = derive_events(connection, usable, log, number)
    loaded.outputs.setdefault("ticket_events", []).append(
        f"SELECT {', '.join(ident(column) for column in EVENT_COLUMNS)}, __src, __line, __order FROM {events}"
    )
    if log.derives_tickets:
        tickets = derive_tickets(connection, log, stage.labels, number)
        usable_tickets = keep_usable(
            connection, tickets, table="tickets", required=TABLES["tickets"].required_columns, key="id"
        )
        loaded.outputs.setdefault("tickets", []).append(canonical_select("tickets", tickets, usable_tickets))
