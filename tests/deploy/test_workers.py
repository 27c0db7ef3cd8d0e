"""Issue 16 §1: `advisor serve --workers 2`, as run in production, on SQLite and on PostgreSQL. Requests are
spread over both worker processes on purpose (clients pinned to each) and every check says which worker
answered: a form token from one worker is accepted by the other, five wrong passwords are five across both,
a job started on one worker is polled from the other, two imports started at once on the two workers give
one job and one refusal, and chats answer on both."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.deploy.workers import answered_by, pinned_clients, seed_deployment, two_workers
from tests.postgres import fresh_postgres_database, postgres_server
from tests.web.signed_in import PASSWORD, csrf_from

#: pytest finds fixtures by name in the module: this one comes from tests/postgres.py
FIXTURES = (postgres_server,)
ZENDESK = Path(__file__).resolve().parents[1] / "data" / "imports" / "zendesk" / "tickets.csv"
pytestmark = pytest.mark.slow  # two worker processes, each loading the model: about a minute per database


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp(f"workers-{request.param}")
    if request.param == "sqlite":
        databases: Iterator[str] = iter([f"sqlite:///{folder}/advisor.db"])
    else:
        databases = fresh_postgres_database(request.getfixturevalue("postgres_server"))
    url = next(databases)
    settings = seed_deployment(folder, url)
    with two_workers(settings, folder / "server.log") as served_url:
        yield served_url
    next(databases, None)  # drops the PostgreSQL database


def sign_in_on(first: httpx.Client, second: httpx.Client, username: str, password: str) -> httpx.Response:
    """The form from `first`'s worker, posted through `second`'s (sharing the CSRF cookie, like a browser)."""
    token = csrf_from(first.get("/login").text)
    second.cookies.update(first.cookies)
    return second.post(
        "/login",
        data={"csrftoken": token, "username": username, "password": password, "next": "/"},
        follow_redirects=False,
    )


def test_a_form_token_from_one_worker_is_accepted_by_the_other(server: str) -> None:
    with pinned_clients(server) as clients:
        (one, first), (other, second) = clients.items()
        form = first.get("/login")
        assert answered_by(first, form) == one
        second.cookies.update(first.cookies)
        signed = second.post(
            "/login",
            data={"csrftoken": csrf_from(form.text), "username": "agent", "password": PASSWORD, "next": "/"},
            follow_redirects=False,
        )
        assert answered_by(second, signed) == other
        assert signed.status_code == 303, signed.text
        first.cookies.update(second.cookies)  # the session made by one worker is known to the other
        account = first.get("/account", follow_redirects=False)
        assert account.status_code == 200 and answered_by(first, account) == one


def test_five_wrong_passwords_are_five_across_both_workers(server: str) -> None:
    with pinned_clients(server) as clients:
        workers = list(clients.values())
        answered: list[tuple[int, int]] = []
        for attempt in range(7):
            client = workers[attempt % 2]
            response = sign_in_on(client, client, "leader", "wrong " + PASSWORD)
            answered.append((answered_by(client, response), response.status_code))
        assert {worker for worker, _ in answered} == set(clients), answered
        assert [status for _, status in answered] == [401] * 5 + [429, 429], answered
        right = sign_in_on(workers[0], workers[0], "leader", PASSWORD)
        assert right.status_code == 429, "the account stays throttled, whichever worker is asked"


def test_a_job_is_polled_from_either_worker_and_imports_run_one_at_a_time(server: str) -> None:
    with pinned_clients(server) as clients:
        workers = list(clients.items())
        for _, client in workers:
            response = sign_in_on(client, client, "admin", PASSWORD)
            assert response.status_code == 303, response.text
            client.headers["x-csrftoken"] = client.cookies["csrftoken"]
        barrier = threading.Barrier(2)
        started: dict[int, httpx.Response] = {}

        def start_import(worker: int, client: httpx.Client) -> None:
            barrier.wait()
            started[worker] = client.post(
                "/api/imports",
                files={"files": ("tickets.csv", ZENDESK.read_bytes(), "text/csv")},
                data={"preset": "zendesk"},
            )

        threads = [threading.Thread(target=start_import, args=worker) for worker in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        statuses = sorted(response.status_code for response in started.values())
        assert statuses == [202, 409], {worker: r.text for worker, r in started.items()}
        (runner, accepted), (poller, refused) = sorted(started.items(), key=lambda item: item[1].status_code)
        assert "already running" in refused.json()["detail"]
        job_id = accepted.json()["id"]
        poll_client = clients[poller]
        seen: set[str] = set()
        deadline = time.monotonic() + 600  # the import rebuilds the index: minutes on a loaded 2-core machine
        while True:
            polled = poll_client.get(f"/api/jobs/{job_id}")
            assert polled.status_code == 200, polled.text
            assert answered_by(poll_client, polled) == poller, "polled on the worker that does not run it"
            seen.add(polled.json()["state"])
            if polled.json()["state"] in {"done", "failed"}:
                break
            assert time.monotonic() < deadline, f"the import did not finish in 600 s: {polled.json()}"
            busy = poll_client.post("/api/index/rebuild")
            assert busy.status_code == 409, "a rebuild on the other worker waits for the import"
            time.sleep(0.5)
        assert polled.json()["state"] == "done", polled.json()
        assert seen & {"queued", "running"}, "the poller saw the job before it finished"
        from_runner = clients[runner].get(f"/api/jobs/{job_id}")
        assert from_runner.json()["state"] == "done" and from_runner.json()["tables"]["tickets"] > 0
        listed = poll_client.get("/api/jobs").json()["jobs"]
        assert [job["id"] for job in listed][:1] == [job_id]


def test_chats_answer_on_both_workers(server: str) -> None:
    with pinned_clients(server) as clients:
        answered: dict[int, list[int]] = {}
        for client in clients.values():
            response = sign_in_on(client, client, "manager", PASSWORD)
            assert response.status_code == 303, response.text
            client.headers["x-csrftoken"] = client.cookies["csrftoken"]
            for question in ("what should we improve next", "how do we reduce reopened tickets"):
                chat = client.post("/api/chat", json={"message": question})
                answered.setdefault(answered_by(client, chat), []).append(chat.status_code)
                assert chat.status_code == 200, chat.text
                assert chat.json()["answer"]
        assert set(answered) == set(clients) and all(
            status == 200 for statuses in answered.values() for status in statuses
        )
