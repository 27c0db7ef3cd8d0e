"""Models that cross the metrics package's boundary: Period, MetricValue, CategoryScore, Scorecard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

from metrics.errors import InvalidPeriod

Status = Literal["strong", "watch", "weak", "no data"]
Direction = Literal["lower", "higher"]
CategoryId = Literal["customer", "employee", "business", "knowledge", "acceleration"]
#: Why a metric has the value and status it has: `ok`, or the measurement gap that stops it.
Availability = Literal["ok", "missing_tables", "no_records", "suppressed", "no_baseline"]
#: What a drill-down may group by: never a person.
Dimension = Literal["team", "product", "channel", "segment"]


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
