"""The KCS loop's shapes: candidate articles, articles and their states, changes and flags.

States follow KCS v6's article confidence: work in progress -> not validated -> validated -> published, and
archived for knowledge no longer in use. Every change keeps who made it and when.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, get_args

from pydantic import BaseModel, Field, computed_field

from advisor.errors import AdvisorError

ArticleState = Literal["work_in_progress", "not_validated", "validated", "published", "archived"]
ARTICLE_STATES: tuple[ArticleState, ...] = get_args(ArticleState)
STATE_LABELS: dict[str, str] = {
    "work_in_progress": "Work in progress",
    "not_validated": "Not validated",
    "validated": "Validated",
    "published": "Published",
    "archived": "Archived",
}
#: The steps a knowledge lead may take from each state (reviewing sends an article back a step).
TRANSITIONS: dict[str, frozenset[str]] = {
    "work_in_progress": frozenset({"not_validated", "archived"}),
    "not_validated": frozenset({"validated", "work_in_progress", "archived"}),
    "validated": frozenset({"published", "not_validated", "archived"}),
    "published": frozenset({"archived"}),
    "archived": frozenset(),
}
#: States whose content may still be edited; a validated article goes back to "not validated" first.
EDITABLE_STATES: frozenset[str] = frozenset({"work_in_progress", "not_validated"})
Audience = Literal["internal", "customer"]
FlagReason = Literal["wrong", "outdated", "unclear"]
FLAG_REASONS: tuple[FlagReason, ...] = get_args(FlagReason)
#: How an article began: from a candidate cluster, captured by a lead, or suggested by an agent.
Origin = Literal["candidate", "capture", "suggestion"]
MAX_TITLE = 300
MAX_TEXT = 20_000
MAX_COMMENT = 2_000


class ArticleNotFound(AdvisorError):
    """No article of the KCS loop has that id."""


class CaseRef(BaseModel):
    """A resolved case (ticket) behind a candidate or an article."""

    ticket_id: str
    title: str
    team: str | None = None
    product: str | None = None
    resolved_at: datetime | None = None
    notes: str = ""


class Candidate(BaseModel):
    """A cluster of similar resolved cases with no linked article: an article waiting to be written."""

    id: str
    title: str
    size: int
    teams: list[str]
    products: list[str]
    #: The case whose notes stand for the cluster (the most common text, then the most central one).
    representative: CaseRef
    examples: list[CaseRef]
    #: Every case of the cluster (ticket ids), to link the draft to.
    case_ids: list[str]
    first_resolved_at: datetime | None = None
    last_resolved_at: datetime | None = None


class ArticleDraft(BaseModel):
    """The editable content of an article."""

    title: str = Field(min_length=1, max_length=MAX_TITLE)
    symptoms: str = Field(default="", max_length=MAX_TEXT)
    cause: str = Field(default="", max_length=MAX_TEXT)
    resolution: str = Field(default="", max_length=MAX_TEXT)
    audience: Audience = "internal"
    product: str | None = Field(default=None, max_length=200)


class ArticleChange(BaseModel):
    """One change to an article: created, edited, moved to another state, flagged, flag resolved."""

    action: str
    from_state: str | None = None
    to_state: str | None = None
    actor: str
    at: datetime
    note: str | None = None


class ArticleFlag(BaseModel):
    """An agent's warning that an article (of the loop or any indexed one) is wrong or outdated."""

    id: int
    article_id: str
    reason: FlagReason
    comment: str
    by: str
    at: datetime
    resolved_by: str | None = None
    resolved_at: datetime | None = None

    @property
    def open(self) -> bool:
        return self.resolved_at is None


class KcsArticle(ArticleDraft):
    """An article of the KCS loop as stored, with its state, history and the cases it came from."""

    id: str
    organisation: str
    state: ArticleState
    origin: Origin
    revision: int
    created_by: str
    created_at: datetime
    updated_at: datetime
    #: When the knowledge became known (captured); K2 measures from here to public.
    known_at: datetime
    published_at: datetime | None = None
    cases: list[CaseRef] = Field(default_factory=list)
    history: list[ArticleChange] = Field(default_factory=list)
    flags: list[ArticleFlag] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def body(self) -> str:
        """The article as Markdown, the way it is published and indexed."""
        parts = [
            (heading, text.strip())
            for heading, text in (
                ("Symptoms", self.symptoms),
                ("Cause", self.cause),
                ("Resolution", self.resolution),
            )
            if text.strip()
        ]
        return "\n\n".join(f"## {heading}\n\n{text}" for heading, text in parts)

    @property
    def open_flags(self) -> list[ArticleFlag]:
        return [flag for flag in self.flags if flag.open]
