"""Secrets every worker and machine must agree on (the key that signs CSRF cookies), kept in the application
database when the settings give none: made once by whichever process asks first, read by all the others."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import DateTime, String, Text, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Mapped, mapped_column

from advisor.database import Base, open_database
from advisor.errors import StateUnavailable

#: The secret that signs the CSRF cookie (asgi-csrf).
SIGNING = "signing"
#: Shorter secrets are refused (a file from elsewhere, a typo).
MIN_LENGTH = 32


class AppSecretRow(Base):
    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


def shared_secret(url: str, name: str = SIGNING, *, adopt: Path | None = None) -> str:
    """The secret `name` of the database at `url`, made at first use: from the file `adopt` when it holds one
    (the key an older version kept beside the database, so cookies already given out stay valid), else
    random. When two processes make it at once, the first to commit wins and both return its value."""
    sessions = open_database(url)
    try:
        with sessions() as session:
            found = session.execute(select(AppSecretRow.value).where(AppSecretRow.name == name)).scalar()
            if found is not None:
                return found
            session.add(AppSecretRow(name=name, value=_initial(adopt), created_at=datetime.now(UTC)))
            try:
                session.commit()
            except IntegrityError:  # another worker made it first: use theirs
                session.rollback()
            return session.execute(select(AppSecretRow.value).where(AppSecretRow.name == name)).scalar_one()
    except SQLAlchemyError as error:
        raise StateUnavailable(f"cannot read the {name} secret ({error.__class__.__name__})") from None


def _initial(adopt: Path | None) -> str:
    if adopt is not None and adopt.is_file():
        kept = adopt.read_text(encoding="utf-8").strip()
        if len(kept) >= MIN_LENGTH:
            return kept
    return secrets.token_urlsafe(48)
