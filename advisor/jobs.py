"""Background jobs of the data page: one import or index rebuild at a time across every worker and machine,
each with progress and a result that any worker can show.

A job runs in a thread of the worker that started it; the job, its progress and the one-at-a-time lock live
in the application database (advisor.job_store), so a status poll answered by another worker sees it, and a
second import started on another worker is refused. The running worker beats a heartbeat; when it dies, the
next worker that looks fails the job instead of leaving it running for ever.

An import writes the organisation's folder with one atomic swap (the importers' guarantee; the rows are
merged by id with the folder's data, and the import is kept as a version that an undo job restores), then the
scorecard forgets the old tables and the knowledge index is brought in step; a failure at any step is kept on
the job as a message, and whatever was not finished was not written. A preview job is a dry run: it keeps its
upload until the import is confirmed (a new job) or discarded, from any worker (the work folder is shared).
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from advisor.database import dispose_engine
from advisor.errors import AdvisorError
from advisor.import_jobs import (
    REJECTS_PREVIEW_ROWS,
    ImportRequest,
    confirm_preview,
    discard_preview,
    keep_preview,
    read_rejects,
    rebuild_index,
    run_import,
    run_undo,
)
from advisor.job_models import KIND_WORDS, Job, JobBusy, JobKind, RejectedRow
from advisor.job_store import JobStore
from advisor.service import Advisor
from knowledge.errors import KnowledgeError
from metrics.errors import MetricsError
from metrics.importers import DEFAULT_MAX_FILE_BYTES, DEFAULT_MEMORY_LIMIT_BYTES, Mapping

logger = logging.getLogger(__name__)

__all__ = ["REJECTS_PREVIEW_ROWS", "Job", "JobBusy", "JobRunner", "JobUpdates", "RejectedRow", "read_rejects"]

#: Finished jobs kept (with their rejects.csv); older ones are forgotten.
KEEP_JOBS = 20
#: A running job's worker says it is alive this often; one silent for LEASE_S is taken for dead (seconds).
HEARTBEAT_S = 5.0
LEASE_S = 60.0
#: Progress (passages embedded) is written at most this often; a new stage or state is written at once.
PROGRESS_WRITE_S = 0.5


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
    """Starts jobs (one at a time across every process sharing the database) and runs this process's ones in
    background threads.

    Uploads wait in `work_dir` until their import has run; each job's rejects.csv is kept there too, so it
    can still be downloaded after a later import has replaced the one in the data folder. Workers that share
    a database must share `work_dir` too (the web app uses the `jobs_dir` setting). Without `database_url`
    the jobs live in a database of their own in `work_dir` (one process).
    """

    def __init__(
        self,
        advisor: Advisor,
        work_dir: Path | None = None,
        *,
        database_url: str | None = None,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        keep: int = KEEP_JOBS,
        import_memory_bytes: int = DEFAULT_MEMORY_LIMIT_BYTES,
        lease_s: float = LEASE_S,
        heartbeat_s: float = HEARTBEAT_S,
    ) -> None:
        self.advisor = advisor
        self.max_file_bytes = max_file_bytes
        self.import_memory_bytes = import_memory_bytes
        self.keep = keep
        self.lease = timedelta(seconds=lease_s)
        self.heartbeat_s = heartbeat_s
        self._own_work_dir = work_dir is None
        self.work_dir = Path(tempfile.mkdtemp(prefix="advisor-jobs-")) if work_dir is None else work_dir
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.store = JobStore(database_url or f"sqlite:///{self.work_dir / 'jobs.sqlite3'}")
        #: Who this runner is in the jobs table: jobs it runs carry it, and only it writes them.
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        #: This process's running jobs, fresher than the table (progress is written at most every 0.5 s).
        self._running: dict[str, Job] = {}
        self._written: dict[str, float] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._heart: threading.Thread | None = None
        self._looked_for_dead = 0.0

    # -- what the edges ask ------------------------------------------------------------------------------
    def jobs(self) -> list[Job]:
        """The jobs remembered (by every worker), newest first."""
        self._fail_dead()
        return [self._fresh(job) for job in self.store.recent(self.keep)]

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            running = self._running.get(job_id)
            if running is not None:
                return running.model_copy(deep=True)
        self._fail_dead()
        return self.store.get(job_id)

    def active(self) -> Job | None:
        """The job that is queued or running in any worker, if any."""
        self._fail_dead()
        found = self.store.active()
        return self._fresh(found) if found is not None else None

    def ensure_idle(self) -> None:
        """JobBusy when a job is queued or running (an upload is refused before it is stored)."""
        running = self.active()
        if running is not None:
            raise _busy(running)

    def job_folder(self, job_id: str) -> Path:
        """Where a job keeps its files (its rejects.csv)."""
        return self.work_dir / "jobs" / _safe_id(job_id)

    def rejects_file(self, job_id: str) -> Path | None:
        """The rejects.csv an import job wrote, when it wrote one."""
        path = self.job_folder(job_id) / "rejects.csv"
        return path if path.is_file() else None  # a forgotten job's folder is removed with it

    def awaiting_confirmation(self, job_id: str) -> bool:
        """Whether `job_id` is a finished preview whose upload can still be imported."""
        return self.store.request(job_id) is not None  # kept only once a preview has finished

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
        """Wait for this process's running job, then remove the work folder if this runner made it (a
        shared one keeps the previews that other workers may still import)."""
        with self._lock:
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout)
        self._stopping.set()
        if self._own_work_dir:
            dispose_engine(self.store.url)  # its database is in the folder
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
            return keep_preview(self, updates, request) if preview else run_import(self, updates, request)

        try:
            return self.submit("import", work, cleanup=None if preview else upload_folder, **fields)
        except JobBusy:
            if upload_folder is not None:
                shutil.rmtree(upload_folder, ignore_errors=True)
            raise

    def confirm(self, job_id: str, *, by: str | None = None) -> Job:
        """Import the upload a finished preview showed (a new job); KeyError when there is none to import.
        Only one worker takes a preview's upload, however many confirm it at once."""
        return confirm_preview(self, job_id, by=by)

    def discard(self, job_id: str) -> bool:
        """Drop a preview's upload without importing it; False when there was none waiting."""
        return discard_preview(self, job_id)

    def start_undo(self) -> Job:
        """Restore the data folder as it was before its latest import, then rebuild the index."""
        return self.submit("undo", lambda updates: run_undo(self, updates))

    def start_rebuild(self) -> Job:
        """Bring the knowledge index in step with the practices, articles and solutions."""
        return self.submit("rebuild", lambda updates: rebuild_index(self, updates))

    def submit(self, kind: JobKind, work: Work, *, cleanup: Path | None = None, **fields: object) -> Job:
        """Run `work` in the background as a new job; JobBusy while another job is queued or running in any
        worker sharing the database.

        `work` returns the job's closing message; an exception it raises fails the job with its message.
        """
        self._fail_dead()
        job = Job.model_validate({"id": uuid.uuid4().hex[:12], "kind": kind, "created": _now(), **fields})
        blocking = self.store.add(job, self.owner)
        if blocking is not None:
            raise _busy(self._fresh(blocking))
        with self._lock:
            self._running[job.id] = job
            self._written[job.id] = time.monotonic()
            thread = threading.Thread(
                target=self._run, args=(job.id, work, cleanup), name=f"advisor-job-{job.id}", daemon=True
            )
            self._threads[job.id] = thread
            snapshot = job.model_copy(deep=True)
        self._forget_old()
        thread.start()
        self._beat()
        return snapshot

    # -- running -----------------------------------------------------------------------------------------
    def _run(self, job_id: str, work: Work, cleanup: Path | None) -> None:
        try:
            if not self.store.claim(job_id, self.owner):  # failed as dead meanwhile: nothing to run
                return
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
                    job = self._running.get(job_id)
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
                self._running.pop(job_id, None)
                self._written.pop(job_id, None)

    def _fail(self, job_id: str, reason: str) -> None:
        job = self.get(job_id)
        prefix = ""
        if job is not None and job.kind in {"import", "undo"} and job.tables and not job.preview:
            done = "The data was imported" if job.kind == "import" else "The import was undone"
            prefix = f"{done}, but rebuilding the knowledge index failed: "
        elif job is not None:
            prefix = f"The {KIND_WORDS[job.kind]} failed: "
        self._update(job_id, state="failed", stage="Failed", message=prefix + reason, finished=_now())

    def _update(self, job_id: str, **changes: object) -> None:
        """Change this process's running job; written to the table at once for a new stage or state, else
        (progress) at most every PROGRESS_WRITE_S."""
        with self._lock:
            job = self._running.get(job_id)
            if job is None:
                return
            for name, value in changes.items():
                setattr(job, name, value)
            now = time.monotonic()
            if set(changes) <= {"done", "total"} and now - self._written.get(job_id, 0.0) < PROGRESS_WRITE_S:
                return
            self._written[job_id] = now
            snapshot = job.model_copy(deep=True)
        if not self.store.save(snapshot, self.owner):
            logger.warning("job %s was failed by another worker (its heartbeat was late)", job_id)

    def _beat(self) -> None:
        """Start the heartbeat thread if it is not running: it writes this process's running jobs (their
        progress, and the time that says their worker is alive) every `heartbeat_s`."""
        with self._lock:
            if self._heart is not None:
                return
            self._heart = threading.Thread(target=self._heartbeats, name="advisor-job-heartbeat", daemon=True)
            self._heart.start()

    def _heartbeats(self) -> None:
        while not self._stopping.wait(self.heartbeat_s):
            with self._lock:
                running = [job.model_copy(deep=True) for job in self._running.values()]
                for job in running:
                    self._written[job.id] = time.monotonic()
                if not running:  # under the lock: a job submitted now starts a new heartbeat thread
                    self._heart = None
                    return
            for job in running:
                try:
                    self.store.save(job, self.owner)
                except AdvisorError as error:  # the database is away for a moment: beat again next time
                    logger.warning("job %s: heartbeat not written (%s)", job.id, error)

    def _fail_dead(self) -> None:
        """Fail jobs whose worker stopped beating (looked for at most once a second per process)."""
        now = time.monotonic()
        if now - self._looked_for_dead < 1.0:
            return
        self._looked_for_dead = now
        for job_id in self.store.fail_dead(self.lease):
            logger.warning("job %s failed: its worker stopped answering", job_id)

    def _fresh(self, job: Job) -> Job:
        """This process's own copy of a job it runs (fresher than the table), else `job`."""
        with self._lock:
            running = self._running.get(job.id)
            return running.model_copy(deep=True) if running is not None else job

    def _forget_old(self) -> None:
        """Drop the oldest finished jobs beyond `keep`, with their files and waiting uploads."""
        for job_id, request in self.store.forget_old(self.keep):
            shutil.rmtree(self.job_folder(job_id), ignore_errors=True)
            if request is not None:
                folder = ImportRequest.from_json(request).upload_folder
                if folder is not None:
                    shutil.rmtree(folder, ignore_errors=True)


def _busy(running: Job) -> JobBusy:
    return JobBusy(
        f"an {KIND_WORDS[running.kind]} is already running (job {running.id}: "
        f"{running.stage[:1].lower()}{running.stage[1:]}); start another when it has finished"
    )


def _safe_id(job_id: str) -> str:
    """Job ids are hex; anything else never names a folder."""
    return job_id if job_id.isalnum() else "invalid"


def _now() -> datetime:
    return datetime.now(UTC)
