"""The window of plausible dates: support data outside it is a placeholder or a typo, never a real time.

Exports often write "never" as 9999-12-31 or 0001-01-01, and a mistyped year (2999, 0202) is as common. Such
a time breaks more than its own row: a month loop from year 1, a default period in year 2999, a timestamp
Python cannot hold. Imports reject (or, in optional columns, empty) times outside the window; the store hides
ones that an older import let through.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

#: The earliest plausible date by default: help desks kept no exportable tickets before it.
DEFAULT_EARLIEST = date(1990, 1, 1)
#: Dates at or beyond these ends are "never" markers (9999-12-31, 0001-01-01), named as such in messages.
_NEVER_BEFORE = datetime(2, 1, 1, tzinfo=UTC)
_NEVER_FROM = datetime(9999, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class DateWindow:
    """Plausible dates, both days included (times are compared in UTC)."""

    earliest: date
    latest: date

    def __post_init__(self) -> None:
        if self.latest < self.earliest:
            raise ValueError(
                f"the latest plausible date {self.latest} is before the earliest {self.earliest}"
            )

    @classmethod
    def default(cls, today: date | None = None, earliest: date | None = None) -> DateWindow:
        """From `earliest` (1990-01-01) to one year after `today` (the day the window is made)."""
        today = today or datetime.now(UTC).date()
        try:
            latest = today.replace(year=today.year + 1)
        except ValueError:  # 29 February
            latest = today + timedelta(days=365)
        return cls(earliest or DEFAULT_EARLIEST, latest)

    @property
    def start(self) -> datetime:
        return datetime(self.earliest.year, self.earliest.month, self.earliest.day, tzinfo=UTC)

    @property
    def end(self) -> datetime:
        """The first moment after the window."""
        return datetime(self.latest.year, self.latest.month, self.latest.day, tzinfo=UTC) + timedelta(days=1)

    def __str__(self) -> str:
        return f"{self.earliest.isoformat()} to {self.latest.isoformat()}"

    def contains(self, moment: datetime) -> bool:
        aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        return self.start <= aware < self.end

    def outside_sql(self, value: str) -> str:
        """SQL (DuckDB) true when the TIMESTAMPTZ `value` is not null and outside the window."""
        return f"({value} IS NOT NULL AND NOT ({value} >= {_sql(self.start)} AND {value} < {_sql(self.end)}))"

    def reason_sql(self, value: str, raw: str) -> str:
        """SQL text saying why the time `value` (source text `raw`) is refused: a never marker or implausible."""
        raw_text = f"'''' || {raw} || ''''"
        return (
            f"CASE WHEN {value} < {_sql(_NEVER_BEFORE)} OR {value} >= {_sql(_NEVER_FROM)} "
            f"THEN {raw_text} || ' is a ''never'' marker, not a date (plausible dates: {self})' "
            f"ELSE {raw_text} || ' is outside the plausible dates {self} (setting import date window)' END"
        )

    def inside_sql(self, value: str) -> str:
        """SQL keeping a TIMESTAMPTZ `value` inside the window and turning one outside it into NULL."""
        return f"CASE WHEN {value} >= {_sql(self.start)} AND {value} < {_sql(self.end)} THEN {value} END"


def _sql(moment: datetime) -> str:
    return f"TIMESTAMPTZ '{moment.year:04d}-{moment.month:02d}-{moment.day:02d} {moment:%H:%M:%S}+00'"
