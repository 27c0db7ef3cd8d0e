"""Ranking next steps: measurement gaps first, then the largest and worsening gaps, leverage, quick wins."""

from __future__ import annotations

from datetime import date

from advisor.ranking import concerns, rank_next_steps
from knowledge.models import Practice
from metrics.models import CategoryScore, Coverage, MetricValue, PeriodModel, Scorecard


def metric(
    metric_id: str, status: str, score: float | None, value: float | None = 1.0, **extra: object
) -> MetricValue:
    return MetricValue.model_validate(
        {
            "id": metric_id, "name": f"metric {metric_id}", "category": "customer", "value": value,
            "unit": "hand-offs", "direction": "lower", "status": status, "score": score, "n": 100, "target": None,
            "baseline": 1.0, "compared_with": "baseline" if value is not None else "none", **extra,
        }
    )  # fmt: skip


def scorecard(*metrics: MetricValue) -> Scorecard:
    category = CategoryScore(
        id="customer", name="Customer", focus_pct=20, score=None, status="no data",
        coverage=Coverage(with_data=0, total=len(metrics)), metrics=list(metrics),
    )  # fmt: skip
    return Scorecard(period=PeriodModel(start=date(2026, 8, 1), end=date(2026, 11, 1)), categories=[category])


def practice(practice_id: str, metrics: list[str], effort: str = "M") -> Practice:
    return Practice.model_validate(
        {
            "id": practice_id, "title": practice_id.replace("-", " "), "categories": ["customer"], "metrics": metrics,
            "level": "manager", "effort": effort, "time_to_impact": "1 quarter", "sources": ["https://example.org"],
            "body": "## Steps\n1. Do it.\n\n## How success will be measured\nIt moves.",
        }
    )  # fmt: skip


def test_the_weakest_metric_gets_its_practice_first_with_the_reason() -> None:
    card = scorecard(
        metric("C6", "weak", 10.0, value=2.4), metric("B2", "watch", 60.0), metric("C1b", "strong", 90.0)
    )
    ranked = rank_next_steps(
        card, [practice("route-better", ["B2"]), practice("swarm", ["C6"]), practice("csat", ["C1b"])]
    )
    assert [rec.practice_id for rec in ranked] == ["swarm", "route-better"]
    top = ranked[0]
    assert (top.rank, top.targets) == (1, ["C6"])
    assert "C6 metric C6 is weak: 2.4 hand-offs against the organisation's baseline of 1 hand-offs" in top.why
    assert top.sources[:2] == ["practice:swarm", "metric:C6"]
    assert top.steps == "1. Do it."
    assert top.metrics[0].value == 2.4 and top.metrics[0].status == "weak"


def test_leverage_across_weak_metrics_beats_a_single_one() -> None:
    card = scorecard(metric("C6", "weak", 30.0), metric("B2", "weak", 40.0))
    ranked = rank_next_steps(card, [practice("only-c6", ["C6"]), practice("both", ["C6", "B2"])])
    assert [rec.practice_id for rec in ranked] == ["both", "only-c6"]
    assert ranked[0].targets == ["C6", "B2"]


def test_worsening_beats_stable_and_quick_wins_break_ties() -> None:
    stable = metric("B1", "weak", 30.0)
    worse = metric("B2", "weak", 30.0, change_vs_previous=0.5, previous=1.0)
    assert [concern.metric.id for concern in concerns(scorecard(stable, worse))] == ["B2", "B1"]
    tied = rank_next_steps(
        scorecard(stable), [practice("large", ["B1"], "L"), practice("small", ["B1"], "S")]
    )
    assert [rec.practice_id for rec in tied] == ["small", "large"]


def test_a_measurement_gap_comes_first_and_asks_to_establish_the_measure() -> None:
    gap = metric(
        "C1b", "no data", None, value=None, note="needs the table(s): surveys", availability="missing_tables"
    )
    card = scorecard(metric("C6", "weak", 0.0), gap)
    ranked = rank_next_steps(card, [practice("swarm", ["C6"]), practice("measure-first", ["A1"])])
    assert ranked[0].practice_id == "measure-first"
    assert ranked[0].targets == ["C1b"]
    assert "C1b metric C1b cannot be judged yet: needs the table(s): surveys." in ranked[0].why


def test_a_suppressed_metric_is_not_a_measurement_gap() -> None:
    hidden = metric("E4", "no data", None, value=None, note="fewer than 5 records", availability="suppressed")
    ranked = rank_next_steps(scorecard(hidden), [practice("measure-first", ["A1"]), practice("peer", ["E4"])])
    assert ranked == []


def test_nothing_weak_means_no_recommendation() -> None:
    assert rank_next_steps(scorecard(metric("C6", "strong", 90.0)), [practice("swarm", ["C6"])]) == []


def test_the_organisations_own_evidence_moves_a_practice_up_and_is_cited() -> None:
    from advisor.models import MetricOutcome

    def outcome(before: float, after: float) -> MetricOutcome:
        return MetricOutcome(
            metric_id="C6", name="Hand-offs per ticket", unit="hand-offs", direction="lower",
            before_start=date(2026, 3, 1), before_end=date(2026, 6, 1), before_value=before, before_n=40,
            after_start=date(2026, 6, 1), after_end=date(2026, 9, 1), after_value=after, after_n=42,
        )  # fmt: skip

    card = scorecard(metric("C6", "weak", 30.0))
    practices = [
        practice("a-route", ["C6"], "S"),
        practice("b-swarm", ["C6"], "L"),
        practice("c-worse", ["C6"], "S"),
    ]
    ranked = rank_next_steps(
        card, practices, evidence={"b-swarm": [outcome(2.4, 1.1)], "c-worse": [outcome(1.0, 1.5)]}
    )
    assert [rec.practice_id for rec in ranked] == ["b-swarm", "a-route", "c-worse"]
    assert "Our own evidence: C6 Hand-offs per ticket fell from 2.4 to 1.1 hand-offs" in ranked[0].why


def test_leading_measures_come_before_lagging_ones_and_activity_counts_half() -> None:
    lagging = metric("C4", "weak", 30.0)
    leading = metric("K3", "weak", 30.0)
    coaching = metric("K6", "weak", 30.0, kind="activity")
    assert [concern.metric.id for concern in concerns(scorecard(lagging, leading, coaching))] == [
        "K3",
        "C4",
        "K6",
    ]


def test_alternatives_reach_the_other_weak_metrics_first() -> None:
    card = scorecard(metric("C6", "weak", 10.0), metric("B2", "weak", 40.0))
    practices = [practice("swarm", ["C6"]), practice("route", ["C6"]), practice("smile-review", ["B2"])]
    ranked = rank_next_steps(card, practices)
    # the second step answers B2, which the first does not, before another way to fix C6
    assert [rec.practice_id for rec in ranked] == ["route", "smile-review", "swarm"]
