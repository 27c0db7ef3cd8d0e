"""A step marked done before its effect can be judged says "too early to tell"; once the data reaches the
date it named, the next start (or import) measures it again and the verdict and its document follow."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from advisor.composition import build_advisor
from advisor.models import Recommendation, RecommendationStatus
from advisor.outcomes import solution_document
from advisor.settings import Settings
from metrics.models import Period
from tests.advisor.test_outcome_measuring import BASE, START, write_org


def _at(day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=UTC)


def test_a_too_early_outcome_is_measured_again_once_the_data_reaches_its_date(tmp_path: Path) -> None:
    first_week = {team: {week: v for week, v in weeks.items() if week < 1} for team, weeks in BASE.items()}
    folder = write_org(tmp_path / "acme", first_week)
    settings = Settings(
        data_dir=folder, index_dir=tmp_path / "index", database_url=f"sqlite:///{tmp_path}/state.db"
    )
    advisor = build_advisor(settings)
    step = Recommendation(
        rank=1, title="Route once", practice_id="cust-route-once", targets=["C6"], why="C6 is weak.",
        sources=[], scope={"team": "Billing Desk"},
    )  # fmt: skip
    [rec] = advisor.recommendations.propose(
        [step], organisation=advisor.organisation(), period=Period(START - timedelta(weeks=4), START),
        at=_at(START - timedelta(days=1)),
    )  # fmt: skip
    moves: list[tuple[RecommendationStatus, date]] = [
        ("accepted", START), ("in_progress", START), ("done", START + timedelta(days=6)),
    ]  # fmt: skip
    for status, day in moves:
        advisor.move_recommendation(rec.id, status, actor="lead", at=_at(day))
    [early] = advisor.recommendations.get(rec.id).outcomes
    assert early.verdict == "too_early" and early.measurable_from is not None
    assert advisor.remeasure_due_outcomes() == 0, "nothing is due while the data stops before the date"

    # Two more weeks of data arrive (an import); the next start measures the step again.
    later = {team: {**weeks, **({2: weeks[1]} if 1 in weeks else {})} for team, weeks in BASE.items()}
    shutil.rmtree(folder)
    write_org(folder, later)
    restarted = build_advisor(settings)
    [outcome] = restarted.recommendations.get(rec.id).outcomes
    assert (outcome.verdict, outcome.estimate, outcome.comparison) == ("better", -1.0, ["Onboarding"])
    assert restarted.remeasure_due_outcomes() == 0, "a judged outcome is not measured again"
    measured = restarted.recommendations.get(rec.id)
    assert restarted.recommendations.pending_indexing() == [], "the new outcome's document was indexed"
    assert "better than the rest of the organisation" in solution_document(measured).text
    hits = restarted.search("Route once Billing Desk hand-offs", k=10)
    assert f"solution:{rec.id}" in [hit.id for hit in hits]
