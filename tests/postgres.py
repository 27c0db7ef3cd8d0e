"""A real PostgreSQL server for the tests: Debian's binaries, one server per test session in a temporary
folder on a free loopback port, a fresh database per test. Missing binaries fail the tests (CI installs them),
they are never skipped."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest

from advisor.database import dispose_engine

USER = "advisor"


@dataclass(frozen=True)
class PostgresServer:
    port: int
    folder: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user={USER} dbname=postgres", autocommit=True
        ) as c:
            c.execute(sql.encode())


def postgres_binaries() -> Path:
    """The folder of `initdb` and `pg_ctl`: pg_config's, else the newest under /usr/lib/postgresql."""
    found = shutil.which("pg_config")
    if found:
        folder = Path(
            subprocess.run([found, "--bindir"], capture_output=True, text=True, check=True).stdout.strip()
        )
        if (folder / "initdb").is_file():
            return folder
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not versions:
        pytest.fail("PostgreSQL is not installed (Debian: apt-get install postgresql); .ci/run installs it")
    return versions[-1].parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_postgres() -> tuple[PostgresServer, dict[str, Any]]:
    """initdb + pg_ctl start; PostgreSQL refuses to run as root, so as root it runs as the `postgres` user."""
    binaries = postgres_binaries()
    folder = Path(tempfile.mkdtemp(prefix="advisor-pg-"))
    run_as: dict[str, Any] = {}
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(folder, account.pw_uid, account.pw_gid)
        run_as = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    data = folder / "data"
    subprocess.run(
        [binaries / "initdb", "-D", data, "-U", USER, "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync"],
        check=True, capture_output=True, cwd=folder, **run_as,
    )  # fmt: skip
    port = _free_port()
    options = (
        f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off"
    )
    subprocess.run(
        [binaries / "pg_ctl", "-D", data, "-l", folder / "server.log", "-o", options, "-w", "-t", "60", "start"],
        check=True, capture_output=True, cwd=folder, **run_as,
    )  # fmt: skip
    return PostgresServer(port=port, folder=folder), {"binaries": binaries, "data": data, "run_as": run_as}


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One real PostgreSQL server for the whole session (started in about a second)."""
    server, started = start_postgres()
    try:
        yield server
    finally:
        subprocess.run(
            [started["binaries"] / "pg_ctl", "-D", started["data"], "-m", "immediate", "stop"],
            capture_output=True, cwd=server.folder, check=False, **started["run_as"],
        )  # fmt: skip
        shutil.rmtree(server.folder, ignore_errors=True)


def fresh_postgres_database(server: PostgresServer) -> Iterator[str]:
    name = f"t_{uuid.uuid4().hex[:12]}"
    server.execute(f"CREATE DATABASE {name}")
    url = server.url(name)
    try:
        yield url
    finally:
        dispose_engine(url)
        server.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty application database: a SQLite file, then a database on the session's PostgreSQL server."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path}/advisor.db"
        yield url
        dispose_engine(url)
        return
    yield from fresh_postgres_database(request.getfixturevalue("postgres_server"))
