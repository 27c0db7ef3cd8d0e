"""What several workers share besides jobs, on SQLite and PostgreSQL, without starting a server: the sign-in
throttle on the application database (five attempts are five, across throttles and in parallel) and the
signing key (made once, the same for every process, an older version's key file adopted)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from limits.storage import MemoryStorage
from pydantic import SecretStr

from advisor.app_secrets import shared_secret
from advisor.composition import signing_secret
from advisor.database import dispose_engine
from advisor.rate_limit_store import DatabaseStorage
from advisor.settings import Settings
from tests.postgres import fresh_postgres_database, postgres_server
from web.throttle import SignInThrottle, build_sign_in_throttle

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


def test_throttles_on_one_database_count_together(database_url: str) -> None:
    workers = [SignInThrottle(storage=DatabaseStorage(database_url)) for _ in range(2)]
    allowed = [workers[number % 2].attempt("Ana", f"10.0.0.{number}") for number in range(7)]
    assert allowed == [True] * 5 + [False, False]
    assert workers[1].attempt("bo", "10.0.0.1"), "another account is not throttled"
    workers[0].succeeded("ANA ")
    assert workers[1].attempt("ana", "10.0.0.1"), "a success clears the account on every worker"


def test_parallel_attempts_take_five_places_only(database_url: str) -> None:
    throttles = [SignInThrottle(storage=DatabaseStorage(database_url)) for _ in range(4)]
    barrier = threading.Barrier(20)
    results: list[bool] = []

    def guess(number: int) -> None:
        barrier.wait()
        results.append(throttles[number % 4].attempt("ana", "10.0.0.1"))

    threads = [threading.Thread(target=guess, args=(number,)) for number in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == [False] * 15 + [True] * 5


def test_failures_per_address_count_across_workers(database_url: str) -> None:
    workers = [
        SignInThrottle(per_client="3 per minute", storage=DatabaseStorage(database_url)) for _ in range(2)
    ]
    for number, name in enumerate("abc"):
        assert workers[number % 2].attempt(name, "10.0.0.9")
        workers[number % 2].failed(name, "10.0.0.9")
    assert not workers[1].attempt("d", "10.0.0.9")
    assert workers[0].attempt("d", "10.0.0.8")


def test_the_database_storage_moves_its_window(tmp_path: Path) -> None:
    storage = DatabaseStorage(f"sqlite:///{tmp_path}/advisor.db")
    assert storage.check()
    assert storage.acquire_entry("k", 2, 1) and storage.acquire_entry("k", 2, 1)
    assert not storage.acquire_entry("k", 2, 1)
    assert storage.get_moving_window("k", 2, 1)[1] == 2
    time.sleep(1.1)
    assert storage.acquire_entry("k", 2, 1), "entries older than the window no longer count"
    assert storage.incr("c", 60) == 1 and storage.incr("c", 60, 2) == 3 and storage.get("c") == 3
    assert storage.get_expiry("c") > time.time() + 50
    storage.clear("c")
    assert storage.get("c") == 0 and storage.reset() == 1


def test_the_throttle_storage_follows_the_setting(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path}/advisor.db"
    shared = build_sign_in_throttle(Settings(database_url=database))
    assert isinstance(shared._limiter.storage, DatabaseStorage)
    alone = build_sign_in_throttle(Settings(database_url=database, throttle_storage_url="memory://"))
    assert isinstance(alone._limiter.storage, MemoryStorage)
    with pytest.raises(ValueError, match="synchronous"):
        build_sign_in_throttle(Settings(database_url=database, throttle_storage_url="async+memory://"))


def test_the_signing_key_is_made_once_for_every_worker(database_url: str) -> None:
    barrier = threading.Barrier(6)
    keys: list[str] = []

    def read() -> None:
        barrier.wait()
        keys.append(shared_secret(database_url))

    threads = [threading.Thread(target=read) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(keys) == 6 and len(set(keys)) == 1 and len(keys[0]) >= 32
    assert signing_secret(Settings(database_url=database_url)) == keys[0]


def test_the_key_file_of_an_older_version_is_adopted(tmp_path: Path) -> None:
    (tmp_path / "secret_key").write_text("k" * 40 + "\n", encoding="utf-8")
    settings = Settings(database_url=f"sqlite:///{tmp_path}/advisor.db")
    assert signing_secret(settings) == "k" * 40, "cookies signed before the upgrade stay valid"
    configured = Settings(database_url=settings.database_url, secret_key=SecretStr("s" * 40))
    assert signing_secret(configured) == "s" * 40
