"""The Customer category (focus 20%): composite, NPS, CSAT, reopen rate, effort, self-service, interactions,
hand-offs and customer outcome signals; each definition beside the SQL of its records."""

from __future__ import annotations

from metrics.definition_types import Figure, MetricDefinition, Target
from metrics.records import RESOLVED_TICKETS, SharedRecords, columns, survey_source, ticket_dimensions

KCS_85_85 = (
    "KCS v6 Phase 4 (Maximizing): the 85/85 goal, customers use self-service first at least 85% of the time "
    "and find what they need at least 85% of the time: "
    "https://serviceinnovation.mindtouch.us/KCS_v6_Adoption_Guide/040_Phase_4_Maximizing/010_Continuous_Improvement"
)


def nps_records(tables: frozenset[str]) -> str | None:
    """C1a: one record per NPS answer, x = 1 promoter, -1 detractor, 0 passive (mapped onto 0-10)."""
    if "surveys" not in tables:
        return None
    source, dims = survey_source(tables, "nps")
    mapped = "s.score * 10.0 / s.scale_max"
    x = f"CASE WHEN {mapped} >= 9 - 1e-9 THEN 1.0 WHEN {mapped} < 7 - 1e-9 THEN -1.0 ELSE 0.0 END"
    return f"SELECT {columns(at='s.at', x=x, person='s.respondent_id', **dims)} FROM {source}"


def csat_records(tables: frozenset[str]) -> str | None:
    """C1b: one record per CSAT answer, x = 1 when satisfied (4 or more once mapped onto 1-5)."""
    if "surveys" not in tables:
        return None
    source, dims = survey_source(tables, "csat")
    x = "CASE WHEN 1 + (s.score - 1) * 4.0 / (s.scale_max - 1) >= 4 - 1e-9 THEN 1.0 ELSE 0.0 END"
    return f"SELECT {columns(at='s.at', x=x, person='s.respondent_id', **dims)} FROM {source} AND s.scale_max > 1"


def _ticket_records(tables: frozenset[str], x: str) -> str | None:
    """One record per resolved ticket (placed at its resolution), with `x` from `ticket_facts`."""
    if not {"tickets", "ticket_events"} <= tables:
        return None
    return SharedRecords(RESOLVED_TICKETS, at="t.resolved_at", x=x, **ticket_dimensions("t"))


def reopen_records(tables: frozenset[str]) -> str | None:
    """C1r: one record per resolved ticket, x = 1 when it was reopened at least once."""
    return _ticket_records(tables, "CASE WHEN t.reopens > 0 THEN 1.0 ELSE 0.0 END")


def _ces_mapped() -> str:
    return "1 + (s.score - 1) * 6.0 / (s.scale_max - 1)"


def ces_records(tables: frozenset[str]) -> str | None:
    """C2: one record per CES answer, x = the answer mapped onto 1-7."""
    if "surveys" not in tables:
        return None
    source, dims = survey_source(tables, "ces")
    return SharedRecords(
        f"{source} AND s.scale_max > 1", at="s.at", x=_ces_mapped(), person="s.respondent_id", **dims
    )


def ces_agree_records(tables: frozenset[str]) -> str | None:
    """C2 detail: one record per CES answer, x = 1 when it agrees (5-7 once mapped onto 1-7)."""
    if "surveys" not in tables:
        return None
    source, dims = survey_source(tables, "ces")
    x = f"CASE WHEN {_ces_mapped()} >= 5 - 1e-9 THEN 1.0 ELSE 0.0 END"
    return SharedRecords(f"{source} AND s.scale_max > 1", at="s.at", x=x, person="s.respondent_id", **dims)


def find_rate_records(tables: frozenset[str]) -> str | None:
    """C4: one record per self-service session, x = 1 when it was helpful (or, unanswered, no ticket followed)."""
    if "self_service_sessions" not in tables:
        return None
    accounts = "LEFT JOIN accounts a ON a.id = s.account_id" if "accounts" in tables else ""
    segment = "a.segment" if "accounts" in tables else "NULL::VARCHAR"
    x = "CASE WHEN coalesce(s.helpful, s.ticket_id IS NULL) THEN 1.0 ELSE 0.0 END"
    return f"SELECT {columns(at='s.at', x=x, segment=segment)} FROM self_service_sessions s {accounts}"


def self_service_first_records(tables: frozenset[str]) -> str | None:
    """C4 detail: one record per resolved ticket, x = 1 when a self-service session names it."""
    if not {"tickets", "self_service_sessions"} <= tables:
        return None
    x = "CASE WHEN s.ticket_id IS NULL THEN 0.0 ELSE 1.0 END"
    return f"""
        SELECT {columns(at="t.resolved_at", x=x, **ticket_dimensions("t"))}
        FROM ticket_facts t
        LEFT JOIN (SELECT DISTINCT ticket_id FROM self_service_sessions WHERE ticket_id IS NOT NULL) s
               ON s.ticket_id = t.id
        WHERE t.resolved_at IS NOT NULL
    """


def interaction_records(tables: frozenset[str]) -> str | None:
    """C5: one record per resolved ticket, x = its customer_message plus agent_message events."""
    return _ticket_records(tables, "t.interactions")


def handoff_records(tables: frozenset[str]) -> str | None:
    """C6: one record per resolved ticket, x = assignments that changed team or agent."""
    return _ticket_records(tables, "t.handoffs")


def _usage_month() -> str:
    return "CAST(try_strptime(u.period || '-01', '%Y-%m-%d') AS TIMESTAMPTZ)"


def utilisation_records(tables: frozenset[str]) -> str | None:
    """C7: one record per account and month, x = active users / licences (at most 1)."""
    if not {"usage", "accounts"} <= tables:
        return None
    return f"""
        SELECT {columns(at="m.month", x="least(m.active / a.licences, 1.0)", segment="a.segment")}
        FROM (
            SELECT u.account_id, {_usage_month()} AS month, max(u.active_users)::DOUBLE AS active
            FROM usage u GROUP BY 1, 2
        ) m JOIN accounts a ON a.id = m.account_id
        WHERE a.licences > 0 AND m.active IS NOT NULL AND m.month IS NOT NULL
    """


def adoption_records(tables: frozenset[str]) -> str | None:
    """C7 detail: one record per account, month and feature, x = 1 when the feature is adopted."""
    if "usage" not in tables:
        return None
    accounts = "LEFT JOIN accounts a ON a.id = u.account_id" if "accounts" in tables else ""
    segment = "a.segment" if "accounts" in tables else "NULL::VARCHAR"
    x = "CASE WHEN u.adopted THEN 1.0 ELSE 0.0 END"
    return (
        f"SELECT {columns(at=_usage_month(), x=x, segment=segment)} FROM usage u {accounts} "
        "WHERE u.feature IS NOT NULL AND u.adopted IS NOT NULL"
    )


def health_check_records(tables: frozenset[str]) -> str | None:
    """C7 detail: one record per account and month, x = share of its health checks that passed."""
    if "usage" not in tables:
        return None
    return f"""
        SELECT {columns(at="month", x="passed")} FROM (
            SELECT u.account_id, {_usage_month()} AS month,
                   avg(CASE WHEN u.health_check_passed THEN 1.0 ELSE 0.0 END) AS passed
            FROM usage u WHERE u.health_check_passed IS NOT NULL GROUP BY 1, 2
        ) checks WHERE month IS NOT NULL
    """


TICKET_PERIOD = "A ticket belongs to the period of its resolution (`resolved_at`, else its last `status` event to resolved)."
SURVEY_PERIOD = "An answer belongs to the period of its time `at`."

CUSTOMER_METRICS: tuple[MetricDefinition, ...] = (
    MetricDefinition(
        id="C1",
        name="Customer composite",
        category="customer",
        level="executive",
        unit="points (0-100)",
        direction="higher",
        formula=(
            "Mean of NPS mapped onto 0-100 as (NPS + 100) / 2 and CSAT% (equal weights): one relationship and "
            "one transactional view of the customer."
        ),
        tables=("surveys",),
        aggregation="composite",
        components=("C1a", "C1b"),
        baseline_band=5.0,
        in_category_score=False,
        choices=(
            "Needs both components: with only one of NPS and CSAT the composite shows no data.",
            "Its components C1a and C1b are both in the category score, so the composite is not counted again.",
            "Period, previous, baseline and each month combine the components' values of that window.",
            "No sourced target exists ('trend up against the baseline'), so status compares with the baseline "
            "with a watch band of 5 points.",
        ),
    ),
    MetricDefinition(
        id="C1a",
        name="NPS",
        category="customer",
        level="executive",
        unit="NPS points",
        direction="higher",
        formula=(
            "Percentage of answers scoring 9-10 minus percentage scoring 0-6 on a 0-10 scale (-100 to +100); "
            "answers on other scales are mapped proportionally onto 0-10 first (score * 10 / scale_max)."
        ),
        tables=("surveys",),
        aggregation="nps",
        records_sql=nps_records,
        baseline_band=5.0,
        choices=(
            SURVEY_PERIOD,
            "Once mapped, 9 or more is a promoter and below 7 a detractor.",
            "NPS has no universal benchmark, so status compares with the baseline with a 5-point watch band.",
        ),
    ),
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
        records_sql=csat_records,
        target=Target(
            80.0,
            5.0,
            "Above 80% is generally seen as acceptable (vendor guidance, weak source): "
            "https://www.wyapy.com/guides/customer-feedback/how-to-calculate-csat",
        ),
        choices=(SURVEY_PERIOD,),
    ),
    MetricDefinition(
        id="C1r",
        name="Reopen rate",
        category="customer",
        level="manager",
        unit="%",
        direction="lower",
        formula=(
            "Resolved tickets with at least one `reopened` event divided by resolved tickets; shown under C1 "
            "as a quality signal of the resolutions behind CSAT."
        ),
        tables=("tickets", "ticket_events"),
        aggregation="percent",
        records_sql=reopen_records,
        needs_events=("reopened", "status"),
        choices=(TICKET_PERIOD, "No sourced target exists, so status compares with the baseline."),
    ),
    MetricDefinition(
        id="C2",
        name="Customer effort (CES 2.0)",
        category="customer",
        level="manager",
        unit="1-7",
        direction="higher",
        formula=(
            "Mean agreement with '[Company] made it easy for me to handle my issue' on a 1-7 scale (7 = "
            "strongly agree, so higher is easier); other scales are mapped proportionally onto 1-7. The "
            "details give the share agreeing (5-7)."
        ),
        tables=("surveys",),
        aggregation="mean",
        records_sql=ces_records,
        baseline_band=0.3,
        figures=(
            Figure("agree_pct", ces_agree_records, "percent", "share of answers scoring 5-7 once mapped"),
        ),
        choices=(
            SURVEY_PERIOD,
            "Headline: the mean (CES 2.0 is usually reported as the mean); the share agreeing is a detail.",
            "No sourced target exists, so status compares with the baseline with a watch band of 0.3.",
        ),
    ),
    MetricDefinition(
        id="C4",
        name="Self-service success",
        category="customer",
        level="executive",
        unit="%",
        direction="higher",
        formula=(
            "Find rate: self-service sessions marked helpful, or (when unanswered) not followed by a ticket, "
            "divided by sessions. Detail: self-service-first rate, resolved tickets that a self-service "
            "session names (`ticket_id`) divided by resolved tickets."
        ),
        tables=("self_service_sessions", "tickets"),
        aggregation="percent",
        records_sql=find_rate_records,
        target=Target(85.0, 10.0, KCS_85_85),
        figures=(
            Figure(
                "self_service_first_pct",
                self_service_first_records,
                "percent",
                "resolved tickets with a self-service session before them (85% is the other half of 85/85)",
            ),
        ),
        choices=(
            "Headline: the find rate, the 'success' half of 85/85; the self-service-first rate is a detail "
            "with the same 85% goal.",
            "A session's answer decides; an unanswered session succeeded when no ticket followed it.",
            "A session belongs to the period of its time `at`; " + TICKET_PERIOD.lower(),
            "Watch band: 10 points under 85%, as 85/85 is a goal of KCS's last adoption phase.",
        ),
    ),
    MetricDefinition(
        id="C5",
        name="Interactions to close",
        category="customer",
        level="manager",
        unit="interactions per ticket",
        direction="lower",
        formula=(
            "Per resolved ticket, the number of `customer_message` plus `agent_message` events; the mean per "
            "ticket, with the share of tickets with at least one interaction, the median and p80."
        ),
        tables=("tickets", "ticket_events"),
        aggregation="count",
        records_sql=interaction_records,
        share_above_zero="share_with_interaction_pct",
        needs_events=("customer_message", "agent_message"),
        choices=(
            TICKET_PERIOD,
            "Every message of the ticket counts, also those after a reopening.",
            "Headline: the mean per ticket. A count that is mostly 0, 1 or 2 has a median that cannot move "
            "when a part of the tickets gets worse; the mean and the share with at least one can. The "
            "median and p80 are details.",
            "Data without any `customer_message` or `agent_message` event shows no data, not 0 interactions.",
            "No sourced target exists, so status compares with the baseline: a change counts once it is "
            "beyond 10% of the baseline and beyond two standard errors of the difference of the means "
            "(what chance alone could make with this many tickets).",
        ),
    ),
    MetricDefinition(
        id="C6",
        name="Hand-offs per ticket",
        category="customer",
        level="manager",
        unit="hand-offs per ticket",
        direction="lower",
        formula=(
            "Per ticket resolved in the period, the number of `assigned` events whose team or agent differs "
            "from the previous assignment (the first assignment is not a hand-off); the mean per ticket, "
            "with the share of tickets with at least one hand-off, the median and p80."
        ),
        tables=("tickets", "ticket_events"),
        aggregation="count",
        records_sql=handoff_records,
        share_above_zero="share_with_handoff_pct",
        needs_events=("assigned",),
        choices=(
            TICKET_PERIOD,
            "A resolved ticket with no `assigned` events counts with 0 hand-offs; data without any "
            "`assigned` event shows no data, not 0 hand-offs.",
            "Headline: the mean per ticket. Most tickets have 0 or 1 hand-offs, so the median cannot move "
            "when one team's hand-offs triple; the mean and the share with at least one can. The median "
            "and p80 are details.",
            "No sourced target exists ('every hand-off is a drain'), so status compares with the baseline: "
            "a change counts once it is beyond 10% of the baseline and beyond two standard errors of the "
            "difference of the means (what chance alone could make with this many tickets).",
        ),
    ),
    MetricDefinition(
        id="C7",
        name="Customer outcome signals",
        category="customer",
        level="manager",
        unit="%",
        direction="higher",
        formula=(
            "Licence utilisation: per account and month, active users / licences (at most 100%), averaged "
            "over accounts and months. Details: feature adoption (adopted / account-feature-months) and "
            "health-check pass % (per account and month, the share of checks passed, averaged)."
        ),
        tables=("usage", "accounts"),
        aggregation="percent",
        records_sql=utilisation_records,
        figures=(
            Figure(
                "feature_adoption_pct", adoption_records, "percent", "adopted features / features tracked"
            ),
            Figure("health_check_pass_pct", health_check_records, "percent", "account-months passing"),
        ),
        choices=(
            "Headline: licence utilisation, the early-warning signal leaders know; adoption and health checks "
            "are details.",
            "A usage month (`period`, YYYY-MM) counts from its first day in the organisation's time zone.",
            "Vendor heuristics (70-80% good, under 50% low) are weak sources and differ between vendors, so "
            "status compares with the baseline.",
        ),
    ),
)
