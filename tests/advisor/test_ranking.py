"""Ranking next steps: measured weaknesses only (the largest and worsening first, leverage, quick wins), data
gaps in their own "measure next" list."""

from __future__ import annotations

from datetime import date

from advisor.models import MetricOutcome
from advisor.outcomes import describe_outcome
from advisor.ranking import concerns, measurement_gaps, rank_next_steps
from knowledge.models import Practice
from metrics.models import CategoryScore, Coverage, MetricValue, PeriodModel, Scorecard
from prompts import format_difference, format_number, format_value


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


def practice(
    practice_id: str,
    metrics: list[str],
    effort: str = "M",
    requires: list[str] | None = None,
    measures: list[str] | None = None,
) -> Practice:
    return Practice.model_validate(
        {
            "id": practice_id, "title": practice_id.replace("-", " "), "categories": ["customer"], "metrics": metrics,
            "requires": requires or [], "measures": measures or [],
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
    assert (
        "C6 metric C6 is weak: 2.4 hand-offs per ticket against its baseline of "
        "1 hand-off per ticket" in top.why
    )
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


def test_a_measured_weakness_outranks_a_data_gap_which_goes_to_measure_next() -> None:
    # Changed by issue 10: a gap used to come first, with every unmeasured metric as a target of "A1" practices.
    gap = metric(
        "C1b", "no data", None, value=None, note="needs the table(s): surveys", availability="missing_tables",
        tables=["surveys"],
    )  # fmt: skip
    card = scorecard(metric("C6", "weak", 0.0), gap)
    practices = [practice("swarm", ["C6"]), practice("measure-first", ["A1", "C1b"], "S", measures=["C1b"])]
    ranked = rank_next_steps(card, practices)
    assert [rec.practice_id for rec in ranked] == ["swarm"]
    assert ranked[0].targets == ["C6"]
    [measure] = measurement_gaps(card, practices)
    assert (measure.metric_id, measure.availability, measure.tables) == ("C1b", "missing_tables", ["surveys"])
    assert measure.reason == "C1b metric C1b: needs the table(s): surveys."
    assert measure.practice_id == "measure-first"


def test_gaps_that_need_only_a_baseline_come_before_missing_data_with_a_general_practice() -> None:
    no_table = metric("C1b", "no data", None, value=None, availability="missing_tables", tables=["surveys"])
    no_baseline = metric("B2", "no baseline", None, value=30.0, availability="no_baseline")
    general = [
        practice("acc-baseline-before-improving", ["A1"]),
        practice("acc-capture-key-moments-at-source", ["A1", "K2"]),
    ]
    gaps = measurement_gaps(scorecard(no_table, no_baseline), general)
    assert [(gap.metric_id, gap.practice_id) for gap in gaps] == [
        ("B2", "acc-baseline-before-improving"),
        ("C1b", "acc-capture-key-moments-at-source"),
    ]


def test_measurement_practices_and_readiness_are_not_next_steps() -> None:
    # A1 counts the gaps: low readiness is answered by the measure-next list, not by a next step.
    card = scorecard(metric("A1", "weak", 20.0, value=20.0), metric("K2", "weak", 30.0))
    practices = [practice("record-key-moments", ["A1", "K2"], "S"), practice("publish-at-once", ["K2"])]
    ranked = rank_next_steps(card, practices)
    assert [(rec.practice_id, rec.targets) for rec in ranked] == [("publish-at-once", ["K2"])]


def test_a_practice_is_offered_only_when_the_data_it_works_from_exists() -> None:
    reopens = metric("C1r", "weak", 20.0)
    no_csat = metric("C1b", "no data", None, value=None, availability="missing_tables")
    practices = [
        practice("csat-follow-up", ["C1b", "C1r"], requires=["C1b"]),
        practice("root-cause", ["C1r"]),
    ]
    assert [rec.practice_id for rec in rank_next_steps(scorecard(reopens, no_csat), practices)] == [
        "root-cause"
    ]
    with_csat = metric("C1b", "strong", 90.0, value=90.0)
    ranked = rank_next_steps(scorecard(reopens, with_csat), practices)
    assert {rec.practice_id for rec in ranked} == {"csat-follow-up", "root-cause"}


def test_the_why_names_only_the_targets_briefly() -> None:
    card = scorecard(
        metric("C6", "weak", 10.0, value=0.97), metric("B2", "watch", 60.0),
        *(metric(f"E{i}", "no data", None, value=None, availability="missing_tables") for i in range(1, 5)),
    )  # fmt: skip
    ranked = rank_next_steps(card, [practice("swarm", ["C6", "E1"]), practice("smile", ["B2"])])
    assert [rec.targets for rec in ranked] == [["C6"], ["B2"]]
    assert all(len(rec.why) < 300 for rec in ranked)
    assert "0.97 hand-offs per ticket" in ranked[0].why


def test_units_read_as_people_write_them() -> None:
    assert format_value(72, "points (0-100)") == "72 / 100"
    assert format_value(0.9712, "hand-offs") == "0.97 hand-offs per ticket"
    assert format_value(0.97, "hand-offs per ticket") == "0.97 hand-offs per ticket"
    assert format_value(5.2, "1-7") == "5.2 / 7"
    assert format_value(88.0, "%") == "88%"
    assert format_value(27, "NPS points") == "+27 NPS"
    assert format_value(1, "hours") == "1 hour"
    assert (
        format_value(1.0, "hand-offs")
        == format_value(1.004, "hand-offs per ticket")
        == "1 hand-off per ticket"
    )
    assert format_value(36.65, "hours") == "36.65 hours"
    assert format_value(12_000, "EUR") == "12,000 EUR"
    assert format_value(None, "%") == "n/a"
    assert format_number(39.6, 0) == "40" and format_number(1_250.0, 0) == "1,250"
    assert format_number(0.5012, 2) == "0.5" and format_number(3.0) == "3"


def test_changes_read_as_people_write_them() -> None:
    assert format_difference(-6.42, "points (0-100)") == "6.42 points"
    assert format_difference(13.69, "%") == "13.69 points"
    assert format_difference(-4, "NPS points") == "4 points"
    assert format_difference(0.48, "hand-offs per ticket") == "0.48 hand-offs per ticket"
    assert format_difference(-7.6, "hours") == "7.6 hours"


def test_an_outcome_says_whether_the_change_is_better_or_worse() -> None:
    def outcome(before: float, after: float, direction: str) -> MetricOutcome:
        return MetricOutcome.model_validate(
            {
                "metric_id": "C6", "name": "Hand-offs per ticket", "unit": "hand-offs per ticket",
                "direction": direction, "before_start": date(2026, 3, 1), "before_end": date(2026, 6, 1),
                "before_value": before, "before_n": 40, "after_start": date(2026, 6, 1),
                "after_end": date(2026, 9, 1), "after_value": after, "after_n": 42,
            }
        )  # fmt: skip

    assert "fell from 0.97 to 0.5 hand-offs per ticket, better (" in describe_outcome(
        outcome(0.97, 0.5, "lower")
    )
    assert "rose from 0.5 to 0.97 hand-offs per ticket, worse (" in describe_outcome(
        outcome(0.5, 0.97, "lower")
    )
    assert ", no better, no worse (" in describe_outcome(outcome(0.5, 0.5, "lower"))


def test_a_suppressed_metric_is_not_a_measurement_gap() -> None:
    hidden = metric("E4", "no data", None, value=None, note="fewer than 5 records", availability="suppressed")
    ranked = rank_next_steps(scorecard(hidden), [practice("measure-first", ["A1"]), practice("peer", ["E4"])])
    assert ranked == []


def test_nothing_weak_means_no_recommendation() -> None:
    assert rank_next_steps(scorecard(metric("C6", "strong", 90.0)), [practice("swarm", ["C6"])]) == []


def test_the_organisations_own_evidence_moves_a_practice_up_and_is_cited() -> None:
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


def test_a_weak_composite_is_answered_through_its_weakest_component() -> None:
    composite = metric("C1", "weak", 20.0, value=70.0)
    nps = metric("C1a", "watch", 65.0, value=30.0)
    csat = metric("C1b", "watch", 60.0, value=77.0)
    found = concerns(scorecard(composite, nps, csat, metric("E3", "watch", 55.0)))
    assert [concern.metric.id for concern in found] == ["C1b", "E3", "C1a"]
    assert found[0].severity == 80.0
    alone = concerns(scorecard(composite, metric("C1b", "strong", 90.0)))
    assert [concern.metric.id for concern in alone] == ["C1"]


def test_a_metric_explained_by_an_earlier_step_is_only_named_again() -> None:
    card = scorecard(metric("C6", "weak", 10.0, value=1.25))
    ranked = rank_next_steps(card, [practice("swarm", ["C6"]), practice("route", ["C6"])])
    assert ranked[0].why.startswith("C6 metric C6 is weak: 1.25 hand-offs per ticket against")
    assert ranked[1].why == "Another way to move C6 metric C6, weak at 1.25 hand-offs per ticket."
