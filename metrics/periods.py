"""Which period a scorecard shows by default, and which baseline it is judged against.

Real exports are rarely a clean run of months: a few long-open tickets trail for months after the export's
bulk (a thin tail), the first and last months are partly covered, and the history may be shorter than two
periods. The rules, so that two people pick the same windows:

- **Volume.** Each calendar month's volume is the number of tickets resolved in it (tickets place a record
  in the period of their resolution); without any resolution time, tickets created; without tickets, the
  other activity times (survey answers, interruptions ended, sign-offs).
- **Typical month.** The volume of the month that holds the median record when months are ordered by volume
  (a volume-weighted median): where most of the data lies, unmoved by a long thin tail of near-empty months.
- **Representative month.** A month whose volume is at least `REPRESENTATIVE_SHARE` (20%) of the typical
  month's. A month is *full* when the data covers it from its first to its last day.
- **Default period.** The latest full representative month and the representative full months right before
  it, at most `DEFAULT_MONTHS` (3). With a short run of such months it is shortened so that a window of the
  same length fits before it as a baseline: 6 or more months give 3, 4-5 give 2, fewer give 1. When no full
  month is representative (a short export whose bulk lies in its last, partial month), the period is the
  latest representative month as far as the data reaches.
- **Baseline.** Given by the user (`given`); else the organisation's first full window of the period's
  length, starting at its first representative full month, when it ends before the period starts
  (`baseline`); else, with short history, a fallback (`fallback`): the earliest representative data before
  the period, for at most the period's length (shorter where the period starts sooner), or, when nothing
  before the period is representative, the window just before it from where the data starts. A status judged
  against a fallback baseline is provisional. Without any data before the period there is no baseline.
- **Plausible dates only.** Times outside the plausible window (metrics.plausible: "never" markers such as
  9999-12-31, typos such as 2999) never move the period or the baseline: the data's range is clipped to the
  window and months outside it are not counted (the store hides such times already; this holds for any
  caller).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from metrics.models import BaselineKind, Period, add_months
from metrics.plausible import DateWindow

#: A month holding at least this share of the typical month's volume is representative of the data.
REPRESENTATIVE_SHARE = 0.2
#: The default period's length, in months, when the history allows it.
DEFAULT_MONTHS = 3

TimeRange = tuple[datetime, datetime] | None


@dataclass(frozen=True)
class Volumes:
    """Records per calendar month (keyed by the month's first day) and what a record is, in words.

    `created_until` is the day after which no new ticket arrived (plus the allowance of `creation_allowance`):
    after it the data holds only updates of older tickets, so no later month is covered in full."""

    per_month: Mapping[date, int]
    unit: str
    created_until: date | None = None
    last_created: date | None = None


#: A month counts as covered while tickets keep arriving: up to the last ticket created plus this many times
#: the average days between two tickets (at least `MIN_CREATION_GAP_DAYS`), a quiet spell of a small desk.
CREATION_GAP_FACTOR = 5
MIN_CREATION_GAP_DAYS = 3


def creation_allowance(first: datetime, last: datetime, tickets: int) -> timedelta:
    """How long after the last ticket created the data still counts as covering the days."""
    average = (last - first) / max(tickets - 1, 1)
    return max(CREATION_GAP_FACTOR * average, timedelta(days=MIN_CREATION_GAP_DAYS))


@dataclass(frozen=True)
class Chosen:
    period: Period
    reason: str


@dataclass(frozen=True)
class ChosenBaseline:
    period: Period | None
    kind: BaselineKind | None
    reason: str


def _month(day: date) -> date:
    return date(day.year, day.month, 1)


def _months_between(first: date, last: date) -> list[date]:
    """Every month's first day from `first`'s month to `last`'s month, both included."""
    months, month = [], _month(first)
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


def data_reach(time_range: tuple[datetime, datetime]) -> tuple[date, date]:
    """The data's first day and the day after its last: `[first, reach)` is what it covers."""
    return time_range[0].date(), (time_range[1] + timedelta(days=1)).date()


def _full_months(time_range: tuple[datetime, datetime], until: date | None = None) -> list[date]:
    """Months the data covers from first to last day (and, with `until`, before that day)."""
    first, reach = data_reach(time_range)
    if until is not None:
        reach = min(reach, until)
    return [
        month for month in _months_between(first, reach) if month >= first and add_months(month, 1) <= reach
    ]


def typical_volume(per_month: Mapping[date, int]) -> int:
    """The volume of the month holding the median record, months ordered by volume (0 without records)."""
    volumes = sorted(volume for volume in per_month.values() if volume > 0)
    total, running = sum(volumes), 0
    for volume in volumes:
        running += volume
        if 2 * running >= total:
            return volume
    return 0


def representative_months(volumes: Volumes) -> tuple[set[date], int]:
    """The months holding a representative share of the data, and the typical month's volume."""
    typical = typical_volume(volumes.per_month)
    threshold = REPRESENTATIVE_SHARE * typical
    months = {month for month, volume in volumes.per_month.items() if typical and volume >= threshold}
    return months, typical


def _span(period: Period) -> str:
    months = period.month_count()
    if period.start.day == 1 and period.end.day == 1 and months > 0:
        return f"{months} month{'s' if months != 1 else ''}"
    return f"{period.days} day{'s' if period.days != 1 else ''}"


def _months_text(months: list[date]) -> str:
    if len(months) == 1:
        return f"{months[0]:%b %Y}"
    return f"the {len(months)} months {months[0]:%b %Y} to {months[-1]:%b %Y}"


def _count(volumes: Volumes, months: list[date]) -> int:
    return sum(volumes.per_month.get(month, 0) for month in months)


def plausible_only(time_range: TimeRange, volumes: Volumes, window: DateWindow) -> tuple[TimeRange, Volumes]:
    """The data's range clipped to `window` (None when nothing is left) and the volumes of its months."""
    months = {
        month: volume
        for month, volume in volumes.per_month.items()
        if _month(window.earliest) <= month <= window.latest
    }
    trimmed = Volumes(months, volumes.unit, volumes.created_until, volumes.last_created)
    if (
        volumes.created_until is not None
        and not window.start.date() <= volumes.created_until <= window.end.date()
    ):
        trimmed = Volumes(months, volumes.unit)
    if time_range is None:
        return None, trimmed
    first, last = max(time_range[0], window.start), min(time_range[1], window.end - timedelta(microseconds=1))
    return ((first, last) if first <= last else None), trimmed


def default_period(
    time_range: TimeRange, volumes: Volumes, today: date | None = None, window: DateWindow | None = None
) -> Chosen:
    """The default period by the rules above, and how it was chosen (in words, with the figures). `window`
    (default: 1990-01-01 to a year after `today`) bounds the dates that count."""
    time_range, volumes = plausible_only(time_range, volumes, window or DateWindow.default(today))
    if time_range is None:
        if today is None:
            raise ValueError("the data holds no activity; pass a period")
        period = Period.last_full_months(today)
        return Chosen(period, "The data holds no activity: the last three full months before today.")
    first, reach = data_reach(time_range)
    representative, typical = representative_months(volumes)
    full = _full_months(time_range, volumes.created_until)
    covered = min(reach, volumes.created_until) if volumes.created_until else reach
    if not typical:
        period = Period.last_full_months(reach)
        return Chosen(
            period,
            f"The data holds no {volumes.unit} to weigh months by: the last three full months it covers.",
        )
    threshold = REPRESENTATIVE_SHARE * typical
    rule = (
        f"a month is representative when it holds at least {REPRESENTATIVE_SHARE:.0%} of a typical month's "
        f"{volumes.unit} ({typical:,}, so at least {threshold:,.0f})"
    )
    candidates = [month for month in full if month in representative]
    if not candidates:
        latest = max(representative)
        period = Period(max(latest, first), min(add_months(latest, 1), reach))
        return Chosen(
            period,
            f"No full month of the data is representative ({rule}), so the period is the latest "
            f"representative month as far as the data reaches: {period} ({_count(volumes, [latest]):,} "
            f"{volumes.unit}).",
        )
    last = candidates[-1]
    run = [last]
    while add_months(run[0], -1) in candidates:
        run.insert(0, add_months(run[0], -1))
    months = DEFAULT_MONTHS if len(run) >= 2 * DEFAULT_MONTHS else max(1, len(run) // 2)
    chosen = run[-months:]
    period = Period(chosen[0], add_months(last, 1))
    parts = [
        f"The latest {_span(period)} of representative data ({rule}): {period}, "
        f"{_count(volumes, chosen):,} {volumes.unit}."
    ]
    later = [month for month in _months_between(last, reach)[1:] if month < reach]
    thin = [month for month in later if month not in representative]
    partial = [month for month in later if month in representative]
    if partial:
        parts.append(
            f"Left out: {_months_text(partial)}, only partly covered by the data "
            f"({_count(volumes, partial):,} {volumes.unit}"
            + (
                f"; no new ticket after {volumes.last_created:%d %b %Y}"
                if covered < reach and volumes.last_created is not None
                else ""
            )
            + ")."
        )
    if thin:
        parts.append(
            f"Left out: {_months_text(thin)}, thin ({_count(volumes, thin):,} {volumes.unit} in all, "
            "such as long-open stragglers)."
        )
    if months < DEFAULT_MONTHS:
        parts.append(
            f"The history holds {len(run)} representative full month{'s' if len(run) != 1 else ''} in a "
            f"row, so the period is shortened to {months} to leave room for a baseline before it."
        )
    return Chosen(period, " ".join(parts))


def _plus_length(start: date, period: Period) -> date:
    """The day a window as long as `period` ends when it starts on `start` (months for whole months)."""
    months = period.month_count()
    if period.start.day == 1 and period.end.day == 1 and months > 0:
        index = start.year * 12 + start.month - 1 + months
        return start.replace(year=index // 12, month=index % 12 + 1, day=min(start.day, 28))
    return start + timedelta(days=period.days)


def baseline_for(
    time_range: TimeRange,
    volumes: Volumes,
    period: Period,
    given: Period | None = None,
    window: DateWindow | None = None,
) -> ChosenBaseline:
    """The baseline the period is judged against, by the rules above, and how it was chosen."""
    if given is not None:
        return ChosenBaseline(given, "given", f"Given: {given}.")
    time_range, volumes = plausible_only(time_range, volumes, window or DateWindow.default())
    if time_range is None:
        return ChosenBaseline(None, None, "No data: no baseline.")
    first, _ = data_reach(time_range)
    representative, _ = representative_months(volumes)
    full = [month for month in _full_months(time_range) if month in representative or not representative]
    if full:
        start = full[0]
        standard = Period(start, _plus_length(start, period))
        if standard.end <= period.start:
            return ChosenBaseline(
                standard,
                "baseline",
                f"The organisation's first representative window of the period's length: {standard}.",
            )
    earlier = sorted(month for month in representative if month < period.start)
    if earlier:
        # The earliest representative data before the period, for at most the period's length.
        start = max(earlier[0], first)
        end = min(_plus_length(start, period), period.start)
        fallback = Period(start, end) if start < end else None
        where = "the earliest representative window before the period"
    else:
        # Nothing representative before the period: the window just before it, from where the data starts.
        start = max(first, period.shifted_back().start)
        fallback = Period(start, period.start) if start < period.start else None
        where = "the window just before the period"
    if fallback is not None:
        shorter = " (shorter than the period)" if fallback.days < period.shifted_back().days else ""
        return ChosenBaseline(
            fallback,
            "fallback",
            f"The history is too short for a full window of the period's length before it, so the baseline "
            f"is {where}{shorter}, a fallback: {fallback}; statuses judged against it are provisional.",
        )
    return ChosenBaseline(
        None,
        None,
        "The data holds nothing before the period: there is no baseline yet, so metrics without a sourced "
        "target cannot be judged.",
    )
