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
p50/p95/p99 in ms, and throughput; the goals (benchmarks/targets.json) beside them.

With --scaling 1,10 it measures how chat scales with concurrent clients instead (issue 18 §4): for each count,
that many clients ask chat questions back to back (no think time) for --duration seconds, after one warm-up
round of every question; reported per count: answers per second, p50/p95 of every answer and of the answers
the chat found by searching the knowledge (intent how_to), and the throughput against one
client, with the goals beside them. The SSE stream of a composed answer is timed too (time to its first and
last event, and how many events it sent).
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.targets import goal, goals

MAX_CLIENTS = 200
#: Distinct search questions made for a --scaling run, shared out between its rounds.
SCALING_QUESTIONS = 40_000
MAX_DURATION_S = 600
REQUEST_TIMEOUT_S = 30.0
SIGN_IN_TIMEOUT_S = 300.0
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
#: Chat questions the advisor answers from the knowledge index (the --scaling mode's search questions).
SEARCH_QUESTIONS = [
    "How do I reconnect a bank feed that stopped importing?",
    "How do we reduce reopened tickets?",
    "How can I reset a customer's password?",
    "What fixed invoice exports failing before?",
    "How do we onboard new agents faster?",
]
#: How agents ask about a known problem: with --scaling every search question is one of these about one of the
#: demo's problems, with its own case number, so no two are alike and each is embedded (a repeated question's
#: vector is remembered, which would flatter the figures).
SEARCH_TEMPLATES = [
    "How do I fix this for a {product} customer: {subject}? Case {number}",
    "{product} customer reports that {subject}. How do we resolve it? Case {number}",
    "Case {number} on {product}: {subject}. Any known fix?",
    "Customer says {subject} in {product} (ticket {number}), what should I try?",
]


def distinct_search_questions(count: int) -> list[str]:
    """`count` different search questions about the demo organisation's known problems."""
    from metrics.demo.catalog import PRODUCTS
    from metrics.demo.resolutions import PROBLEMS

    topics = [
        (PRODUCTS[n], subject.lower()) for n, problems in enumerate(PROBLEMS) for subject, _ in problems
    ]
    return [
        SEARCH_TEMPLATES[number % len(SEARCH_TEMPLATES)].format(
            product=topics[number % len(topics)][0],
            subject=topics[number % len(topics)][1],
            number=10_000 + number,
        )
        for number in range(count)
    ]


#: Intents whose answers come from searching the knowledge index.
SEARCH_INTENTS = {"how_to"}
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
            "errors": goal("load", "errors").check(total_errors),
            "chat_p95_ms": goal("load", "chat_p95_ms").check(chat_p95),
            "healthz_p99_ms": goal("load", "healthz_p99_ms").check(health_p99),
            "clients": goal("load", "clients").check(clients),
            "duration_s": goal("load", "duration_s").check(round(elapsed, 1)),
        },
    }


# -- how chat scales with concurrent clients (issue 18 §4) ---------------------------------------------------
async def _chat_clients(
    url: str, clients: int, duration: float, username: str, password: str, questions: list[str]
) -> tuple[list[tuple[float, str]], list[str], float]:
    """`clients` clients asking `questions` back to back for `duration` s (client n starts at question n and
    takes every `clients`-th, so no two ask the same): (seconds, intent) per answer, the errors, and the
    measured seconds."""
    answers: list[tuple[float, str]] = []
    errors: list[str] = []
    window = Window(clients, duration)

    async def loop(number: int) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT_S) as client:
            await sign_in(client, username, password)
            until = await window.opened()
            turn = number
            while time.monotonic() < until:
                question = questions[turn % len(questions)]
                turn += clients
                started = time.perf_counter()
                try:
                    response = await client.post("/api/chat", json={"message": question})
                except httpx.HTTPError as failure:
                    errors.append(f"{type(failure).__name__}: {failure}")
                    continue
                seconds = time.perf_counter() - started
                if response.status_code >= 400:
                    errors.append(f"{response.status_code} {response.text[:160]}")
                    continue
                answers.append((seconds, str(response.json().get("intent"))))

    await asyncio.gather(*(loop(number) for number in range(clients)))
    return answers, errors, time.monotonic() - (window.start or time.monotonic())


def _latency(seconds: list[float]) -> dict[str, float | int | None]:
    ordered = sorted(seconds)
    if not ordered:
        return {"n": 0, "p50_ms": None, "p95_ms": None}
    return {
        "n": len(ordered),
        "p50_ms": round(percentile(ordered, 0.50) * 1000, 1),
        "p95_ms": round(percentile(ordered, 0.95) * 1000, 1),
    }


async def _stream_timing(url: str, username: str, password: str, question: str) -> dict[str, Any]:
    """Time to the first and the last event of /api/chat/stream for one composed answer, and its events."""
    async with httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT_S) as client:
        await sign_in(client, username, password)
        started = time.perf_counter()
        first: float | None = None
        events = 0
        async with client.stream("POST", "/api/chat/stream", json={"message": question}) as response:
            async for line in response.aiter_lines():
                if line.startswith("event:"):
                    events += 1
                    first = first if first is not None else time.perf_counter() - started
        return {
            "question": question,
            "events": events,
            "first_event_ms": round((first or 0) * 1000, 1),
            "last_event_ms": round((time.perf_counter() - started) * 1000, 1),
        }


def run_scaling(
    url: str, *, counts: list[int], duration: float, username: str, password: str
) -> dict[str, Any]:
    """Chat answers per second with each count of concurrent clients, against one client."""
    for count in counts:
        check_bounds(url, count, duration)
    questions = [*QUESTIONS, *SEARCH_QUESTIONS]
    # one warm-up round: every question answered once, so no count pays for the first computations
    warm = asyncio.run(_warm_up(url, username, password, questions))
    rows: dict[str, Any] = {}
    for count in counts:
        answers, errors, elapsed = asyncio.run(
            _chat_clients(url, count, duration, username, password, questions)
        )
        rows[str(count)] = {
            "clients": count,
            "duration_s": round(elapsed, 1),
            "answers": len(answers),
            "errors": len(errors),
            "error_samples": sorted(set(errors))[:5],
            "answers_per_s": round(len(answers) / elapsed, 2) if elapsed > 0 else None,
            "all_answers": _latency([seconds for seconds, _ in answers]),
            "search_answers": _latency([s for s, intent in answers if intent in SEARCH_INTENTS]),
            "load_average": [round(value, 2) for value in os.getloadavg()],
        }
    one = rows.get("1", {}).get("answers_per_s")
    for row in rows.values():
        row["throughput_vs_one_client"] = round(row["answers_per_s"] / one, 2) if one else None
    ten = rows.get("10", {})
    stream = asyncio.run(_stream_timing(url, username, password, SEARCH_QUESTIONS[1]))
    return {
        "mode": "scaling",
        "warm_up_errors": warm,
        "counts": rows,
        "stream": stream,
        "goals": {
            "chat_throughput_10_vs_1": goal("load", "chat_throughput_10_vs_1").check(
                ten.get("throughput_vs_one_client")
            ),
            "search_question_p95_ms_10_clients": goal("load", "search_question_p95_ms_10_clients").check(
                ten.get("search_answers", {}).get("p95_ms")
            ),
            "errors": goal("load", "errors").check(sum(row["errors"] for row in rows.values())),
        },
    }


async def first_answers(url: str, username: str, password: str) -> dict[str, float]:
    """Milliseconds of the first search and the first chat answer after the server said ready (issue 18 §2:
    ready means the model, the index and the scorecard are loaded, so the first answers wait for nothing)."""
    async with httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT_S) as client:
        await sign_in(client, username, password)
        timings: dict[str, float] = {}
        for name, call in (
            (
                "first_search_ms",
                lambda: client.get("/api/search", params={"q": "bank feed stopped importing"}),
            ),
            ("first_chat_search_ms", lambda: client.post("/api/chat", json={"message": SEARCH_QUESTIONS[0]})),
        ):
            started = time.perf_counter()
            (await call()).raise_for_status()
            timings[name] = round((time.perf_counter() - started) * 1000, 1)
        return timings


async def _warm_up(url: str, username: str, password: str, questions: list[str]) -> list[str]:
    """Every question once, one at a time; the errors."""
    errors: list[str] = []
    async with httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT_S * 4) as client:
        await sign_in(client, username, password)
        for question in questions:
            response = await client.post("/api/chat", json={"message": question})
            if response.status_code >= 400:
                errors.append(f"{response.status_code} {response.text[:160]}")
    return errors


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
    parser.add_argument(
        "--scaling", help="comma-separated client counts (e.g. 1,10): chat throughput against one client"
    )
    args = parser.parse_args()
    password = sys.stdin.readline().rstrip("\n") if args.password_stdin else LOAD_PASSWORD
    report: dict[str, Any] = {
        "benchmark": "load", "cpus": os.cpu_count(), "llm": "none", "all_goals": goals("load"),
    }  # fmt: skip
    counts = [int(count) for count in args.scaling.split(",")] if args.scaling else []

    def measure(url: str) -> dict[str, Any]:
        if counts:
            return run_scaling(
                url, counts=counts, duration=args.duration, username=args.user, password=password
            )
        return run_load(
            url, clients=args.clients, duration=args.duration, username=args.user, password=password,
            think=args.think,
        )  # fmt: skip

    if args.url:
        check_bounds(args.url, max([args.clients, *counts]), args.duration)
        report |= measure(args.url)
    else:
        check_bounds("http://127.0.0.1", max([args.clients, *counts]), args.duration)
        env = prepare(args.work, args.size)
        with started_server(env, args.work / "server.log") as (url, start, pid):
            start |= asyncio.run(first_answers(url, args.user, password))
            report |= {"server": "advisor serve (one process)", "demo": args.size, "start": start}
            report |= measure(url)
            report["server_peak_rss_mb"] = _peak_rss_mb(pid)
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
