"""Load test: N concurrent signed-in clients over chat, scorecard, search, pages and /healthz; prints JSON.

Run: .venv/bin/python benchmarks/load.py [--clients 50] [--duration 180] [--think 0.5] [--url URL --user NAME
     --password-stdin] [--size small] [--work DIR] [--out FILE]

Without --url it starts its own server the way an organisation would: `advisor demo-data` (small by default)
and `advisor index` in DIR (both kept between runs), a user made with `advisor create-user`, then `advisor
serve` (one process, no LLM) on a free loopback port, timed to liveness (/healthz/live) and to readiness
(/healthz). Each client signs in through the login form (the measured time starts once all have), then loops
until the time is up: it picks a request
(chat questions of every kind, the scorecard API, search, the pages), waits for the answer, and thinks for
an exponential pause of mean --think seconds. A prober asks /healthz twice a second, as a load balancer
would. Only loopback addresses are accepted, and clients and duration are bounded.

Reported per endpoint: requests, errors (status >= 400, timeouts, dropped connections) with samples,
p50/p95/p99 in ms, and throughput; the goals of issue 15 beside them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

MAX_CLIENTS = 200
MAX_DURATION_S = 600
REQUEST_TIMEOUT_S = 30.0
SIGN_IN_TIMEOUT_S = 300.0
GOALS = {
    "clients": 50,
    "duration_s": 180,
    "errors": 0,
    "chat_p95_ms": 1000,
    "healthz_p99_ms": 200,
    "processes": 1,
}
#: Questions of every kind the chat answers without an LLM (intents of advisor.understanding).
QUESTIONS = [
    "What should we improve next?",
    "Why are hand-offs high?",
    "Which team has the most hand-offs?",
    "How has CSAT moved over the last six months?",
    "Compare this quarter with last quarter",
    "What's our first contact resolution?",
    "What is Time to Smile?",
    "What worked for us before on hand-offs?",
    "How do I reconnect a bank feed that stopped importing?",
    "Show the status of our recommendations",
    "How do we reduce reopened tickets?",
    "What is our CSAT for the Payroll product?",
]
SEARCHES = [
    "reopened tickets",
    "customers wait too long for a first reply",
    "knowledge sharing between teams",
    "password reset",
    "escalation hand-offs",
    "onboarding new agents",
    "invoice export fails",
]
PAGES = ["/", "/scorecard", "/knowledge?q=reopened+tickets", "/recommendations", "/scorecard/metrics/C6"]
#: (endpoint name, weight): how often a client picks each.
MIX = [("chat", 30), ("scorecard_api", 10), ("search_api", 20), ("page", 30), ("healthz", 10)]


@dataclass
class Results:
    timings: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    def record(self, endpoint: str, seconds: float, error: str | None) -> None:
        self.timings[endpoint].append(seconds)
        if error is not None:
            self.errors[endpoint].append(error)


async def _one(results: Results, endpoint: str, call: Any) -> None:
    started = time.perf_counter()
    error: str | None = None
    try:
        response: httpx.Response = await call
        if response.status_code >= 400:
            error = f"{response.status_code} {response.text[:160]}"
    except httpx.HTTPError as failure:
        error = f"{type(failure).__name__}: {failure}"
    results.record(endpoint, time.perf_counter() - started, error)


async def sign_in(client: httpx.AsyncClient, username: str, password: str) -> None:
    """Through the login form, as a browser does; API calls then send the CSRF header like the pages."""
    page = await client.get("/login")
    found = re.search(r'name="csrftoken" value="([^"]+)"', page.text)
    if found is None:  # local single-user mode: nobody signs in
        return
    form = {"csrftoken": found.group(1), "username": username, "password": password, "next": "/"}
    response = await client.post("/login", data=form, timeout=SIGN_IN_TIMEOUT_S)
    # Every client signs in as the same user at once: the throttle lets 5 attempts of one username be checked
    # at a time (web/throttle.py, shared by every worker), so the others try again shortly, as a person would.
    # Sign-ins come before the measured window (run_load), so their waits count in no figure.
    deadline = time.monotonic() + SIGN_IN_TIMEOUT_S
    while response.status_code == 429 and time.monotonic() < deadline:
        await asyncio.sleep(random.uniform(0.2, 1.0))
        response = await client.post("/login", data=form, timeout=SIGN_IN_TIMEOUT_S)
    if response.status_code != 303:
        raise RuntimeError(f"sign-in as {username!r} failed: {response.status_code}")
    client.headers["x-csrftoken"] = client.cookies["csrftoken"]


async def client_loop(
    url: str, username: str, password: str, window: Window, think: float, results: Results, seed: int
) -> None:
    chooser = random.Random(seed)
    names, weights = zip(*MIX, strict=True)
    async with httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT_S) as client:
        await sign_in(client, username, password)
        until = await window.opened()
        while time.monotonic() < until:
            endpoint = chooser.choices(names, weights)[0]
            if endpoint == "chat":
                call = client.post("/api/chat", json={"message": chooser.choice(QUESTIONS)})
            elif endpoint == "scorecard_api":
                call = client.get("/api/scorecard")
            elif endpoint == "search_api":
                call = client.get("/api/search", params={"q": chooser.choice(SEARCHES)})
            elif endpoint == "page":
                call = client.get(chooser.choice(PAGES))
            else:
                call = client.get("/healthz")
            await _one(results, endpoint, call)
            if think > 0:
                await asyncio.sleep(min(chooser.expovariate(1 / think), 10 * think))


class Window:
    """The measured time: it opens once every client has signed in, and lasts `duration` seconds."""

    def __init__(self, parties: int, duration: float) -> None:
        self._barrier = asyncio.Barrier(parties)
        self.duration = duration
        self.start: float | None = None

    async def opened(self) -> float:
        """Wait for the others; the moment the window closes."""
        await self._barrier.wait()
        if self.start is None:
            self.start = time.monotonic()
        return self.start + self.duration


async def prober(url: str, window: Window, results: Results) -> None:
    """A load balancer's health check, twice a second."""
    async with httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT_S) as client:
        until = await window.opened()
        while time.monotonic() < until:
            await _one(results, "healthz_probe", client.get("/healthz"))
            await asyncio.sleep(0.5)


def percentile(ordered: list[float], share: float) -> float:
    """Nearest-rank percentile of sorted values."""
    rank = max(1, round(share * len(ordered) + 0.5 - 1e-9))
    return ordered[min(rank, len(ordered)) - 1]


def summarise(results: Results, elapsed: float) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for endpoint in sorted(results.timings):
        ordered = sorted(results.timings[endpoint])
        errors = results.errors.get(endpoint, [])
        table[endpoint] = {
            "requests": len(ordered),
            "errors": len(errors),
            "error_samples": sorted(set(errors))[:5],
            "p50_ms": round(percentile(ordered, 0.50) * 1000, 1),
            "p95_ms": round(percentile(ordered, 0.95) * 1000, 1),
            "p99_ms": round(percentile(ordered, 0.99) * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1),
            "per_s": round(len(ordered) / elapsed, 2),
        }
    return table


def run_load(
    url: str,
    *,
    clients: int,
    duration: float,
    username: str,
    password: str,
    think: float = 0.5,
    seed: int = 1,
) -> dict[str, Any]:
    """Run the clients against `url` for `duration` seconds; the per-endpoint table and the totals."""
    check_bounds(url, clients, duration)
    results = Results()

    window = Window(clients + 1, duration)

    async def everything() -> None:
        loops = [
            client_loop(url, username, password, window, think, results, seed + n) for n in range(clients)
        ]
        await asyncio.gather(prober(url, window, results), *loops)

    started = time.monotonic()
    asyncio.run(everything())
    elapsed = time.monotonic() - (window.start or started)
    table = summarise(results, elapsed)
    health = sorted(results.timings["healthz"] + results.timings["healthz_probe"])
    total_errors = sum(row["errors"] for row in table.values())
    chat_p95 = table.get("chat", {}).get("p95_ms")
    health_p99 = round(percentile(health, 0.99) * 1000, 1) if health else None
    return {
        "clients": clients,
        "duration_s": round(elapsed, 1),
        "think_s": think,
        "requests": sum(row["requests"] for row in table.values()),
        "errors": total_errors,
        "endpoints": table,
        "goals": {
            "errors": {"goal": 0, "measured": total_errors, "met": total_errors == 0},
            "chat_p95_ms": {
                "goal": GOALS["chat_p95_ms"],
                "measured": chat_p95,
                "met": (chat_p95 or 0) < 1000,
            },
            "healthz_p99_ms": {
                "goal": GOALS["healthz_p99_ms"],
                "measured": health_p99,
                "met": (health_p99 or 0) < 200,
            },
            "clients_x_duration": {
                "goal": f"{GOALS['clients']} x {GOALS['duration_s']} s",
                "measured": f"{clients} x {round(elapsed)} s",
                "met": clients >= GOALS["clients"] and elapsed >= GOALS["duration_s"],
            },
        },
    }


def check_bounds(url: str, clients: int, duration: float) -> None:
    host = urlsplit(url).hostname or ""
    if host not in {"127.0.0.1", "localhost", "::1"}:
        raise SystemExit(f"refusing to load {host!r}: this benchmark targets loopback servers only")
    if not 1 <= clients <= MAX_CLIENTS or not 0 < duration <= MAX_DURATION_S:
        raise SystemExit(f"clients must be 1..{MAX_CLIENTS} and duration 0..{MAX_DURATION_S} s")


# -- its own server ------------------------------------------------------------------------------------------
def _advisor() -> list[str]:
    found = Path(sys.executable).with_name("advisor")
    return [str(found)] if found.exists() else [sys.executable, "-m", "advisor.cli"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare(work: Path, size: str, *, data: Path | None = None, index: Path | None = None) -> dict[str, str]:
    """The demo organisation, its index and a user in `work` (kept between runs); the server's environment."""
    work.mkdir(parents=True, exist_ok=True)
    data = data or work / f"demo-{size}"
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "ADVISOR_DATA_DIR": str(data),
        "ADVISOR_INDEX_DIR": str(index or work / f"index-{size}"),
        "ADVISOR_DATABASE_URL": f"sqlite:///{work}/advisor.db",
        "ADVISOR_LLM__PROVIDER": "none",
    }
    if not data.is_dir():
        subprocess.run(
            [*_advisor(), "demo-data", str(data), "--seed", "7", "--size", size], env=env, check=True
        )
    if index is None and not (work / f"index-{size}").is_dir():
        subprocess.run([*_advisor(), "index"], env=env, check=True, stdout=subprocess.DEVNULL)
    users = subprocess.run([*_advisor(), "users"], env=env, check=True, capture_output=True, text=True)
    if "loadtest" not in users.stdout:
        subprocess.run(
            [*_advisor(), "create-user", "loadtest", "--role", "agent", "--password-stdin"],
            env=env,
            input=LOAD_PASSWORD + "\n",
            text=True,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return env


LOAD_PASSWORD = "load test password, loopback only"


@contextmanager
def started_server(env: dict[str, str], log: Path) -> Iterator[tuple[str, dict[str, float | None], int]]:
    """`advisor serve` in its own process group; yields its URL, the seconds to live and to ready, its pid."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    with log.open("w") as out:
        process = subprocess.Popen(
            [*_advisor(), "serve", "--port", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    start: dict[str, float | None] = {"to_live_s": None, "to_ready_s": None}
    try:
        while time.monotonic() - started < 300 and process.poll() is None:
            try:
                if (
                    start["to_live_s"] is None
                    and httpx.get(f"{url}/healthz/live", timeout=1).status_code == 200
                ):
                    start["to_live_s"] = round(time.monotonic() - started, 2)
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    start["to_ready_s"] = round(time.monotonic() - started, 2)
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        if start["to_ready_s"] is None:
            raise RuntimeError(f"the server did not become ready; see {log}")
        yield url, start, process.pid
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _peak_rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"VmHWM:\s+(\d+) kB", status)
    return round(int(found.group(1)) / 1024, 1) if found else None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=180, help="seconds")
    parser.add_argument("--think", type=float, default=0.5, help="mean pause between a client's requests (s)")
    parser.add_argument("--url", help="a running loopback server instead of starting one")
    parser.add_argument("--user", default="loadtest")
    parser.add_argument("--password-stdin", action="store_true", help="read the --user's password from stdin")
    parser.add_argument("--size", default="small", choices=["small", "medium"], help="demo organisation")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "ocmf-advisor-load")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else LOAD_PASSWORD
    report: dict[str, Any] = {"benchmark": "load", "cpus": os.cpu_count(), "llm": "none"}
    if args.url:
        check_bounds(args.url, args.clients, args.duration)
        report |= run_load(
            args.url, clients=args.clients, duration=args.duration, username=args.user, password=password,
            think=args.think,
        )  # fmt: skip
    else:
        check_bounds("http://127.0.0.1", args.clients, args.duration)
        env = prepare(args.work, args.size)
        with started_server(env, args.work / "server.log") as (url, start, pid):
            report |= {"server": "advisor serve (one process)", "demo": args.size, "start": start}
            report |= run_load(
                url, clients=args.clients, duration=args.duration, username=args.user, password=password,
                think=args.think,
            )  # fmt: skip
            report["server_peak_rss_mb"] = _peak_rss_mb(pid)
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
