"""What a manager's home shows: their team's weak metrics and the next steps ranked for that team (or the
organisation's, when they have no team or the data has no figures for it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from advisor.models import Recommendation
from metrics.drilldown import focus_on_group
from metrics.models import MetricValue, Scorecard

if TYPE_CHECKING:
    from advisor.service import Advisor

#: Metrics listed on a home: enough to act on, few enough to read at a glance.
SHOWN_METRICS = 6
_CONCERN = {"weak": 0, "watch": 1}


@dataclass(frozen=True)
class FocusView:
    """The metrics to look at first and the next steps for them, for one team or the whole organisation."""

    #: The team as the support data names it; None for the organisation.
    team: str | None
    metrics: list[MetricValue]
    next_steps: list[Recommendation]
    #: Set when the user's team has no figures in the data (then the organisation's are shown).
    missing_team: str | None = None
    teams: list[str] = field(default_factory=list)


def weak_metrics(scorecard: Scorecard, limit: int = SHOWN_METRICS) -> list[MetricValue]:
    """Weak metrics first, then those on watch, the lowest score first within each: where to look first."""
    concerning = [metric for metric in scorecard.all_metrics() if metric.status in _CONCERN]
    concerning.sort(key=lambda metric: (_CONCERN[metric.status], metric.score or 0.0, metric.id))
    return concerning[:limit]


def team_names(by_team: Scorecard) -> list[str]:
    """The teams a scorecard drilled down by team shows figures for (hidden small groups left out)."""
    names = {
        group.group for metric in by_team.all_metrics() for group in metric.groups if not group.suppressed
    }
    return sorted(names, key=str.lower)


def focus_view(advisor: Advisor, team: str | None, *, steps: int = 3) -> FocusView:
    """The home's panel for a user of `team` (None: the organisation): the team's own figures and the next
    steps ranked from them, as `Advisor.next_steps(focus=...)` ranks them."""
    if team:
        by_team = advisor.scorecard(by="team")
        teams = team_names(by_team)
        found = next((name for name in teams if name.lower() == team.strip().lower()), None)
        if found is not None:
            return FocusView(
                team=found,
                metrics=weak_metrics(focus_on_group(by_team, found)),
                next_steps=advisor.next_steps(limit=steps, focus=("team", found)),
                teams=teams,
            )
        return FocusView(
            team=None,
            metrics=weak_metrics(advisor.scorecard()),
            next_steps=advisor.next_steps(limit=steps),
            missing_team=team,
            teams=teams,
        )
    return FocusView(
        team=None, metrics=weak_metrics(advisor.scorecard()), next_steps=advisor.next_steps(limit=steps)
    )
