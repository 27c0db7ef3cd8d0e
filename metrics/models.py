"""Models that cross the metrics package's boundary: Period, MetricValue, CategoryScore, Scorecard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from metrics.errors import InvalidPeriod

#: `no baseline`: a value, but nothing yet to judge it by (no sourced target, no earlier window with data).
Status = Literal["strong", "watch", "weak", "no baseline", "no data"]
Direction = Literal["lower", "higher"]
CategoryId = Literal["customer", "employee", "business", "knowledge", "acceleration"]
#: Why a metric has the value and status it has: `ok`, or the measurement gap that stops it.
#: `missing_events`: the tables are there but hold none of the event kinds the metric counts (no message
#: events for C5): its figure would be a made-up 0.
Availability = Literal["ok", "missing_tables", "missing_events", "no_records", "suppressed", "no_baseline"]
#: What the baseline is: `given` by the user, the organisation's first representative window (`baseline`),
#: or a shorter window just before the period where history is short (`fallback`: statuses are provisional).
BaselineKind = Literal["given", "baseline", "fallback"]
#: What a drill-down may group by: never a person.
Dimension = Literal["team", "product", "channel", "priority", "segment"]


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after the month of `day`."""
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class Period:
    """A half-open range of days, `[start, end)`, in the organisation's time zone (UTC by default)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise InvalidPeriod(f"period end {self.end} must be after its start {self.start}")

    @classmethod
    def parse(cls, text: str) -> Period:
        """Parse `START..END` with ISO dates, for example `2026-07-01..2026-10-01` (END excluded)."""
        parts = text.strip().split("..")
        if len(parts) != 2:
            raise InvalidPeriod(f"period {text!r} must look like 2026-07-01..2026-10-01")
        try:
            start, end = (date.fromisoformat(part.strip()) for part in parts)
        except ValueError as error:
            raise InvalidPeriod(f"period {text!r}: {error}") from None
        return cls(start, end)

    @classmethod
    def last_full_months(cls, end: date, months: int = 3) -> Period:
        """The `months` full calendar months that end at the first day of `end`'s month."""
        first = date(end.year, end.month, 1)
        return cls(add_months(first, -months), first)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def shifted_back(self) -> Period:
        """The window of the same length that ends where this one starts."""
        if self.start.day == 1 and self.end.day == 1:
            months = (self.end.year - self.start.year) * 12 + self.end.month - self.start.month
            return Period(add_months(self.start, -months), self.start)
        return Period(date.fromordinal(self.start.toordinal() - self.days), self.start)

    def month_count(self) -> int:
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


class TrendPoint(BaseModel):
    month: str
    value: float | None
    n: int


class GroupValue(BaseModel):
    """One group of a drill-down. A group below the minimum size shows neither value nor n."""

    group: str
    value: float | None
    n: int | None
    status: Status
    score: float | None = None
    baseline: float | None = None
    change_vs_baseline: float | None = None
    compared_with: Literal["target", "baseline", "none"] = "none"
    suppressed: bool = False
    note: str | None = None


class MetricValue(BaseModel):
    """One metric over one period, with what it rests on and how it compares."""

    id: str
    name: str
    category: CategoryId
    value: float | None
    unit: str
    direction: Direction
    status: Status
    score: float | None
    n: int
    target: float | None
    target_source: str | None = None
    kind: Literal["outcome", "activity"] = "outcome"
    baseline: float | None = None
    previous: float | None = None
    change_vs_previous: float | None = None
    change_vs_baseline: float | None = None
    compared_with: Literal["target", "baseline", "none"] = "none"
    #: Judged against a fallback baseline (short history): the status is provisional.
    provisional: bool = False
    availability: Availability = "ok"
    details: dict[str, float | int | None] = Field(default_factory=dict)
    trend: list[TrendPoint] = Field(default_factory=list)
    tables: list[str] = Field(default_factory=list)
    note: str | None = None
    #: Per group of a drill-down (empty without one), listed by group name: groups are never ranked.
    groups: list[GroupValue] = Field(default_factory=list)
    #: Why a drill-down shows no groups for this metric (for example: its records carry no team).
    groups_note: str | None = None


class Drilldown(BaseModel):
    """The dimension a scorecard was drilled down by, and the rule that hid small groups."""

    by: Dimension
    min_group_size: int
    note: str


class Coverage(BaseModel):
    with_data: int
    total: int


class CategoryScore(BaseModel):
    id: CategoryId
    name: str
    focus_pct: int
    score: float | None
    status: Status
    coverage: Coverage
    metrics: list[MetricValue]
    #: Which measures the score leaves out, and why (activity measures, composites of other measures).
    note: str | None = None


class PeriodModel(BaseModel):
    start: date
    end: date


class Scorecard(BaseModel):
    period: PeriodModel
    baseline_period: PeriodModel | None = None
    #: How the period was chosen (given, or the rule of `metrics.periods` that picked it, with its figures).
    period_reason: str = ""
    #: given, baseline (the first representative window) or fallback (provisional); None: no baseline.
    baseline_kind: BaselineKind | None = None
    #: How the baseline was chosen, or why there is none.
    baseline_reason: str = ""
    categories: list[CategoryScore]
    min_group_size: int = 5
    drilldown: Drilldown | None = None

    def metric(self, metric_id: str) -> MetricValue:
        for category in self.categories:
            for metric in category.metrics:
                if metric.id == metric_id:
                    return metric
        raise KeyError(metric_id)

    def all_metrics(self) -> list[MetricValue]:
        return [metric for category in self.categories for metric in category.metrics]


# -- diagnosis (metrics.diagnosis) ---------------------------------------------------------------------------
ComparisonKind = Literal["baseline", "previous", "target"]
Effect = Literal["rate", "mix"]


class ComparedWith(BaseModel):
    """What the period is compared with: a window (its start, end and value) or the metric's target."""

    kind: ComparisonKind
    start: date | None = None
    end: date | None = None
    value: float | None = None


class Segment(BaseModel):
    """One group's part in the change of a metric (shift-share: rate + mix = contribution).

    Shares are fractions (0-1) of the metric's denominator in each window (records, or y for a ratio).
    A group smaller than the minimum size in a window shows no value there.
    """

    by: str
    value: str
    n: int
    value_now: float | None
    value_before: float | None
    share_now: float
    share_before: float
    contribution: float
    effect: Effect
    rate_effect: float = 0.0
    mix_effect: float = 0.0
    #: This segment's contribution as a fraction of the whole change (None when the change is 0).
    share_of_change: float | None = None


class Diagnosis(BaseModel):
    """Why a metric moved: where (segments, largest contribution first) and since when."""

    metric: str
    name: str
    unit: str
    direction: Direction
    period: PeriodModel
    compared_with: ComparedWith | None
    value: float | None
    change: float | None
    since: str | None = None
    segments: list[Segment] = Field(default_factory=list)
    #: The dimensions the metric's records carry (and that were decomposed).
    dimensions: list[str] = Field(default_factory=list)
    decomposable: bool = True
    #: The unit of `contribution` (the metric's unit, or for a median that did not move, points of the
    #: share of records above the comparison window's median).
    contribution_unit: str = ""
    method: str = ""
    note: str | None = None
