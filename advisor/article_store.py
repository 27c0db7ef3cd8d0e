"""Articles of the KCS loop on the application database: content, state, the cases behind them, every change
(who, when) and the flags agents raise. Each method is one transaction; a state change is a conditional
UPDATE on the state it expects, so two people moving one article at once cannot both succeed."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from advisor.article_models import (
    EDITABLE_STATES,
    TRANSITIONS,
    ArticleChange,
    ArticleDraft,
    ArticleFlag,
    ArticleNotFound,
    ArticleState,
    CaseRef,
    FlagReason,
    KcsArticle,
    Origin,
)
from advisor.article_tables import ArticleCaseRow, ArticleChangeRow, ArticleFlagRow, ArticleRow
from advisor.database import open_database, transaction
from advisor.errors import InvalidTransition


def _utc(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _content(draft: ArticleDraft) -> dict[str, object]:
    """Only the editable fields (a whole KcsArticle may be passed as the draft)."""
    return draft.model_dump(include=set(ArticleDraft.model_fields))


def new_article_id() -> str:
    return "kcs-" + uuid.uuid4().hex[:12]


class ArticleStore:
    """The loop's articles and flags, per organisation."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._sessions = open_database(url)

    def _session(self) -> AbstractContextManager[Session]:
        return transaction(self._sessions)

    def create(
        self,
        draft: ArticleDraft,
        *,
        organisation: str,
        origin: Origin,
        actor: str,
        cases: Sequence[CaseRef] = (),
        at: datetime | None = None,
    ) -> KcsArticle:
        """A new article in "work in progress", linked to `cases` (the first is the one it was written from)."""
        moment = at or datetime.now(UTC)
        row = ArticleRow(
            id=new_article_id(),
            organisation=organisation,
            state="work_in_progress",
            origin=origin,
            revision=1,
            created_by=actor,
            created_at=moment,
            updated_at=moment,
            known_at=moment,
            **_content(draft),
        )
        row.cases = [
            ArticleCaseRow(
                ticket_id=case.ticket_id,
                position=position,
                title=case.title[:300],
                team=case.team,
                product=case.product,
                resolved_at=case.resolved_at,
            )
            for position, case in enumerate(cases)
        ]
        note = f"from {len(cases)} case{'s' if len(cases) != 1 else ''}" if cases else origin
        row.changes = [
            ArticleChangeRow(action="created", to_state="work_in_progress", actor=actor, at=moment, note=note)
        ]
        with self._session() as session:
            taken = session.execute(
                select(ArticleCaseRow.ticket_id, ArticleRow.id)
                .join(ArticleRow, ArticleRow.id == ArticleCaseRow.article_id)
                .where(
                    ArticleRow.organisation == organisation,
                    ArticleRow.state != "archived",
                    ArticleCaseRow.ticket_id.in_([case.ticket_id for case in cases]),
                )
                .limit(1)
            ).first()
            if taken is not None:
                raise InvalidTransition(f"case {taken[0]} is already behind article {taken[1]}")
            session.add(row)
        return self.get(row.id)

    def get(self, article_id: str) -> KcsArticle:
        with self._session() as session:
            row = session.get(ArticleRow, article_id)
            if row is None:
                raise ArticleNotFound(f"no article {article_id!r}")
            return _article(row, self._flags(session, row.organisation, [row.id]))

    def articles(self, *, organisation: str, states: frozenset[str] | None = None) -> list[KcsArticle]:
        """The organisation's articles, the most recently changed first."""
        with self._session() as session:
            query = select(ArticleRow).where(ArticleRow.organisation == organisation)
            if states is not None:
                query = query.where(ArticleRow.state.in_(states))
            rows = list(session.scalars(query.order_by(ArticleRow.updated_at.desc(), ArticleRow.id)))
            flags = self._flags(session, organisation, [row.id for row in rows])
            return [_article(row, flags) for row in rows]

    def linked_ticket_ids(self, organisation: str) -> set[str]:
        """Tickets already behind one of the organisation's articles (not archived)."""
        with self._session() as session:
            query = (
                select(ArticleCaseRow.ticket_id)
                .join(ArticleRow, ArticleRow.id == ArticleCaseRow.article_id)
                .where(ArticleRow.organisation == organisation, ArticleRow.state != "archived")
            )
            return set(session.scalars(query))

    def edit(
        self,
        article_id: str,
        draft: ArticleDraft,
        *,
        revision: int,
        actor: str,
        at: datetime | None = None,
    ) -> KcsArticle:
        """Replace the content of an article still being written; refused when someone changed it since
        `revision` or when it has moved past review."""
        moment = at or datetime.now(UTC)
        with self._session() as session:
            changed = session.execute(
                update(ArticleRow)
                .where(
                    ArticleRow.id == article_id,
                    ArticleRow.revision == revision,
                    ArticleRow.state.in_(EDITABLE_STATES),
                )
                .values(revision=revision + 1, updated_at=moment, **_content(draft))
                .execution_options(synchronize_session=False)
            )
            if changed.rowcount != 1:  # type: ignore[attr-defined]
                current = self._current(session, article_id)
                if current.state not in EDITABLE_STATES:
                    raise InvalidTransition(
                        f"an article that is {current.state.replace('_', ' ')} cannot be edited; "
                        "send it back to work in progress or not validated first"
                    )
                raise InvalidTransition(
                    f"the article was changed by someone else (revision {current.revision}, yours "
                    f"{revision}); reload it and edit again"
                )
            state = self._current(session, article_id).state
            session.add(
                ArticleChangeRow(
                    article_id=article_id,
                    action="edited",
                    from_state=state,
                    to_state=state,
                    actor=actor,
                    at=moment,
                    note=f"revision {revision + 1}",
                )
            )
        return self.get(article_id)

    def move(
        self,
        article_id: str,
        to_state: ArticleState,
        *,
        expected: str,
        actor: str,
        note: str | None = None,
        at: datetime | None = None,
    ) -> KcsArticle:
        """Move the article from `expected` to `to_state` in one conditional UPDATE; publishing stamps the
        time. Raises InvalidTransition when the step is not allowed or the article is no longer `expected`."""
        if to_state not in TRANSITIONS.get(expected, frozenset()):
            allowed = ", ".join(sorted(TRANSITIONS.get(expected, frozenset()))) or "nothing"
            raise InvalidTransition(
                f"an article that is {expected.replace('_', ' ')} cannot become "
                f"{to_state.replace('_', ' ')}; allowed: {allowed.replace('_', ' ')}"
            )
        moment = at or datetime.now(UTC)
        values: dict[str, object] = {"state": to_state, "updated_at": moment}
        if to_state == "published":
            values["published_at"] = moment
        with self._session() as session:
            changed = session.execute(
                update(ArticleRow)
                .where(ArticleRow.id == article_id, ArticleRow.state == expected)
                .values(**values)
                .execution_options(synchronize_session=False)
            )
            if changed.rowcount != 1:  # type: ignore[attr-defined]
                current = self._current(session, article_id)
                raise InvalidTransition(
                    f"the article is {current.state.replace('_', ' ')} now, not "
                    f"{expected.replace('_', ' ')}: someone else moved it; reload it"
                )
            session.add(
                ArticleChangeRow(
                    article_id=article_id,
                    action="moved",
                    from_state=expected,
                    to_state=to_state,
                    actor=actor,
                    at=moment,
                    note=(note or "").strip() or None,
                )
            )
        return self.get(article_id)

    def flag(
        self,
        article_id: str,
        *,
        organisation: str,
        reason: FlagReason,
        comment: str,
        actor: str,
        at: datetime | None = None,
    ) -> ArticleFlag:
        """An agent's flag on any indexed article; on one of the loop's articles it joins its history too."""
        moment = at or datetime.now(UTC)
        with self._session() as session:
            row = ArticleFlagRow(
                article_id=article_id,
                organisation=organisation,
                reason=reason,
                comment=comment.strip(),
                by=actor,
                at=moment,
            )
            session.add(row)
            if session.get(ArticleRow, article_id) is not None:
                session.add(
                    ArticleChangeRow(
                        article_id=article_id, action="flagged", actor=actor, at=moment, note=reason
                    )
                )
            session.flush()
            return _flag(row)

    def resolve_flag(self, flag_id: int, *, actor: str, at: datetime | None = None) -> ArticleFlag:
        """Close a flag (the article was fixed, or the flag was not right); a closed flag stays closed."""
        moment = at or datetime.now(UTC)
        with self._session() as session:
            changed = session.execute(
                update(ArticleFlagRow)
                .where(ArticleFlagRow.id == flag_id, ArticleFlagRow.resolved_at.is_(None))
                .values(resolved_by=actor, resolved_at=moment)
                .execution_options(synchronize_session=False)
            )
            row = session.get(ArticleFlagRow, flag_id)
            if row is None:
                raise ArticleNotFound(f"no flag {flag_id}")
            if changed.rowcount != 1:  # type: ignore[attr-defined]
                raise InvalidTransition(f"flag {flag_id} was already resolved")
            if session.get(ArticleRow, row.article_id) is not None:
                session.add(
                    ArticleChangeRow(
                        article_id=row.article_id, action="flag resolved", actor=actor, at=moment
                    )
                )
            session.refresh(row)
            return _flag(row)

    def flags(
        self, *, organisation: str, article_id: str | None = None, open_only: bool = False
    ) -> list[ArticleFlag]:
        """Flags of the organisation's articles (or of one), the newest first."""
        with self._session() as session:
            query = select(ArticleFlagRow).where(ArticleFlagRow.organisation == organisation)
            if article_id is not None:
                query = query.where(ArticleFlagRow.article_id == article_id)
            if open_only:
                query = query.where(ArticleFlagRow.resolved_at.is_(None))
            rows = session.scalars(query.order_by(ArticleFlagRow.at.desc(), ArticleFlagRow.id.desc()))
            return [_flag(row) for row in rows]

    def _flags(self, session: Session, organisation: str, ids: list[str]) -> dict[str, list[ArticleFlag]]:
        found: dict[str, list[ArticleFlag]] = {}
        if not ids:
            return found
        query = select(ArticleFlagRow).where(
            ArticleFlagRow.organisation == organisation, ArticleFlagRow.article_id.in_(ids)
        )
        for row in session.scalars(query.order_by(ArticleFlagRow.at.desc(), ArticleFlagRow.id.desc())):
            found.setdefault(row.article_id, []).append(_flag(row))
        return found

    def _current(self, session: Session, article_id: str) -> ArticleRow:
        session.expire_all()
        row = session.get(ArticleRow, article_id)
        if row is None:
            raise ArticleNotFound(f"no article {article_id!r}")
        return row


def _article(row: ArticleRow, flags: dict[str, list[ArticleFlag]]) -> KcsArticle:
    return KcsArticle(
        id=row.id,
        organisation=row.organisation,
        state=row.state,  # type: ignore[arg-type]
        origin=row.origin,  # type: ignore[arg-type]
        revision=row.revision,
        title=row.title,
        symptoms=row.symptoms,
        cause=row.cause,
        resolution=row.resolution,
        audience=row.audience,  # type: ignore[arg-type]
        product=row.product,
        created_by=row.created_by,
        created_at=_utc(row.created_at),
        updated_at=_utc(row.updated_at),
        known_at=_utc(row.known_at),
        published_at=_utc(row.published_at) if row.published_at else None,
        cases=[
            CaseRef(
                ticket_id=case.ticket_id,
                title=case.title,
                team=case.team,
                product=case.product,
                resolved_at=_utc(case.resolved_at) if case.resolved_at else None,
            )
            for case in row.cases
        ],
        history=[
            ArticleChange(
                action=change.action,
                from_state=change.from_state,
                to_state=change.to_state,
                actor=change.actor,
                at=_utc(change.at),
                note=change.note,
            )
            for change in row.changes
        ],
        flags=flags.get(row.id, []),
    )


def _flag(row: ArticleFlagRow) -> ArticleFlag:
    return ArticleFlag(
        id=row.id,
        article_id=row.article_id,
        reason=row.reason,  # type: ignore[arg-type]
        comment=row.comment,
        by=row.by,
        at=_utc(row.at),
        resolved_by=row.resolved_by,
        resolved_at=_utc(row.resolved_at) if row.resolved_at else None,
    )
