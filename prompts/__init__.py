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
    return env


def format_number(value: float | int | None, digits: int = 1) -> str:
    """Numbers as people read them: at most `digits` decimals, no trailing zeros, thousands separated."""
    if value is None:
        return "n/a"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.{digits}f}".rstrip("0").rstrip(".")


def render(name: str, **context: Any) -> str:
    """Render `prompts/<name>.j2` with `context`."""
    return environment().get_template(f"{name}.j2").render(**context).strip()
