"""The KCS loop: capture and improve. Candidates from repeated resolved cases, drafts pre-filled from them,
review through the KCS states, publishing (indexed at once and written into the organisation's data so that
K1, K2 and K3 count it), and flags on articles that are wrong or outdated."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime

from advisor.article_candidates import (
    DEFAULT_MIN_SIZE,
    DEFAULT_THRESHOLD,
    cluster_cases,
    draft_from,
)
from advisor.article_models import (
    ArticleDraft,
    ArticleFlag,
    ArticleNotFound,
    ArticleState,
    Candidate,
    CaseRef,
    FlagReason,
    KcsArticle,
    Origin,
)
from advisor.article_store import ArticleStore
from advisor.errors import StateUnavailable
from advisor.service import Advisor
from knowledge.documents import article_document
from metrics.errors import MetricsError
from metrics.published_articles import (
    ArticleEvent,
    ArticleRow,
    WrittenArticles,
    write_published_articles,
)

#: The most recent resolved cases considered for candidates (embedding is the cost; texts are cached).
MAX_CASES = 5000
#: Case texts whose embeddings are kept in memory between visits of the candidates page.
MAX_CACHED_VECTORS = 20_000
ARTICLE_EVENTS = "('article_linked', 'article_created')"


class KnowledgeLoop:
    """Candidates, articles and flags of the organisation the Advisor serves."""

    def __init__(
        self,
        advisor: Advisor,
        store: ArticleStore,
        *,
        threshold: float = DEFAULT_THRESHOLD,
        min_size: int = DEFAULT_MIN_SIZE,
    ) -> None:
        self.advisor = advisor
        self.store = store
        self.threshold = threshold
        self.min_size = min_size
        self._vectors: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def organisation(self) -> str:
        return self.advisor.organisation()

    # -- candidates --------------------------------------------------------------------------------------
    def unlinked_cases(self) -> list[CaseRef]:
        """Resolved cases with notes and no article: none linked or created in the data, none behind an
        article of the loop (unless archived)."""
        if not self.advisor.data_dir.is_dir():
            return []
        store = self.advisor.store()
        if "tickets" not in store.tables:
            return []
        unlinked = ""
        if "ticket_events" in store.tables:
            unlinked = (
                "AND NOT EXISTS (SELECT 1 FROM ticket_events e WHERE e.ticket_id = t.id "
                f"AND e.kind IN {ARTICLE_EVENTS})"
            )
        rows = (
            store.cursor()
            .execute(
                "SELECT t.id, t.subject, t.resolution, t.team, t.product, t.resolved_at FROM tickets t "
                "WHERE t.resolved_at IS NOT NULL AND nullif(trim(t.resolution), '') IS NOT NULL "
                f"{unlinked} ORDER BY t.resolved_at DESC, t.id LIMIT {MAX_CASES}"
            )
            .fetchall()
        )
        linked = self.store.linked_ticket_ids(self.organisation())
        return [
            CaseRef(
                ticket_id=str(ticket_id),
                title=" ".join(str(subject or "").split())
                or (f"{product} case" if product else "Resolved case"),
                notes=str(notes).strip(),
                team=team,
                product=product,
                resolved_at=_utc(resolved_at),
            )
            for ticket_id, subject, notes, team, product, resolved_at in rows
            if str(ticket_id) not in linked
        ]

    def candidates(self) -> list[Candidate]:
        """Clusters of similar unlinked cases, the largest first."""
        return cluster_cases(
            self.unlinked_cases(), self._embed, threshold=self.threshold, min_size=self.min_size
        )

    def candidate(self, candidate_id: str) -> Candidate:
        for found in self.candidates():
            if found.id == candidate_id:
                return found
        raise ArticleNotFound(
            f"no candidate {candidate_id!r}: its cases changed or an article already covers them"
        )

    def _embed(self, texts: Sequence[str]) -> list[list[float]]:
        wanted = list(texts)
        with self._lock:
            missing = [text for text in dict.fromkeys(wanted) if text not in self._vectors]
        if missing:
            vectors = self.advisor.index.embedder.embed(missing)
            with self._lock:
                if len(self._vectors) + len(missing) > MAX_CACHED_VECTORS:
                    self._vectors.clear()
                self._vectors.update(zip(missing, vectors, strict=True))
        with self._lock:
            return [self._vectors[text] for text in wanted]

    # -- articles ----------------------------------------------------------------------------------------
    def draft_from_candidate(
        self, candidate_id: str, *, actor: str, at: datetime | None = None
    ) -> KcsArticle:
        """A work-in-progress article pre-filled from the candidate, linked to every case of it."""
        found = self.candidate(candidate_id)
        by_id = {case.ticket_id: case for case in self.unlinked_cases()}
        cases = [by_id[ticket_id] for ticket_id in found.case_ids if ticket_id in by_id]
        return self.store.create(
            draft_from(found),
            organisation=self.organisation(),
            origin="candidate",
            actor=actor,
            cases=cases,
            at=at,
        )

    def capture(
        self,
        draft: ArticleDraft,
        *,
        actor: str,
        origin: Origin = "capture",
        at: datetime | None = None,
    ) -> KcsArticle:
        """A new article that no candidate started: a lead's blank draft, or an agent's suggestion."""
        return self.store.create(draft, organisation=self.organisation(), origin=origin, actor=actor, at=at)

    def article(self, article_id: str) -> KcsArticle:
        found = self.store.get(article_id)
        if found.organisation != self.organisation():
            raise ArticleNotFound(f"no article {article_id!r}")
        return found

    def articles(self, states: frozenset[str] | None = None) -> list[KcsArticle]:
        return self.store.articles(organisation=self.organisation(), states=states)

    def edit(self, article_id: str, draft: ArticleDraft, *, revision: int, actor: str) -> KcsArticle:
        self.article(article_id)
        return self.store.edit(article_id, draft, revision=revision, actor=actor)

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
        """One KCS step. Publishing indexes the article at once and writes it (with the cases' events) into
        the organisation's data; archiving a published article takes it out of both."""
        self.article(article_id)
        moved = self.store.move(article_id, to_state, expected=expected, actor=actor, note=note, at=at)
        if to_state == "published":
            self.advisor.index.build([article_document(asdict(_article_row(moved)))])
        elif to_state == "archived" and moved.published_at is not None:
            self._unindex(moved.id)
        else:
            return moved
        try:
            self.write_to_data(actor=actor)
        except (MetricsError, OSError) as error:
            # the step is taken and search is in step; only the measures wait for the next write
            raise StateUnavailable(
                f"the article is {to_state} and search is up to date, but the organisation's data could not "
                f"be written ({error}); K1-K3 count it after `advisor articles sync`"
            ) from None
        return moved

    def write_to_data(self, *, actor: str) -> WrittenArticles | None:
        """Upsert every article the loop ever published (with its cases' events) into the organisation's
        data, then reload it; None when the organisation has no data folder. Safe to repeat."""
        if not self.advisor.data_dir.is_dir():
            return None
        published = [
            article
            for article in self.store.articles(organisation=self.organisation())
            if article.published_at is not None
        ]
        rows = [_article_row(article) for article in published]
        events = [event for article in published for event in _events(article)]
        written = write_published_articles(
            self.advisor.data_dir, rows, events, by=actor, window=self.advisor.date_window
        )
        if written.version is not None:
            self.advisor.reload_data(self.advisor.data_dir)
        return written

    def _unindex(self, article_id: str) -> None:
        vectors = self.advisor.index.vectors
        vectors.delete_documents([article_id])
        vectors.new_generation()
        self.advisor.index.sync_keywords()

    # -- flags -------------------------------------------------------------------------------------------
    def flag(self, article_id: str, *, reason: FlagReason, comment: str, actor: str) -> ArticleFlag:
        """Flag an article of the loop or one of the organisation's indexed articles."""
        if not article_id.startswith("kcs-") and self.advisor.article(article_id) is None:
            raise ArticleNotFound(f"no article {article_id!r}")
        if article_id.startswith("kcs-"):
            self.article(article_id)
        return self.store.flag(
            article_id, organisation=self.organisation(), reason=reason, comment=comment, actor=actor
        )

    def flags(self, article_id: str | None = None, *, open_only: bool = False) -> list[ArticleFlag]:
        return self.store.flags(organisation=self.organisation(), article_id=article_id, open_only=open_only)

    def resolve_flag(self, flag_id: int, *, actor: str) -> ArticleFlag:
        return self.store.resolve_flag(flag_id, actor=actor)


def _utc(moment: object) -> datetime | None:
    if not isinstance(moment, datetime):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _article_row(article: KcsArticle) -> ArticleRow:
    """The article as a row of the canonical `articles` table. It became known when it was captured (KCS:
    knowledge is known once it is written down); customers see it from its publication when it is for them."""
    public = article.published_at if article.audience == "customer" and article.state == "published" else None
    return ArticleRow(
        id=article.id,
        title=article.title,
        body=article.body,
        audience=article.audience,
        state="published" if article.state == "published" else "archived",
        product=article.product,
        first_known_at=article.known_at,
        published_external_at=public,
    )


def _events(article: KcsArticle) -> list[ArticleEvent]:
    """The first case created the article, the others link to it. Each event is dated at its case's
    resolution, where K3 counts it, so that the data's time range (which ticket events set) does not
    stretch to the day of publishing."""
    events = []
    for position, case in enumerate(article.cases):
        at = case.resolved_at or article.published_at or article.created_at
        events.append(
            ArticleEvent(
                ticket_id=case.ticket_id,
                kind="article_created" if position == 0 else "article_linked",
                article_id=article.id,
                at=at,
                team=case.team,
            )
        )
    return events
