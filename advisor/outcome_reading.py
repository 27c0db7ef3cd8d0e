"""An outcome read the way a leader reads it: better, worse or no clear change, in words and a colour, with
the noise band it was judged against (the effect's interval: a change inside it is "no clear change").

`advisor.outcomes` writes the sentences; this module only sorts an outcome into a verdict, a tone for its
colour and the short phrases the pages, the digest and the CLI show beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from advisor.models import MetricOutcome, OutcomeVerdict
from prompts import format_difference, format_number, format_value

#: The badge colour of each verdict (the scorecard's status colours: strong green, weak red, watch amber).
Tone = Literal["strong", "weak", "watch", "no-baseline", "no-data"]
LABELS: dict[OutcomeVerdict, tuple[str, Tone]] = {
    "better": ("Better", "strong"),
    "worse": ("Worse", "weak"),
    "no_clear_change": ("No clear change", "watch"),
    "too_early": ("Too early to tell", "no-baseline"),
    "not_comparable": ("Cannot be judged", "no-data"),
}


@dataclass(frozen=True)
class OutcomeReading:
    """What the page shows beside an outcome: the verdict, its label and tone, the plain change said as
    better or worse by the metric's direction, and the noise band."""

    verdict: OutcomeVerdict
    label: str
    tone: Tone
    #: "fell from 5.14 to 5.07 / 7: worse, as higher is better"; None without both figures.
    change: str | None
    #: "noise band -0.2 to +0.1 (95% interval of the step's effect): the change lies inside it"; None when
    #: the outcome carries no interval (measured before intervals were kept, or not judged).
    noise: str | None


def plain_direction(outcome: MetricOutcome) -> Literal["better", "worse", "unchanged"] | None:
    """Whether the plain before/after change went the metric's right way (not yet a verdict: the noise and
    the comparison decide that)."""
    change = outcome.change
    if change is None:
        return None
    if change == 0:
        return "unchanged"
    return "better" if (change < 0) == (outcome.direction == "lower") else "worse"


def direction_words(outcome: MetricOutcome) -> str | None:
    """'worse, as higher is better' for a plain change; None without one."""
    moved = plain_direction(outcome)
    if moved is None or moved == "unchanged":
        return None
    return f"{moved}, as {outcome.direction} is better"


def verdict_of(outcome: MetricOutcome) -> OutcomeVerdict:
    """The stored verdict; outcomes measured before verdicts existed are read from their plain change."""
    if outcome.verdict is not None:
        return outcome.verdict
    moved = plain_direction(outcome)
    if moved is None:
        return "not_comparable"
    return "no_clear_change" if moved == "unchanged" else moved


def noise_words(outcome: MetricOutcome) -> str | None:
    """The interval the verdict was judged by, as the noise band, and where the effect lies against it."""
    if outcome.estimate is None or outcome.low is None or outcome.high is None:
        return None
    percent = f"{round(100 * (outcome.confidence or 0.95))}%"
    band = f"{_signed(outcome.low)} to {_signed(outcome.high)} {_unit_words(outcome.unit)}".rstrip()
    if outcome.low <= 0 <= outcome.high:
        where = "it spans no change, so the change is inside the noise"
    else:
        side = "above" if outcome.low > 0 else "below"
        where = f"the whole band lies {side} no change, so the change is beyond the noise"
    return f"noise band {band} ({percent} interval of the step's effect): {where}"


def read_outcome(outcome: MetricOutcome) -> OutcomeReading:
    """The verdict with its label and tone, the plain change in better/worse words, and the noise band."""
    verdict = verdict_of(outcome)
    label, tone = LABELS[verdict]
    change = None
    if outcome.change is not None:
        verb = "did not change" if outcome.change == 0 else ("rose" if outcome.change > 0 else "fell")
        change = (
            f"{verb} from {format_value(outcome.before_value, outcome.unit)} to "
            f"{format_value(outcome.after_value, outcome.unit)}"
        )
        if (words := direction_words(outcome)) is not None:
            change += f": {words}"
    return OutcomeReading(verdict, label, tone, change, noise_words(outcome))


def short_change(outcome: MetricOutcome) -> str:
    """'better by 0.31 hand-offs per ticket' / 'no clear change' / 'too early to tell': for lists and the
    digest's one-liners."""
    verdict = verdict_of(outcome)
    if verdict in ("better", "worse") and outcome.estimate is not None:
        return f"{verdict} by {format_difference(outcome.estimate, outcome.unit)}"
    return LABELS[verdict][0].lower()


def _signed(value: float) -> str:
    return ("+" if value > 0 else "") + format_number(value, 2)


def _unit_words(unit: str) -> str:
    """The unit after a bare number: points on percentages and scores, else the unit itself."""
    words = format_difference(2.0, unit).removeprefix("2").strip()
    return "" if words.startswith(":") else words
