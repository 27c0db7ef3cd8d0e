"""One record per OCMF metric: what it means, how it is aggregated, and what it is compared with."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from metrics import records
from metrics.models import CategoryId, Direction

Aggregation = Literal["distribution", "percent"]
Level = Literal["executive", "manager"]


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
    #: Builds the SQL that yields one record per counted thing (see `metrics.records`).
    records_sql: Callable[[frozenset[str]], str | None]
    target: Target | None = None
    kind: Literal["outcome", "activity"] = "outcome"
    #: Relative change against the baseline that still counts as 'watch' when there is no target.
    baseline_tolerance: float = 0.10
    choices: tuple[str, ...] = field(default_factory=tuple)
    #: For distributions: the name under which the share of records above zero is reported.
    share_above_zero: str | None = None
    #: Extra figures for the period: SQL with $period_end and $median_days, reported under this name.
    extra_detail: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        if self.kind == "activity" and self.target is not None:
            raise ValueError(f"{self.id}: activity measures never get a target")


CATEGORIES: tuple[Category, ...] = (
    Category("customer", "Customer", 20),
    Category("employee", "Employee", 20),
    Category("business", "Business", 30),
    Category("knowledge", "Knowledge/Collaboration", 20),
    Category("acceleration", "Acceleration", 10),
)

METRICS: tuple[MetricDefinition, ...] = (
    MetricDefinition(
        id="C1b",
        name="CSAT%",
        category="customer",
        level="manager",
        unit="%",
        direction="higher",
        formula=(
            "Share of CSAT answers in the period scoring 4 or more on a 1-5 scale; answers on other scales "
            "are first mapped proportionally onto 1-5 (1 + (score - 1) * 4 / (scale_max - 1))."
        ),
        tables=("surveys",),
        aggregation="percent",
        records_sql=records.csat_records,
        target=Target(
            80.0,
            5.0,
            "Above 80% is generally seen as acceptable (vendor guidance, weak source): "
            "https://www.wyapy.com/guides/customer-feedback/how-to-calculate-csat",
        ),
        choices=("A survey belongs to the period of its answer time `at`.",),
    ),
    MetricDefinition(
        id="C6",
        name="Hand-offs per ticket",
        category="customer",
        level="manager",
        unit="hand-offs",
        direction="lower",
        formula=(
            "Per ticket resolved in the period, the number of `assigned` events whose team or agent differs "
            "from the previous assignment (the first assignment is not a hand-off); median, p80, mean, and "
            "the share of tickets with at least one hand-off."
        ),
        tables=("tickets", "ticket_events"),
        aggregation="distribution",
        records_sql=records.handoff_records,
        share_above_zero="share_with_handoff_pct",
        choices=(
            "A resolved ticket with no `assigned` events counts with 0 hand-offs.",
            "No sourced target exists ('every hand-off is a drain'), so status compares with the baseline.",
        ),
    ),
    MetricDefinition(
        id="E4",
        name="Time to competency",
        category="employee",
        level="executive",
        unit="days",
        direction="lower",
        formula=(
            "Per employee whose first peer-trust sign-off falls in the period, days from `started_at` to "
            "that sign-off (an exam pass alone is not the end); median and p80. Employees without a "
            "sign-off whose tenure already passes the median are reported as a count."
        ),
        tables=("employees", "competency"),
        aggregation="distribution",
        records_sql=records.competency_records,
        extra_detail=("waiting_past_median", records.competency_waiting_sql()),
        choices=(
            "With several skills, the first peer-trust sign-off makes a person customer-ready.",
            "KCS asks for a decrease from the baseline, so status compares with the baseline.",
        ),
    ),
    MetricDefinition(
        id="B2",
        name="Time to Smile",
        category="business",
        level="executive",
        unit="hours",
        direction="lower",
        formula=(
            "With an `interruptions` table, back_to_happy_at - interrupted_at; without one, per "
            "interruption_id (a ticket without one is its own interruption) from the earliest created_at "
            "to the latest resolution of its tickets. Hours; median and p80 over interruptions that ended "
            "in the period."
        ),
        tables=("tickets",),
        aggregation="distribution",
        records_sql=records.time_to_smile_records,
        choices=(
            "An interruption with any unresolved ticket has not ended and is not counted.",
            "No sourced target exists, so status compares with the baseline.",
        ),
    ),
)

METRICS_BY_ID: dict[str, MetricDefinition] = {metric.id: metric for metric in METRICS}

#: Every metric id of SCORECARD.md's first-version table (C1r: the reopen rate shown under C1); the ids
#: practices may name. `METRICS` holds those computed so far.
SCORECARD_METRIC_IDS: tuple[str, ...] = (
    "C1", "C1a", "C1b", "C1r", "C2", "C4", "C5", "C6", "C7",
    "E1", "E2", "E3", "E4",
    "B1", "B2", "B3", "B5",
    "K1", "K2", "K3", "K4", "K6",
    "A1", "A3",
)  # fmt: skip
