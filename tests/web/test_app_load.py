"""The load benchmark as a smoke test: `advisor serve` started as a separate process over a copy of the
session's demo data and index, 10 signed-in clients for 10 s over chat, scorecard, search, pages and
/healthz, and not one error."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

from advisor.service import Advisor
from advisor.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def _load_benchmark() -> ModuleType:
    spec = importlib.util.spec_from_file_location("load_benchmark", ROOT / "benchmarks" / "load.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow  # ~30 s: a server process starts (model, index, scorecard), then 10 s of load
def test_ten_clients_for_ten_seconds_without_an_error(
    tmp_path: Path, settings: Settings, advisor: Advisor
) -> None:
    load = _load_benchmark()
    index = tmp_path / "index"
    shutil.copytree(settings.index_dir, index)  # built by the session's advisor; copied, not shared
    env = load.prepare(tmp_path, "small", data=settings.data_dir, index=index)
    with load.started_server(env, tmp_path / "server.log") as (url, start, _pid):
        assert 0 < start["to_live_s"] <= start["to_ready_s"]
        report = load.run_load(
            url, clients=10, duration=10, username="loadtest", password=load.LOAD_PASSWORD, think=0.2
        )
        scaling = load.run_scaling(
            url, counts=[1, 3], duration=3, username="loadtest", password=load.LOAD_PASSWORD
        )
    # the scaling mode (issue 18 §4): answers at each count, search answers among them, goals beside them
    assert scaling["warm_up_errors"] == [] and scaling["goals"]["errors"]["met"] is True
    for count in ("1", "3"):
        row = scaling["counts"][count]
        assert row["answers"] > 0 and row["search_answers"]["n"] > 0 and row["errors"] == 0
    assert scaling["counts"]["1"]["throughput_vs_one_client"] == 1.0
    assert scaling["goals"]["chat_throughput_10_vs_1"]["met"] is None  # no 10-client round was run
    assert scaling["stream"]["events"] >= 2
    assert report["errors"] == 0, report["endpoints"]
    endpoints = report["endpoints"]
    assert {"chat", "scorecard_api", "search_api", "page", "healthz", "healthz_probe"} <= endpoints.keys()
    assert all(row["requests"] > 0 for row in endpoints.values())
    assert report["goals"]["errors"]["met"] is True


def test_it_refuses_anything_but_loopback_and_unbounded_runs() -> None:
    load = _load_benchmark()
    with pytest.raises(SystemExit, match="loopback"):
        load.check_bounds("http://example.com:8000", 10, 10)
    with pytest.raises(SystemExit, match="clients"):
        load.check_bounds("http://127.0.0.1:8000", 1000, 10)
    with pytest.raises(SystemExit, match="duration"):
        load.check_bounds("http://127.0.0.1:8000", 10, 3600)


def test_concurrent_askers_compute_a_result_once() -> None:
    """What kept a cold server busy under load: every concurrent chat computed the same scorecard."""
    import threading
    import time

    from advisor.folder_results import FolderResults

    results = FolderResults[int](limit=8)
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        time.sleep(0.2)
        return 42

    found: list[int] = []
    threads = [
        threading.Thread(target=lambda: found.append(results.get_or_compute((Path("/org"), "q"), compute)))
        for _ in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert found == [42] * 20 and len(calls) == 1
    assert results.get_or_compute((Path("/org"), "other"), lambda: 7) == 7  # other keys do not wait
    results.forget(Path("/org"))
    assert results.get_or_compute((Path("/org"), "q"), compute) == 42 and len(calls) == 2


def test_the_worker_thread_limit_comes_from_the_settings(settings: Settings, advisor: Advisor) -> None:
    import os

    from anyio import to_thread
    from fastapi.testclient import TestClient

    from web.app import create_app

    assert settings.worker_threads == 2 * (os.cpu_count() or 1)  # the default: two per core
    narrow = settings.model_copy(update={"worker_threads": 3})
    with TestClient(create_app(narrow, advisor=advisor)) as client:
        limit = client.portal.call(lambda: to_thread.current_default_thread_limiter().total_tokens)  # type: ignore[union-attr]
        assert limit == 3
        assert client.get("/healthz/live").status_code == 200
