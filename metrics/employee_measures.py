"""The Employee category (focus 20%): engagement, satisfaction, suggestions accepted, time to competency."""

from __future__ import annotations

from metrics.definition_types import MetricDefinition
from metrics.records import columns, seconds_between, survey_source

STAFF_SURVEY_CHOICES = (
    "An answer belongs to the period of its time `at`; its team is the team of the employee who answered.",
    "Groups are sized by distinct people who answered, not by answers.",
    "No sourced target exists (OCMF: a periodic survey, compare with yourself), so status compares with the "
    "baseline with a watch band of 5 points.",
)
ACCEPTED = "('accepted', 'implemented', 'done', 'completed')"
DAYS_TO_TRUST = f"{seconds_between('e.started_at', 'f.at')} / 86400.0"


def engagement_records(tables: frozenset[str]) -> str | None:
    """E1: one record per engagement answer, x = its score on 0-100."""
    return _staff_survey(tables, "engagement")


def satisfaction_records(tables: frozenset[str]) -> str | None:
    """E2: one record per employee-satisfaction answer, x = its score on 0-100."""
    return _staff_survey(tables, "esat")


def _staff_survey(tables: frozenset[str], kind: str) -> str | None:
    if "surveys" not in tables:
        return None
    source, dims = survey_source(tables, kind)
    record = columns(at="s.at", x="s.score * 100.0 / s.scale_max", person="s.respondent_id", **dims)
    return f"SELECT {record} FROM {source}"


def suggestion_records(tables: frozenset[str]) -> str | None:
    """E3: one record per employee suggestion submitted, x = 1 when accepted; flagged while undecided."""
    if "suggestions" not in tables:
        return None
    x = f"CASE WHEN lower(s.status) IN {ACCEPTED} THEN 1.0 ELSE 0.0 END"
    flag = (
        f"s.decided_at IS NULL AND coalesce(lower(s.status), 'open') NOT IN {ACCEPTED} "
        "AND coalesce(lower(s.status), 'open') NOT IN ('declined', 'rejected')"
    )
    return (
        f"SELECT {columns(at='s.submitted_at', x=x, flag=flag)} FROM suggestions s "
        "WHERE lower(s.source) = 'employee'"
    )


def competency_records(tables: frozenset[str]) -> str | None:
    """E4: one record per employee at their first peer-trust sign-off, x = days since they started."""
    if not {"employees", "competency"} <= tables:
        return None
    return f"""
        SELECT {columns(at="f.at", x=DAYS_TO_TRUST, person="e.id", team="e.team")}
        FROM (
            SELECT employee_id, min(peer_trust_at) AS "at"
            FROM competency WHERE peer_trust_at IS NOT NULL GROUP BY employee_id
        ) f JOIN employees e ON e.id = f.employee_id
    """


#: E4 detail: people still on their way to competency whose tenure passes the period's median. On the way
#: means no peer-trust sign-off by the period's end, and either a competency record (a skill being learnt) or
#: a start within the last year: long-serving staff from before the programme are not waiting.
COMPETENCY_WAITING_SQL = """
    SELECT count(*) AS waiting_past_median FROM employees e
    WHERE e.started_at < $period_end
      AND NOT EXISTS (
          SELECT 1 FROM competency c
          WHERE c.employee_id = e.id AND c.peer_trust_at IS NOT NULL AND c.peer_trust_at < $period_end
      )
      AND (
          EXISTS (SELECT 1 FROM competency c WHERE c.employee_id = e.id)
          OR (epoch($period_end) - epoch(e.started_at)) / 86400.0 <= 365
      )
      AND (epoch($period_end) - epoch(e.started_at)) / 86400.0 > $median
"""

EMPLOYEE_METRICS: tuple[MetricDefinition, ...] = (
    MetricDefinition(
        id="E1",
        name="Employee engagement",
        category="employee",
        level="executive",
        unit="0-100",
        direction="higher",
        formula=(
            "Mean of the periodic engagement survey (how emotionally connected people are to the "
            "organisation), each answer normalised onto 0-100 as score / scale_max * 100."
        ),
        tables=("surveys", "employees"),
        aggregation="mean",
        records_sql=engagement_records,
        people=True,
        baseline_band=5.0,
        choices=STAFF_SURVEY_CHOICES,
    ),
    MetricDefinition(
        id="E2",
        name="Employee satisfaction",
        category="employee",
        level="executive",
        unit="0-100",
        direction="higher",
        formula=(
            "Mean of the periodic satisfaction survey (`esat`: how happy people are with their job and "
            "conditions), each answer normalised onto 0-100 as score / scale_max * 100."
        ),
        tables=("surveys", "employees"),
        aggregation="mean",
        records_sql=satisfaction_records,
        people=True,
        baseline_band=5.0,
        choices=STAFF_SURVEY_CHOICES,
    ),
    MetricDefinition(
        id="E3",
        name="Employee suggestions accepted",
        category="employee",
        level="executive",
        unit="%",
        direction="higher",
        formula=(
            "Suggestions from employees submitted in the period and accepted (status accepted, implemented, "
            "done or completed) divided by suggestions from employees submitted in the period."
        ),
        tables=("suggestions",),
        aggregation="percent",
        records_sql=suggestion_records,
        flag_detail="awaiting_decision",
        choices=(
            "A suggestion belongs to the period it was submitted in (OCMF: implemented / submitted); those "
            "still awaiting a decision count as not accepted and are reported as a count.",
            "No sourced target exists, so status compares with the baseline.",
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
        records_sql=competency_records,
        extra_sql=COMPETENCY_WAITING_SQL,
        people=True,
        choices=(
            "With several skills, the first peer-trust sign-off makes a person customer-ready.",
            "Waiting counts people without a sign-off who have a competency record or started within the "
            "last year; long-serving staff from before the programme are not counted as waiting.",
            "KCS asks for a decrease from the baseline, so status compares with the baseline.",
        ),
    ),
)
