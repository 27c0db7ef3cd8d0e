"""Advisor.diagnose: issue 11's JSON, what was tried before, practices scoped, next steps scoped, and the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.cli import app
from advisor.models import MetricOutcome
from advisor.recommendation_store import RecommendationStore
from advisor.scoping import MIN_SCOPE_SHARE, driving_segment
from advisor.service import Advisor
from advisor.settings import Settings
from metrics.errors import UnknownMetric
from metrics.models import Diagnosis, PeriodModel, Segment
from metrics.records import DIMENSIONS

CONTRACT = {"metric", "period", "compared_with", "value", "change", "since", "segments", "prior_solutions",
            "practices"}  # fmt: skip
SEGMENT_KEYS = {"by", "value", "n", "value_now", "value_before", "share_now", "share_before", "contribution",
                "effect"}  # fmt: skip


@pytest.fixture
def fresh(advisor: Advisor, tmp_path: Path) -> Iterator[Advisor]:
    """The session's demo, index and practices, with a recommendation database of its own."""
    yield Advisor(
        data_dir=advisor.data_dir,
        index=advisor.index,
        practices=list(advisor.practices.values()),
        recommendations=RecommendationStore(f"sqlite:///{tmp_path}/recs.db"),
        conversations=advisor.conversations,
        min_group_size=advisor.min_group_size,
    )


def test_diagnosis_json_contract(fresh: Advisor) -> None:
    body = fresh.diagnose("C6").model_dump(mode="json")
    assert body.keys() >= CONTRACT
    assert body["metric"] == "C6"
    assert body["period"] == {"start": "2026-08-01", "end": "2026-11-01"}
    assert body["compared_with"]["kind"] == "baseline"
    assert {"start", "end", "value"} <= body["compared_with"].keys()
    assert body["change"] == pytest.approx(body["value"] - body["compared_with"]["value"], abs=1e-3)
    assert body["since"] is None or len(body["since"]) == 7
    assert body["segments"] and all(segment.keys() >= SEGMENT_KEYS for segment in body["segments"])
    contributions = [segment["contribution"] for segment in body["segments"]]
    assert contributions == sorted(contributions, reverse=True)  # C6 rose: largest rise first
    assert {segment["by"] for segment in body["segments"]} <= set(DIMENSIONS)
    assert all(segment["effect"] in {"rate", "mix"} for segment in body["segments"])


def test_the_small_demo_hand_offs_live_in_the_billing_desk(fresh: Advisor) -> None:
    report = fresh.diagnose("C6")
    top = report.segments[0]
    assert (top.by, top.value, top.effect) == ("team", "Billing Desk", "rate")
    assert report.since is not None and report.since >= "2026-07"
    assert "Billing Desk" in report.summary
    csat = fresh.diagnose("C1b")
    assert (csat.segments[0].by, csat.segments[0].value) == ("product", "Payroll")


def test_nothing_tried_is_said_plainly_and_practices_are_scoped(fresh: Advisor) -> None:
    report = fresh.diagnose("C6")
    assert report.tried_note.startswith("This organisation has not tried anything for C6")
    assert not [s for s in report.prior_solutions if s.kind == "recommendation"]
    ids = [practice.id for practice in report.practices]
    assert "cust-warm-handoff-with-context" in ids
    assert all("C6" in practice.metrics for practice in report.practices)
    assert all(practice.scope == {"team": "Billing Desk"} for practice in report.practices)


def test_what_was_tried_before_shows_with_its_measured_outcome(fresh: Advisor) -> None:
    store = fresh.recommendations
    step = fresh.propose_from_diagnosis(
        "C6",
        "cust-warm-handoff-with-context",
        scope={"team": "Billing Desk"},
        at=datetime(2026, 3, 1, tzinfo=UTC),
    )[0]
    assert step.scope == {"team": "Billing Desk"} and step.scope_share is not None and step.scope_share > 0.5
    assert "diagnosis:C6" in step.sources and step.targets == ["C6"]
    moments = [datetime(2026, 3, day, tzinfo=UTC) for day in (2, 3, 4)]
    for status, moment in zip(("accepted", "in_progress", "done"), moments, strict=True):
        store.transition(step.id, status, actor="lead", at=moment)  # type: ignore[arg-type]
    outcome = MetricOutcome(
        metric_id="C6", name="Hand-offs per ticket", unit="hand-offs per ticket", direction="lower",
        before_start=date(2026, 1, 1), before_end=date(2026, 3, 1), before_value=1.4, before_n=200,
        after_start=date(2026, 3, 1), after_end=date(2026, 5, 1), after_value=0.9, after_n=210,
    )  # fmt: skip
    store.record_outcomes(step.id, [outcome])
    report = fresh.diagnose("C6")
    own = [solution for solution in report.prior_solutions if solution.kind == "recommendation"]
    assert len(own) == 1 and own[0].status == "done" and own[0].improved is True
    assert own[0].outcome is not None and "fell from 1.4" in own[0].outcome
    assert report.tried_note.startswith("Tried here before for C6")
    warm = next(p for p in report.practices if p.id == "cust-warm-handoff-with-context")
    assert warm.tried and report.practices[-1].tried  # untried practices first


def test_resolved_cases_and_articles_are_searched(fresh: Advisor) -> None:
    report = fresh.diagnose("C1b")
    knowledge = [s for s in report.prior_solutions if s.kind in {"case", "article", "solution"}]
    assert knowledge, "the demo's resolved cases and articles should speak to a CSAT drop in Payroll"
    assert all(solution.url.startswith("/") for solution in knowledge)


def test_composites_say_they_cannot_be_decomposed(fresh: Advisor) -> None:
    report = fresh.diagnose("C1")
    assert not report.decomposable and report.segments == []
    assert "cannot be split by group" in report.summary


def test_unknown_metric(fresh: Advisor) -> None:
    with pytest.raises(UnknownMetric, match="Z9"):
        fresh.diagnose("Z9")


def test_next_steps_start_where_the_weakness_lives(fresh: Advisor) -> None:
    steps = fresh.next_steps()
    scoped = [step for step in steps if step.scope]
    assert scoped, [step.title for step in steps]
    for step in scoped:
        assert step.why.startswith("Start with the ")
        assert step.scope_share is not None and MIN_SCOPE_SHARE <= step.scope_share <= 1.0
        assert any(source.startswith("diagnosis:") for source in step.sources)
    assert {next(iter(step.scope.items())) for step in scoped if step.scope} & {
        ("team", "Billing Desk"),
        ("product", "Payroll"),
    }


def _diagnosis(*groups: tuple[str, float | None, float], change: float = 1.0) -> Diagnosis:
    """Segments (name, share of the change, share of the work), already in contribution order."""
    return Diagnosis(
        metric="C6", name="Hand-offs per ticket", unit="hand-offs", direction="lower",
        period=PeriodModel(start=date(2026, 8, 1), end=date(2026, 11, 1)), compared_with=None,
        value=1.0, change=change,
        segments=[
            Segment(by="team", value=name, n=50, value_now=None, value_before=None, share_now=work,
                    share_before=work, contribution=(share or 0) * change, effect="rate", share_of_change=share)
            for name, share, work in groups
        ],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("groups", "change", "expected"),
    [
        # "other" pools small groups: never a scope
        ((("other", 0.8, 0.2), ("Billing Desk", 0.6, 0.3), ("Onboarding", 0.1, 0.2)), 1.0, "Billing Desk"),
        (
            (("other", 0.1, 0.3), ("Billing Desk", 0.2, 0.1), ("Onboarding", 0.1, 0.2)),
            1.0,
            None,
        ),  # too little
        ((("other", 0.1, 0.3), ("Billing Desk", 0.9, 0.3)), 0.0, None),  # nothing changed
        # the biggest group holds the most of the change only because it holds the most work: the group where
        # the change is concentrated comes next and is the scope
        ((("normal", 0.62, 0.6), ("Billing Desk", 0.55, 0.25)), 1.0, "Billing Desk"),
        ((("normal", 0.62, 0.6), ("Billing Desk", 0.3, 0.25)), 1.0, None),  # spread in proportion to the work
        ((("Billing Desk", 0.7, 0.25),), -0.4, "Billing Desk"),  # a fall works the same way
    ],
)
def test_driving_segment(
    groups: tuple[tuple[str, float, float], ...], change: float, expected: str | None
) -> None:
    found = driving_segment(_diagnosis(*groups, change=change))
    assert (found.value if found else None) == expected


def test_cli_diagnose(demo_dir: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_INDEX_DIR", str(settings.index_dir))
    runner = CliRunner()
    result = runner.invoke(app, ["diagnose", str(demo_dir), "C6", "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body.keys() >= CONTRACT and body["segments"][0]["value"] == "Billing Desk"
    result = runner.invoke(
        app, ["diagnose", str(demo_dir), "C6", "--period", "2026-08-01..2026-11-01", "--baseline",
              "2025-08-01..2025-11-01"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "C6 Hand-offs per ticket" in result.stdout and "Billing Desk" in result.stdout
    assert "Contributions to the change" in result.stdout
    result = runner.invoke(app, ["diagnose", str(demo_dir), "Z9"])
    assert result.exit_code == 2 and "no metric 'Z9'" in result.output


def test_cli_demo_data_plants_in_a_group(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["demo-data", str(tmp_path), "--size", "small", "--plant-in", "handoffs=team:Onboarding"]
    )
    assert result.exit_code == 0, result.output
    assert "planted handoffs in team Onboarding" in result.stdout
    manifest = json.loads((tmp_path / "demo_manifest.json").read_text(encoding="utf-8"))
    assert manifest["plant_in"] == {"handoffs": ["team", "Onboarding"]}
    result = CliRunner().invoke(app, ["demo-data", str(tmp_path), "--plant-in", "handoffs"])
    assert result.exit_code != 0
