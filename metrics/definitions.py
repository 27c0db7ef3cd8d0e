"""One record per OCMF metric: what it means, how it is aggregated, and what it is compared with.

The definitions live beside the SQL of their records, one module per category (`customer_measures`, ...);
this module is the registry every other part reads.
"""

from __future__ import annotations

from metrics.acceleration_measures import ACCELERATION_METRICS
from metrics.business_measures import BUSINESS_METRICS
from metrics.customer_measures import CUSTOMER_METRICS
from metrics.definition_types import Aggregation, Category, Figure, Level, MetricDefinition, Target
from metrics.employee_measures import EMPLOYEE_METRICS
from metrics.knowledge_measures import KNOWLEDGE_METRICS

__all__ = [
    "CATEGORIES",
    "METRICS",
    "METRICS_BY_ID",
    "SCORECARD_METRIC_IDS",
    "Aggregation",
    "Category",
    "Figure",
    "Level",
    "MetricDefinition",
    "Target",
]

CATEGORIES: tuple[Category, ...] = (
    Category("customer", "Customer", 20),
    Category("employee", "Employee", 20),
    Category("business", "Business", 30),
    Category("knowledge", "Knowledge/Collaboration", 20),
    Category("acceleration", "Acceleration", 10),
)

METRICS: tuple[MetricDefinition, ...] = (
    *CUSTOMER_METRICS,
    *EMPLOYEE_METRICS,
    *BUSINESS_METRICS,
    *KNOWLEDGE_METRICS,
    *ACCELERATION_METRICS,
)

METRICS_BY_ID: dict[str, MetricDefinition] = {metric.id: metric for metric in METRICS}

#: Every metric id of SCORECARD.md's first-version table (C1r: the reopen rate shown under C1); the ids
#: practices may name. Each has exactly one definition in `METRICS`.
SCORECARD_METRIC_IDS: tuple[str, ...] = (
    "C1", "C1a", "C1b", "C1r", "C2", "C4", "C5", "C6", "C7",
    "E1", "E2", "E3", "E4",
    "B1", "B2", "B3", "B5",
    "K1", "K2", "K3", "K4", "K6",
    "A1", "A3",
)  # fmt: skip
