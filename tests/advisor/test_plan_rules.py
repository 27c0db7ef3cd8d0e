"""The rules of a plan, by hand: the checklist from a practice's steps, scope keys, the review date aligned
with when an outcome can be judged, and where a chosen step starts (its diagnosis's groups)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from advisor.errors import UnknownPractice
from advisor.models import ChosenStep, MetricOutcome, Recommendation, StatusChange
from advisor.outcome_measuring import MIN_WEEKS
from advisor.plan_proposing import choose_steps, rescope, scope_choices
from advisor.plan_rules import checklist_items, earliest_review, parse_scope_key, review_day, scope_key
from metrics.models import ComparedWith, Diagnosis, PeriodModel, Segment


def test_the_checklist_is_the_practice_s_numbered_steps() -> None:
    steps = "1. List the measures.\n2) Find a source\n   for each one.\n\n- Record the baseline."
    assert checklist_items(steps) == [
        "List the measures.",
        "Find a source for each one.",
        "Record the baseline.",
    ]
    assert checklist_items("Do one thing\nThen another") == ["Do one thing", "Then another"]
    assert checklist_items("") == []


def test_scope_keys_round_trip() -> None:
    assert scope_key(None) == "" and parse_scope_key("") is None
    assert scope_key({"team": "Billing Desk"}) == "team=Billing Desk"
    assert parse_scope_key("team=Billing Desk") == {"team": "Billing Desk"}
    with pytest.raises(ValueError, match="not a scope"):
        parse_scope_key("Billing Desk")


def change(status: str, day: str) -> StatusChange:
    return StatusChange(
        from_status=None, to_status=status, actor="li", at=datetime.fromisoformat(day).replace(tzinfo=UTC)
    )  # type: ignore[arg-type]


def test_the_review_date_follows_the_outcome_measurement() -> None:
    assert MIN_WEEKS == 2  # the days below are counted with it
    proposed = [change("proposed", "2026-06-01")]
    assert earliest_review(proposed, None) == date(2026, 6, 15)
    started = [*proposed, change("accepted", "2026-06-02"), change("in_progress", "2026-06-10")]
    assert earliest_review(started, None) == date(2026, 6, 24)
    assert earliest_review(started, date(2026, 7, 31)) == date(2026, 7, 31)  # judged over the weeks it ran
    done = [*started, change("done", "2026-07-20")]
    assert earliest_review(done, date(2026, 7, 1)) == date(2026, 7, 20)
    assert review_day(started, None, date(2026, 8, 1)) == date(2026, 8, 1)
    too_early = MetricOutcome(
        metric_id="C6", name="Hand-offs", unit="per ticket", direction="lower",
        before_start=date(2026, 5, 1), before_end=date(2026, 6, 10), before_value=1.0, before_n=40,
        after_start=date(2026, 6, 10), after_end=date(2026, 6, 30), after_value=None, after_n=3,
        verdict="too_early", measurable_from=date(2026, 9, 1),
    )  # fmt: skip
    assert review_day(done, None, None, [too_early]) == date(2026, 9, 1)


def segment(by: str, value: str, share: float, work: float) -> Segment:
    return Segment(
        by=by, value=value, n=100, value_now=2.0, value_before=1.0, share_now=work, share_before=work,
        contribution=share, effect="rate", share_of_change=share,
    )  # fmt: skip


DIAGNOSIS = Diagnosis(
    metric="C6", name="Hand-offs per ticket", unit="per ticket", direction="lower",
    period=PeriodModel(start=date(2026, 4, 1), end=date(2026, 7, 1)),
    compared_with=ComparedWith(kind="baseline"), value=1.4, change=0.4,
    segments=[
        segment("team", "Billing Desk", 0.7, 0.3),
        segment("priority", "normal", 0.5, 0.6),  # only mirrors its share of the work
        segment("team", "other", 0.2, 0.05),  # pools small groups
        segment("channel", "phone", 0.15, 0.1),
        segment("product", "Payroll", 0.05, 0.01),  # too small a share of the change
    ],
)  # fmt: skip
STEP = Recommendation(
    rank=1, title="Own the case", practice_id="cust-own", targets=["C6"], why="C6 is weak.", sources=["practice:cust-own"],
)  # fmt: skip


def test_a_step_can_start_where_its_diagnosis_finds_the_change() -> None:
    choices = scope_choices(STEP, DIAGNOSIS)
    assert [choice.key for choice in choices] == ["", "team=Billing Desk", "channel=phone"]
    assert choices[1].label == "the Billing Desk team (70 % of the rise)" and choices[1].share == 0.7
    billing = rescope(STEP, {"team": "Billing Desk"}, DIAGNOSIS)
    assert billing.scope == {"team": "Billing Desk"} and billing.scope_share == 0.7
    assert billing.why.startswith("Start with the Billing Desk team: it holds 70 % of the rise in C6")
    assert billing.why.endswith("C6 is weak.") and "diagnosis:C6" in billing.sources
    # moved to another group, or back to everyone, the earlier group's sentence goes
    phone = rescope(billing, {"channel": "phone"}, DIAGNOSIS)
    assert phone.why.startswith("Start with the phone channel") and "Billing Desk" not in phone.why
    assert rescope(billing, None, DIAGNOSIS).why == "C6 is weak."
    with pytest.raises(ValueError, match="not colour"):
        rescope(STEP, {"colour": "red"}, DIAGNOSIS)


def test_only_the_current_next_steps_can_be_chosen_and_one_practice_twice() -> None:
    chosen = [
        ChosenStep(practice_id="cust-own", scope={"team": "Billing Desk"}),
        ChosenStep(practice_id="cust-own", scope={"channel": "phone"}),
    ]
    picked = choose_steps([STEP], chosen, {"cust-own": DIAGNOSIS})
    assert [step.scope for step in picked] == [{"team": "Billing Desk"}, {"channel": "phone"}]
    with pytest.raises(UnknownPractice, match="not among the current next steps"):
        choose_steps([STEP], [ChosenStep(practice_id="nope")], {})
