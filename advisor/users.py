"""Users of the web app, their sign-in sessions and personal API tokens, on the application database.

Passwords are kept as Argon2id hashes (pwdlib). Session and API tokens are random and shown once; only their
SHA-256 is stored, so a copy of the database lets nobody sign in. Disabling a user or signing out ends the
sessions at once, because every request looks its session up.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, delete, func, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from advisor.access import ROLES, Principal, Role
from advisor.database import Base, best_effort_write, open_database, transaction
from advisor.errors import InvalidUser, UserConflict, UserNotFound

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 1024
MAX_TOKEN_NAME_LENGTH = 100
MAX_TEAM_LENGTH = 200
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
#: Personal API tokens start with this, so that a leaked one is easy to recognise (and to scan for).
TOKEN_PREFIX = "ocmf_"  # noqa: S105 - a prefix, not a secret
#: How often a token's "last used" time is written: at most once a minute, not on every request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class UserRow(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    team: Mapped[str | None] = mapped_column(String(MAX_TEAM_LENGTH), nullable=True)


class SessionRow(Base):
    __tablename__ = "web_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class TokenRow(Base):
    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(MAX_TOKEN_NAME_LENGTH))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


@dataclass(frozen=True)
class User:
    """A user as the rest of the app sees one: never with the password hash."""

    username: str
    role: Role
    created_at: datetime
    disabled: bool
    #: The team they work in (as the support data names it), or None.
    team: str | None = None


@dataclass(frozen=True)
class ApiToken:
    """A personal API token as listed: its name and times, never the token itself."""

    id: str
    name: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class NewToken:
    """A token just made: `secret` is shown this once and cannot be read back later."""

    token: ApiToken
    secret: str


class UserStore:
    """Users, sessions and API tokens; each method is one transaction."""

    def __init__(self, url: str, *, session_hours: float = 12) -> None:
        self.url = url
        self.session_lifetime = timedelta(hours=session_hours)
        self._hasher = PasswordHash((Argon2Hasher(),))
        # Verified when the username is unknown, so that a wrong name takes as long as a wrong password.
        self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(16))
        self._has_users = False
        self._sessions = open_database(url)
        self._noted: dict[str, datetime] = {}
        self._noted_lock = threading.Lock()

    def _session(self) -> AbstractContextManager[Session]:
        return transaction(self._sessions)

    # -- users --------------------------------------------------------------------------------------------
    def has_users(self) -> bool:
        """True once any user exists (users are disabled, never deleted, so the answer is kept)."""
        if not self._has_users:
            with self._session() as session:
                self._has_users = session.scalar(select(UserRow.id).limit(1)) is not None
        return self._has_users

    def create_user(
        self, username: str, role: str, password: str, *, at: datetime | None = None, team: str | None = None
    ) -> User:
        name = _valid_username(username)
        checked_role = _valid_role(role)
        password_hash = self._hasher.hash(_valid_password(password))
        with self._session() as session:
            if self._find(session, name) is not None:
                raise UserConflict(f"the username {name!r} is taken")
            row = UserRow(
                username=name,
                role=checked_role,
                password_hash=password_hash,
                created_at=at or datetime.now(UTC),
                disabled=False,
                team=_valid_team(team),
            )
            session.add(row)
            session.flush()
            user = _user(row)
        self._has_users = True
        return user

    def list_users(self) -> list[User]:
        with self._session() as session:
            return [_user(row) for row in session.scalars(select(UserRow).order_by(UserRow.username))]

    def get_user(self, username: str) -> User:
        with self._session() as session:
            return _user(self._row(session, username))

    def authenticate(self, username: str, password: str) -> User | None:
        """The user when the password is theirs and they are not disabled; None otherwise (no hint why)."""
        with self._session() as session:
            row = self._find(session, username.strip().lower())
            if row is None or len(password) > MAX_PASSWORD_LENGTH:
                self._hasher.verify(password[:MAX_PASSWORD_LENGTH], self._dummy_hash)
                return None
            valid, new_hash = self._hasher.verify_and_update(password, row.password_hash)
            if not valid or row.disabled:
                return None
            if new_hash is not None:  # the hashing parameters were raised since: store the stronger hash
                row.password_hash = new_hash
            return _user(row)

    def change_password(
        self, username: str, current: str, new: str, *, keep_session: str | None = None
    ) -> None:
        """Change one's own password; every other session of the user ends and their API tokens are revoked."""
        if self.authenticate(username, current) is None:
            raise InvalidUser("the current password is wrong")
        self._set_password(username, new, keep_session=keep_session)

    def reset_password(self, username: str, new: str) -> None:
        """An admin sets someone's password; all their sessions end and their API tokens are revoked."""
        self._set_password(username, new, keep_session=None)

    def _set_password(self, username: str, new: str, *, keep_session: str | None) -> None:
        password_hash = self._hasher.hash(_valid_password(new))
        with self._session() as session:
            row = self._row(session, username)
            row.password_hash = password_hash
            ended = delete(SessionRow).where(SessionRow.user_id == row.id)
            if keep_session is not None:
                ended = ended.where(SessionRow.token_hash != _digest(keep_session))
            session.execute(ended)
            # a token made with the old password may be what leaked: the user makes new ones
            session.execute(delete(TokenRow).where(TokenRow.user_id == row.id))

    def set_role(self, username: str, role: str) -> User:
        checked_role = _valid_role(role)
        with self._session() as session:
            row = self._row(session, username)
            if checked_role != "admin":
                self._keep_an_admin(session, row, f"make {row.username} a{_n(checked_role)} {checked_role}")
            row.role = checked_role
            return _user(row)

    def set_team(self, username: str, team: str | None) -> User:
        """Set (or, with None or blank, clear) the team whose figures are the user's; sessions see it at once."""
        with self._session() as session:
            row = self._row(session, username)
            row.team = _valid_team(team)
            return _user(row)

    def set_disabled(self, username: str, disabled: bool) -> User:
        """Disable (all sessions end, API tokens are revoked: enabling again does not revive them) or enable
        a user."""
        with self._session() as session:
            row = self._row(session, username)
            if disabled:
                self._keep_an_admin(session, row, f"disable {row.username}")
                session.execute(delete(SessionRow).where(SessionRow.user_id == row.id))
                session.execute(delete(TokenRow).where(TokenRow.user_id == row.id))
            row.disabled = disabled
            return _user(row)

    @staticmethod
    def _keep_an_admin(session: Session, row: UserRow, change: str) -> None:
        if row.role != "admin" or row.disabled:
            return
        others = session.scalar(
            select(func.count(UserRow.id)).where(
                UserRow.role == "admin", UserRow.disabled.is_(False), UserRow.id != row.id
            )
        )
        if not others:
            raise UserConflict(f"cannot {change}: they are the last active admin; make another admin first")

    # -- web sessions -------------------------------------------------------------------------------------
    def start_session(self, username: str, *, at: datetime | None = None) -> str:
        """A new session for the user; returns the token for the cookie (stored only as its SHA-256)."""
        moment = at or datetime.now(UTC)
        token = secrets.token_urlsafe(32)
        with self._session() as session:
            row = self._row(session, username)
            if row.disabled:
                raise InvalidUser(f"{row.username} is disabled")
            session.execute(delete(SessionRow).where(SessionRow.expires_at < moment))
            session.add(
                SessionRow(
                    token_hash=_digest(token),
                    user_id=row.id,
                    created_at=moment,
                    expires_at=moment + self.session_lifetime,
                )
            )
        return token

    def session_principal(self, token: str, *, at: datetime | None = None) -> Principal | None:
        """Who holds this session token; None when it is unknown, expired or its user is disabled."""
        moment = at or datetime.now(UTC)
        with self._session() as session:
            found = session.execute(
                select(UserRow.username, UserRow.role, UserRow.disabled, UserRow.team, SessionRow.expires_at)
                .join(SessionRow, SessionRow.user_id == UserRow.id)
                .where(SessionRow.token_hash == _digest(token))
            ).first()
        if found is None or found.disabled:
            return None
        if _utc(found.expires_at) <= moment:  # tidying up is not the request's work: it never fails it
            best_effort_write(
                self.url,
                delete(SessionRow).where(SessionRow.token_hash == _digest(token)),
                what="an expired session",
            )
            return None
        return Principal(username=found.username, role=_valid_role(found.role), team=found.team)

    def end_session(self, token: str) -> None:
        with self._session() as session:
            session.execute(delete(SessionRow).where(SessionRow.token_hash == _digest(token)))

    # -- personal API tokens ------------------------------------------------------------------------------
    def create_token(self, username: str, name: str, *, at: datetime | None = None) -> NewToken:
        clean_name = " ".join(name.split())
        if not clean_name or len(clean_name) > MAX_TOKEN_NAME_LENGTH:
            raise InvalidUser(f"a token needs a name of 1 to {MAX_TOKEN_NAME_LENGTH} characters")
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._session() as session:
            user = self._row(session, username)
            row = TokenRow(
                id=uuid.uuid4().hex,
                user_id=user.id,
                name=clean_name,
                token_hash=_digest(secret),
                created_at=at or datetime.now(UTC),
                last_used_at=None,
            )
            session.add(row)
            return NewToken(token=_token(row), secret=secret)

    def list_tokens(self, username: str) -> list[ApiToken]:
        with self._session() as session:
            user = self._row(session, username)
            rows = session.scalars(
                select(TokenRow).where(TokenRow.user_id == user.id).order_by(TokenRow.created_at)
            )
            return [_token(row) for row in rows]

    def revoke_token(self, username: str, token_id: str) -> None:
        with self._session() as session:
            user = self._row(session, username)
            revoked = session.execute(
                delete(TokenRow).where(TokenRow.id == token_id, TokenRow.user_id == user.id)
            )
            if not getattr(revoked, "rowcount", 0):
                raise UserNotFound(f"{user.username} has no API token {token_id!r}")

    def token_principal(self, secret: str, *, at: datetime | None = None) -> Principal | None:
        """Who holds this API token; None when it is unknown (or revoked) or its user is disabled."""
        if not secret.startswith(TOKEN_PREFIX):
            return None
        moment = at or datetime.now(UTC)
        with self._session() as session:
            found = session.execute(
                select(
                    UserRow.username,
                    UserRow.role,
                    UserRow.disabled,
                    UserRow.team,
                    TokenRow.id,
                    TokenRow.last_used_at,
                )
                .join(TokenRow, TokenRow.user_id == UserRow.id)
                .where(TokenRow.token_hash == _digest(secret))
            ).first()
        if found is None or found.disabled:
            return None
        if found.last_used_at is None or moment - _utc(found.last_used_at) >= LAST_USED_RESOLUTION:
            self._note_use(found.id, moment)
        return Principal(username=found.username, role=_valid_role(found.role), team=found.team)

    def _note_use(self, token_id: str, moment: datetime) -> None:
        """Write a token's "last used" time: at most once a minute per token and process, waiting at most a
        moment for the database; a failure is logged, never the request's (it is not what was asked)."""
        with self._noted_lock:
            tried = self._noted.get(token_id)
            if tried is not None and abs(moment - tried) < LAST_USED_RESOLUTION:
                return
            self._noted[token_id] = moment
            if len(self._noted) > 10_000:  # tokens come and go: forget the oldest
                del self._noted[next(iter(self._noted))]
        best_effort_write(
            self.url,
            update(TokenRow).where(TokenRow.id == token_id).values(last_used_at=moment),
            what="an API token's last-used time",
        )

    # -- helpers ------------------------------------------------------------------------------------------
    @staticmethod
    def _find(session: Session, username: str) -> UserRow | None:
        return session.scalar(select(UserRow).where(UserRow.username == username))

    def _row(self, session: Session, username: str) -> UserRow:
        row = self._find(session, username.strip().lower())
        if row is None:
            raise UserNotFound(f"no user {username!r}")
        return row


def _valid_username(username: str) -> str:
    name = username.strip().lower()
    if not USERNAME_PATTERN.match(name):
        raise InvalidUser(
            f"{username!r} is not a valid username: use 1 to 64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit"
        )
    return name


def _valid_role(role: str) -> Role:
    for known in ROLES:
        if role == known:
            return known
    raise InvalidUser(f"{role!r} is not a role; choose one of {', '.join(ROLES)}")


def _valid_team(team: str | None) -> str | None:
    name = " ".join((team or "").split())
    if len(name) > MAX_TEAM_LENGTH:
        raise InvalidUser(f"the team name is too long: use at most {MAX_TEAM_LENGTH} characters")
    return name or None


def _valid_password(password: str) -> str:
    if not password.strip():
        raise InvalidUser("the password is empty")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidUser(f"the password is too short: use at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidUser(f"the password is too long: use at most {MAX_PASSWORD_LENGTH} characters")
    return password


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _n(word: str) -> str:
    return "n" if word[:1] in "aeiou" else ""


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything we store is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _user(row: UserRow) -> User:
    return User(
        username=row.username,
        role=_valid_role(row.role),
        created_at=_utc(row.created_at),
        disabled=row.disabled,
        team=row.team,
    )


def _token(row: TokenRow) -> ApiToken:
    return ApiToken(
        id=row.id,
        name=row.name,
        created_at=_utc(row.created_at),
        last_used_at=_utc(row.last_used_at) if row.last_used_at else None,
    )
