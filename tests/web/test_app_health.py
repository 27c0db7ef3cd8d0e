"""Ready when the server is, over real HTTP: liveness at once, readiness once the embedding model, the
knowledge index and the default scorecard are loaded, and "not ready" with the reason when the data folder
stops computing (then ready again once it is repaired)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from advisor.composition import build_advisor
from advisor.service import Advisor
from advisor.settings import Settings
from tests.web.servers import serve
from web.app import create_app


def test_the_session_server_is_live_and_ready(server_url: str) -> None:
    assert httpx.get(f"{server_url}/healthz/live").json() == {"status": "alive", "worker": os.getpid()}
    for path in ("/healthz", "/healthz/ready"):
        response = httpx.get(server_url + path)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "ok" and body["ready"] is True
        assert body["checks"] == {"knowledge index": "ok", "embedding model": "ok", "scorecard": "ok"}
        assert body["practices"] >= 15 and body["index_empty"] is False
        assert body["ready_after_s"] >= 0


@pytest.fixture
def fresh(tmp_path: Path, settings: Settings, advisor: Advisor) -> tuple[Settings, Advisor]:
    """A new Advisor (its own, not yet loaded, embedding model) over a copy of the demo data; the session's
    index (already built) is shared."""
    data = tmp_path / "data"
    shutil.copytree(settings.data_dir, data)
    own = settings.model_copy(update={"data_dir": data, "database_url": f"sqlite:///{tmp_path}/advisor.db"})
    return own, build_advisor(own)


def _until(condition: Callable[[], Any], seconds: float = 90) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.mark.slow  # loads the embedding model again (a few seconds, more on a busy machine)
def test_ready_only_once_the_model_is_loaded_then_the_first_search_is_fast(
    fresh: tuple[Settings, Advisor],
) -> None:
    settings, advisor = fresh
    app = create_app(settings, advisor=advisor)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    _until(lambda: server.started and server.servers)
    port = server.servers[0].sockets[0].getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    try:
        first = httpx.get(f"{url}/healthz")
        live = httpx.get(f"{url}/healthz/live")
        assert live.status_code == 200
        # a model takes seconds to load: the first answer cannot be "ready" yet
        assert first.status_code == 503, first.text
        assert first.json()["status"] == "starting" and first.json()["checks"]["embedding model"] == "waiting"
        ready = _until(lambda: (r := httpx.get(f"{url}/healthz")).status_code == 200 and r.json())
        assert ready["ready_after_s"] > 0
        started = time.perf_counter()
        hits = httpx.get(f"{url}/api/search", params={"q": "customers wait too long for a reply"}, timeout=60)
        elapsed = time.perf_counter() - started
        assert hits.status_code == 200 and hits.json()["hits"]
        assert elapsed < 2.0, f"the first search after ready took {elapsed:.1f} s: the model was not loaded"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.slow
def test_data_that_stops_computing_turns_the_server_not_ready_with_the_reason(
    fresh: tuple[Settings, Advisor],
) -> None:
    settings, advisor = fresh
    app: FastAPI = create_app(settings, advisor=advisor)
    with serve(app) as url:
        assert httpx.get(f"{url}/healthz").status_code == 200
        app.state.readiness.recheck_seconds = 0.2
        tickets = settings.data_dir / "tickets.csv"
        kept = tickets.read_bytes()
        tickets.write_bytes(b"\x00\xff not a ticket table")  # what a botched copy into the folder leaves

        def not_ready() -> dict[str, Any] | None:
            response = httpx.get(f"{url}/healthz")
            return response.json() if response.status_code == 503 else None

        broken = _until(not_ready, 60)
        assert broken["status"] == "not ready" and broken["ready"] is False
        assert broken["checks"]["scorecard"] not in {"ok", "waiting"}
        assert (
            "parquet" in broken["checks"]["scorecard"].lower() or "tickets" in broken["checks"]["scorecard"]
        )
        assert httpx.get(f"{url}/healthz/live").status_code == 200  # alive, only not ready

        tickets.write_bytes(kept)
        repaired = _until(lambda: (r := httpx.get(f"{url}/healthz")).status_code == 200 and r.json(), 60)
        assert repaired["checks"]["scorecard"] == "ok"


def test_health_answers_stay_fast_while_the_scorecard_is_rechecked(server_url: str) -> None:
    """The health request never computes anything itself: 50 in a row, each well under 200 ms."""
    timings = []
    with httpx.Client(base_url=server_url) as client:
        for _ in range(50):
            started = time.perf_counter()
            assert client.get("/healthz").status_code == 200
            timings.append(time.perf_counter() - started)
    assert sorted(timings)[-3] < 0.2, timings


def test_a_served_request_does_its_matrix_products_on_one_thread(server_url: str, settings: Settings) -> None:
    """OpenBLAS's idle threads spin: with two of them a search took twice its CPU time and the core that a
    concurrent request needed (issue 18 §4), so the app limits them when it starts."""
    from threadpoolctl import threadpool_info

    assert httpx.get(f"{server_url}/healthz/live").status_code == 200
    blas = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    assert blas, "numpy's BLAS is not visible to threadpoolctl"
    assert settings.blas_threads == 1
    assert all(pool["num_threads"] == settings.blas_threads for pool in blas)
