"""Periods named in a question ("Q3 2026", "last quarter", "between April and June", "since May",
"2026-04-01..2026-07-01"), as half-open ranges of days. Relative periods count from the end of the
organisation's data, not from the clock: "this quarter" is the quarter of the data's latest day."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from advisor.vocabulary import Vocabulary
from metrics.models import Period, add_months

MONTHS: dict[str, int] = {
    **{name.lower(): number for number, name in enumerate(calendar.month_name) if name},
    **{name.lower(): number for number, name in enumerate(calendar.month_abbr) if name},
    "sept": 9,
}
#: Month words that are also ordinary words: only read as months next to a year or after a preposition.
AMBIGUOUS_MONTHS = frozenset({"may", "mar", "march", "jun", "dec", "jan", "sep", "oct", "aug", "apr"})
PREPOSITIONS = frozenset(
    {"in", "since", "from", "between", "until", "till", "to", "of", "during", "and", "for"}
)
ISO_RANGE = re.compile(
    r"(?P<a>\d{4}-\d{2}-\d{2})\s*(?P<sep>\.\.|to|until|through|till|and|-|–)\s*(?P<b>\d{4}-\d{2}-\d{2})",
    re.IGNORECASE,
)
UNITS = {"month": 1, "months": 1, "quarter": 3, "quarters": 3, "year": 12, "years": 12}


@dataclass(frozen=True)
class FoundPeriod:
    """A period and where its words are in the normalised text."""

    period: Period
    start: int
    end: int
    #: It came from words such as "last quarter" (so "better than last quarter" compares with it).
    relative: bool = False


def iso_ranges(text: str) -> tuple[str, list[Period]]:
    """Explicit ISO ranges, replaced in `text` by `isoperiodN` markers. `A..B` excludes B (the project's
    convention); `A to B` and `between A and B` include it."""
    found: list[Period] = []

    def mark(match: re.Match[str]) -> str:
        start, end = date.fromisoformat(match["a"]), date.fromisoformat(match["b"])
        if match["sep"] != "..":
            end += timedelta(days=1)
        if end <= start:
            return match.group(0)
        found.append(Period(start, end))
        return f" isoperiod{len(found) - 1} "

    return ISO_RANGE.sub(mark, text), found


def find_periods(text: str, vocabulary: Vocabulary, iso: list[Period]) -> list[FoundPeriod]:
    """Every period named in normalised `text`, in order, without overlaps."""
    anchor = (vocabulary.data_end or date.today()) - timedelta(days=1)  # the data's latest day
    end_of_data = vocabulary.data_end or date.today()
    month_words = "|".join(sorted(MONTHS, key=len, reverse=True))
    quarter_words = "|".join(re.escape(word) for word in sorted(vocabulary.quarters, key=len, reverse=True))
    half_words = "|".join(re.escape(word) for word in sorted(vocabulary.halves, key=len, reverse=True))
    number_words = "|".join(re.escape(word) for word in vocabulary.numbers)
    this_words = "|".join(re.escape(word) for word in vocabulary.this_words)
    last_words = "|".join(re.escape(word) for word in vocabulary.last_words)
    year = r"(?:20\d\d|19\d\d)"
    found: list[FoundPeriod] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    def add(period: Period | None, match: re.Match[str], relative: bool = False) -> None:
        if period is not None and free(match.start(), match.end()):
            taken.append((match.start(), match.end()))
            found.append(FoundPeriod(period, match.start(), match.end(), relative))

    def month_start(word: str, year_text: str | None, before: date | None = None) -> date:
        month = MONTHS[word]
        if year_text:
            return date(int(year_text), month, 1)
        latest = before or anchor
        candidate = date(latest.year, month, 1)
        return candidate if candidate <= latest else date(latest.year - 1, month, 1)

    for match in re.finditer(r"\bisoperiod(\d+)\b", text):
        add(iso[int(match.group(1))], match)
    # "between April and June 2026", "from Q1 to Q2", "April to June"
    for match in re.finditer(
        rf"\b(?:between |from )?(?P<m1>{month_words})(?: (?P<y1>{year}))? (?:and|to|until|through|till) "
        rf"(?P<m2>{month_words})(?: (?P<y2>{year}))?\b",
        text,
    ):
        y2 = match["y2"]
        last = month_start(match["m2"], y2)
        y1 = match["y1"] or (str(last.year - 1) if MONTHS[match["m1"]] > last.month else str(last.year))
        first = month_start(match["m1"], y1)
        add(Period(first, add_months(last, 1)) if first <= last else None, match)
    # "since May", "since Q2 2026", "since 2025"
    for match in re.finditer(
        rf"\bsince (?:(?P<m>{month_words})(?: (?P<my>{year}))?|(?P<q>{quarter_words})(?: (?:of )?(?P<qy>{year}))?"
        rf"|(?P<y>{year}))\b",
        text,
    ):
        if match["m"]:
            start = month_start(match["m"], match["my"])
        elif match["q"]:
            start = _quarter(vocabulary.quarters[match["q"]], match["qy"], anchor).start
        else:
            start = date(int(match["y"]), 1, 1)
        add(Period(start, end_of_data) if start < end_of_data else None, match)
    # "Q3 2026", "the third quarter of 2026", "Q3"
    for match in re.finditer(rf"\b(?P<q>{quarter_words})(?: (?:of |in )?(?P<y>{year}))?\b", text):
        add(_quarter(vocabulary.quarters[match["q"]], match["y"], anchor), match)
    for match in re.finditer(rf"\b(?P<h>{half_words})(?: (?:of |in )?(?P<y>{year}))?\b", text):
        half = vocabulary.halves[match["h"]]
        start_year = int(match["y"]) if match["y"] else anchor.year
        start = date(start_year, 1 if half == 1 else 7, 1)
        if not match["y"] and start > anchor:
            start = date(start_year - 1, start.month, 1)
        add(Period(start, add_months(start, 6)), match)
    # "the last six months", "past 3 quarters", "last 30 days", "last 2 weeks"
    for match in re.finditer(
        rf"\b(?:{last_words}) (?P<n>\d+|{number_words}) (?P<unit>months?|quarters?|years?|weeks?|days?)\b",
        text,
    ):
        count = int(match["n"]) if match["n"].isdigit() else vocabulary.numbers[match["n"]]
        unit = match["unit"]
        if unit.startswith(("week", "day")):
            days = count * (7 if unit.startswith("week") else 1)
            add(Period(end_of_data - timedelta(days=days), end_of_data), match, relative=True)
        else:
            add(Period.last_full_months(end_of_data, count * UNITS[unit]), match, relative=True)
    # "this quarter", "last month", "previous year", "year to date"
    for match in re.finditer(
        rf"\b(?P<which>{this_words}|{last_words}) (?P<unit>week|month|quarter|year)\b", text
    ):
        which = 0 if match["which"] in vocabulary.this_words else -1
        add(_calendar_unit(match["unit"], anchor, which), match, relative=True)
    for match in re.finditer(r"\b(?P<unit>year|quarter|month) to date\b", text):
        current = _calendar_unit(match["unit"], anchor, 0)
        add(Period(current.start, end_of_data), match, relative=True)
    # "August 2026", "in August", "since"-less months
    for match in re.finditer(rf"\b(?P<pre>\w+ )?(?P<m>{month_words})(?: (?:of )?(?P<y>{year}))?\b", text):
        word = match["m"]
        pre = (match["pre"] or "").strip()
        if word in AMBIGUOUS_MONTHS and not match["y"] and pre not in PREPOSITIONS:
            continue
        start = month_start(word, match["y"])
        span_start = match.start("m")
        if free(span_start, match.end()):
            taken.append((span_start, match.end()))
            found.append(FoundPeriod(Period(start, add_months(start, 1)), span_start, match.end()))
    # "in 2026", "for 2025", "2026"
    for match in re.finditer(rf"\b(?P<y>{year})\b", text):
        start = date(int(match["y"]), 1, 1)
        add(Period(start, date(start.year + 1, 1, 1)), match)
    return sorted(found, key=lambda item: item.start)


def _quarter(number: int, year_text: str | None, anchor: date) -> Period:
    year = int(year_text) if year_text else anchor.year
    start = date(year, 3 * (number - 1) + 1, 1)
    if not year_text and start > anchor:
        start = date(year - 1, start.month, 1)
    return Period(start, add_months(start, 3))


def _calendar_unit(unit: str, anchor: date, offset: int) -> Period:
    """The week (from Monday), month, quarter or year holding `anchor` (offset 0) or the one before (-1)."""
    if unit == "week":
        start = anchor - timedelta(days=anchor.weekday()) + timedelta(weeks=offset)
        return Period(start, start + timedelta(weeks=1))
    if unit == "month":
        start = add_months(date(anchor.year, anchor.month, 1), offset)
        return Period(start, add_months(start, 1))
    if unit == "quarter":
        start = add_months(date(anchor.year, 3 * ((anchor.month - 1) // 3) + 1, 1), 3 * offset)
        return Period(start, add_months(start, 3))
    start = date(anchor.year + offset, 1, 1)
    return Period(start, date(start.year + 1, 1, 1))
