"""The work of the data page's import jobs: a preview (a dry run that writes nothing), an import (merged by
id with the organisation's data, kept as a version) and the undo of the latest import. The runner
(advisor.jobs) runs them in the background; each reports what it did through `updates.record`.

The import and the undo run in a child process (spawned, one at a time): their memory is returned to the
system when they end, and one that is killed or runs out of memory fails its job without taking the web
process with it; the data folder then keeps its previous data (metrics.folders repairs a cut swap).
"""

from __future__ import annotations

import csv
import json
import multiprocessing
import shutil
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from advisor.errors import AdvisorError
from advisor.job_models import Job, JobBusy, RejectedRow
from metrics.importers import ImportReport, Mapping, import_sources, undo_import

if TYPE_CHECKING:
    from advisor.jobs import JobRunner, JobUpdates

#: Rows of rejects.csv a job keeps to show; the whole file can be downloaded.
REJECTS_PREVIEW_ROWS = 20
#: What a job reports of an index rebuild (knowledge.index.BuildReport).
INDEX_COUNTS = ("added", "updated", "unchanged", "removed", "chunks")

Arguments = ParamSpec("Arguments")
Result = TypeVar("Result")


class ImportProcessDied(AdvisorError):
    """The child process of an import or undo ended without an answer (killed, or out of memory)."""


@dataclass
class ImportRequest:
    """An upload waiting to be imported: what to read, how, and who asked."""

    sources: list[Path]
    mapping: Mapping
    upload_folder: Path | None = None
    time_zone: str | None = None
    #: Replace the tables the import fills instead of merging by id.
    replace: bool = False
    by: str = ""
    names: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        """Kept in the jobs table while a preview waits, so that any worker can import or discard it."""
        return json.dumps(
            {
                "sources": [str(path) for path in self.sources],
                "mapping": self.mapping.model_dump(mode="json", by_alias=True, exclude_unset=True),
                "upload_folder": str(self.upload_folder) if self.upload_folder is not None else None,
                "time_zone": self.time_zone,
                "replace": self.replace,
                "by": self.by,
                "names": self.names,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> ImportRequest:
        values = json.loads(text)
        folder = values["upload_folder"]
        return cls(
            sources=[Path(path) for path in values["sources"]],
            mapping=Mapping.model_validate(values["mapping"]),
            upload_folder=Path(folder) if folder is not None else None,
            time_zone=values["time_zone"],
            replace=bool(values["replace"]),
            by=str(values["by"]),
            names=list(values["names"]),
        )


def preview(runner: JobRunner, updates: JobUpdates, request: ImportRequest) -> str:
    """A dry run: rows per table before and after, rejects and warnings; nothing is written."""
    updates.stage(f"Previewing the import of {_files(request.sources)} with {request.mapping.name}")
    kept = runner.job_folder(updates.job_id) / "rejects.csv"
    kept.parent.mkdir(parents=True, exist_ok=True)
    report = _run(runner, request, dry_run=True, rejects_copy=kept)
    _record(updates, report, kept)
    updates.record(preview=True)
    after = sum(change.after for change in report.changes)
    before = sum(change.before for change in report.changes)
    return (
        f"Preview: the organisation would go from {before:,} to {after:,} rows; nothing was written yet. "
        "Import to write it, or discard the upload."
    )


def keep_preview(runner: JobRunner, updates: JobUpdates, request: ImportRequest) -> str:
    """The preview job: a dry run, then its upload kept in the jobs table until it is imported or discarded
    (from any worker); a preview that fails drops its upload."""
    try:
        message = preview(runner, updates, request)
    except BaseException:
        if request.upload_folder is not None:
            shutil.rmtree(request.upload_folder, ignore_errors=True)
        raise
    runner.store.keep_request(updates.job_id, request.to_json())
    return message


def confirm_preview(runner: JobRunner, job_id: str, *, by: str | None = None) -> Job:
    """Import the upload a finished preview showed (a new job); KeyError when none waits. The upload is
    taken from the table first, so two workers confirming at once start one import."""
    runner.ensure_idle()
    job = runner.get(job_id)
    taken = runner.store.take_request(job_id) if job is not None and job.state == "done" else None
    if taken is None:
        raise KeyError(job_id)
    request = ImportRequest.from_json(taken)
    if by is not None:
        request.by = by
    try:
        started = runner.submit(
            "import",
            lambda updates: run_import(runner, updates, request),
            cleanup=request.upload_folder,
            sources=request.names,
            mapping=request.mapping.name,
            replace=request.replace,
        )
    except JobBusy:
        runner.store.keep_request(job_id, taken)  # still waiting: it can be confirmed later
        raise
    note = {"imported_by": started.id, "message": f"Imported by job {started.id}."}
    runner.store.amend(job_id, lambda shown: shown.model_copy(update=note))
    return started


def discard_preview(runner: JobRunner, job_id: str) -> bool:
    """Drop a preview's upload without importing it; False when none was waiting."""
    taken = runner.store.take_request(job_id)
    if taken is None:
        return False
    folder = ImportRequest.from_json(taken).upload_folder
    if folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
    note = {"message": "Discarded: nothing was imported."}
    runner.store.amend(job_id, lambda shown: shown.model_copy(update=note))
    return True


def run_import(runner: JobRunner, updates: JobUpdates, request: ImportRequest) -> str:
    """The import itself: merged (or replaced) into the data folder, then the data reloaded and the index
    rebuilt."""
    updates.stage(f"Importing {_files(request.sources)} with {request.mapping.name}")
    report = _run(runner, request, dry_run=False, rejects_copy=None)
    kept = runner.job_folder(updates.job_id) / "rejects.csv"
    if (report.rejects or report.warnings) and report.rejects_path.is_file():
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(report.rejects_path, kept)
    _record(updates, report, kept)
    updates.record(version=report.version)
    built = after_data_change(runner, updates)
    rows = sum(count.rows for count in report.tables)
    rejected = f"{report.rejects:,} problem{'s' if report.rejects != 1 else ''} in rejects.csv"
    if report.warnings:
        rejected += f", {report.warnings:,} value{'s' if report.warnings != 1 else ''} left empty"
    return (
        f"Imported {rows:,} rows into {len(report.tables)} table{'s' if len(report.tables) != 1 else ''} "
        f"({rejected}). {built}"
    )


def run_undo(runner: JobRunner, updates: JobUpdates) -> str:
    """Restore the data folder as it was before its latest import, then reload and rebuild the index."""
    updates.stage("Undoing the latest import")
    report = in_child_process(undo_import, runner.advisor.data_dir)
    version = report.undone
    updates.record(
        sources=version.sources, mapping=version.mapping, tables={c.table: c.before for c in version.tables}
    )
    built = after_data_change(runner, updates)
    return (
        f"Undid the import of {version.at:%Y-%m-%d %H:%M} UTC ({', '.join(version.sources) or 'no files'}"
        f"{', by ' + version.by if version.by else ''}): the data is as it was before it. {built}"
    )


def after_data_change(runner: JobRunner, updates: JobUpdates) -> str:
    """After the data folder changed: forget its tables, rebuild the index, measure the outcomes that were
    too early to tell until this data came, warm the scorecards."""
    advisor = runner.advisor
    into = advisor.data_dir
    advisor.reload_data(into)
    built = _build_index(runner, updates)
    if into.resolve() == advisor.data_dir.resolve():
        remeasured = advisor.remeasure_due_outcomes()
        if remeasured:
            built += f" {remeasured} outcome(s) that were too early to tell measured again."
        advisor.warm_up()  # the scorecard and its drill-downs, so the next page opens at once
    return built


def rebuild_index(runner: JobRunner, updates: JobUpdates) -> str:
    """The rebuild job: the data folder may have been changed beside the app (`advisor import`), so its
    articles are read afresh, then the index is brought in step."""
    runner.advisor.reload_data(runner.advisor.data_dir)
    return _build_index(runner, updates)


def _build_index(runner: JobRunner, updates: JobUpdates) -> str:
    updates.stage("Rebuilding the knowledge index")
    report = runner.advisor.build_index(progress=updates.progress)
    counts = asdict(report)
    updates.record(index={key: counts[key] for key in INDEX_COUNTS})
    return (
        f"Knowledge index: {report.added} added, {report.updated} updated, {report.removed} removed, "
        f"{report.unchanged} unchanged ({report.chunks} passages embedded)."
    )


def _run(
    runner: JobRunner, request: ImportRequest, *, dry_run: bool, rejects_copy: Path | None
) -> ImportReport:
    return in_child_process(
        import_sources,
        request.sources,
        runner.advisor.data_dir,
        request.mapping,
        max_file_bytes=runner.max_file_bytes,
        time_zone=request.time_zone,
        replace=["all"] if request.replace else (),
        dry_run=dry_run,
        by=request.by,
        rejects_copy=rejects_copy,
        date_window=runner.advisor.date_window,
        memory_limit_bytes=runner.import_memory_bytes,
    )


def in_child_process(
    work: Callable[Arguments, Result], *args: Arguments.args, **kwargs: Arguments.kwargs
) -> Result:
    """`work(*args, **kwargs)` in a fresh spawned process (the web process has threads: no fork); its
    exceptions are raised here, a process that dies is an ImportProcessDied."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        try:
            return pool.submit(work, *args, **kwargs).result()
        except BrokenProcessPool:
            raise ImportProcessDied(
                "the import process ended unexpectedly (killed, or out of memory); the data folder keeps its "
                "previous data"
            ) from None


def _record(updates: JobUpdates, report: ImportReport, rejects: Path) -> None:
    shown = read_rejects(rejects, REJECTS_PREVIEW_ROWS) if rejects.is_file() else []
    updates.record(
        tables={count.table: count.rows for count in report.tables},
        files=report.files,
        rejects=report.rejects,
        warnings=report.warnings,
        tickets_without_rows=report.tickets_without_rows,
        rejects_preview=shown,
        notices=report.notices,
        mapping=report.mapping,
        changes=report.changes,
    )


def _files(sources: list[Path]) -> str:
    return f"{len(sources)} file{'s' if len(sources) != 1 else ''}"


def read_rejects(path: Path, limit: int) -> list[RejectedRow]:
    """The first `limit` problems of a rejects.csv (file, line, column, table, severity, reason)."""
    rows: list[RejectedRow] = []
    with path.open(encoding="utf-8", newline="") as handle:
        for record in csv.DictReader(handle):
            if len(rows) >= limit:
                break
            rows.append(
                RejectedRow(
                    file=record.get("file") or "",
                    line=record.get("line") or "",
                    column=record.get("column") or "",
                    table=record.get("table") or "",
                    reason=record.get("reason") or "",
                    severity=record.get("severity") or "rejected",
                )
            )
    return rows
