"""Generate the seeded demo organisation and write it as canonical CSV files."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np
import pyarrow as pa

from metrics.demo.accounts import accounts_table, build_accounts, revenue_table, usage_table
from metrics.demo.catalog import (
    DEFAULT_WEAKNESSES,
    PLANT_DIMENSIONS,
    PLANTABLE_IN,
    PLANTED_WEAKNESSES,
    SCALES,
    VOLUME,
    VOLUME_DIMENSIONS,
    Size,
)
from metrics.demo.events import build_events, events_table
from metrics.demo.feedback import self_service_table, surveys_table
from metrics.demo.intervention import Intervention
from metrics.demo.knowledge import articles_table, build_library
from metrics.demo.organisation import initiatives_table, internal_requests_table, suggestions_table
from metrics.demo.output import write_csv
from metrics.demo.people import build_staff, competency_table, employee_pulses, employees_table
from metrics.demo.resolutions import ticket_texts
from metrics.demo.sampling import Scenario, add_months
from metrics.demo.shapes import Shape, apply_shape, check_shape, history_start, ramp_from
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
    shape: str = "full"
    plant_in: dict[str, tuple[str, str]] = field(default_factory=dict)
    intervention: Intervention | None = None

    def to_json(self) -> dict[str, Any]:
        shaped: dict[str, Any] = {} if self.shape == "full" else {"shape": self.shape}
        if self.plant_in:
            shaped["plant_in"] = {name: list(place) for name, place in self.plant_in.items()}
        if self.intervention is not None:
            shaped["intervention"] = self.intervention.to_json()
        return {
            "seed": self.seed,
            "size": self.size,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "weaknesses": list(self.weaknesses),
            "counts": self.counts,
            **shaped,
        }


def _scenario(
    end: dt.date,
    size: str,
    weaknesses: Sequence[str] | None,
    months: int,
    shape: Shape = "full",
    plant_in: Mapping[str, tuple[str, str]] | None = None,
    intervention: Intervention | None = None,
) -> Scenario:
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
    places = _plant_places(plant_in or {})
    return Scenario(
        start_date=add_months(end, -months),
        end_date=end,
        months=months,
        scale=SCALES[size],
        weaknesses=frozenset(chosen) | {name for name in places if name != VOLUME},
        ramp_from=ramp_from(shape, end),
        plant_in=places,
        intervention=intervention,
    )


def _plant_places(plant_in: Mapping[str, tuple[str, str]]) -> dict[str, tuple[str, int]]:
    """Check `plant_in` (weakness or `volume` -> (dimension, group name)) and code each group."""
    places = {}
    for name, (dimension, group) in plant_in.items():
        if name != VOLUME and name not in PLANTABLE_IN:
            valid = ", ".join([*PLANTABLE_IN, VOLUME])
            raise ValueError(f"{name!r} cannot be planted in one group; these can: {valid}")
        dimensions = VOLUME_DIMENSIONS if name == VOLUME else tuple(PLANT_DIMENSIONS)
        if dimension not in dimensions:
            raise ValueError(
                f"{name!r} cannot be planted by {dimension!r}; choose one of {', '.join(dimensions)}"
            )
        names = PLANT_DIMENSIONS[dimension]
        if group not in names:
            raise ValueError(f"the demo has no {dimension} {group!r}; its {dimension}s: {', '.join(names)}")
        places[name] = (dimension, names.index(group))
    return places


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
    shape: Shape = "full",
    plant_in: Mapping[str, tuple[str, str]] | None = None,
    intervention: Intervention | None = None,
) -> DemoManifest:
    """Write the demo organisation's tables as `<table>.csv` plus `demo_manifest.json` into `out_dir`.

    The data covers the `months` full months before `end` (exclusive, the first day of a month). The same
    arguments give byte-identical files; no clock is read. `weaknesses=None` plants `DEFAULT_WEAKNESSES`.
    `shape` cuts the organisation the way real exports are cut (`metrics.demo.shapes`): "full" (every
    table), "tickets_events", "ten_weeks" (the last ten weeks, the weaknesses growing inside them) or
    "no_surveys".
    `plant_in` puts a weakness in one group instead of its default place, `{"handoffs": ("team",
    "Platform Support")}` (handoffs, csat, knowledge_reuse; by team, product, channel, priority or
    segment), and `{"volume": ("team", "Technical L2")}` makes a group take a growing share of the tickets
    without getting worse (a pure mix change). A weakness placed this way is planted.
    `intervention` plants a step with a known effect on one group's hand-offs and a seasonal drift shared by
    every group (`metrics.demo.intervention`); without it nothing changes (no extra random draws).
    """
    shape = check_shape(shape)
    scenario = _scenario(end, size, weaknesses, months, shape, plant_in, intervention)
    tables = apply_shape(_build_tables(scenario, seed), shape, scenario.end_date)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        write_csv(out_dir, name, table)
    manifest = DemoManifest(
        seed=seed,
        size=size,
        start=history_start(shape, scenario.end_date) or scenario.start_date,
        end=scenario.end_date,
        weaknesses=tuple(name for name in PLANTED_WEAKNESSES if name in scenario.weaknesses),
        counts={name: table.num_rows for name, table in tables.items()},
        shape=shape,
        plant_in={name: (place[0], place[1]) for name, place in (plant_in or {}).items()},
        intervention=intervention,
    )
    (out_dir / MANIFEST_NAME).write_text(json.dumps(manifest.to_json(), indent=2) + "\n", encoding="utf-8")
    return manifest
