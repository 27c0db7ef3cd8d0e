"""Shapes of the demo that look like real exports: some tables missing, or only a short history.

A real organisation rarely hands over every table of the full demo. The shapes cut the generated
organisation the way real exports are cut, so that tests (and people trying the advisor) see what the
advice does on partial data:

- ``full``: every table over the whole window (the default; the output is unchanged).
- ``tickets_events``: only ``tickets`` and ``ticket_events``, as from a help-desk audit log.
- ``no_surveys``: everything but ``surveys`` (no CSAT, CES, NPS or employee pulses).
- ``ten_weeks``: every table, but only the last ten weeks of history (``HISTORY_DAYS``). The planted
  weaknesses start to worsen ``SHORT_RAMP_DAYS`` before the end instead of four months before it, so the
  first weeks of the window are the healthy reference and the weakness grows inside the window.
  Snapshot tables (employees, accounts, initiatives) are kept whole, as a roster export would be.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Literal, get_args

import pyarrow as pa
import pyarrow.compute as pc

Shape = Literal["full", "tickets_events", "ten_weeks", "no_surveys"]
SHAPES: tuple[str, ...] = get_args(Shape)

#: What each shape stands for, for the CLI's help and the docs.
SHAPE_DESCRIPTIONS: dict[str, str] = {
    "full": "every table over the whole window",
    "tickets_events": "only tickets and ticket_events, as a help-desk audit export",
    "ten_weeks": "every table, but only the last ten weeks of history",
    "no_surveys": "every table but surveys (no CSAT, CES, NPS or pulses)",
}

#: Days of history the `ten_weeks` shape keeps.
HISTORY_DAYS = 70
#: Days before the end at which planted weaknesses start to worsen in the `ten_weeks` shape.
SHORT_RAMP_DAYS = 42

_KEPT_TABLES: dict[str, frozenset[str] | None] = {
    "full": None,
    "tickets_events": frozenset({"tickets", "ticket_events"}),
    "ten_weeks": None,
    "no_surveys": None,
}
_DROPPED_TABLES: dict[str, frozenset[str]] = {"no_surveys": frozenset({"surveys"})}

#: The column that dates a row of each history table (rows before the cut are dropped).
_HISTORY_COLUMNS: dict[str, str] = {
    "tickets": "created_at",
    "surveys": "at",
    "self_service_sessions": "at",
    "revenue_events": "at",
    "articles": "first_known_at",
    "suggestions": "submitted_at",
    "internal_requests": "opened_at",
    "interruptions": "interrupted_at",
}
#: Tables whose rows belong to a ticket: a row whose ticket was cut goes with it.
_TICKET_CHILDREN: dict[str, str] = {
    "ticket_events": "ticket_id",
    "surveys": "ticket_id",
    "self_service_sessions": "ticket_id",
}


def check_shape(shape: str) -> Shape:
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}; choose one of {', '.join(SHAPES)}")
    return shape  # type: ignore[return-value]


def ramp_from(shape: Shape, end: dt.date) -> dt.date | None:
    """Where planted weaknesses start to worsen for `shape`, or None for the usual four months."""
    return end - dt.timedelta(days=SHORT_RAMP_DAYS) if shape == "ten_weeks" else None


def history_start(shape: Shape, end: dt.date) -> dt.date | None:
    """The first day of history `shape` keeps, or None when it keeps the whole window."""
    return end - dt.timedelta(days=HISTORY_DAYS) if shape == "ten_weeks" else None


def apply_shape(tables: Mapping[str, pa.Table], shape: Shape, end: dt.date) -> dict[str, pa.Table]:
    """The tables `shape` keeps, cut to its history."""
    kept = _KEPT_TABLES[shape]
    dropped = _DROPPED_TABLES.get(shape, frozenset())
    chosen = {
        name: table
        for name, table in tables.items()
        if (kept is None or name in kept) and name not in dropped
    }
    start = history_start(shape, end)
    return chosen if start is None else _cut_history(chosen, start)


def _cut_history(tables: dict[str, pa.Table], start: dt.date) -> dict[str, pa.Table]:
    cut = start.isoformat()
    result = {}
    for name, table in tables.items():
        column = _HISTORY_COLUMNS.get(name)
        if column is not None:
            # canonical times are ISO-8601 UTC text, so text order is time order; undated rows are kept
            at = table[column]
            table = table.filter(pc.or_kleene(pc.greater_equal(at, cut), pc.is_null(at)))
        if name == "competency":
            # a sign-off before the cut is history; one still waiting (or after the cut) is kept
            signed = table["peer_trust_at"]
            table = table.filter(pc.or_kleene(pc.greater_equal(signed, cut), pc.is_null(signed)))
        if name == "usage":
            table = table.filter(pc.greater_equal(table["period"], start.strftime("%Y-%m")))
        result[name] = table
    if "tickets" in result:
        ticket_ids = result["tickets"]["id"]
        for name, column in _TICKET_CHILDREN.items():
            if name in result:
                table = result[name]
                refs = table[column]
                belongs = pc.or_kleene(pc.is_null(refs), pc.is_in(refs, value_set=ticket_ids))
                result[name] = table.filter(belongs)
    return result
