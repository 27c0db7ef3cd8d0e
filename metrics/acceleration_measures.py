"""The Acceleration category (focus 10%): measurement readiness and transformative initiatives on track."""

from __future__ import annotations

from metrics.definition_types import MetricDefinition
from metrics.records import EPOCH, columns

#: Initiatives that are not (or no longer) under way.
NOT_ACTIVE = "('done', 'completed', 'closed', 'cancelled', 'canceled', 'planned', 'proposed')"


def initiative_records(tables: frozenset[str]) -> str | None:
    """A3: one record per active initiative from its start, x = 1 when it is on track."""
    if "initiatives" not in tables:
        return None
    return f"""
        SELECT {columns(at=f"coalesce(i.started_at, {EPOCH})", x="CASE WHEN i.on_track THEN 1.0 ELSE 0.0 END")}
        FROM initiatives i WHERE coalesce(lower(i.status), 'active') NOT IN {NOT_ACTIVE}
    """


ACCELERATION_METRICS: tuple[MetricDefinition, ...] = (
    MetricDefinition(
        id="A1",
        name="Measurement readiness",
        category="acceleration",
        level="executive",
        unit="%",
        direction="higher",
        formula=(
            "Measures of the scorecard with a value in the period and a baseline, divided by the measures in "
            "scope (every other measure of the scorecard): 'getting your measures in order'."
        ),
        tables=(),
        aggregation="readiness",
        choices=(
            "Computed after every other measure, from their values and baselines; a measure hidden because "
            "too few records rest on it is not ready.",
            "Its score is its own value (100% ready scores 100): a share of measures in order needs no "
            "separate target, and no target is sourced.",
            "Each month of the trend counts the measures with a value that month, once the baseline exists.",
        ),
    ),
    MetricDefinition(
        id="A3",
        name="Transformative initiatives on track",
        category="acceleration",
        level="executive",
        unit="%",
        direction="higher",
        formula=(
            "Active transformative initiatives (not planned, done or cancelled) that are on track, divided by "
            "active initiatives, among those started by the end of the period."
        ),
        tables=("initiatives",),
        aggregation="snapshot",
        records_sql=initiative_records,
        choices=(
            "The table holds each initiative's current status only, so earlier months count the initiatives "
            "active now that had started by then.",
            "An active initiative without `on_track` counts as not on track.",
            "No sourced target exists, so status compares with the baseline.",
        ),
    ),
)
