"""Benchmark: the full OCMF scorecard on 10k, 100k and 1M tickets (~10 events each) against plain pandas.

    .venv/bin/python benchmarks/scorecard.py                      # 10k and 100k
    .venv/bin/python benchmarks/scorecard.py --sizes 10000 100000 1000000

Each organisation is generated straight to Parquet by DuckDB SQL (deterministic hashes, no Python loop over
rows) into a cache folder. Each measurement runs in its own process, so its peak memory is that process's
peak resident set (ru_maxrss), which counts DuckDB's own allocations as well as Python's; the scorecard runs
three times and the fastest run is kept (the machine may be shared), with its CPU seconds. Printed as JSON:
sizes, seconds, peak memory, and the scorecard's time against two implementations of only seven of its
metrics (C6, B2, C1b, E4, C5, reopen rate, K3) over the same windows and files: hand-written DuckDB SQL (the
engine's floor) and vectorised pandas (no Python function per group, no crosstab). Both are checked against
the scorecard's figures, so the comparison is between implementations that agree. Pandas is left out above
--pandas-max-tickets (its tables of 100M events do not fit in memory).
Goals (issue 18, benchmarks/targets.json): the full scorecard within 1.3x of the DuckDB SQL at
1M tickets; 10M tickets / 100M events in under 90 s and 12 GB (spilling to disk allowed: --memory-gb caps
DuckDB's memory, as the setting ADVISOR_METRICS_MEMORY_BYTES does, and --spill-dir is where it spills; the
largest size of the spill folder is reported). Each goal is printed beside its measured figure.

    .venv/bin/python benchmarks/scorecard.py --sizes 10000000 --repeat 1 --memory-gb 8
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
START = "2024-11-01 00:00:00+00"
MONTHS = 24
PERIOD = ("2026-08-01", "2026-11-01")
TEAMS = ["Billing Desk", "Platform Support", "Onboarding", "Technical L2", "Customer Success"]
PRODUCTS = ["Ledger", "Payroll", "Insights", "Mobile"]
CHANNELS = ["email", "chat", "phone", "web", "community"]
#: The run and figure each goal of benchmarks/targets.json ("scorecard", issue 18 §5) is about.
GOAL_FIGURES: dict[str, tuple[int, str]] = {
    "scorecard_vs_duckdb_sql_1m": (1_000_000, "scorecard_vs_duckdb_sql"),
    "seconds_10m": (10_000_000, "seconds"),
    "peak_rss_mb_10m": (10_000_000, "peak_rss_mb"),
}


def _u(expression: str, salt: int) -> str:
    """A deterministic uniform number in [0, 1) from a hash: the same data on any number of threads."""
    return f"((hash({expression}, {salt}) % 1000003) / 1000003.0)"


def _pick(options: list[str], expression: str, salt: int) -> str:
    items = ", ".join(f"'{option}'" for option in options)
    return f"([{items}])[1 + (hash({expression}, {salt}) % {len(options)})::INTEGER]"


def generate(folder: Path, tickets: int) -> dict[str, int]:
    """Write a fictional organisation with `tickets` tickets as canonical Parquet files into `folder`."""
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    accounts = max(tickets // 50, 20)
    agents = max(min(tickets // 300, 600), 30)
    span = MONTHS * 30 * 86400
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")

    def write(name: str, sql: str) -> None:
        db.execute(f"COPY ({sql}) TO '{folder / name}.parquet' (FORMAT parquet)")

    agent = f"'E' || lpad((1 + hash(i, 31) % {agents})::VARCHAR, 4, '0')"
    write(
        "tickets",
        f"""
        SELECT 'T' || lpad(i::VARCHAR, 8, '0') AS id,
               'A' || lpad((1 + hash(i, 1) % {accounts})::VARCHAR, 6, '0') AS account_id,
               created AS created_at,
               CASE WHEN {_u("i", 2)} < 0.97 THEN created + to_seconds((60 + 400000 * {_u("i", 3)} ^ 2)::BIGINT)
               END AS resolved_at,
               NULL::TIMESTAMPTZ AS closed_at,
               {_pick(TEAMS, "i", 4)} AS team, {_pick(PRODUCTS, "i", 5)} AS product,
               {_pick(CHANNELS, "i", 6)} AS channel, 'normal' AS priority,
               CASE WHEN {_u("i", 7)} < 0.1 THEN 'I' || lpad((i // 3)::VARCHAR, 8, '0') END AS interruption_id
        FROM (SELECT range AS i, TIMESTAMPTZ '{START}' + to_seconds((i * {span} // {tickets})::BIGINT) AS created
              FROM range({tickets}))
        """,
    )
    kinds = (
        "CASE WHEN k < 0.22 THEN 'assigned' WHEN k < 0.52 THEN 'customer_message' WHEN k < 0.82 THEN "
        "'agent_message' WHEN k < 0.89 THEN 'article_linked' WHEN k < 0.91 THEN 'article_created' "
        "WHEN k < 0.92 THEN 'reopened' WHEN k < 0.96 THEN 'escalated' ELSE 'status' END"
    )
    write(
        "ticket_events",
        f"""
        SELECT ticket_id, "at", kind,
               CASE WHEN kind = 'assigned' THEN {_pick(TEAMS, "i * 16 + j", 11)} END AS team,
               CASE WHEN kind IN ('assigned', 'agent_message', 'article_linked', 'article_created')
                    THEN 'E' || lpad((1 + hash(i * 16 + j // 3, 12) % {agents})::VARCHAR, 4, '0') END AS agent_id,
               CASE WHEN kind IN ('article_linked', 'article_created')
                    THEN 'KB' || lpad((hash(i, j, 13) % {max(tickets // 100, 10)})::VARCHAR, 6, '0') END
                    AS article_id,
               CASE WHEN j = 0 THEN 'new' WHEN kind = 'status' AND j = n - 1 THEN 'resolved'
                    WHEN kind = 'status' THEN 'pending' END AS status
        FROM (
            SELECT t.id AS ticket_id, t.i, e.j, t.n,
                   t.created_at + to_seconds((epoch(coalesce(t.resolved_at, t.created_at + INTERVAL 2 DAY)
                                              - t.created_at) * e.j / (t.n - 1))::BIGINT) AS "at",
                   CASE WHEN e.j = 0 THEN 'status' WHEN e.j = t.n - 1 AND t.resolved_at IS NOT NULL THEN 'status'
                        ELSE (SELECT {kinds} FROM (SELECT {_u("t.i * 16 + e.j", 14)} AS k)) END AS kind
            FROM (SELECT *, CAST(substr(id, 2) AS BIGINT) AS i, 8 + (hash(id, 15) % 5)::INTEGER AS n
                  FROM read_parquet('{folder / "tickets.parquet"}')) t,
                 range(12) e(j)
            WHERE e.j < t.n
        )
        """,
    )
    write(
        "accounts",
        f"""
        SELECT 'A' || lpad(i::VARCHAR, 6, '0') AS id, {_pick(["enterprise", "mid-market", "smb"], "i", 21)} AS segment,
               CASE WHEN {_u("i", 22)} < 0.4 THEN signed - to_seconds((86400 * 30 * {_u("i", 23)})::BIGINT) END
                   AS first_value_before_sale_at,
               signed AS contract_signed_at,
               CASE WHEN {_u("i", 24)} < 0.95 THEN signed + to_seconds((86400 * 40 * {_u("i", 25)})::BIGINT) END
                   AS first_value_after_sale_at,
               (5 + hash(i, 26) % 200)::BIGINT AS licences
        FROM (SELECT range + 1 AS i, TIMESTAMPTZ '{START}' + to_seconds((range * {span} // {accounts})::BIGINT)
                  AS signed FROM range({accounts}))
        """,
    )
    write(
        "surveys",
        f"""
        SELECT 'S' || lpad(i::VARCHAR, 9, '0') AS id, kind,
               CASE WHEN kind IN ('engagement', 'esat') THEN agent ELSE 'A' || lpad((1 + hash(i, 32) % {accounts})::VARCHAR, 6, '0') END
                   AS respondent_id,
               CASE WHEN kind IN ('csat', 'ces') THEN 'T' || lpad((i * 4)::VARCHAR, 8, '0') END AS ticket_id,
               TIMESTAMPTZ '{START}' + to_seconds((i * 4 * {span} // {tickets})::BIGINT) AS "at",
               CASE kind WHEN 'nps' THEN hash(i, 33) % 11 WHEN 'csat' THEN 1 + hash(i, 33) % 5
                         WHEN 'ces' THEN 1 + hash(i, 33) % 7 ELSE 40 + hash(i, 33) % 61 END::DOUBLE AS score,
               CASE kind WHEN 'nps' THEN 10 WHEN 'csat' THEN 5 WHEN 'ces' THEN 7 ELSE 100 END::DOUBLE AS scale_max
        FROM (SELECT range AS i, {_pick(["nps", "csat", "csat", "ces", "engagement", "esat"], "range", 34)} AS kind,
                     {agent.replace("i,", "range,")} AS agent
              FROM range({tickets // 4}))
        """,
    )
    write(
        "employees",
        f"""
        SELECT 'E' || lpad(range::VARCHAR, 4, '0') AS id, {_pick(TEAMS, "range", 41)} AS team, 'agent' AS role,
               TIMESTAMPTZ '2023-01-01 00:00:00+00' + to_seconds((range * 86400 * 1000 // {agents})::BIGINT)
                   AS started_at
        FROM range(1, {agents + 1})
        """,
    )
    write(
        "competency",
        f"""
        SELECT id AS employee_id, 'support' AS skill, NULL::TIMESTAMPTZ AS exam_passed_at,
               started_at + to_seconds((86400 * (20 + 100 * {_u("id", 42)}))::BIGINT) AS peer_trust_at
        FROM read_parquet('{folder / "employees.parquet"}')
        """,
    )
    write(
        "self_service_sessions",
        f"""
        SELECT 'SS' || lpad(range::VARCHAR, 9, '0') AS id,
               'A' || lpad((1 + hash(range, 51) % {accounts})::VARCHAR, 6, '0') AS account_id,
               TIMESTAMPTZ '{START}' + to_seconds((range * {span} // {tickets})::BIGINT) AS "at",
               {_u("range", 52)} < 0.85 AS helpful,
               CASE WHEN {_u("range", 53)} < 0.2 THEN 'T' || lpad(range::VARCHAR, 8, '0') END AS ticket_id
        FROM range({tickets})
        """,
    )
    write(
        "articles",
        f"""
        SELECT 'KB' || lpad(range::VARCHAR, 6, '0') AS id, 'Article ' || range AS title, '' AS body,
               CASE WHEN {_u("range", 61)} < 0.7 THEN 'customer' ELSE 'internal' END AS audience,
               'published' AS state, {_pick(PRODUCTS, "range", 62)} AS product, known AS first_known_at,
               CASE WHEN {_u("range", 61)} < 0.7 THEN known + to_seconds((CASE WHEN {_u("range", 63)} < 0.8
                    THEN 0 ELSE 86400 * 5 * {_u("range", 64)} END)::BIGINT) END AS published_external_at
        FROM (SELECT range, TIMESTAMPTZ '{START}' + to_seconds((range * {span} // {max(tickets // 100, 10)})::BIGINT)
                  AS known FROM range({max(tickets // 100, 10)}))
        """,
    )
    write(
        "internal_requests",
        f"""
        SELECT 'R' || lpad(range::VARCHAR, 7, '0') AS id, {_pick(TEAMS, "range", 71)} AS from_team,
               {_pick(TEAMS, "range", 72)} AS to_team, opened AS opened_at,
               opened + to_seconds((3600 * 48 * {_u("range", 73)})::BIGINT) AS accepted_at, NULL::TIMESTAMPTZ AS resolved_at
        FROM (SELECT range, TIMESTAMPTZ '{START}' + to_seconds((range * {span} // {max(tickets // 50, 10)})::BIGINT)
                  AS opened FROM range({max(tickets // 50, 10)}))
        """,
    )
    write(
        "suggestions",
        f"""
        SELECT 'SG' || lpad(range::VARCHAR, 6, '0') AS id, 'employee' AS source,
               TIMESTAMPTZ '{START}' + to_seconds((range * {span} // {max(tickets // 200, 10)})::BIGINT) AS submitted_at,
               CASE WHEN {_u("range", 81)} < 0.4 THEN 'accepted' ELSE 'declined' END AS status, NULL::TIMESTAMPTZ AS decided_at
        FROM range({max(tickets // 200, 10)})
        """,
    )
    write(
        "revenue_events",
        f"""
        SELECT id AS account_id, contract_signed_at AS "at", 'new' AS kind, (licences * 300)::DOUBLE AS amount,
               'EUR' AS currency
        FROM read_parquet('{folder / "accounts.parquet"}')
        """,
    )
    write(
        "usage",
        f"""
        SELECT a.id AS account_id, strftime(TIMESTAMPTZ '{START}' + to_months(m.range::INTEGER), '%Y-%m') AS period,
               (a.licences * (0.4 + 0.6 * {_u("a.id, m.range", 91)}))::BIGINT AS active_users,
               f.feature, {_u("a.id, m.range, f.feature", 92)} < 0.6 AS adopted,
               {_u("a.id, m.range", 93)} < 0.85 AS health_check_passed
        FROM read_parquet('{folder / "accounts.parquet"}') a, range({MONTHS}) m,
             (VALUES ('Reports'), ('API')) f(feature)
        WHERE TIMESTAMPTZ '{START}' + to_months(m.range::INTEGER) >= a.contract_signed_at - INTERVAL 31 DAY
        """,
    )
    write(
        "initiatives",
        """
        SELECT 'IN0' || range AS id, 'Initiative ' || range AS name, 'knowledge' AS kind,
               TIMESTAMPTZ '2024-12-01 00:00:00+00' + to_months((range * 2)::INTEGER) AS started_at,
               'active' AS status, range % 4 <> 0 AS on_track
        FROM range(8)
        """,
    )
    counts = {
        path.stem: int(db.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0])  # type: ignore[index]
        for path in sorted(folder.glob("*.parquet"))
    }
    db.close()
    return counts


# -- the two implementations, each run in a fresh process ------------------------------------------------


def run_scorecard(folder: Path, memory_bytes: int | None, spill_dir: Path | None) -> dict[str, Any]:
    """The full scorecard: every metric, status, trend and category, as the CLI computes it."""
    sys.path.insert(0, str(ROOT))
    from metrics.models import Period
    from metrics.scorecard import compute_scorecard
    from metrics.store import open_store

    started = time.perf_counter()
    store = open_store(folder, memory_bytes=memory_bytes, spill_dir=spill_dir)
    opened = time.perf_counter()
    card = compute_scorecard(store, Period.parse("..".join(PERIOD)))
    finished = time.perf_counter()
    values = {metric.id: metric for metric in card.all_metrics()}
    return {
        "seconds": round(finished - started, 3),
        "open_seconds": round(opened - started, 3),
        "metrics": len(values),
        "metrics_with_data": sum(metric.value is not None for metric in values.values()),
        "trend_months": len(values["C6"].trend),
        "key_values": {
            "C6": values["C6"].details.get("median"),
            "C6_p80": values["C6"].details.get("p80"),
            "C5": values["C5"].details.get("median"),
            "C1r": values["C1r"].value,
            "K3": values["K3"].value,
            "B2": values["B2"].value,
            "C1b": values["C1b"].value,
            "E4": values["E4"].value,
        },
    }


def run_pandas(folder: Path, memory_bytes: int | None, spill_dir: Path | None) -> dict[str, Any]:
    """A vectorised pandas version of seven key metrics over the period and every month (no Python function
    per group, no crosstab: what a careful pandas user would write)."""
    import numpy as np
    import pandas as pd

    started = time.perf_counter()
    tickets = pd.read_parquet(
        folder / "tickets.parquet", columns=["id", "created_at", "resolved_at", "interruption_id"]
    )
    events = pd.read_parquet(
        folder / "ticket_events.parquet", columns=["ticket_id", "at", "kind", "team", "agent_id", "status"]
    )
    surveys = pd.read_parquet(folder / "surveys.parquet", columns=["kind", "at", "score", "scale_max"])
    employees = pd.read_parquet(folder / "employees.parquet", columns=["id", "started_at"])
    competency = pd.read_parquet(folder / "competency.parquet", columns=["employee_id", "peer_trust_at"])

    resolved_events = events[(events["kind"] == "status") & (events["status"].str.lower() == "resolved")]
    last_resolved = resolved_events.groupby("ticket_id")["at"].max()
    tickets["resolved"] = tickets["resolved_at"].fillna(tickets["id"].map(last_resolved))
    assigned = events[events["kind"] == "assigned"].sort_values(["ticket_id", "at"])
    previous = assigned.groupby("ticket_id")[["team", "agent_id"]].shift()
    first = assigned["ticket_id"].ne(assigned["ticket_id"].shift())
    changed = ~first & (assigned["team"].ne(previous["team"]) | assigned["agent_id"].ne(previous["agent_id"]))
    handoffs = changed.groupby(assigned["ticket_id"]).sum()
    # Vectorised: one grouped count per (ticket, kind), not crosstab's pivot machinery over every event.
    per_kind = events.groupby(["ticket_id", "kind"], sort=False).size().unstack(fill_value=0)
    facts = tickets.set_index("id")
    facts["handoffs"] = handoffs.reindex(facts.index, fill_value=0)
    kinds = per_kind.reindex(facts.index, fill_value=0)
    facts["interactions"] = kinds.get("customer_message", 0) + kinds.get("agent_message", 0)
    facts["reopened"] = (kinds.get("reopened", 0) > 0).astype(float)
    facts["linked"] = kinds.get("article_linked", 0)
    facts["created"] = kinds.get("article_created", 0)
    done = facts[facts["resolved"].notna()]

    groups = tickets.assign(
        key=tickets["interruption_id"].fillna(tickets["id"]), unresolved=tickets["resolved"].isna()
    )
    # Vectorised: built-in aggregations only (a Python lambda per group would run a million times).
    spans = groups.groupby("key").agg(
        start=("created_at", "min"), end=("resolved", "max"), open=("unresolved", "any")
    )
    spans = spans[~spans["open"]]
    spans["hours"] = (spans["end"] - spans["start"]).dt.total_seconds() / 3600

    csat = surveys[surveys["kind"] == "csat"].copy()
    csat["x"] = (1 + (csat["score"] - 1) * 4 / (csat["scale_max"] - 1) >= 4 - 1e-9).astype(float)
    trust = competency.dropna().groupby("employee_id")["peer_trust_at"].min().rename("at").reset_index()
    trust = trust.merge(employees, left_on="employee_id", right_on="id")
    trust["days"] = (trust["at"] - trust["started_at"]).dt.total_seconds() / 86400

    windows = {"period": (pd.Timestamp(PERIOD[0], tz="UTC"), pd.Timestamp(PERIOD[1], tz="UTC"))}
    for month in pd.date_range(START[:10], periods=MONTHS, freq="MS", tz="UTC"):
        windows[f"{month:%Y-%m}"] = (month, month + pd.offsets.MonthBegin(1))
    results: dict[str, dict[str, float | None]] = {}
    for name, (lo, hi) in windows.items():
        in_done = done[(done["resolved"] >= lo) & (done["resolved"] < hi)]
        in_spans = spans[(spans["end"] >= lo) & (spans["end"] < hi)]
        in_csat = csat[(csat["at"] >= lo) & (csat["at"] < hi)]
        in_trust = trust[(trust["at"] >= lo) & (trust["at"] < hi)]
        created = in_done["created"].sum()
        results[name] = {
            "C6": float(in_done["handoffs"].median()),
            "C6_p80": float(in_done["handoffs"].quantile(0.8)),
            "C5": float(in_done["interactions"].median()),
            "C1r": float(100 * in_done["reopened"].mean()),
            "K3": float(in_done["linked"].sum() / created) if created else None,
            "B2": float(in_spans["hours"].median()),
            "C1b": float(100 * in_csat["x"].mean()),
            "E4": float(in_trust["days"].median()) if len(in_trust) else None,
        }
    finished = time.perf_counter()
    period = {
        key: None if value is None or np.isnan(value) else round(value, 2)
        for key, value in results["period"].items()
    }
    return {"seconds": round(finished - started, 3), "windows": len(windows), "key_values": period}


def run_duckdb(folder: Path, memory_bytes: int | None, spill_dir: Path | None) -> dict[str, Any]:
    """Hand-written DuckDB SQL for the same seven metrics over the same windows and files: the engine's own
    speed, with none of the scorecard's generality (the floor the scorecard is measured against), under the
    same memory cap."""
    import duckdb

    started = time.perf_counter()
    db = duckdb.connect()
    db.execute("SET TimeZone = 'UTC'")
    if memory_bytes is not None:
        db.execute(f"SET memory_limit = '{memory_bytes // 2**20}MiB'")
    if spill_dir is not None:
        spill_dir.mkdir(parents=True, exist_ok=True)
        db.execute(f"SET temp_directory = '{spill_dir}'")
    for name in ("tickets", "ticket_events", "surveys", "employees", "competency"):
        db.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{folder / name}.parquet')")
    starts = [f"{2024 + (10 + month) // 12}-{(10 + month) % 12 + 1:02d}-01" for month in range(MONTHS + 1)]
    windows = [("period", PERIOD[0], PERIOD[1])] + [(lo[:7], lo, hi) for lo, hi in itertools.pairwise(starts)]
    db.execute(
        "CREATE TEMP TABLE win AS SELECT * FROM (VALUES "
        + ", ".join(f"('{name}', TIMESTAMPTZ '{lo}', TIMESTAMPTZ '{hi}')" for name, lo, hi in windows)
        + ") w(name, lo, hi)"
    )
    db.execute(
        """
        CREATE TEMP TABLE facts AS
        WITH per_ticket AS (
            SELECT ticket_id,
                   max("at") FILTER (WHERE kind = 'status' AND lower(status) = 'resolved') AS last_resolved,
                   count(*) FILTER (WHERE kind IN ('customer_message', 'agent_message')) AS interactions,
                   (count(*) FILTER (WHERE kind = 'reopened') > 0)::DOUBLE AS reopened,
                   count(*) FILTER (WHERE kind = 'article_linked') AS linked,
                   count(*) FILTER (WHERE kind = 'article_created') AS created
            FROM ticket_events GROUP BY ticket_id),
        assigned AS (
            SELECT ticket_id, team, agent_id,
                   lag(team) OVER w AS previous_team, lag(agent_id) OVER w AS previous_agent,
                   row_number() OVER w AS number
            FROM ticket_events WHERE kind = 'assigned' WINDOW w AS (PARTITION BY ticket_id ORDER BY "at")),
        hand_offs AS (
            SELECT ticket_id, count(*) FILTER (WHERE number > 1 AND (team <> previous_team
                   OR agent_id <> previous_agent)) AS hand_offs
            FROM assigned GROUP BY ticket_id)
        SELECT t.id, t.created_at, t.interruption_id, coalesce(t.resolved_at, p.last_resolved) AS resolved,
               coalesce(h.hand_offs, 0) AS hand_offs, coalesce(p.interactions, 0) AS interactions,
               coalesce(p.reopened, 0) AS reopened, coalesce(p.linked, 0) AS linked,
               coalesce(p.created, 0) AS created
        FROM tickets t LEFT JOIN per_ticket p ON p.ticket_id = t.id LEFT JOIN hand_offs h ON h.ticket_id = t.id
        """
    )
    rows = db.execute(
        """
        WITH done AS (
            SELECT win.name, median(hand_offs) AS c6, quantile_cont(hand_offs, 0.8) AS c6_p80,
                   median(interactions) AS c5, 100 * avg(reopened) AS c1r,
                   sum(linked) / nullif(sum(created), 0) AS k3
            FROM facts JOIN win ON resolved >= win.lo AND resolved < win.hi GROUP BY win.name),
        spans AS (
            SELECT epoch(max(resolved) - min(created_at)) / 3600 AS hours, max(resolved) AS ended
            FROM facts GROUP BY coalesce(interruption_id, id) HAVING count(*) = count(resolved)),
        b2 AS (SELECT win.name, median(hours) AS b2 FROM spans JOIN win ON ended >= win.lo AND ended < win.hi
               GROUP BY win.name),
        c1b AS (
            SELECT win.name, 100 * avg((1 + (score - 1) * 4 / (scale_max - 1) >= 4 - 1e-9)::DOUBLE) AS c1b
            FROM surveys JOIN win ON "at" >= win.lo AND "at" < win.hi WHERE kind = 'csat' GROUP BY win.name),
        trust AS (
            SELECT c.employee_id, min(c.peer_trust_at) AS "at" FROM competency c
            WHERE c.peer_trust_at IS NOT NULL GROUP BY c.employee_id),
        e4 AS (
            SELECT win.name, median(epoch(trust."at" - e.started_at) / 86400) AS e4
            FROM trust JOIN employees e ON e.id = trust.employee_id
            JOIN win ON trust."at" >= win.lo AND trust."at" < win.hi GROUP BY win.name)
        SELECT win.name, c6, c6_p80, c5, c1r, k3, b2, c1b, e4 FROM win
        LEFT JOIN done USING (name) LEFT JOIN b2 USING (name) LEFT JOIN c1b USING (name)
        LEFT JOIN e4 USING (name)
        """
    ).fetchall()
    finished = time.perf_counter()
    db.close()
    keys = ["C6", "C6_p80", "C5", "C1r", "K3", "B2", "C1b", "E4"]
    period = next(row for row in rows if row[0] == "period")
    values = {
        key: None if value is None else round(float(value), 2)
        for key, value in zip(keys, period[1:], strict=True)
    }
    return {"seconds": round(finished - started, 3), "windows": len(rows), "key_values": values}


class SpillWatch:
    """The largest size the spill folder reaches while a run lasts (DuckDB removes its files afterwards)."""

    def __init__(self, folder: Path | None) -> None:
        self.folder, self.peak_bytes = folder, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> SpillWatch:
        if self.folder is not None:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _watch(self) -> None:
        assert self.folder is not None
        while not self._stop.wait(0.2):
            size = 0
            for path in self.folder.rglob("*"):
                try:
                    size += path.stat().st_size
                except OSError:  # removed while we looked
                    continue
            self.peak_bytes = max(self.peak_bytes, size)


def child(kind: str, folder: Path, memory_bytes: int | None, spill_dir: Path | None) -> None:
    runners = {"scorecard": run_scorecard, "pandas": run_pandas, "duckdb": run_duckdb}
    with SpillWatch(spill_dir) as spill:
        result = runners[kind](folder, memory_bytes, spill_dir)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result["peak_rss_mb"] = round(usage.ru_maxrss / 1024, 1)
    # CPU time does not grow when other processes share the machine, unlike wall time.
    result["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 2)
    if spill_dir is not None:
        result["peak_spill_mb"] = round(spill.peak_bytes / 2**20, 1)
    sys.stdout.write(json.dumps(result) + "\n")


def measure(
    kind: str, folder: Path, repeat: int = 1, memory_bytes: int | None = None, spill_dir: Path | None = None
) -> dict[str, Any]:
    """The fastest of `repeat` fresh processes (the least disturbed by other work), with every timing."""
    results = []
    options = [] if memory_bytes is None else ["--memory-gb", str(memory_bytes / 1e9)]
    options += [] if spill_dir is None else ["--spill-dir", str(spill_dir)]
    for _ in range(repeat):
        output = subprocess.run(
            [sys.executable, __file__, "--child", kind, str(folder), *options],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        results.append(json.loads(output.strip().splitlines()[-1]))
    best: dict[str, Any] = min(results, key=lambda result: result["seconds"])
    best["seconds_each_run"] = [result["seconds"] for result in results]
    best["peak_rss_mb"] = max(result["peak_rss_mb"] for result in results)
    return best


def goal_checks(run: dict[str, Any]) -> list[dict[str, Any]]:
    """Each goal that applies to this run's size, beside its measured figure: goal, measured, met."""
    from targets import goal  # benchmarks/targets.py

    figures = {
        "scorecard_vs_duckdb_sql": run["scorecard_vs_duckdb_sql"],
        "seconds": run["scorecard"]["seconds"],
        "peak_rss_mb": run["scorecard"]["peak_rss_mb"],
    }
    return [
        {"name": name, **goal("scorecard", name).check(figures[figure])}
        for name, (tickets, figure) in GOAL_FIGURES.items()
        if run["tickets"] == tickets
    ]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "ocmf-bench")
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument(
        "--pandas-max-tickets", type=int, default=2_000_000, help="leave pandas out above this many tickets"
    )
    parser.add_argument("--repeat", type=int, default=3, help="scorecard runs per size (the fastest is kept)")
    parser.add_argument(
        "--memory-gb", type=float, help="cap DuckDB's memory (GB) for the scorecard and the hand-written SQL"
    )
    parser.add_argument("--spill-dir", type=Path, help="where DuckDB spills (default: under --cache)")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "FOLDER"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    memory_bytes = None if arguments.memory_gb is None else int(arguments.memory_gb * 1e9)
    if arguments.child:
        child(arguments.child[0], Path(arguments.child[1]), memory_bytes, arguments.spill_dir)
        return
    from targets import goals  # benchmarks/targets.py

    spill_dir = arguments.spill_dir or arguments.cache / "spill"
    runs = []
    for size in arguments.sizes:
        folder = arguments.cache / f"tickets-{size}"
        started = time.perf_counter()
        if not (folder / "initiatives.parquet").exists():
            counts = generate(folder, size)
            generated = round(time.perf_counter() - started, 2)
        else:
            counts, generated = generate_counts(folder), None
        scorecard = measure("scorecard", folder, arguments.repeat, memory_bytes, spill_dir)
        run: dict[str, Any] = {
            "tickets": counts["tickets"],
            "events": counts["ticket_events"],
            "rows": counts,
            "generate_seconds": generated,
            "memory_limit_gb": arguments.memory_gb,
            "scorecard": scorecard,
        }
        duckdb_sql = measure("duckdb", folder, arguments.repeat, memory_bytes, spill_dir)
        run["duckdb_sql_key_metrics"] = duckdb_sql
        # The ratio the goal is about: the whole scorecard (24 metrics, every window) against the
        # engine computing 7 of them by hand; CPU seconds too, as wall time suffers on a shared machine.
        run["scorecard_vs_duckdb_sql"] = round(scorecard["seconds"] / duckdb_sql["seconds"], 2)
        run["scorecard_vs_duckdb_sql_cpu"] = round(scorecard["cpu_seconds"] / duckdb_sql["cpu_seconds"], 2)
        run["values_agree_duckdb_sql"] = _agree(scorecard["key_values"], duckdb_sql["key_values"])
        if arguments.skip_pandas or size > arguments.pandas_max_tickets:
            run["pandas_key_metrics"] = "left out: --skip-pandas or more tickets than --pandas-max-tickets"
        else:
            pandas = measure("pandas", folder)
            run["pandas_key_metrics"] = pandas
            run["scorecard_vs_pandas"] = round(scorecard["seconds"] / pandas["seconds"], 2)
            run["scorecard_vs_pandas_cpu"] = round(scorecard["cpu_seconds"] / pandas["cpu_seconds"], 2)
            run["speedup_vs_pandas"] = round(pandas["seconds"] / scorecard["seconds"], 2)
            run["memory_ratio_pandas_vs_scorecard"] = round(
                pandas["peak_rss_mb"] / scorecard["peak_rss_mb"], 2
            )
            run["values_agree"] = _agree(scorecard["key_values"], pandas["key_values"])
        run["goals"] = goal_checks(run)
        runs.append(run)
    sys.stdout.write(
        json.dumps(
            {
                "benchmark": "scorecard",
                "cpu_count": os.cpu_count(),
                "period": "..".join(PERIOD),
                "goals": {
                    **goals("scorecard"),
                    "scorecard_vs_pandas": "reported, not a goal: pandas (vectorised) computes only 7 metrics",
                },
                "runs": runs,
            },
            indent=2,
        )
        + "\n"
    )


def generate_counts(folder: Path) -> dict[str, int]:
    import duckdb

    db = duckdb.connect()
    counts = {
        path.stem: int(db.execute(f"SELECT count(*) FROM read_parquet('{path}')").fetchone()[0])  # type: ignore[index]
        for path in sorted(folder.glob("*.parquet"))
    }
    db.close()
    return counts


def _agree(ours: dict[str, float | None], theirs: dict[str, float | None]) -> dict[str, bool]:
    def close(a: float | None, b: float | None) -> bool:
        return (a is None and b is None) or (
            a is not None and b is not None and abs(a - b) <= 0.01 + 1e-6 * abs(b)
        )

    return {key: close(ours.get(key), theirs.get(key)) for key in theirs}


if __name__ == "__main__":
    main()
