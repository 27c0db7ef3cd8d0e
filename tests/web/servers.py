"""A real uvicorn server in a thread, for the API and browser tests."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import uvicorn
from fastapi import FastAPI


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run `app` under uvicorn on a free loopback port; yields its base URL once it is ready (/healthz), or
    once it says it cannot be (some test servers run over data whose scorecard cannot be computed)."""
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90  # a fresh model loads in the warm-up; the machine may be busy
    while time.monotonic() < deadline:
        try:
            health = httpx.get(f"{url}/healthz", timeout=1)
            if health.status_code == 200 or health.json().get("status") == "not ready":
                break
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    else:
        raise RuntimeError("the test server did not start")
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=120)  # the app's shutdown waits for a warm-up still inside DuckDB
