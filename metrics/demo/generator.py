"""Generate the seeded demo organisation and write it as canonical CSV files."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import pyarrow as pa

from metrics.demo.accounts import accounts_table, build_accounts, revenue_table, usage_table
from metrics.demo.catalog import DEFAULT_WEAKNESSES, PLANTED_WEAKNESSES, SCALES, Size
from metrics.demo.events import build_events, events_table
from metrics.demo.feedback import self_service_table, surveys_table
from metrics.demo.knowledge import articles_table, build_library
from metrics.demo.organisation import initiatives_table, internal_requests_table, suggestions_table
from metrics.demo.output import write_csv
from metrics.demo.people import build_staff, competency_table, employee_pulses, employees_table
from metrics.demo.resolutions import ticket_texts
from metrics.demo.sampling import Scenario, add_months
from metrics.demo.tickets import build_tickets, tickets_table

MANIFEST_NAME = "demo_manifest.json"
#: Planted trends need four months to grow and a baseline before them.
MIN_MONTHS = 6
#: One random stream per part, split from the seed, so planting a weakness leaves unrelated tables alone.
_STREAMS = (
    "staff",
    "competency",
    "pulses",
    "accounts",
    "account_values",
    "usage",
    "revenue",
    "tickets",
    "events",
    "knowledge",
    "articles",
    "surveys",
    "self_service",
    "suggestions",
    "requests",
    "resolutions",  # last: a stream added at the end leaves the others' draws as they were
)


@dataclass(frozen=True)
class DemoManifest:
    """What was generated: the arguments that reproduce it and the rows per table."""

    seed: int
    size: str
    start: dt.date
    end: dt.date
    weaknesses: tuple[str, ...]
    counts: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "size": self.size,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "weaknesses": list(self.weaknesses),
            "counts": self.counts,
        }


def _scenario(end: dt.date, size: str, weaknesses: Sequence[str] | None, months: int) -> Scenario:
    if isinstance(end, dt.datetime) or not isinstance(end, dt.date) or end.day != 1:
        raise ValueError(f"end must be the first day of a month (a date), not {end!r}")
    if size not in SCALES:
        raise ValueError(f"unknown size {size!r}; choose one of {', '.join(get_args(Size))}")
    if months < MIN_MONTHS:
        raise ValueError(f"months must be at least {MIN_MONTHS}, not {months}")
    if isinstance(weaknesses, str):
        raise ValueError(f"weaknesses must be a sequence of names, not the string {weaknesses!r}")
    chosen = DEFAULT_WEAKNESSES if weaknesses is None else tuple(weaknesses)
    unknown = [name for name in chosen if name not in PLANTED_WEAKNESSES]
    if unknown:
        valid = ", ".join(PLANTED_WEAKNESSES)
        raise ValueError(f"unknown weakness {', '.join(map(repr, unknown))}; valid weaknesses: {valid}")
    return Scenario(
        start_date=add_months(end, -months),
        end_date=end,
        months=months,
        scale=SCALES[size],
        weaknesses=frozenset(chosen),
    )


def _build_tables(scenario: Scenario, seed: int) -> dict[str, pa.Table]:
    rng = dict(zip(_STREAMS, np.random.default_rng(seed).spawn(len(_STREAMS)), strict=True))
    staff = build_staff(rng["staff"], scenario)
    book = build_accounts(rng["accounts"], scenario)
    tickets = build_tickets(rng["tickets"], scenario, book)
    log = build_events(rng["events"], scenario, tickets, staff)
    library, article = build_library(rng["knowledge"], scenario, tickets, log)
    pulses = employee_pulses(rng["pulses"], scenario, staff)
    texts = ticket_texts(rng["resolutions"], scenario, tickets)
    return {
        "tickets": tickets_table(scenario, tickets, book, texts.subject, texts.resolution),
        "ticket_events": events_table(log, tickets, staff, article, library.count),
        "accounts": accounts_table(rng["account_values"], scenario, book),
        "surveys": surveys_table(rng["surveys"], scenario, tickets, book, staff, pulses),
        "employees": employees_table(scenario, staff),
        "competency": competency_table(rng["competency"], scenario, staff),
        "articles": articles_table(rng["articles"], scenario, library),
        "usage": usage_table(rng["usage"], scenario, book),
        "revenue_events": revenue_table(rng["revenue"], scenario, book),
        "suggestions": suggestions_table(rng["suggestions"], scenario),
        "internal_requests": internal_requests_table(rng["requests"], scenario),
        "initiatives": initiatives_table(scenario),
        "self_service_sessions": self_service_table(rng["self_service"], scenario, tickets, book),
    }


def generate_demo(
    out_dir: Path,
    *,
    end: dt.date,
    seed: int = 42,
    size: Literal["small", "medium", "large"] = "medium",
    weaknesses: Sequence[str] | None = None,
    months: int = 24,
) -> DemoManifest:
    """Write the demo organisation's tables as `<table>.csv` plus `demo_manifest.json` into `out_dir`.

    The data covers the `months` full months before `end` (exclusive, the first day of a month). The same
    arguments give byte-identical files; no clock is read. `weaknesses=None` plants `DEFAULT_WEAKNESSES`.
    """
    scenario = _scenario(end, size, weaknesses, months)
    tables = _build_tables(scenario, seed)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        write_csv(out_dir, name, table)
    manifest = DemoManifest(
        seed=seed,
        size=size,
        start=scenario.start_date,
        end=scenario.end_date,
        weaknesses=tuple(name for name in PLANTED_WEAKNESSES if name in scenario.weaknesses),
        counts={name: table.num_rows for name, table in tables.items()},
    )
    (out_dir / MANIFEST_NAME).write_text(json.dumps(manifest.to_json(), indent=2) + "\n", encoding="utf-8")
    return manifest
