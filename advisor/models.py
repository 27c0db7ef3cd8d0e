"""Models that cross the advisor's boundary: Recommendation, Citation, ChatAnswer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from metrics.models import TrendPoint


class TargetedMetric(BaseModel):
    """A metric a recommendation targets, as it stood when the recommendation was made."""

    id: str
    name: str
    value: float | None
    unit: str
    target: float | None
    baseline: float | None
    status: str
    compared_with: str
    previous: float | None = None
    change_vs_previous: float | None = None
    #: The last months' values, oldest first.
    trend: list[TrendPoint] = Field(default_factory=list)


class Recommendation(BaseModel):
    """One next step: what to do, which weak metrics it moves, and the evidence behind it."""

    rank: int
    title: str
    practice_id: str
    targets: list[str]
    why: str
    sources: list[str]
    metrics: list[TargetedMetric] = Field(default_factory=list)
    level: str = ""
    effort: str = ""
    time_to_impact: str = ""
    steps: str = ""
    measure: str = ""


class Citation(BaseModel):
    id: str
    title: str
    kind: Literal["practice", "article", "solution", "case", "document", "metric"]
    url: str


ChatIntent = Literal["next_steps", "search", "metric", "group", "recommendations", "empty"]


class ChatAnswer(BaseModel):
    answer: str
    citations: list[Citation]
    conversation_id: str
    intent: ChatIntent = "search"
    #: What the advisor had to correct or could not do (e.g. a citation to an unknown source removed).
    flags: list[str] = Field(default_factory=list)
    #: Questions worth asking next, phrased so the advisor understands them as follow-ups.
    follow_ups: list[str] = Field(default_factory=list)
    #: The stored answer, for feedback on it.
    turn_id: int | None = None


class ChatTurn(BaseModel):
    role: Literal["user", "advisor"]
    text: str
    citations: list[Citation] = Field(default_factory=list)
    intent: ChatIntent | None = None
    flags: list[str] = Field(default_factory=list)
    follow_ups: list[str] = Field(default_factory=list)
    id: int | None = None
    at: datetime | None = None


class ConversationSummary(BaseModel):
    """One conversation in a person's history."""

    id: str
    title: str
    created_at: datetime
    updated_at: datetime
    turns: int


class AnswerFeedback(BaseModel):
    """A person's verdict on one answer: helpful or not, with an optional comment."""

    turn_id: int
    conversation_id: str
    helpful: bool
    comment: str | None = None
    by: str
    at: datetime


RecommendationStatus = Literal["proposed", "accepted", "in_progress", "done", "dismissed"]


class StatusChange(BaseModel):
    """One step in a recommendation's life: who moved it, when, and why."""

    from_status: RecommendationStatus | None
    to_status: RecommendationStatus
    actor: str
    at: datetime
    reason: str | None = None


class MetricOutcome(BaseModel):
    """A targeted metric over equal windows before and after the step: the measured effect."""

    metric_id: str
    name: str
    unit: str
    direction: Literal["lower", "higher"]
    before_start: date
    before_end: date
    before_value: float | None
    before_n: int
    after_start: date
    after_end: date
    after_value: float | None
    after_n: int

    @property
    def change(self) -> float | None:
        if self.before_value is None or self.after_value is None:
            return None
        return round(self.after_value - self.before_value, 4)

    @property
    def improved(self) -> bool | None:
        change = self.change
        if change is None:
            return None
        return change < 0 if self.direction == "lower" else change > 0


class TrackedRecommendation(Recommendation):
    """A recommendation as stored: its id, where it stands, its history and, once done, its outcome."""

    id: str
    organisation: str
    period_start: date
    period_end: date
    status: RecommendationStatus
    created_at: datetime
    updated_at: datetime
    history: list[StatusChange] = Field(default_factory=list)
    outcomes: list[MetricOutcome] = Field(default_factory=list)
