"""The `advisor` Typer app and what its command modules share: settings overrides, errors, output."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from advisor.errors import AdvisorError
from advisor.settings import Settings, get_settings
from knowledge.errors import KnowledgeError
from metrics.errors import MetricsError
from metrics.models import Period

if TYPE_CHECKING:  # the Advisor pulls in Chroma, DuckDB and the models: only commands that use it load it
    from advisor.service import Advisor

app = typer.Typer(
    help="OCMF advisor: scorecard, next steps and shared knowledge for support leaders.", no_args_is_help=True
)
console = Console()
errors = Console(stderr=True)

#: The period and baseline options every command that judges metrics takes.
PeriodOption = Annotated[
    str | None,
    typer.Option(help="START..END, END excluded (default: the latest full months of representative data)"),
]
BaselineOption = Annotated[
    str | None,
    typer.Option(help="START..END to judge against (default: the first window of the period's length)"),
]


@contextmanager
def clean_errors() -> Iterator[None]:
    """Domain errors become one readable line and exit code 2, not a traceback."""
    try:
        yield
    except (MetricsError, KnowledgeError, AdvisorError, ValueError) as error:
        errors.print(f"[red]error:[/red] {error}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def settings_with(**overrides: Any) -> Settings:
    """The process settings with the command's options laid over them (None means 'not given')."""
    values = {key: value for key, value in overrides.items() if value is not None}
    return get_settings().model_copy(update=values)


def advisor_with(**overrides: Any) -> Advisor:
    from advisor.composition import build_advisor

    return build_advisor(settings_with(**overrides))


def parse_period(text: str | None) -> Period | None:
    return Period.parse(text) if text else None


def print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, default=str, ensure_ascii=False) + "\n")
