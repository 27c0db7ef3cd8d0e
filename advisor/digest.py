"""The digest: what changed since last time, for leaders who do not watch the pages every day.

Three things, each since a day (`since`): metrics that crossed a status band (the scorecard of the period
that was current on `since` against today's), steps due within a week or overdue, and outcomes measured
(steps done since then, and steps whose outcome became measurable). Steps that moved (started, done,
dismissed) are listed too. "Since last time" is the caller's choice: the page remembers each person's last
visit (advisor.digest_store), the CLI takes `--since` and otherwise looks back `DEFAULT_DAYS`.

`build_digest` is pure; `digest_for` wires it to an Advisor; `digest_markdown` and `digest_html` render it
from the templates prompts/digest.md.j2 and prompts/digest.html.j2 (the HTML one autoescaped).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from advisor.models import MetricOutcome, StatusChange, TrackedRecommendation
from advisor.outcome_reading import OutcomeReading, read_outcome, short_change
from advisor.outcomes import describe_outcome, started_and_finished
from advisor.programme import DUE_SOON_DAYS, OPEN
from metrics.models import MetricValue, Period, Scorecard
from prompts import format_number, format_value

if TYPE_CHECKING:
    from advisor.service import Advisor

#: Without a last visit or `--since`, the digest looks back this many days.
DEFAULT_DAYS = 7
#: How good a status is; "no data" and "no baseline" are not on the scale.
_RANK = {"weak": 0, "watch": 1, "strong": 2}

Movement = Literal["worse", "better", "now judged", "no longer judged"]


@dataclass(frozen=True)
class BandCrossing:
    """A metric whose status changed between the two scorecards."""

    metric_id: str
    name: str
    unit: str
    before_status: str
    after_status: str
    before_value: float | None
    after_value: float | None
    movement: Movement

    @property
    def words(self) -> str:
        """'C6 Hand-offs per ticket went from watch to weak (0.62 to 0.81 hand-offs per ticket): worse'."""
        figures = (
            f"{format_value(self.before_value, self.unit)} to {format_value(self.after_value, self.unit)}"
        )
        return (
            f"{self.metric_id} {self.name} went from {self.before_status} to {self.after_status} "
            f"({figures}): {self.movement}"
        )


@dataclass(frozen=True)
class DueStep:
    rec: TrackedRecommendation
    due: date
    #: Days past due (positive), or days until due (zero or negative means due today or later).
    overdue_days: int

    @property
    def words(self) -> str:
        owner = self.rec.owner or "nobody yet"
        if self.overdue_days > 0:
            plural = "s" if self.overdue_days != 1 else ""
            return f"overdue by {self.overdue_days} day{plural} (due {self.due}, owner {owner})"
        left = -self.overdue_days
        when = "today" if left == 0 else f"in {left} day{'s' if left != 1 else ''}"
        return f"due {when} ({self.due}, owner {owner})"


@dataclass(frozen=True)
class MeasuredOutcome:
    rec: TrackedRecommendation
    outcome: MetricOutcome
    reading: OutcomeReading
    sentence: str
    short: str


@dataclass(frozen=True)
class Move:
    rec: TrackedRecommendation
    change: StatusChange


@dataclass(frozen=True)
class Digest:
    organisation: str
    since: date
    today: date
    #: How `since` was chosen, in words ("since your last visit on 2026-11-20").
    since_reason: str
    now_period: Period | None = None
    then_period: Period | None = None
    crossings: list[BandCrossing] = field(default_factory=list)
    #: Why no band could be compared (same period as then, no data), when so.
    crossings_note: str | None = None
    overdue: list[DueStep] = field(default_factory=list)
    due_soon: list[DueStep] = field(default_factory=list)
    outcomes: list[MeasuredOutcome] = field(default_factory=list)
    #: Done steps whose review day ("outcome measurable from") came since `since`.
    reviews: list[TrackedRecommendation] = field(default_factory=list)
    moves: list[Move] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.crossings or self.overdue or self.due_soon or self.outcomes or self.reviews or self.moves
        )


def period_at(current: Period, since: date) -> Period | None:
    """The scorecard period that was current on `since`: as long as `current`, of whole months ending at
    `since`'s month when `current` is whole months, else ending at `since`; None when it is not earlier."""
    if current.start.day == 1 and current.end.day == 1:
        then = Period.last_full_months(since, current.month_count())
    else:
        end = min(since, current.end)
        then = Period(end - timedelta(days=current.days), end)
    return then if then.end < current.end else None


def band_crossings(then: Scorecard, now: Scorecard) -> list[BandCrossing]:
    """The metrics whose status differs between `then` and `now`: worse first, then better, then those that
    became (or stopped being) judged."""
    before = {metric.id: metric for metric in then.all_metrics()}
    found = []
    for metric in now.all_metrics():
        old = before.get(metric.id)
        if old is None or old.status == metric.status:
            continue
        found.append(_crossing(old, metric))
    order: dict[Movement, int] = {"worse": 0, "better": 1, "now judged": 2, "no longer judged": 3}
    return sorted(found, key=lambda crossing: (order[crossing.movement], crossing.metric_id))


def _crossing(old: MetricValue, new: MetricValue) -> BandCrossing:
    was, now = _RANK.get(old.status), _RANK.get(new.status)
    movement: Movement
    if was is not None and now is not None:
        movement = "better" if now > was else "worse"
    else:
        movement = "now judged" if now is not None else "no longer judged"
    return BandCrossing(new.id, new.name, new.unit, old.status, new.status, old.value, new.value, movement)


def build_digest(
    recommendations: Sequence[TrackedRecommendation],
    *,
    organisation: str,
    since: date,
    today: date,
    since_reason: str,
    now: Scorecard | None = None,
    then: Scorecard | None = None,
    crossings_note: str | None = None,
) -> Digest:
    """Everything that changed from `since` (included) to `today`: band crossings between `then` and `now`,
    open steps overdue or due within `DUE_SOON_DAYS`, outcomes of steps done since, reviews that came due,
    and every status change since."""
    overdue: list[DueStep] = []
    due_soon: list[DueStep] = []
    for rec in recommendations:
        if rec.status not in OPEN or rec.due is None:
            continue
        days = (today - rec.due).days
        if days > 0:
            overdue.append(DueStep(rec, rec.due, days))
        elif -days <= DUE_SOON_DAYS:
            due_soon.append(DueStep(rec, rec.due, days))
    outcomes: list[MeasuredOutcome] = []
    reviews: list[TrackedRecommendation] = []
    for rec in recommendations:
        if rec.status != "done":
            continue
        _, finished = started_and_finished(rec)
        if finished is not None and since <= finished <= today:
            outcomes.extend(
                MeasuredOutcome(
                    rec, outcome, read_outcome(outcome), describe_outcome(outcome), short_change(outcome)
                )
                for outcome in rec.outcomes
            )
        elif rec.review_on is not None and since <= rec.review_on <= today:
            reviews.append(rec)
    moves = sorted(
        (
            Move(rec, change)
            for rec in recommendations
            for change in rec.history
            if since <= change.at.astimezone(UTC).date() <= today
        ),
        key=lambda move: move.change.at,
    )
    crossings = band_crossings(then, now) if then is not None and now is not None else []
    return Digest(
        organisation=organisation,
        since=since,
        today=today,
        since_reason=since_reason,
        now_period=Period(now.period.start, now.period.end) if now is not None else None,
        then_period=Period(then.period.start, then.period.end) if then is not None else None,
        crossings=crossings,
        crossings_note=crossings_note,
        overdue=sorted(overdue, key=lambda step: -step.overdue_days),
        due_soon=sorted(due_soon, key=lambda step: step.due),
        outcomes=outcomes,
        reviews=reviews,
        moves=moves,
    )


def digest_for(
    advisor: Advisor, since: date | None = None, *, today: date | None = None, reason: str = ""
) -> Digest:
    """The advisor's digest since `since` (default: `DEFAULT_DAYS` ago), comparing the default scorecard
    with the one of the period that was current on `since`."""
    day = today or datetime.now(UTC).date()
    start = since or day - timedelta(days=DEFAULT_DAYS)
    reason = reason or (f"since {start}" if since else f"the last {DEFAULT_DAYS} days (since {start})")
    recommendations = advisor.recommendations.list(organisation=advisor.organisation())
    now = then = None
    note = None
    if advisor.data_dir.is_dir() and advisor.store().time_range() is not None:
        now = advisor.scorecard()
        earlier = period_at(Period(now.period.start, now.period.end), start)
        if earlier is None:
            note = (
                f"The scorecard's period ({now.period.start}..{now.period.end}) was already current on {start}: "
                "no band can have been crossed since."
            )
        else:
            then = advisor.scorecard(earlier)
    else:
        note = "There is no data to score yet."
    return build_digest(
        recommendations,
        organisation=advisor.organisation(),
        since=start,
        today=day,
        since_reason=reason,
        now=now,
        then=then,
        crossings_note=note,
    )


@lru_cache(maxsize=1)
def _html_environment() -> Environment:
    """The HTML digest's templates, autoescaped: titles, names and comments are the users' words."""
    env = Environment(
        loader=PackageLoader("prompts", ""),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = format_number
    env.filters["value"] = format_value
    return env


def digest_markdown(digest: Digest, *, base_url: str = "") -> str:
    """The digest as Markdown (for mail or chat), from prompts/digest.md.j2."""
    from prompts import render

    def link(path: str) -> str:
        """' (https://advisor.example/recommendations/ID)' with a base URL; nothing without one."""
        return f" ({base_url}{path})" if base_url else ""

    return render("digest.md", digest=digest, link=link) + "\n"


def digest_html(digest: Digest, *, base_url: str = "", standalone: bool = False) -> Markup:
    """The digest as escaped HTML: a fragment for the page, or a whole document (`standalone`) for mail."""
    template = _html_environment().get_template("digest.html.j2")
    return Markup(template.render(digest=digest, base_url=base_url, standalone=standalone))  # noqa: S704 - autoescaped
