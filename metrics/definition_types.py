"""The shape of a metric definition: what it means, how its records are aggregated, what it is compared with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from metrics.models import CategoryId, Direction

#: How a metric's records become one figure over a window (see `metrics.aggregation`):
#: distribution: median (p80, mean) of x; count: mean of a count per record (x = 0, 1, 2...), with the share
#: of records above zero, median and p80 beside it; percent: mean of a 0/1 x, in %; mean: mean of x;
#: nps: mean of x in {-1, 0, 1}, in points; ratio: sum(x) / sum(y); sum: sum of x;
#: snapshot: % of the records that exist by the window's end (at < end) whose x holds then;
#: participation: % of distinct people with a record with x > 0.
#: composite and readiness are derived from other metrics after they are computed.
Aggregation = Literal[
    "distribution",
    "count",
    "percent",
    "mean",
    "nps",
    "ratio",
    "sum",
    "snapshot",
    "participation",
    "composite",
    "readiness",
]
Level = Literal["executive", "manager"]
#: Builds the SQL that yields one record per counted thing (see `metrics.records`), or None when the tables
#: it needs are missing.
RecordsSql = Callable[[frozenset[str]], str | None]


@dataclass(frozen=True)
class Target:
    """A sourced target. `tolerance` is the width of the 'watch' band, in the metric's unit."""

    value: float
    tolerance: float
    source: str


@dataclass(frozen=True)
class Category:
    id: CategoryId
    name: str
    focus_pct: int


@dataclass(frozen=True)
class Figure:
    """A secondary figure of a metric, reported in its `details` under `name` (the period only)."""

    name: str
    records_sql: RecordsSql
    aggregation: Aggregation
    description: str
    #: For people-based figures (surveys of staff): groups are sized by distinct people, not records.
    people: bool = False
    #: Event kinds of which the data must hold at least one for the figure to mean anything (else None).
    needs_events: tuple[str, ...] = ()


@dataclass(frozen=True)
class MetricDefinition:
    id: str
    name: str
    category: CategoryId
    level: Level
    unit: str
    direction: Direction
    formula: str
    tables: tuple[str, ...]
    aggregation: Aggregation
    #: None for metrics derived from other metrics (`aggregation` composite or readiness).
    records_sql: RecordsSql | None = None
    target: Target | None = None
    kind: Literal["outcome", "activity"] = "outcome"
    #: Relative change against the baseline that still counts as 'watch' when there is no target.
    baseline_tolerance: float = 0.10
    #: An absolute watch band instead (for scores whose size says nothing about their noise, such as NPS).
    baseline_band: float | None = None
    choices: tuple[str, ...] = field(default_factory=tuple)
    #: For distributions: the name under which the share of records above zero is reported.
    share_above_zero: str | None = None
    #: The name under which the count of flagged records (waiting, not yet published...) is reported.
    flag_detail: str | None = None
    #: SQL returning one row whose named columns are added to the details; it may use $period_start,
    #: $period_end and $median (the period's median, for distributions).
    extra_sql: str | None = None
    #: SQL returning one text that replaces `unit` (for example the one currency of the revenue).
    unit_sql: str | None = None
    figures: tuple[Figure, ...] = field(default_factory=tuple)
    #: For people-based metrics: a group's size is its distinct people, not its records.
    people: bool = False
    #: Ids of the metrics a composite is computed from.
    components: tuple[str, ...] = field(default_factory=tuple)
    #: A range KCS describes as healthy for an activity measure: a coaching aid, never a target.
    coaching_range: tuple[float, float] | None = None
    #: Whether the category score includes this metric; see `counts_in_category`.
    in_category_score: bool = True
    #: For ratios: the names under which sum(x) and sum(y) are reported.
    ratio_parts: tuple[str, str] = ("numerator", "denominator")
    #: For hours: also report the median and p80 in days.
    also_in_days: bool = False
    #: Event kinds (`ticket_events.kind`) of which the data must hold at least one: without any, the metric
    #: has no data (availability `missing_events`) instead of a made-up 0 (no messages: no C5).
    needs_events: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind == "activity" and self.target is not None:
            raise ValueError(f"{self.id}: activity measures never get a target")
        derived = self.aggregation in {"composite", "readiness"}
        if derived == (self.records_sql is not None):
            raise ValueError(f"{self.id}: a metric has records SQL exactly when it is not derived")

    @property
    def derived(self) -> bool:
        return self.records_sql is None

    @property
    def counts_in_category(self) -> bool:
        """Activity measures are coaching signals, not targets, so they never move a category's score."""
        return self.kind == "outcome" and self.in_category_score
