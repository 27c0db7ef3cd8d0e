"""Real `advisor` processes for the deployment tests: `advisor serve` on a free loopback port and CLI commands
beside it, all with the environment an operator would set."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
ADVISOR = [sys.executable, "-c", "from advisor.cli import app; app()"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(settings: Mapping[str, str]) -> dict[str, str]:
    """This process's environment with the `ADVISOR_*` settings given (offline, cookies over HTTP)."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HF_HUB_OFFLINE": "1",
        "ADVISOR_COOKIE_SECURE": "false",
        **settings,
    }


def advisor_cli(settings: Mapping[str, str], *arguments: str, timeout: float = 300) -> str:
    """Run `advisor ARGUMENTS` to the end; its output, or AssertionError with it when it failed."""
    done = subprocess.run(
        [*ADVISOR, *arguments],
        cwd=ROOT,
        env=environment(settings),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"advisor {' '.join(arguments)}: {done.stdout}\n{done.stderr}"
    return done.stdout


@contextmanager
def served(settings: Mapping[str, str], log: Path, *options: str) -> Iterator[str]:
    """`advisor serve OPTIONS` until the block ends; its URL once /healthz answers 200."""
    port = free_port()
    with log.open("wb") as out:
        server = subprocess.Popen(
            [*ADVISOR, "serve", "--port", str(port), *options],
            cwd=ROOT,
            env=environment(settings),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            assert server.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the server did not become ready in 300 s"
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(30)


@contextmanager
def chroma_run(folder: Path) -> Iterator[str]:
    """A real Chroma server (`chroma run`, shipped with chromadb) on a free loopback port, its data in
    `folder`; its URL once the heartbeat answers."""
    chroma = Path(sys.executable).parent / "chroma"
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "server.log").open("wb") as log:
        process = subprocess.Popen(
            [str(chroma), "run", "--path", str(folder / "data"), "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (folder / "server.log").read_text(errors="replace")[-2000:]
            assert time.monotonic() < deadline, "chroma run did not answer its heartbeat within 60 s"
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
