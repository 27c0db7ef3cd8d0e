"""The data page's jobs in the application database, so that every worker (and machine) sees the same ones.

One job at a time: a queued or running job holds the `slot` column (1, under a unique index), so a second
job that any process tries to add is refused by the database itself. The process that added a job claims it
(PostgreSQL: `SELECT ... FOR UPDATE SKIP LOCKED`; SQLite: a conditional `UPDATE`, atomic under its write
lock), runs it and beats a heartbeat; a job whose heartbeat stops (its worker was killed) is failed by the
next process that looks, which frees the slot. A finished preview keeps the upload it would import
(`request`) until one worker takes it to import it or discard it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import DateTime, Index, Integer, String, Text, Update, delete, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from advisor.database import Base, open_database, transaction
from advisor.errors import StateUnavailable
from advisor.job_models import ACTIVE_STATES, Job

#: The value of `slot` while a job is queued or running (NULL otherwise; NULLs do not collide).
_HELD = 1


class JobRow(Base):
    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_slot", "slot", unique=True),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), index=True)
    slot: Mapped[int | None] = mapped_column(Integer)
    #: The process running it (host:pid:nonce), and when it last said it was alive.
    owner: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    heartbeat_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    #: The Job model as JSON (what status polls show).
    content: Mapped[str] = mapped_column(Text)
    #: A finished preview's upload, waiting to be imported or discarded (JSON); NULL otherwise.
    request: Mapped[str | None] = mapped_column(Text)


class JobStore:
    """Jobs on the database at `url` (any SQLAlchemy URL the application database accepts)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._sessions = open_database(url)

    def add(self, job: Job, owner: str) -> Job | None:
        """Add `job` (queued) unless another job holds the slot; returns that job then, else None."""
        for _ in range(3):  # the job holding the slot may finish between our insert and our look
            if self._insert(job, owner):
                return None
            blocking = self.active()
            if blocking is not None:
                return blocking
        raise StateUnavailable("the job could not be recorded: jobs kept starting and ending; try again")

    def _insert(self, job: Job, owner: str) -> bool:
        """True when inserted; False when the slot is held (the unique index refused it)."""
        row = JobRow(
            id=job.id, kind=job.kind, state=job.state, slot=_HELD, owner=owner, created_at=job.created,
            heartbeat_at=_now(), content=job.model_dump_json(), request=None,
        )  # fmt: skip
        with self._sessions() as session:
            session.add(row)
            try:
                session.commit()
            except IntegrityError:  # the unique slot: another job is queued or running
                session.rollback()
                return False
            except SQLAlchemyError as error:
                session.rollback()
                raise StateUnavailable(
                    f"the job could not be recorded ({error.__class__.__name__})"
                ) from None
        return True

    def claim(self, job_id: str, owner: str) -> bool:
        """Take a queued job to run it: True for exactly one caller, never for a job already taken or failed."""
        with transaction(self._sessions) as session:
            if session.get_bind().dialect.name == "postgresql":
                found = session.execute(
                    select(JobRow.id)
                    .where(JobRow.id == job_id, JobRow.state == "queued")
                    .with_for_update(skip_locked=True)
                ).scalar_one_or_none()
                if found is None:
                    return False
            taken = session.execute(
                _update()
                .where(JobRow.id == job_id, JobRow.state == "queued")
                .values(state="running", owner=owner, heartbeat_at=_now())
            )
            return bool(getattr(taken, "rowcount", 0))

    def save(self, job: Job, owner: str) -> bool:
        """Write a running job's progress (and beat its heartbeat); a finished job gives up the slot. False
        when the job is no longer this owner's to write (failed meanwhile as dead)."""
        with transaction(self._sessions) as session:
            written = session.execute(
                _update()
                .where(JobRow.id == job.id, JobRow.owner == owner, JobRow.state.in_(ACTIVE_STATES))
                .values(
                    state=job.state,
                    slot=_HELD if job.active else None,
                    heartbeat_at=_now(),
                    content=job.model_dump_json(),
                )
            )
            return bool(getattr(written, "rowcount", 0))

    def amend(self, job_id: str, change: Callable[[Job], Job]) -> Job | None:
        """Change a job's content (a finished preview imported or discarded); None when there is no such job."""
        with transaction(self._sessions) as session:
            row = _locked(session, job_id)
            if row is None:
                return None
            changed = change(Job.model_validate_json(row.content))
            row.content = changed.model_dump_json()
            return changed

    def get(self, job_id: str) -> Job | None:
        with self._sessions() as session:
            content = session.execute(select(JobRow.content).where(JobRow.id == job_id)).scalar_one_or_none()
        return Job.model_validate_json(content) if content is not None else None

    def recent(self, limit: int) -> list[Job]:
        """The newest `limit` jobs, newest first."""
        with self._sessions() as session:
            contents = session.execute(
                select(JobRow.content).order_by(JobRow.created_at.desc(), JobRow.id.desc()).limit(limit)
            ).scalars()
            return [Job.model_validate_json(content) for content in contents]

    def active(self) -> Job | None:
        """The job that holds the slot (queued or running), if any."""
        with self._sessions() as session:
            content = session.execute(select(JobRow.content).where(JobRow.slot == _HELD)).scalar_one_or_none()
        return Job.model_validate_json(content) if content is not None else None

    def fail_dead(self, lease: timedelta) -> list[str]:
        """Fail the active jobs whose heartbeat is older than `lease` (their worker died); their ids."""
        cutoff = _now() - lease
        failed: list[str] = []
        with transaction(self._sessions) as session:
            query = select(JobRow).where(JobRow.slot == _HELD, JobRow.heartbeat_at < cutoff)
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)  # another process is failing it: leave it
            for row in session.execute(query).scalars().all():
                job = Job.model_validate_json(row.content)
                job.state, job.stage, job.finished = "failed", "Failed", _now()
                job.message = (
                    f"The {job.kind} stopped: the worker running it ({row.owner}) stopped answering "
                    f"{int(lease.total_seconds())} s ago (killed or restarted); start it again."
                )
                done = session.execute(  # conditional: on SQLite another process may have got here first
                    _update()
                    .where(JobRow.id == row.id, JobRow.slot == _HELD, JobRow.heartbeat_at < cutoff)
                    .values(state="failed", slot=None, content=job.model_dump_json())
                )
                if getattr(done, "rowcount", 0):
                    failed.append(row.id)
        return failed

    def keep_request(self, job_id: str, request: str | None) -> None:
        """Keep (or with None drop) the upload a finished preview would import."""
        with transaction(self._sessions) as session:
            session.execute(_update().where(JobRow.id == job_id).values(request=request))

    def request(self, job_id: str) -> str | None:
        with self._sessions() as session:
            found = session.execute(select(JobRow.request).where(JobRow.id == job_id)).scalar_one_or_none()
        return found

    def take_request(self, job_id: str) -> str | None:
        """The waiting upload of a preview, taken so that only one worker imports or discards it."""
        with transaction(self._sessions) as session:
            row = _locked(session, job_id)
            if row is None or row.request is None:
                return None
            request, row.request = row.request, None
            return request

    def forget_old(self, keep: int) -> list[tuple[str, str | None]]:
        """Delete the finished jobs older than the newest `keep`; their ids and waiting uploads."""
        with transaction(self._sessions) as session:
            newest = select(JobRow.id).order_by(JobRow.created_at.desc(), JobRow.id.desc()).limit(keep)
            old = session.execute(
                select(JobRow.id, JobRow.request).where(JobRow.slot.is_(None), JobRow.id.not_in(newest))
            ).all()
            if old:
                session.execute(delete(JobRow).where(JobRow.id.in_([job_id for job_id, _ in old])))
            return [(job_id, request) for job_id, request in old]


def _locked(session: Session, job_id: str) -> JobRow | None:
    """The row, locked until the transaction ends (PostgreSQL); SQLite takes its write lock first."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(_update().where(JobRow.id == job_id).values(id=JobRow.id))  # the write lock now
    return session.execute(select(JobRow).where(JobRow.id == job_id).with_for_update()).scalar_one_or_none()


def _update() -> Update:
    """An UPDATE of jobs that leaves the session's objects alone (SQLite gives back naive times, which the
    ORM could not compare in Python)."""
    return update(JobRow).execution_options(synchronize_session=False)


def _now() -> datetime:
    return datetime.now(UTC)
