"""The Knowledge/Collaboration category (focus 20%): knowledge available to customers, time to publish,
reuse, cross-group collaboration and participation."""

from __future__ import annotations

from metrics.definition_types import Figure, MetricDefinition, Target
from metrics.records import (
    ARTICLE_KINDS,
    EPOCH,
    RESOLVED_TICKETS,
    SharedRecords,
    columns,
    local_day,
    seconds_between,
    survey_source,
    ticket_dimensions,
)

KCS_90_0 = (
    "KCS v6 proficiency indicators, the 90/0 rule: 90% of requestor-actionable knowledge is available to "
    "requestors within 0 minutes of becoming known: https://library.serviceinnovation.org/KCS/KCS_v6/"
    "KCS_Resources_in_Other_Languages/German_KCS_v6_Adoption_Transformation_Guide/030_Build_Proficiency/"
    "020_Indicators_of_Proficiency"
)
KCS_REUSE = (
    "KCS adoption, exit criteria of Phase 2: reuse >= creation rate: "
    "http://library.serviceinnovation.org/Retired%3A_KCS_Adoption_Guide/2.0/2.3_Exit_Criteria_for_Phase_2"
)
#: States of articles that are not (or no longer) knowledge anyone can use.
INACTIVE_STATES = "('draft', 'retired', 'archived', 'obsolete', 'deleted')"
#: Customer-facing articles: requestor-actionable knowledge.
CUSTOMER_FACING = "lower(ar.audience) = 'customer'"


def available_records(tables: frozenset[str]) -> str | None:
    """K1: one record per usable article from when it was known, done once customers can see it."""
    if "articles" not in tables:
        return None
    visible = f"CASE WHEN {CUSTOMER_FACING} THEN ar.published_external_at END"
    known = f"coalesce(ar.first_known_at, ar.published_external_at, {EPOCH})"
    return f"""
        SELECT {columns(at=known, x="0.0", done_at=visible, product="ar.product")}
        FROM articles ar WHERE coalesce(lower(ar.state), '') NOT IN {INACTIVE_STATES}
    """


def _publish_minutes() -> str:
    """Minutes from first known to public, or, while not public by the period's end, minutes waited so far."""
    public = "CASE WHEN ar.published_external_at < c.as_of THEN ar.published_external_at ELSE c.as_of END"
    return f"greatest({seconds_between('ar.first_known_at', public)} / 60.0, 0)"


def _customer_articles(x: str) -> str:
    waiting = "ar.published_external_at IS NULL OR ar.published_external_at >= c.as_of"
    rows = (
        f"articles ar CROSS JOIN scorecard_context c WHERE {CUSTOMER_FACING} AND ar.first_known_at IS NOT NULL "
        f"AND coalesce(lower(ar.state), '') NOT IN {INACTIVE_STATES}"
    )
    return SharedRecords(rows, at="ar.first_known_at", x=x, product="ar.product", flag=waiting)


def publish_at_once_records(tables: frozenset[str]) -> str | None:
    """K2: one record per customer-facing article known, x = 1 when public within 0 minutes."""
    if "articles" not in tables:
        return None
    return _customer_articles(f"CASE WHEN {_publish_minutes()} < 1 THEN 1.0 ELSE 0.0 END")


def publish_minutes_records(tables: frozenset[str]) -> str | None:
    """K2 detail: one record per customer-facing article known, x = minutes from known to public."""
    if "articles" not in tables:
        return None
    return _customer_articles(_publish_minutes())


def reuse_records(tables: frozenset[str]) -> str | None:
    """K3: one record per resolved ticket, x = its `article_linked` events, y = its `article_created` events."""
    if not {"tickets", "ticket_events"} <= tables:
        return None
    return SharedRecords(
        RESOLVED_TICKETS, at="t.resolved_at", x="t.linked", y="t.created", **ticket_dimensions("t")
    )


def link_records(tables: frozenset[str]) -> str | None:
    """K3 detail: one record per resolved ticket, x = 1 when it has an article linked or created."""
    if not {"tickets", "ticket_events"} <= tables:
        return None
    x = "CASE WHEN t.linked + t.created > 0 THEN 1.0 ELSE 0.0 END"
    return SharedRecords(RESOLVED_TICKETS, at="t.resolved_at", x=x, **ticket_dimensions("t"))


def accept_records(tables: frozenset[str]) -> str | None:
    """K4: one record per internal request accepted, x = hours from opened to accepted; team = asked team."""
    if "internal_requests" not in tables:
        return None
    hours = f"greatest({seconds_between('r.opened_at', 'r.accepted_at')} / 3600.0, 0)"
    return f"""
        SELECT {columns(at="r.accepted_at", x=hours, team="r.to_team")}
        FROM internal_requests r WHERE r.accepted_at IS NOT NULL
    """


def collaboration_pulse_records(tables: frozenset[str]) -> str | None:
    """K4 detail: one record per `collaboration` pulse answer, x = its score on 0-100."""
    if "surveys" not in tables:
        return None
    source, dims = survey_source(tables, "collaboration")
    record = columns(at="s.at", x="s.score * 100.0 / s.scale_max", person="s.respondent_id", **dims)
    return f"SELECT {record} FROM {source}"


REQUESTS_WAITING_SQL = """
    SELECT count(*) AS not_accepted_at_period_end FROM internal_requests
    WHERE opened_at < $period_end AND (accepted_at IS NULL OR accepted_at >= $period_end)
"""


def participation_records(tables: frozenset[str]) -> str | None:
    """K6: one record per person and day with ticket work, x = 1 when they linked or created an article."""
    if "ticket_events" not in tables:
        return None
    if "employees" in tables:
        joins = "LEFT JOIN employees emp ON emp.id = e.agent_id"
        team = "coalesce(any_value(emp.team), arg_max(e.team, e.at))"
    else:
        joins, team = "", "arg_max(e.team, e.at)"
    x = f"max(CASE WHEN e.kind IN {ARTICLE_KINDS} THEN 1.0 ELSE 0.0 END)"
    record = columns(at=local_day("e.at"), x=x, person="e.agent_id", team=team)
    return f"""
        SELECT {record}
        FROM ticket_events e {joins}
        WHERE e.agent_id IS NOT NULL
        GROUP BY e.agent_id, {local_day("e.at")}
    """


KNOWLEDGE_METRICS: tuple[MetricDefinition, ...] = (
    MetricDefinition(
        id="K1",
        name="Knowledge available to customers",
        category="knowledge",
        level="executive",
        unit="%",
        direction="higher",
        formula=(
            "At the end of the period: customer-facing articles published externally divided by all "
            "articles known by then (drafts, retired and archived articles left out)."
        ),
        tables=("articles",),
        aggregation="snapshot",
        records_sql=available_records,
        choices=(
            "A stock, not a flow: each window (and each month of the trend) counts the articles known by its "
            "end and which of them customers could see by then.",
            "An article without `first_known_at` counts from its publication, else as known all along.",
            "KCS asks for a growing percentage, not a level, so status compares with the baseline.",
        ),
    ),
    MetricDefinition(
        id="K2",
        name="Time to publish (90/0)",
        category="knowledge",
        level="executive",
        unit="%",
        direction="higher",
        formula=(
            "Share of customer-facing articles that became known in the period and were published externally "
            "within 0 minutes (less than one minute) of becoming known. Detail: median minutes from known to "
            "public, with articles not yet public counted with the minutes waited up to the end of the period."
        ),
        tables=("articles",),
        aggregation="percent",
        records_sql=publish_at_once_records,
        target=Target(90.0, 10.0, KCS_90_0),
        flag_detail="not_yet_published",
        figures=(
            Figure("median_minutes_to_publish", publish_minutes_records, "distribution", "known to public"),
        ),
        choices=(
            "Headline: the 90/0 share (it has the sourced target); the median minutes is a detail.",
            "Requestor-actionable knowledge is taken as articles whose audience is `customer`.",
            "An article belongs to the period it became known in; one not public by the period's end counts "
            "as not published at once, and is flagged.",
            "Watch band: 10 points under 90%.",
        ),
    ),
    MetricDefinition(
        id="K3",
        name="Knowledge reuse",
        category="knowledge",
        level="executive",
        unit="ratio",
        direction="higher",
        formula=(
            "Reuse ratio: `article_linked` events divided by `article_created` events of the tickets resolved "
            "in the period. Detail: link rate, resolved tickets with at least one `article_linked` or "
            "`article_created` event divided by resolved tickets."
        ),
        tables=("tickets", "ticket_events"),
        aggregation="ratio",
        records_sql=reuse_records,
        needs_events=("article_linked", "article_created"),
        ratio_parts=("article_linked_events", "article_created_events"),
        target=Target(1.0, 0.25, KCS_REUSE),
        figures=(
            Figure(
                "link_rate_pct",
                link_records,
                "percent",
                "an activity measure: coaching signal, no target",
                needs_events=("article_linked", "article_created"),
            ),
        ),
        choices=(
            "Headline: the reuse ratio, an outcome with a sourced target (reuse >= creation); the link rate "
            "is an activity, reported as a detail without a target (Joslin: strive for 100% without making "
            "it a goal).",
            "Events count with the ticket they belong to, in the period of its resolution.",
            "With no article created the ratio is undefined and shows no data; the link rate and the counts "
            "of linked and created articles are still shown. Data without any `article_linked` or "
            "`article_created` event has no link rate (not 0%).",
            "Watch band: 0.25 under a ratio of 1.",
        ),
    ),
    MetricDefinition(
        id="K4",
        name="Cross-group collaboration",
        category="knowledge",
        level="executive",
        unit="hours",
        direction="lower",
        formula=(
            "Median hours from opening to acceptance of internal requests accepted in the period (and p80). "
            "Details: the collaboration pulse survey on 0-100, and requests not yet accepted at the end of "
            "the period."
        ),
        tables=("internal_requests", "surveys"),
        aggregation="distribution",
        records_sql=accept_records,
        extra_sql=REQUESTS_WAITING_SQL,
        figures=(
            Figure(
                "pulse_0_100",
                collaboration_pulse_records,
                "mean",
                "mean 'how easy is it to get help from other groups' answer on 0-100",
                people=True,
            ),
        ),
        choices=(
            "Headline: time to accept, observed in the data; the pulse survey is a detail.",
            "A request's team is the team it was sent to.",
            "No sourced target exists, so status compares with the baseline.",
        ),
    ),
    MetricDefinition(
        id="K6",
        name="Participation rate",
        category="knowledge",
        level="manager",
        unit="%",
        direction="higher",
        formula=(
            "People who linked or created at least one article in the period divided by people who worked "
            "on tickets in it (any ticket event with their `agent_id`)."
        ),
        tables=("ticket_events", "employees"),
        aggregation="participation",
        records_sql=participation_records,
        needs_events=("article_linked", "article_created"),
        kind="activity",
        people=True,
        coaching_range=(65.0, 85.0),
        choices=(
            "An activity measure: a coaching signal without a target, and not part of the category score.",
            "KCS sees participation level off at 65-85%: shown as a coaching range, never as a goal.",
            "A person's team comes from `employees`, else from their latest ticket event.",
            "Data without any `article_linked` or `article_created` event shows no data, not 0%.",
            "Status compares with the organisation's own baseline, as a signal for coaching.",
        ),
    ),
)
