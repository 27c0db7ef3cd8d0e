"""Models that cross the advisor's boundary: Recommendation, Citation, ChatAnswer."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from metrics.models import Diagnosis, TrendPoint


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
    #: The segment the step should start with, when a diagnosis finds one driving the weakness
    #: (for example {"team": "Billing Desk"}), and the share of the change it holds (0-1).
    scope: dict[str, str] | None = None
    scope_share: float | None = None


class MeasurementGap(BaseModel):
    """A metric the organisation cannot be judged on yet, and how to start measuring it ("measure next")."""

    metric_id: str
    name: str
    category: str
    #: Why it cannot be judged: its tables (or the events it counts) are missing, they hold no records, or
    #: it has no baseline yet.
    availability: Literal["missing_tables", "missing_events", "no_records", "no_baseline"]
    reason: str
    #: The canonical tables it needs (an import of these starts the measure).
    tables: list[str] = Field(default_factory=list)
    #: The measurement practice that starts it, when the library has one.
    practice_id: str | None = None
    practice_title: str | None = None


class Citation(BaseModel):
    id: str
    title: str
    kind: Literal["practice", "article", "solution", "case", "document", "metric"]
    url: str
    #: Other documents that say the same (search folds them into this one) and up to 50 of their ids.
    duplicates: int = 0
    duplicate_ids: list[str] = Field(default_factory=list)
    #: "Seen in 37 cases, across Billing Desk, Onboarding and 3 more teams; marked as solving it 12 times".
    usage: str | None = None
    #: False when the search found nothing that fits and this source is only possibly related.
    good_match: bool = True


ChatIntent = Literal[
    "next_steps",
    "diagnose",
    "breakdown",
    "trend",
    "compare",
    "status",
    "definition",
    "what_worked",
    "how_to",
    "recommendations",
    "clarify",
]


class DateRange(BaseModel):
    """A half-open range of days, `[start, end)`."""

    start: date
    end: date


class Understood(BaseModel):
    """How the chat read a question: what it is after, about which metrics, groups and period."""

    intent: ChatIntent
    #: Metric ids, for example ["C6"].
    metrics: list[str] = Field(default_factory=list)
    #: Dimension -> group name, for example {"team": "Billing Desk"}.
    filters: dict[str, str] = Field(default_factory=dict)
    #: The dimension to break down by (team, product, channel, segment), for breakdowns and group comparisons.
    by: str | None = None
    period: DateRange | None = None
    #: What to compare with: another period ({"start", "end"}) or another group ({dimension: name}).
    compare_to: dict[str, str] | None = None
    #: The question was about individual people (the advisor guides teams, it never grades people).
    about_people: bool = False
    #: A follow-up asking for more of the previous answer ("what else?").
    more: bool = False
    #: A follow-up about one item of the previous answer ("the second one"), counted from 1.
    item: int | None = None
    #: For `clarify`: the one short question asked back.
    question: str | None = None


class ChatAnswer(BaseModel):
    answer: str
    citations: list[Citation]
    conversation_id: str
    intent: ChatIntent = "how_to"
    #: How the question was read (shown as "Reading this as ..." and changeable).
    understood: Understood | None = None
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
    understood: Understood | None = None
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


OutcomeMethod = Literal["before_after", "difference_in_differences", "interrupted_time_series"]
#: What the evidence says: measurably better or worse (the whole interval on one side of no change), no
#: clear change (the interval spans it), too early to tell (too little data after the start yet), or not
#: comparable (the groups did not move together before the step, or the group has no records to compare).
OutcomeVerdict = Literal["better", "worse", "no_clear_change", "too_early", "not_comparable"]


class OutcomePoint(BaseModel):
    """One week of an outcome's chart: the scoped group (or the organisation) and what it is compared with
    (the untouched groups, or the line its own history predicted); None where too few records to show."""

    week: date
    group: float | None = None
    comparison: float | None = None


class MetricOutcome(BaseModel):
    """A targeted metric before and after the step, and the step's estimated effect on it.

    `before_*` and `after_*` are the plain figures over equal windows (of the scoped group, when the step
    had a scope). The judgement is in `estimate`, `low`..`high` (a `confidence` interval) and `verdict`:
    against comparable groups the step did not touch (difference-in-differences), or, for a step that
    covered everyone, against what the metric's own history predicted (weaker evidence). Outcomes measured
    before these fields existed have none of them (method `before_after`)."""

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
    method: OutcomeMethod = "before_after"
    #: The group the step was scoped to ({"team": "Billing Desk"}), and the groups it is compared with.
    scope: dict[str, str] | None = None
    comparison: list[str] = Field(default_factory=list)
    #: The effect in the metric's unit (after minus what would have been; negative is fewer) and its interval.
    estimate: float | None = None
    low: float | None = None
    high: float | None = None
    confidence: float | None = None
    verdict: OutcomeVerdict | None = None
    #: Whether the groups moved together before the step: parallel, diverged, or unchecked (too few weeks,
    #: or no comparison group).
    pre_trends: Literal["parallel", "diverged", "unchecked"] | None = None
    #: For "too early to tell": the first day the data should allow a judgement.
    measurable_from: date | None = None
    #: Why the evidence is weaker or missing, in words.
    note: str | None = None
    #: When the step started and ended (the chart marks both), and its weekly chart.
    step_start: date | None = None
    step_end: date | None = None
    series: list[OutcomePoint] = Field(default_factory=list)

    @property
    def change(self) -> float | None:
        if self.before_value is None or self.after_value is None:
            return None
        return round(self.after_value - self.before_value, 4)

    @property
    def improved(self) -> bool | None:
        """Measurably better (True) or worse (False); None when the evidence says neither. Outcomes without
        a verdict (measured before verdicts existed) fall back to the plain before/after change."""
        if self.verdict is not None:
            return {"better": True, "worse": False}.get(self.verdict)
        change = self.change
        if change is None:
            return None
        return change < 0 if self.direction == "lower" else change > 0


class ChecklistItem(BaseModel):
    """One task of a step's plan, made from the practice's steps; ticked by someone at some time."""

    id: int
    position: int
    text: str
    done: bool = False
    done_by: str | None = None
    done_at: datetime | None = None


class PlanComment(BaseModel):
    id: int
    author: str
    at: datetime
    text: str


class PlanChange(BaseModel):
    """One change to a step's plan (owner, due or review date, a task ticked, a comment): who, when, what."""

    actor: str
    at: datetime
    what: str


class TrackedRecommendation(Recommendation):
    """A recommendation as stored: its id, where it stands, its plan (owner, due date, checklist, comments,
    review date), its history and, once done, its outcome."""

    id: str
    organisation: str
    period_start: date
    period_end: date
    status: RecommendationStatus
    created_at: datetime
    updated_at: datetime
    history: list[StatusChange] = Field(default_factory=list)
    outcomes: list[MetricOutcome] = Field(default_factory=list)
    owner: str | None = None
    due: date | None = None
    #: The day the outcome is measurable from (the chosen review date, never earlier than the data allows).
    review_on: date | None = None
    #: Whether someone chose `review_on` (else it is the earliest day the outcome can be judged).
    review_chosen: bool = False
    checklist: list[ChecklistItem] = Field(default_factory=list)
    comments: list[PlanComment] = Field(default_factory=list)
    plan_history: list[PlanChange] = Field(default_factory=list)

    @property
    def tasks_done(self) -> int:
        return sum(item.done for item in self.checklist)

    @property
    def tasks_total(self) -> int:
        return len(self.checklist)

    def is_overdue(self, today: date) -> bool:
        """Still open after its due date."""
        return (
            self.status in {"proposed", "accepted", "in_progress"}
            and self.due is not None
            and self.due < today
        )

    def changes(self) -> list[PlanChange]:
        """Every change, status and plan together, oldest first."""
        moves = [
            PlanChange(
                actor=change.actor,
                at=change.at,
                what=change.to_status.replace("_", " ") + (f" ({change.reason})" if change.reason else ""),
            )
            for change in self.history
        ]
        return sorted([*moves, *self.plan_history], key=lambda change: change.at)


class ChosenStep(BaseModel):
    """A next step someone chose to propose, for the whole organisation (scope None) or one group."""

    practice_id: str
    scope: dict[str, str] | None = None


class ScopeChoice(BaseModel):
    """Where a step can start: `key` is "" (everyone) or "team=Billing Desk"; `label` says it in words."""

    key: str
    label: str
    scope: dict[str, str] | None = None
    #: The share of the diagnosed change this group holds (0-1), when it is one.
    share: float | None = None


class ProposeOption(BaseModel):
    """A current next step with the places it could start (its diagnosis's segments)."""

    step: Recommendation
    scopes: list[ScopeChoice] = Field(default_factory=list)
    #: The key of the suggested scope (the segment driving the weakness, else "").
    suggested: str = ""


class PriorSolution(BaseModel):
    """Something this organisation already tried or solved that speaks to a diagnosed weakness."""

    kind: Literal["recommendation", "solution", "case", "article"]
    id: str
    title: str
    url: str
    #: For the organisation's own recommendations: where it stands, and its measured effect.
    status: str | None = None
    outcome: str | None = None
    improved: bool | None = None
    snippet: str | None = None


class PracticeOption(BaseModel):
    """A practice of the library that targets the diagnosed metric, scoped to the segment that drives it."""

    id: str
    title: str
    url: str
    effort: str
    time_to_impact: str
    level: str
    metrics: list[str] = Field(default_factory=list)
    #: Whether the organisation has already done (or is doing) this practice.
    tried: bool = False
    scope: dict[str, str] | None = None


class DiagnosisReport(Diagnosis):
    """A diagnosis with what this organisation tried before and the practices that fit (issue 11's JSON)."""

    prior_solutions: list[PriorSolution] = Field(default_factory=list)
    practices: list[PracticeOption] = Field(default_factory=list)
    #: Said plainly: what the organisation has tried for this metric, or that it has tried nothing yet.
    tried_note: str = ""
    #: One sentence: what changed, where, since when.
    summary: str = ""
