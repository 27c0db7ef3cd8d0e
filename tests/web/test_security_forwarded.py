"""X-Forwarded-For is believed only from the configured proxies: run the app the way `advisor serve` does
(uvicorn with `advisor.serving.server_options`) and guess passwords from loopback while naming other
addresses. By default the per-address limit still counts the real client; with a trusted proxy, the address
that the proxy forwards is the one counted."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import uvicorn

from advisor.service import Advisor
from advisor.serving import server_options
from advisor.settings import Settings
from advisor.users import UserStore
from tests.web.signed_in import PASSWORD, csrf_from
from web.app import create_app
from web.throttle import PER_CLIENT

#: Failed sign-ins one address may make (web.throttle); the next is refused whatever the username.
LIMIT = int(PER_CLIENT.split()[0])


@contextmanager
def served_like_advisor_serve(settings: Settings, advisor: Advisor, users: UserStore) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    options = {**server_options(settings.model_copy(update={"host": "127.0.0.1", "port": port}))}
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, advisor=advisor, users=users), log_level="warning", **options)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def _guess(client: httpx.Client, username: str, forwarded_for: str) -> int:
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login",
        data={"csrftoken": token, "username": username, "password": "wrong " + PASSWORD, "next": "/"},
        headers={
            "X-Forwarded-For": forwarded_for,
            "X-Real-IP": forwarded_for,
            "Forwarded": f"for={forwarded_for}",
        },
    )
    return response.status_code


@pytest.fixture
def users(tmp_path: Path) -> UserStore:
    store = UserStore(f"sqlite:///{tmp_path}/users.db")
    store.create_user("agent", "agent", PASSWORD)
    return store


@pytest.mark.slow  # ~20 s: 31 sign-ins, each hashing a password
def test_by_default_forwarded_headers_are_ignored(
    settings: Settings, advisor: Advisor, users: UserStore
) -> None:
    assert settings.trusted_proxies == ""
    assert server_options(settings)["proxy_headers"] is False
    with served_like_advisor_serve(settings, advisor, users) as url, httpx.Client(base_url=url) as client:
        statuses = [_guess(client, f"user{i}", f"203.0.113.{i + 1}") for i in range(LIMIT)]
        assert statuses == [401] * LIMIT
        # every guess came from 127.0.0.1, whatever it claimed: this address is now refused
        assert _guess(client, "someone-else", "198.51.100.77") == 429


@pytest.mark.slow
def test_a_trusted_proxy_forwards_the_client_that_is_counted(
    settings: Settings, advisor: Advisor, users: UserStore
) -> None:
    behind_proxy = settings.model_copy(update={"trusted_proxies": "127.0.0.1, 10.0.0.0/8"})
    assert server_options(behind_proxy)["forwarded_allow_ips"] == ["127.0.0.1", "10.0.0.0/8"]
    with served_like_advisor_serve(behind_proxy, advisor, users) as url, httpx.Client(base_url=url) as client:
        statuses = [_guess(client, f"user{i}", "203.0.113.5") for i in range(LIMIT)]
        assert statuses == [401] * LIMIT
        assert _guess(client, "user-x", "203.0.113.5") == 429  # that client is refused...
        assert _guess(client, "user-y", "198.51.100.8") == 401  # ...another one behind the proxy is not
