"""Knowledge/Collaboration and Acceleration metrics on small hand-made tables, against figures worked out by hand."""

from __future__ import annotations

from pathlib import Path

from metrics.definitions import METRICS_BY_ID
from metrics.models import MetricValue, Period, Scorecard
from metrics.scorecard import compute_scorecard
from metrics.store import open_store
from tests.metrics.tables import event, ticket, write_tables

MARCH = Period.parse("2026-03-01..2026-04-01")


def scorecard(folder: Path, min_group_size: int = 1) -> Scorecard:
    return compute_scorecard(open_store(folder), MARCH, min_group_size=min_group_size)


def metric(folder: Path, metric_id: str, min_group_size: int = 1) -> MetricValue:
    return scorecard(folder, min_group_size).metric(metric_id)


def article(
    article_id: str, audience: str, known: str = "", published: str = "", state: str = "published"
) -> dict[str, object]:
    return {"id": article_id, "title": article_id, "audience": audience, "state": state,
            "first_known_at": known, "published_external_at": published}  # fmt: skip


def test_knowledge_available_is_a_stock_at_each_windows_end(tmp_path: Path) -> None:
    folder = write_tables(
        tmp_path,
        {
            "articles": [
                article("KB1", "customer", "2026-01-01T00:00:00+00:00", "2026-02-01T00:00:00+00:00"),
                article("KB2", "internal", "2026-02-01T00:00:00+00:00", state="validated"),
                article("KB3", "customer", "2026-03-10T00:00:00+00:00", "2026-04-10T00:00:00+00:00"),  # later
                article("KB4", "customer", "2026-04-05T00:00:00+00:00"),  # not known yet
                article("KB5", "customer", "2026-01-01T00:00:00+00:00", state="draft"),  # not knowledge yet
                article("KB6", "customer", "", "2026-03-15T00:00:00+00:00"),  # known when published
            ],
            # the data's months (and so the trend) come from activity such as tickets
            "tickets": [ticket("T1", "2026-01-05T00:00:00+00:00")],
        },
    )
    result = metric(folder, "K1")
    # by 1 April: KB1, KB2, KB3, KB6 known; KB1 and KB6 visible to customers
    assert (result.n, result.value) == (4, 50.0)
    # by 1 March: KB1 (visible since 1 February) and KB2
    assert [(point.month, point.value) for point in result.trend] == [("2026-02", 50.0), ("2026-03", 50.0)]


def test_time_to_publish_share_at_once_and_minutes(tmp_path: Path) -> None:
    folder = write_tables(
        tmp_path,
        {
            "articles": [
                article(
                    "KB1", "customer", "2026-03-02T10:00:00+00:00", "2026-03-02T10:00:30+00:00"
                ),  # 0.5 min
                article(
                    "KB2", "customer", "2026-03-05T00:00:00+00:00", "2026-03-05T02:00:00+00:00"
                ),  # 120 min
                article("KB3", "customer", "2026-03-10T00:00:00+00:00"),  # waiting 22 days: 31,680 min
                article(
                    "KB4", "customer", "2026-03-20T00:00:00+00:00", "2026-04-03T00:00:00+00:00"
                ),  # 17,280
                article("KB5", "internal", "2026-03-20T00:00:00+00:00"),  # not for customers
                article(
                    "KB6", "customer", "2026-02-10T00:00:00+00:00", "2026-02-10T00:00:00+00:00"
                ),  # February
            ]
        },
    )
    result = metric(folder, "K2")
    assert (result.n, result.value) == (4, 25.0)
    assert result.details["median_minutes_to_publish"] == 8700.0  # (120 + 17,280) / 2
    assert result.details["not_yet_published"] == 2
    assert (result.compared_with, result.target, result.status, result.score) == ("target", 90.0, "weak", 0.0)


def reuse_tables() -> dict[str, list[dict[str, object]]]:
    return {
        "tickets": [
            ticket("T1", "2026-03-01T08:00:00+00:00", "2026-03-02T08:00:00+00:00"),
            ticket("T2", "2026-03-01T08:00:00+00:00", "2026-03-02T08:00:00+00:00"),
            ticket("T3", "2026-03-01T08:00:00+00:00", "2026-03-02T08:00:00+00:00"),
            ticket("T4", "2026-03-01T08:00:00+00:00", "2026-03-02T08:00:00+00:00"),
            ticket("T5", "2026-03-01T08:00:00+00:00"),  # unresolved: its links do not count
        ],
        "ticket_events": [
            event("T1", "2026-03-01T09:00:00+00:00", "article_linked", agent_id="a1", article_id="KB1"),
            event("T1", "2026-03-01T09:10:00+00:00", "article_linked", agent_id="a1", article_id="KB2"),
            event("T1", "2026-03-01T09:20:00+00:00", "article_created", agent_id="a1", article_id="KB9"),
            event("T2", "2026-03-01T09:00:00+00:00", "article_linked", agent_id="a2", article_id="KB1"),
            event("T3", "2026-03-01T09:00:00+00:00", "agent_message", agent_id="a3"),
            event("T4", "2026-03-01T09:00:00+00:00", "article_created", agent_id="a4", article_id="KB8"),
            event("T5", "2026-03-01T09:00:00+00:00", "article_linked", agent_id="a5", article_id="KB1"),
            event("T5", "2026-02-20T09:00:00+00:00", "agent_message", agent_id="a6"),  # February only
        ],
    }


def test_reuse_ratio_and_link_rate(tmp_path: Path) -> None:
    result = metric(write_tables(tmp_path, reuse_tables()), "K3")
    # resolved T1-T4: 3 links to existing articles, 2 created -> 1.5; linked or created on 3 of 4 tickets
    assert (result.n, result.value) == (4, 1.5)
    assert result.details == {"article_linked_events": 3.0, "article_created_events": 2.0, "n": 4,
                              "link_rate_pct": 75.0}  # fmt: skip
    # reuse >= creation is met with a 0.25 band: two bands better
    assert (result.compared_with, result.status, result.score) == ("target", "strong", 100.0)


def test_reuse_ratio_without_created_articles_is_undefined(tmp_path: Path) -> None:
    tables = reuse_tables()
    tables["ticket_events"] = [row for row in tables["ticket_events"] if row["kind"] != "article_created"]
    result = metric(write_tables(tmp_path, tables), "K3")
    assert (result.value, result.n, result.availability) == (None, 4, "no_records")
    assert result.note == "no article created in the period: the ratio is undefined"
    # issue 10: the link rate (T1 and T2 of 4) is still reported without the ratio
    assert result.details == {"article_linked_events": 3.0, "article_created_events": 0.0, "n": 4,
                              "link_rate_pct": 50.0}  # fmt: skip


def test_participation_is_a_coaching_signal_of_people(tmp_path: Path) -> None:
    card = scorecard(write_tables(tmp_path, reuse_tables()))
    result = card.metric("K6")
    # working on tickets in March: a1 to a5; linked or created: a1, a2, a4, a5 (T5's link counts: it is work)
    assert (result.kind, result.value, result.details["people"]) == ("activity", 80.0, 5)
    # never a target: judged only against its own (here fallback) baseline, as a coaching signal
    assert result.target is None and result.compared_with != "target"
    assert result.note is not None and "65-85%" in result.note
    assert "K6 (activity measure: a coaching signal)" in (card.categories[3].note or "")


def test_time_to_accept_internal_requests_and_the_pulse(tmp_path: Path) -> None:
    def request(number: int, opened: str, accepted: str = "", to_team: str = "A") -> dict[str, object]:
        return {
            "id": f"R{number}",
            "from_team": "B",
            "to_team": to_team,
            "opened_at": opened,
            "accepted_at": accepted,
        }

    folder = write_tables(
        tmp_path,
        {
            "internal_requests": [
                request(1, "2026-03-01T00:00:00+00:00", "2026-03-01T06:00:00+00:00"),  # 6 h
                request(2, "2026-02-28T12:00:00+00:00", "2026-03-01T12:00:00+00:00"),  # 24 h, accepted in March
                request(3, "2026-03-10T00:00:00+00:00", "2026-03-10T02:00:00+00:00"),  # 2 h
                request(4, "2026-03-30T00:00:00+00:00"),  # waiting at the period's end
                request(5, "2026-03-31T00:00:00+00:00", "2026-04-02T00:00:00+00:00"),  # accepted in April
            ],
            "surveys": [
                {"id": "S1", "kind": "collaboration", "respondent_id": "E1", "at": "2026-03-05T00:00:00+00:00",
                 "score": 80, "scale_max": 100},
                {"id": "S2", "kind": "collaboration", "respondent_id": "E2", "at": "2026-03-05T00:00:00+00:00",
                 "score": 3, "scale_max": 5},
            ],
        },
    )  # fmt: skip
    result = metric(folder, "K4")
    assert (result.n, result.value) == (3, 6.0)
    assert result.details["not_accepted_at_period_end"] == 2
    assert result.details["pulse_0_100"] == 70.0  # (80 + 60) / 2


def test_initiatives_on_track_among_active_ones(tmp_path: Path) -> None:
    def initiative(number: int, status: str, on_track: str, started: str) -> dict[str, object]:
        return {"id": f"IN{number}", "name": f"initiative {number}", "status": status, "on_track": on_track,
                "started_at": started}  # fmt: skip

    folder = write_tables(
        tmp_path,
        {
            "initiatives": [
                initiative(1, "active", "true", "2026-01-01T00:00:00+00:00"),
                initiative(2, "active", "false", "2026-02-01T00:00:00+00:00"),
                initiative(3, "done", "true", "2025-06-01T00:00:00+00:00"),
                initiative(4, "planned", "", "2026-05-01T00:00:00+00:00"),
                initiative(5, "active", "true", "2026-04-10T00:00:00+00:00"),  # starts after the period
                initiative(6, "Active", "", "2026-03-05T00:00:00+00:00"),  # unknown: not on track
            ]
        },
    )
    result = metric(folder, "A3")
    assert (result.n, result.value) == (3, 33.33)


def readiness_tables(months: tuple[str, ...]) -> dict[str, list[dict[str, object]]]:
    tickets, events = [], []
    for number, month in enumerate(months):
        ticket_id = f"T{number}"
        tickets.append(
            ticket(ticket_id, f"2026-{month}-01T00:00:00+00:00", f"2026-{month}-02T00:00:00+00:00")
        )
        events += [
            event(ticket_id, f"2026-{month}-01T01:00:00+00:00", "assigned", team="A", agent_id="a1"),
            event(ticket_id, f"2026-{month}-01T02:00:00+00:00", "customer_message"),
            event(ticket_id, f"2026-{month}-01T03:00:00+00:00", "article_created", agent_id="a1"),
            event(ticket_id, f"2026-{month}-01T04:00:00+00:00", "article_linked", agent_id="a1"),
        ]
    return {"tickets": tickets, "ticket_events": events}


def test_measurement_readiness_counts_measures_with_data_and_baseline(tmp_path: Path) -> None:
    result = metric(write_tables(tmp_path, readiness_tables(("01", "03"))), "A1")
    # January is the baseline of March; C5, C6, B2, K3 and K6 have data in both: 5 of the other 23
    # (C1r has none: without any `reopened` or `status` event a reopen rate of 0% would be made up)
    assert result.details == {"in_scope": 23, "with_data": 5, "with_data_and_baseline": 5}
    assert (result.value, result.score, result.status) == (21.74, 21.74, "weak")
    assert result.note is not None and result.note.startswith("scored by its own value; not ready: C1, C1a")
    assert [(point.month, point.value) for point in result.trend] == [("2026-01", 0.0), ("2026-02", 0.0),
                                                                      ("2026-03", 21.74)]  # fmt: skip


def test_measurement_readiness_without_any_history_is_not_zero_and_weak(tmp_path: Path) -> None:
    # issue 10: with nothing before the period, readiness cannot be told yet; it is not "0%, weak"
    result = metric(write_tables(tmp_path, readiness_tables(("03",))), "A1")
    assert result.details == {"in_scope": 23, "with_data": 5, "with_data_and_baseline": 0}
    assert (result.value, result.score, result.status) == (None, None, "no baseline")
    assert result.note is not None and "5 of 23 measures have data" in result.note


def test_category_scores_leave_out_activity_measures_and_composites(tmp_path: Path) -> None:
    card = scorecard(write_tables(tmp_path, readiness_tables(("01", "03"))))
    for category in card.categories:
        scored = [
            metric.score
            for metric in category.metrics
            if metric.score is not None and METRICS_BY_ID[metric.id].counts_in_category
        ]
        expected = round(sum(scored) / len(scored), 1) if scored else None
        assert category.score == expected, category.id
        assert category.coverage.with_data == sum(metric.value is not None for metric in category.metrics)
    knowledge = next(category for category in card.categories if category.id == "knowledge")
    # K3 (scored) and K6 (a coaching signal) have data: the score is K3's alone
    assert card.metric("K6").score is not None
    assert knowledge.score == card.metric("K3").score
