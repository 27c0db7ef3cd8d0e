"""Jinja2 templates for composed answers (and, later, LLM prompts), named after the code that uses them."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined


@lru_cache(maxsize=1)
def environment() -> Environment:
    # Plain text (Markdown) output: the web layer escapes and sanitises when it renders it as HTML.
    env = Environment(  # noqa: S701
        loader=PackageLoader("prompts", ""),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["num"] = format_number
    env.filters["value"] = format_value
    return env


def format_number(value: float | int | None, digits: int = 1) -> str:
    """Numbers as people read them: at most `digits` decimals, no trailing zeros, thousands separated."""
    if value is None:
        return "n/a"
    if float(value).is_integer():
        return f"{int(value):,}"
    text = f"{value:,.{digits}f}"
    # only decimals lose their trailing zeros: 39.6 with no decimals is "40", not "4"
    return text.rstrip("0").rstrip(".") if "." in text else text


#: Units read as "72 / 100": scores on a closed scale, keyed by the unit the metric carries.
_SCALE_MAXIMA: dict[str, str] = {"points (0-100)": "100", "0-100": "100", "1-7": "7", "1-5": "5"}
#: Counts per ticket (hand-offs, interactions) read as "0.97 hand-offs per ticket".
_PER_TICKET_UNITS = frozenset({"hand-offs", "interactions"})
#: Units that lose their plural for exactly one ("1 hour", "1 hand-off per ticket").
_SINGULAR = {
    "hours": "hour", "days": "day", "minutes": "minute", "weeks": "week",
    "hand-offs": "hand-off", "interactions": "interaction",
}  # fmt: skip


def format_value(value: float | int | None, unit: str, digits: int = 2) -> str:
    """A metric's value with its unit as people write it: "72%", "72 / 100", "0.97 hand-offs per ticket",
    "+27 NPS", "5.6 : 1", "36.7 hours"; "n/a" when there is no value."""
    if value is None:
        return "n/a"
    number = format_number(value, digits)
    if unit == "%":
        return f"{number}%"
    if unit in _SCALE_MAXIMA:
        return f"{number} / {_SCALE_MAXIMA[unit]}"
    if unit == "NPS points":
        return f"{'+' if value > 0 else ''}{number} NPS"
    if unit == "ratio":
        return f"{number} : 1"
    if unit in _PER_TICKET_UNITS:
        unit = f"{unit} per ticket"
    head, _, rest = unit.partition(" ")
    if number.lstrip("+-") == "1" and head in _SINGULAR:  # as shown: "1 hour", also for 1.004
        unit = f"{_SINGULAR[head]} {rest}"
    return f"{number} {unit}".rstrip()


def format_difference(change: float, unit: str, digits: int = 2) -> str:
    """The size of a change as people write it: "6.4 points" on a percentage, a score scale or NPS (never
    "6.4 / 100"), else the value with its unit ("0.48 hand-offs per ticket", "7.6 hours")."""
    if unit == "%" or unit in _SCALE_MAXIMA or unit == "NPS points":
        return f"{format_number(abs(change), digits)} points"
    return format_value(abs(change), unit, digits)


def render(name: str, **context: Any) -> str:
    """Render `prompts/<name>.j2` with `context`."""
    return environment().get_template(f"{name}.j2").render(**context).strip()
