"""Jobs shared through the application database, as several workers see them: a job one runner starts is
seen (with its progress) and blocks a job from another runner; of simultaneous starts one wins; a job whose
worker stopped beating (or was killed) is failed and frees the slot; a preview's upload is taken once. On
SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import cast

import pytest

from advisor.database import dispose_engine
from advisor.job_store import JobStore
from advisor.jobs import JobBusy, JobRunner, JobUpdates
from advisor.service import Advisor
from tests.advisor.test_jobs import FakeAdvisor
from tests.postgres import fresh_postgres_database, postgres_server

#: pytest finds fixtures by name in the module: this one comes from tests/postgres.py
FIXTURES = (postgres_server,)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.slow)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A SQLite file (fast: the default test run), then a database on the session's PostgreSQL server."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/advisor.db"
        yield url
        dispose_engine(url)
        return
    yield from fresh_postgres_database(request.getfixturevalue("postgres_server"))


ROOT = Path(__file__).resolve().parents[2]


def worker(database_url: str, tmp_path: Path, *, lease_s: float = 60, heartbeat_s: float = 5) -> JobRunner:
    """One worker's runner: its own process identity, the shared database and work folder."""
    return JobRunner(
        cast(Advisor, FakeAdvisor(tmp_path)),
        tmp_path / "shared-work",
        database_url=database_url,
        lease_s=lease_s,
        heartbeat_s=heartbeat_s,
    )


def wait_until(check: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not callable(check) or not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_job_of_one_worker_is_seen_by_another_and_blocks_it(database_url: str, tmp_path: Path) -> None:
    first, second = worker(database_url, tmp_path), worker(database_url, tmp_path)
    assert first.owner != second.owner
    release = threading.Event()

    def work(updates: JobUpdates) -> str:
        updates.stage("Counting", total=10)
        updates.progress(4, 10)
        release.wait(10)
        return "counted"

    job = first.submit("rebuild", work)
    wait_until(lambda: (seen := second.get(job.id)) is not None and seen.stage == "Counting")
    seen = second.get(job.id)
    assert seen is not None and seen.state == "running" and seen.total == 10
    active = second.active()
    assert active is not None and active.id == job.id
    with pytest.raises(JobBusy, match=f"an index rebuild is already running \\(job {job.id}: counting\\)"):
        second.start_rebuild()
    with pytest.raises(JobBusy):
        second.ensure_idle()
    release.set()
    assert first.wait(job.id, 10).state == "done"
    finished = second.get(job.id)
    assert finished is not None and (finished.state, finished.message) == ("done", "counted")
    assert [listed.id for listed in second.jobs()] == [job.id]
    after = second.start_rebuild()  # the slot is free again, for any worker
    assert second.wait(after.id, 10).state == "done"
    first.close()
    second.close()


def test_of_simultaneous_starts_exactly_one_runs(database_url: str, tmp_path: Path) -> None:
    runners = [worker(database_url, tmp_path) for _ in range(6)]
    release = threading.Event()
    barrier = threading.Barrier(len(runners))
    results: list[object] = [None] * len(runners)

    def start(number: int) -> None:
        barrier.wait()
        try:
            results[number] = runners[number].submit("rebuild", lambda updates: str(release.wait(10)))
        except JobBusy as busy:
            results[number] = busy

    threads = [threading.Thread(target=start, args=(number,)) for number in range(len(runners))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    started = [result for result in results if not isinstance(result, JobBusy)]
    assert len(started) == 1, results
    release.set()
    for runner in runners:
        runner.close()


def test_a_job_whose_worker_stops_beating_is_failed_and_frees_the_slot(
    database_url: str, tmp_path: Path
) -> None:
    stalled = worker(database_url, tmp_path, heartbeat_s=3600)  # its heartbeat never comes
    other = worker(database_url, tmp_path, lease_s=1)
    release = threading.Event()
    job = stalled.submit("rebuild", lambda updates: str(release.wait(20)))
    assert other.active() is not None
    time.sleep(1.2)  # past the lease
    failed = other.get(job.id)
    assert failed is not None and failed.state == "failed" and failed.stage == "Failed"
    assert "stopped answering" in failed.message and stalled.owner in failed.message
    assert other.active() is None
    started = other.start_rebuild()
    assert other.wait(started.id, 10).state == "done"
    release.set()  # the stalled worker ends its work late: it may not write over the failure
    stalled.wait(job.id, 10)
    again = other.get(job.id)
    assert again is not None and again.state == "failed"
    stalled.close()
    other.close()


_KILLED_WORKER = """
import sys, threading, time
from pathlib import Path
from typing import cast
from advisor.jobs import JobRunner
from tests.advisor.test_jobs import FakeAdvisor
runner = JobRunner(cast(object, FakeAdvisor(Path(sys.argv[2]))), Path(sys.argv[2]) / "shared-work",
                   database_url=sys.argv[1], heartbeat_s=0.2)
def work(updates):
    updates.stage("Working for ever")
    threading.Event().wait()
job = runner.submit("import", work)
while runner.get(job.id).stage != "Working for ever":
    time.sleep(0.05)
print(job.id, flush=True)
threading.Event().wait()
"""


@pytest.mark.slow  # a second Python process (about 5 s to import the advisor)
def test_a_job_whose_worker_is_killed_is_failed_after_the_lease(database_url: str, tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WORKER, database_url, str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    job_id = process.stdout.readline().strip()
    other = worker(database_url, tmp_path, lease_s=2)
    time.sleep(2.5)
    alive = other.get(job_id)
    assert alive is not None and alive.state == "running", "a live worker's job outlives the lease"
    with pytest.raises(JobBusy):
        other.start_rebuild()
    os.kill(process.pid, signal.SIGKILL)
    process.wait(10)
    wait_until(lambda: (seen := other.get(job_id)) is not None and seen.state == "failed", timeout=10)
    assert other.active() is None
    assert other.wait(other.start_rebuild().id, 10).state == "done"
    other.close()


def test_a_waiting_preview_is_taken_by_one_worker_only(database_url: str, tmp_path: Path) -> None:
    stores = [JobStore(database_url) for _ in range(4)]
    runner = worker(database_url, tmp_path)
    job = runner.submit("import", lambda updates: "previewed", preview=True)
    runner.wait(job.id, 10)
    stores[0].keep_request(job.id, '{"upload": 1}')
    assert runner.awaiting_confirmation(job.id)
    barrier = threading.Barrier(len(stores))
    taken: list[str | None] = [None] * len(stores)

    def take(number: int) -> None:
        barrier.wait()
        taken[number] = stores[number].take_request(job.id)

    threads = [threading.Thread(target=take, args=(number,)) for number in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert taken.count('{"upload": 1}') == 1 and taken.count(None) == 3, taken
    assert not runner.awaiting_confirmation(job.id)
    runner.close()
