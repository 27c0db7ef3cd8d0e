"""A programme on the small demo organisation, shared by the programme and digest tests: one step done (its
outcome measured), one in progress and overdue, one proposed and due soon, one dismissed; titles carry markup
to prove it is escaped."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from advisor.composition import build_advisor
from advisor.models import MetricOutcome, OutcomePoint, Recommendation
from advisor.service import Advisor
from advisor.settings import Settings
from metrics.models import Period

PROPOSED_ON = date(2026, 9, 1)
#: The day the tests read the programme on (the overdue step was due ten days before).
TODAY = date(2026, 11, 20)
MARKUP = "<script>alert('x')</script>"
_WINDOWS = {
    "before_start": date(2026, 7, 27), "before_end": date(2026, 9, 7), "before_n": 300,
    "after_start": date(2026, 9, 7), "after_end": date(2026, 10, 19), "after_n": 310,
    "method": "interrupted_time_series", "confidence": 0.95, "step_start": date(2026, 9, 7),
    "step_end": date(2026, 10, 19),
}  # fmt: skip
OUTCOME_C6 = MetricOutcome(
    metric_id="C6", name="Hand-offs per ticket", unit="hand-offs", direction="lower", before_value=0.78,
    after_value=1.24, estimate=0.49, low=0.31, high=0.67, verdict="worse", **_WINDOWS,
    series=[
        OutcomePoint(week=date(2026, 8, 3) + timedelta(weeks=week), group=0.8 if week < 5 else 1.2,
                     comparison=0.8 + 0.01 * week)
        for week in range(11)
    ],
)  # fmt: skip
OUTCOME_C5 = MetricOutcome(
    metric_id="C5", name="Interactions to close", unit="interactions", direction="lower", before_value=3.31,
    after_value=3.3, estimate=0.02, low=-0.15, high=0.2, verdict="no_clear_change", **_WINDOWS,
)  # fmt: skip


@dataclass(frozen=True)
class ProgrammeOrg:
    settings: Settings
    advisor: Advisor
    done: str
    overdue: str
    due_soon: str
    dismissed: str


def moment(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(9), tzinfo=UTC)


def build_programme_org(state: Path, demo_dir: Path) -> ProgrammeOrg:
    settings = Settings(
        data_dir=demo_dir, index_dir=state / "index", database_url=f"sqlite:///{state}/advisor.db"
    )
    advisor = build_advisor(settings)
    steps = [
        Recommendation(rank=1, title="Route once", practice_id="cust-route-once", targets=["C6", "C5"], why="C6.", sources=[]),
        Recommendation(rank=2, title=f"Swarm {MARKUP}", practice_id="p-swarm", targets=["C6"], why="", sources=[]),
        Recommendation(rank=3, title="Publish faster", practice_id="p-publish", targets=["K1"], why="", sources=[]),
        Recommendation(rank=4, title="Not now", practice_id="p-not-now", targets=["C1b"], why="", sources=[]),
    ]  # fmt: skip
    stored = advisor.recommendations.propose(
        steps,
        organisation=advisor.organisation(),
        period=Period(date(2026, 6, 1), PROPOSED_ON),
        at=moment(PROPOSED_ON.isoformat()),
    )
    by_practice = {rec.practice_id: rec for rec in stored}
    done, overdue, due_soon, dismissed = (by_practice[step.practice_id] for step in steps)
    for rec_id, day in ((done.id, "2026-09-02"), (overdue.id, "2026-09-02")):
        advisor.move_recommendation(rec_id, "accepted", actor="lead", at=moment(day))
        advisor.move_recommendation(rec_id, "in_progress", actor="lead", at=moment("2026-09-07"))
    advisor.recommendations.transition(done.id, "done", actor="lead", at=moment("2026-10-19"))
    # outcomes as measured (advisor.outcomes, tested on its own): one beyond the noise, one inside it
    advisor.recommendations.record_outcomes(done.id, [OUTCOME_C6, OUTCOME_C5])
    advisor.move_recommendation(
        dismissed.id, "dismissed", actor="lead", reason="not this year", at=moment("2026-09-03")
    )
    advisor.plans.assign(overdue.id, "maria", actor="lead")
    advisor.plans.set_due(overdue.id, date(2026, 11, 10), actor="lead")
    advisor.plans.set_due(due_soon.id, date(2026, 11, 24), actor="lead")
    return ProgrammeOrg(settings, advisor, done.id, overdue.id, due_soon.id, dismissed.id)


def settle_warm_up(timeout_s: float = 180) -> None:
    """Wait for the app's warm-up threads (web.app's Readiness): a daemon thread still inside DuckDB when the
    interpreter exits aborts the whole test process."""
    for thread in threading.enumerate():
        if thread.name in {"warm-up", "readiness-check"}:
            thread.join(timeout_s)
