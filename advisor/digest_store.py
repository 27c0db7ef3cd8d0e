"""When each person last opened the digest, so "what changed since last time" means since their last visit.

One row per person and organisation on the application database (shared by every worker); migrated by
advisor/migrations, revision 0007.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import UTC, datetime

from sqlalchemy import DateTime, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from advisor.database import Base, open_database, transaction


class DigestViewRow(Base):
    __tablename__ = "digest_views"

    username: Mapped[str] = mapped_column(String(200), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class DigestViews:
    """Reads and records the last time a person saw an organisation's digest; each call is one transaction."""

    def __init__(self, url: str) -> None:
        self._sessions = open_database(url)

    def _session(self) -> AbstractContextManager[Session]:
        return transaction(self._sessions)

    def last_seen(self, username: str, organisation: str) -> datetime | None:
        with self._session() as session:
            row = session.get(DigestViewRow, (username, organisation))
            return _utc(row.seen_at) if row is not None else None

    def record(self, username: str, organisation: str, *, at: datetime | None = None) -> datetime | None:
        """Note that `username` saw the digest now (or `at`); returns the visit before, if any."""
        moment = at or datetime.now(UTC)
        with self._session() as session:
            row = session.get(DigestViewRow, (username, organisation), with_for_update=True)
            if row is None:
                session.add(DigestViewRow(username=username, organisation=organisation, seen_at=moment))
                return None
            before = _utc(row.seen_at)
            row.seen_at = moment
            return before


def _utc(moment: datetime) -> datetime:
    """SQLite hands back naive times: they were stored in UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
