"""A `limits` storage on the application database, so that every worker and machine counts the same sign-in
attempts when there is no Redis or Memcached (limits has no SQL storage of its own).

It supports the moving window: each hit is a row (key, moment); a window is the rows of a key younger than
its length. Taking an entry counts and adds in one transaction that holds the key (PostgreSQL: an advisory
lock on the key's hash; SQLite: the write lock), so two workers never both take the last one.
"""

from __future__ import annotations

import time

from limits.storage import MovingWindowSupport, Storage
from sqlalchemy import Float, Integer, String, delete, func, insert, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Mapped, Session, mapped_column

from advisor.database import Base, open_database, transaction


class RateLimitHitRow(Base):
    __tablename__ = "rate_limit_hits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(300), index=True)
    #: Seconds since the epoch (time.time()): the window arithmetic of limits is in those.
    at: Mapped[float] = mapped_column(Float)
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class DatabaseStorage(Storage, MovingWindowSupport):
    """limits' Storage (moving window, and the counter calls of the fixed window) over SQLAlchemy."""

    STORAGE_SCHEME = None  # made directly from a database URL, never from a limits URI

    def __init__(self, url: str, wrap_exceptions: bool = False) -> None:
        super().__init__(url, wrap_exceptions=wrap_exceptions)
        self.url = url
        self._sessions = open_database(url)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    # -- moving window -----------------------------------------------------------------------------------
    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = time.time()
        with transaction(self._sessions) as session:
            _hold(session, key)
            if _count(session, key, now - expiry) + amount > limit:
                return False
            _add(session, key, now, now + expiry, amount)
            return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = time.time()
        with self._sessions() as session:
            recent = (
                session.execute(
                    select(RateLimitHitRow.at)
                    .where(RateLimitHitRow.key == key, RateLimitHitRow.at > now - expiry)
                    .order_by(RateLimitHitRow.at.desc())
                    .limit(limit)
                )
                .scalars()
                .all()
            )
        return (recent[-1], len(recent)) if recent else (now, 0)

    # -- counters (fixed window) -------------------------------------------------------------------------
    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with transaction(self._sessions) as session:
            _hold(session, key)
            ends = session.execute(
                select(func.min(RateLimitHitRow.expires_at)).where(
                    RateLimitHitRow.key == key, RateLimitHitRow.expires_at > now
                )
            ).scalar()
            _add(session, key, now, ends if ends is not None else now + expiry, amount)
            return _count(session, key, None, now)

    def get(self, key: str) -> int:
        with self._sessions() as session:
            return _count(session, key, None, time.time())

    def get_expiry(self, key: str) -> float:
        now = time.time()
        with self._sessions() as session:
            ends = session.execute(
                select(func.min(RateLimitHitRow.expires_at)).where(
                    RateLimitHitRow.key == key, RateLimitHitRow.expires_at > now
                )
            ).scalar()
        return float(ends) if ends is not None else now

    # -- upkeep ------------------------------------------------------------------------------------------
    def check(self) -> bool:
        try:
            with self._sessions() as session:
                session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with transaction(self._sessions) as session:
            return int(getattr(session.execute(delete(RateLimitHitRow)), "rowcount", 0))

    def clear(self, key: str) -> None:
        with transaction(self._sessions) as session:
            session.execute(delete(RateLimitHitRow).where(RateLimitHitRow.key == key))


def _hold(session: Session, key: str) -> None:
    """Hold `key` until the transaction ends (counting then adding must not interleave across workers), and
    drop its expired rows."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key})
    # SQLite: this delete takes the write lock before the count (one writer at a time).
    session.execute(
        delete(RateLimitHitRow).where(RateLimitHitRow.key == key, RateLimitHitRow.expires_at <= time.time())
    )


def _count(session: Session, key: str, since: float | None, alive_at: float | None = None) -> int:
    query = select(func.count()).select_from(RateLimitHitRow).where(RateLimitHitRow.key == key)
    if since is not None:
        query = query.where(RateLimitHitRow.at > since)
    if alive_at is not None:
        query = query.where(RateLimitHitRow.expires_at > alive_at)
    return int(session.execute(query).scalar_one())


def _add(session: Session, key: str, at: float, expires_at: float, amount: int) -> None:
    session.execute(
        insert(RateLimitHitRow), [{"key": key, "at": at, "expires_at": expires_at} for _ in range(amount)]
    )
