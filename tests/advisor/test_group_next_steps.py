"""Next steps for one group: a team's own weak metrics, not the organisation's, drive its ranking."""

from __future__ import annotations

from datetime import date

import pytest

from advisor.ranking import rank_next_steps
from knowledge.practices import load_practices
from metrics.demo import generate_demo
from metrics.drilldown import focus_on_group
from metrics.models import Scorecard
from metrics.scorecard import compute_scorecard
from metrics.store import open_store

END = date(2026, 11, 1)


@pytest.fixture(scope="module")
def by_team(tmp_path_factory: pytest.TempPathFactory) -> Scorecard:
    """A small organisation whose hand-offs worsen in Onboarding alone, drilled down by team."""
    folder = tmp_path_factory.mktemp("onboarding-handoffs")
    generate_demo(
        folder, end=END, seed=3, size="small", weaknesses=[], plant_in={"handoffs": ("team", "Onboarding")}
    )
    return compute_scorecard(open_store(folder), by="team")


def test_a_group_sees_its_own_figures(by_team: Scorecard) -> None:
    onboarding = focus_on_group(by_team, "onboarding")  # any case
    c6 = onboarding.metric("C6")
    group = next(g for g in by_team.metric("C6").groups if g.group == "Onboarding")
    assert (c6.value, c6.status, c6.baseline) == (group.value, group.status, group.baseline)
    assert c6.status == "weak" and c6.groups == [] and c6.note == "Onboarding only"
    # a metric whose records carry no team is neither the group's weakness nor its measurement gap
    no_team = [m for m in by_team.all_metrics() if m.value is not None and m.groups_note]
    assert no_team, "the demo has metrics that are not available by team"
    for metric in no_team:
        assert onboarding.metric(metric.id).availability == "suppressed"


def test_the_weak_team_is_told_to_work_on_its_weakness_and_the_others_are_not(by_team: Scorecard) -> None:
    practices = load_practices()
    onboarding = rank_next_steps(focus_on_group(by_team, "Onboarding"), practices, limit=3)
    assert onboarding and "C6" in onboarding[0].targets
    for team in ("Platform Support", "Customer Success"):
        other = focus_on_group(by_team, team)
        assert other.metric("C6").status != "weak"
        assert all("C6" not in step.targets or step.rank > 1 for step in rank_next_steps(other, practices))


def test_focus_needs_a_drill_down(by_team: Scorecard) -> None:
    with pytest.raises(ValueError, match="drilled down"):
        focus_on_group(by_team.model_copy(update={"drilldown": None}), "Onboarding")
