"""Background jobs of the data page: one import or index rebuild at a time, each with progress and a result.

A job runs in its own thread. An import writes the organisation's folder with one atomic swap (the
importers' guarantee; the rows are merged by id with the folder's data, and the import is kept as a version
that an undo job restores), then the scorecard forgets the old tables and the knowledge index is brought in
step; a failure at any step is kept on the job as a message, and whatever was not finished was not written.
A preview job is a dry run: it keeps its upload until the import is confirmed (a new job) or discarded.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from advisor.errors import AdvisorError
from advisor.import_jobs import (
    REJECTS_PREVIEW_ROWS,
    ImportRequest,
    RejectedRow,
    preview,
    read_rejects,
    run_import,
    run_undo,
)
from advisor.service import Advisor
from knowledge.errors import KnowledgeError
from metrics.errors import MetricsError
from metrics.importers import (
    DEFAULT_MAX_FILE_BYTES,
    DEFAULT_MEMORY_LIMIT_BYTES,
    FileCount,
    Mapping,
    TableChange,
)

logger = logging.getLogger(__name__)

__all__ = ["REJECTS_PREVIEW_ROWS", "Job", "JobBusy", "JobRunner", "JobUpdates", "RejectedRow", "read_rejects"]

JobKind = Literal["import", "rebuild", "undo"]
JobState = Literal["queued", "running", "done", "failed"]
#: What a job reports of an index rebuild (knowledge.index.BuildReport).
INDEX_COUNTS = ("added", "updated", "unchanged", "removed", "chunks")
#: Finished jobs kept (with their rejects.csv); older ones are forgotten.
KEEP_JOBS = 20


class JobBusy(AdvisorError):
    """A job was asked for while another import or rebuild is still queued or running."""


class Job(BaseModel):
    """An import or index rebuild: where it stands, and what it did."""

    id: str
    kind: JobKind
    state: JobState = "queued"
    #: What the job is doing now, in words ("Importing 2 files", "Rebuilding the knowledge index").
    stage: str = "Waiting to start"
    #: Progress of the current stage; `total` 0 means the stage cannot say how far it is.
    done: int = 0
    total: int = 0
    message: str = ""
    created: datetime
    started: datetime | None = None
    finished: datetime | None = None
    #: Import: the uploaded files, the mapping used, rows written per table, per-file counts, rejects.
    sources: list[str] = Field(default_factory=list)
    mapping: str = ""
    tables: dict[str, int] = Field(default_factory=dict)
    files: list[FileCount] = Field(default_factory=list)
    rejects: int = 0
    #: Values of optional columns left empty (listed in rejects.csv as warnings), tickets with no usable row.
    warnings: int = 0
    tickets_without_rows: int = 0
    rejects_preview: list[RejectedRow] = Field(default_factory=list)
    notices: list[str] = Field(default_factory=list)
    #: Rows per table of the organisation before and after (merged, replaced, new or kept).
    changes: list[TableChange] = Field(default_factory=list)
    #: A preview (dry run): nothing written; `replace` the choice made on the form; `imported_by` the job that
    #: imported it once confirmed; `version` the version an import is kept as.
    preview: bool = False
    replace: bool = False
    imported_by: str | None = None
    version: str | None = None
    #: The index rebuild: documents added, updated, unchanged and removed, and passages embedded.
    index: dict[str, int] = Field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.state in {"queued", "running"}


class JobUpdates:
    """What a running job's work uses to say how it is doing (thread-safe)."""

    def __init__(self, runner: JobRunner, job_id: str) -> None:
        self._runner = runner
        self.job_id = job_id

    def stage(self, text: str, *, total: int = 0) -> None:
        self.record(stage=text, done=0, total=total)

    def progress(self, done: int, total: int) -> None:
        """Matches `knowledge.index.Progress`: (passages done, passages to do)."""
        self.record(done=done, total=total)

    def record(self, **changes: object) -> None:
        self._runner._update(self.job_id, **changes)


Work = Callable[[JobUpdates], str]


class JobRunner:
    """Runs one job at a time in a background thread and remembers the last `keep` jobs.

    Uploads wait in `work_dir` until their import has run; each job's rejects.csv is kept there too, so it
    can still be downloaded after a later import has replaced the one in the data folder.
    """

    def __init__(
        self,
        advisor: Advisor,
        work_dir: Path | None = None,
        *,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        keep: int = KEEP_JOBS,
        import_memory_bytes: int = DEFAULT_MEMORY_LIMIT_BYTES,
    ) -> None:
        self.advisor = advisor
        self.max_file_bytes = max_file_bytes
        self.import_memory_bytes = import_memory_bytes
        self.keep = keep
        self._own_work_dir = work_dir is None
        self.work_dir = Path(tempfile.mkdtemp(prefix="advisor-jobs-")) if work_dir is None else work_dir
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._threads: dict[str, threading.Thread] = {}
        #: Previews waiting to be confirmed or discarded, by job id.
        self._pending: dict[str, ImportRequest] = {}
        self._lock = threading.Lock()

    # -- what the edges ask ------------------------------------------------------------------------------
    def jobs(self) -> list[Job]:
        """The jobs remembered, newest first (copies)."""
        with self._lock:
            return [job.model_copy(deep=True) for job in reversed(self._jobs.values())]

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return job.model_copy(deep=True) if job is not None else None

    def active(self) -> Job | None:
        """The job that is queued or running, if any."""
        with self._lock:
            running = next((job for job in self._jobs.values() if job.active), None)
            return running.model_copy(deep=True) if running is not None else None

    def ensure_idle(self) -> None:
        """JobBusy when a job is queued or running (an upload is refused before it is stored)."""
        with self._lock:
            self._raise_if_busy()

    def _raise_if_busy(self) -> None:
        running = next((job for job in self._jobs.values() if job.active), None)
        if running is not None:
            raise JobBusy(
                f"an {_KIND_WORDS[running.kind]} is already running (job {running.id}: "
                f"{running.stage[:1].lower()}{running.stage[1:]}); start another when it has finished"
            )

    def job_folder(self, job_id: str) -> Path:
        """Where a job keeps its files (its rejects.csv)."""
        return self.work_dir / "jobs" / _safe_id(job_id)

    def rejects_file(self, job_id: str) -> Path | None:
        """The rejects.csv an import job wrote, when it wrote one."""
        path = self.job_folder(job_id) / "rejects.csv"
        return path if job_id in self._jobs and path.is_file() else None

    def awaiting_confirmation(self, job_id: str) -> bool:
        """Whether `job_id` is a finished preview whose upload can still be imported."""
        with self._lock:
            job = self._jobs.get(job_id)
            return job is not None and job.state == "done" and job_id in self._pending

    def upload_folder(self) -> Path:
        """A new, empty folder for one upload; `start_import` takes it over (and removes it)."""
        folder = self.work_dir / "uploads" / uuid.uuid4().hex
        folder.mkdir(parents=True)
        return folder

    def wait(self, job_id: str, timeout: float | None = None) -> Job:
        """The job once it has finished (or as it stands after `timeout` seconds)."""
        with self._lock:
            thread = self._threads.get(job_id)
        if thread is not None:
            thread.join(timeout)
        job = self.get(job_id)
        if job is None:
            raise KeyError(job_id)
        return job

    def close(self, timeout: float = 30.0) -> None:
        """Wait for a running job, then remove the work folder if this runner made it."""
        with self._lock:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout)
        with self._lock:
            pending, self._pending = list(self._pending.values()), {}
        for request in pending:
            if request.upload_folder is not None:
                shutil.rmtree(request.upload_folder, ignore_errors=True)
        if self._own_work_dir:
            shutil.rmtree(self.work_dir, ignore_errors=True)

    # -- starting jobs -----------------------------------------------------------------------------------
    def start_import(
        self,
        sources: Sequence[Path],
        mapping: Mapping,
        *,
        upload_folder: Path | None = None,
        time_zone: str | None = None,
        preview: bool = False,
        replace: bool = False,
        by: str = "",
    ) -> Job:
        """Import `sources` through `mapping` into the advisor's data folder (merged by id, or replacing the
        tables it fills), then rebuild the index. With `preview`, only show what it would do: the upload is
        kept until `confirm` imports it or `discard` drops it.

        `upload_folder` (from `upload_folder()`) is removed when the import ends, or at once when it cannot
        start.
        """
        request = ImportRequest(
            list(sources), mapping, upload_folder, time_zone, replace, by, [path.name for path in sources]
        )
        fields: dict[str, object] = {
            "sources": request.names,
            "mapping": mapping.name,
            "replace": replace,
            "preview": preview,
        }

        def work(updates: JobUpdates) -> str:
            return self._preview(updates, request) if preview else run_import(self, updates, request)

        try:
            return self.submit("import", work, cleanup=None if preview else upload_folder, **fields)
        except JobBusy:
            if upload_folder is not None:
                shutil.rmtree(upload_folder, ignore_errors=True)
            raise

    def _preview(self, updates: JobUpdates, request: ImportRequest) -> str:
        try:
            message = preview(self, updates, request)
        except BaseException:
            if request.upload_folder is not None:
                shutil.rmtree(request.upload_folder, ignore_errors=True)
            raise
        with self._lock:
            self._pending[updates.job_id] = request
        return message

    def confirm(self, job_id: str, *, by: str | None = None) -> Job:
        """Import the upload a finished preview showed (a new job); KeyError when there is none to import."""
        with self._lock:
            self._raise_if_busy()
            job = self._jobs.get(job_id)
            request = self._pending.get(job_id)
            if job is None or request is None or job.state != "done":
                raise KeyError(job_id)
            del self._pending[job_id]
        if by is not None:
            request.by = by
        started = self.start_import(
            request.sources,
            request.mapping,
            upload_folder=request.upload_folder,
            time_zone=request.time_zone,
            replace=request.replace,
            by=request.by,
        )
        self._update(job_id, imported_by=started.id, message=f"Imported by job {started.id}.")
        return started

    def discard(self, job_id: str) -> bool:
        """Drop a preview's upload without importing it; False when there was none waiting."""
        with self._lock:
            request = self._pending.pop(job_id, None)
        if request is None:
            return False
        if request.upload_folder is not None:
            shutil.rmtree(request.upload_folder, ignore_errors=True)
        self._update(job_id, message="Discarded: nothing was imported.")
        return True

    def start_undo(self) -> Job:
        """Restore the data folder as it was before its latest import, then rebuild the index."""
        return self.submit("undo", lambda updates: run_undo(self, updates))

    def start_rebuild(self) -> Job:
        """Bring the knowledge index in step with the practices, articles and solutions."""
        return self.submit("rebuild", self._rebuild)

    def submit(self, kind: JobKind, work: Work, *, cleanup: Path | None = None, **fields: object) -> Job:
        """Run `work` in the background as a new job; JobBusy while another job is queued or running.

        `work` returns the job's closing message; an exception it raises fails the job with its message.
        """
        with self._lock:
            self._raise_if_busy()
            job = Job.model_validate({"id": uuid.uuid4().hex[:12], "kind": kind, "created": _now(), **fields})
            self._jobs[job.id] = job
            thread = threading.Thread(
                target=self._run, args=(job.id, work, cleanup), name=f"advisor-job-{job.id}", daemon=True
            )
            self._threads[job.id] = thread
            self._forget_old()
            snapshot = job.model_copy(deep=True)
        thread.start()
        return snapshot

    # -- running -----------------------------------------------------------------------------------------
    def _run(self, job_id: str, work: Work, cleanup: Path | None) -> None:
        self._update(job_id, state="running", started=_now())
        try:
            message = work(JobUpdates(self, job_id))
        except (MetricsError, KnowledgeError, AdvisorError, OSError) as error:
            self._fail(job_id, str(error) or type(error).__name__)
        except Exception as error:  # a job must end with a state, whatever went wrong
            logger.exception("job %s failed", job_id)
            self._fail(job_id, f"unexpected error: {type(error).__name__}: {error}")
        else:
            with self._lock:
                job = self._jobs.get(job_id)
                total = max(job.total, 1) if job is not None else 1
            self._update(
                job_id,
                state="done",
                stage="Finished",
                done=total,
                total=total,
                message=message,
                finished=_now(),
            )
        finally:
            if cleanup is not None:
                shutil.rmtree(cleanup, ignore_errors=True)
            with self._lock:
                self._threads.pop(job_id, None)

    def _fail(self, job_id: str, reason: str) -> None:
        job = self.get(job_id)
        prefix = ""
        if job is not None and job.kind in {"import", "undo"} and job.tables and not job.preview:
            done = "The data was imported" if job.kind == "import" else "The import was undone"
            prefix = f"{done}, but rebuilding the knowledge index failed: "
        elif job is not None:
            prefix = f"The {_KIND_WORDS[job.kind]} failed: "
        self._update(job_id, state="failed", stage="Failed", message=prefix + reason, finished=_now())

    def _update(self, job_id: str, **changes: object) -> None:
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None:
                return
            for name, value in changes.items():
                setattr(job, name, value)

    def _forget_old(self) -> None:
        """Drop the oldest finished jobs beyond `keep` (with their files); call with the lock held."""
        finished = [job_id for job_id, job in self._jobs.items() if not job.active]
        for job_id in finished[: max(0, len(self._jobs) - self.keep)]:
            del self._jobs[job_id]
            shutil.rmtree(self.job_folder(job_id), ignore_errors=True)
            request = self._pending.pop(job_id, None)
            if request is not None and request.upload_folder is not None:
                shutil.rmtree(request.upload_folder, ignore_errors=True)

    # -- the work ----------------------------------------------------------------------------------------
    def after_data_change(self, updates: JobUpdates) -> str:
        """After the data folder changed: forget its tables, rebuild the index, measure the outcomes that
        were too early to tell until this data came, warm the scorecards."""
        into = self.advisor.data_dir
        self.advisor.reload_data(into)
        built = self._build_index(updates)
        if into.resolve() == self.advisor.data_dir.resolve():
            remeasured = self.advisor.remeasure_due_outcomes()
            if remeasured:
                built += f" {remeasured} outcome(s) that were too early to tell measured again."
            self.advisor.warm_up()  # the scorecard and its drill-downs, so the next page opens at once
        return built

    def _rebuild(self, updates: JobUpdates) -> str:
        # The data folder may have been changed beside the app (`advisor import`): read its articles afresh.
        self.advisor.reload_data(self.advisor.data_dir)
        return self._build_index(updates)

    def _build_index(self, updates: JobUpdates) -> str:
        updates.stage("Rebuilding the knowledge index")
        report = self.advisor.build_index(progress=updates.progress)
        counts = asdict(report)
        updates.record(index={key: counts[key] for key in INDEX_COUNTS})
        return (
            f"Knowledge index: {report.added} added, {report.updated} updated, {report.removed} removed, "
            f"{report.unchanged} unchanged ({report.chunks} passages embedded)."
        )


_KIND_WORDS: dict[str, str] = {"import": "import", "rebuild": "index rebuild", "undo": "undo of an import"}


def _safe_id(job_id: str) -> str:
    """Job ids are hex; anything else never names a folder."""
    return job_id if job_id.isalnum() else "invalid"


def _now() -> datetime:
    return datetime.now(UTC)
