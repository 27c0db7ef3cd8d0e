"""No bare errors: every error a page meets (403, 404, 405, 409, 413, 422, 500, 503, a refused form) is shown in
the app's layout with what happened and what to do next; under /api/ errors stay JSON; a 500 is logged with its
traceback under a reference the page shows, never the trace itself."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from advisor.errors import InvalidTransition, StateUnavailable
from advisor.service import Advisor
from advisor.settings import Settings
from advisor.users import UserStore
from tests.web.signed_in import PASSWORD, csrf_from
from web.app import create_app
from web.error_pages import error_help, validation_message


class Boom(Exception):
    """A bug no handler knows."""


@pytest.fixture(scope="module")
def client(
    settings: Settings, advisor: Advisor, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The app with a user per role and a few routes that fail the ways real ones can."""
    users = UserStore(f"sqlite:///{tmp_path_factory.mktemp('error-users')}/users.db")
    for role in ("agent", "admin"):
        users.create_user(role, role, PASSWORD)
    app = create_app(settings.model_copy(update={"upload_max_bytes": 4096}), advisor=advisor, users=users)

    @app.get("/test-crash")
    @app.get("/api/test-crash")
    def crash() -> None:
        raise Boom("secret internals: /srv/app/settings.py line 12")

    @app.get("/test-unavailable")
    def unavailable() -> None:
        raise StateUnavailable("the application database is locked by another writer")

    @app.get("/test-conflict")
    def conflict() -> None:
        raise InvalidTransition("the step is already done")

    with TestClient(app, raise_server_exceptions=False) as served:
        yield served


def signed_in_as(client: TestClient, username: str) -> str:
    """Sign in; returns the CSRF token the session's forms carry."""
    client.cookies.clear()
    token = csrf_from(client.get("/login").text)
    client.post("/login", data={"csrftoken": token, "username": username, "password": PASSWORD})
    return client.cookies["csrftoken"]


def assert_in_layout(html: str, title: str, *, signed_in: str | None = "agent") -> dict[str, str]:
    """An error page of the app: its header, menu and footer, a title, the message and advice, a way on."""
    assert html.startswith("<!doctype html>") and '<header class="topbar">' in html and "<footer>" in html
    assert re.search(rf'<h1 id="error-title">{re.escape(title)}</h1>', html), html[:2000]
    found = {
        key: (match.group(1) if (match := re.search(rf'id="error-{key}">(.*?)</p>', html, re.S)) else "")
        for key in ("message", "advice")
    }
    assert found["message"] and found["advice"]
    assert 'class="error-next"' in html and "<a href=" in html.split('class="error-next"', 1)[1]
    if signed_in:
        assert f"{signed_in} ({signed_in})" in html, "the menu of the person signed in"
    for leak in ("Traceback", 'File "', "secret internals"):
        assert leak not in html
    return found


def test_a_missing_page_and_a_missing_api_resource(client: TestClient) -> None:
    signed_in_as(client, "agent")
    page = client.get("/no/such/page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert assert_in_layout(page.text, "Not found")["message"] == "There is no page at /no/such/page."
    assert '<a href="/knowledge">Back to your home page (Knowledge)</a>' in page.text
    api = client.get("/api/no/such/thing")
    assert api.status_code == 404 and api.json() == {"detail": "Not Found"}
    practice = client.get("/practices/no-such-practice")
    assert practice.status_code == 404
    assert "no practice &#39;no-such-practice&#39;" in assert_in_layout(practice.text, "Not found")["message"]


def test_a_refused_role_and_a_refused_form(client: TestClient) -> None:
    token = signed_in_as(client, "agent")
    refused = client.get("/data")
    assert refused.status_code == 403
    assert_in_layout(refused.text, "Not allowed")
    assert "You are signed in as agent (agent)" in refused.text
    assert client.get("/api/jobs").json()["detail"].startswith("your role (agent) may not")
    stale = client.post("/chat", data={"csrftoken": token + "x", "message": "hello"})
    assert stale.status_code == 403
    # refused before the request is signed in: no menu, but a way back
    advice = assert_in_layout(stale.text, "This form has expired", signed_in=None)["advice"]
    assert '<a href="/">Back to the start page</a>' in stale.text
    assert "reload the page" in advice and "You are signed in as" not in stale.text


def test_a_wrong_method_and_invalid_input(client: TestClient) -> None:
    token = signed_in_as(client, "agent")
    wrong = client.post("/scorecard", data={"csrftoken": token})
    assert wrong.status_code == 405
    message = assert_in_layout(wrong.text, "That address does not work that way")["message"]
    assert message == "/scorecard cannot be sent a POST request."
    assert client.post("/api/scorecard", headers={"x-csrftoken": token}).json() == {
        "detail": "Method Not Allowed"
    }
    invalid = client.get("/scorecard", params={"period": "x" * 50})
    assert invalid.status_code == 422
    message = assert_in_layout(invalid.text, "Some of what was sent is not valid")["message"]
    assert message == "&#39;period&#39; in the address: String should have at most 40 characters"
    api = client.get("/api/scorecard", params={"period": "x" * 50})
    assert api.status_code == 422 and api.json()["detail"][0]["loc"] == ["query", "period"]
    long_form = client.post("/chat", data={"csrftoken": token, "message": "x" * 20_001})
    assert long_form.status_code == 422
    assert (
        "the field &#39;message&#39;: String should have at most 20000"
        in assert_in_layout(long_form.text, "Some of what was sent is not valid")["message"]
    )


def test_a_crash_shows_a_reference_and_logs_the_traceback(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    signed_in_as(client, "agent")
    with caplog.at_level(logging.ERROR, logger="web.error_pages"):
        page = client.get("/test-crash")
    assert page.status_code == 500
    assert_in_layout(page.text, "Something went wrong on our side")
    reference = re.search(r'id="error-reference">Reference: <code>([0-9a-f]{12})</code>', page.text)
    assert reference, page.text
    [record] = [r for r in caplog.records if reference.group(1) in r.getMessage()]
    assert record.exc_info and record.exc_info[0] is Boom, "the traceback is in the log"
    api = client.get("/api/test-crash")
    assert api.status_code == 500 and api.headers["content-type"] == "application/json"
    assert set(api.json()) == {"detail", "reference"} and "secret" not in api.text


def test_unavailable_state_and_a_conflict(client: TestClient) -> None:
    signed_in_as(client, "agent")
    busy = client.get("/test-unavailable")
    assert busy.status_code == 503
    advice = assert_in_layout(busy.text, "Not available right now")["advice"]
    assert "reload" in advice
    clash = client.get("/test-conflict")
    assert clash.status_code == 409
    assert "already done" in assert_in_layout(clash.text, "It changed in the meantime")["message"]


@pytest.mark.slow
def test_a_too_large_upload_is_answered_in_the_layout(client: TestClient) -> None:
    token = signed_in_as(client, "admin")
    response = client.post(
        "/data/import",
        data={"csrftoken": token, "preset": "zendesk"},
        files={
            "files": ("huge-export.csv", b"Id,Created at\n" + b"1,2026-03-01T00:00:00Z\n" * 400, "text/csv")
        },
    )
    assert response.status_code == 413
    assert '<header class="topbar">' in response.text and 'role="alert"' in response.text
    assert "huge-export.csv is larger than the upload limit of 4.0 KiB per file" in response.text
    too_big_json = client.post(
        "/api/chat",
        content=b'{"message": "' + b"x" * (3 * 1024**2) + b'"}',
        headers={"content-type": "application/json"},
    )
    assert too_big_json.status_code == 413 and "bytes" in too_big_json.json()["detail"]


def test_signed_out_errors_still_offer_a_way_on(client: TestClient) -> None:
    client.cookies.clear()
    assert client.get("/no/such/page", follow_redirects=False).status_code == 303  # sign in first
    token = csrf_from(client.get("/login").text)
    stale = client.post("/login", data={"csrftoken": token + "x", "username": "agent", "password": "x"})
    assert stale.status_code == 403
    assert_in_layout(stale.text, "This form has expired", signed_in=None)
    assert '<a href="/">Back to the start page</a>' in stale.text


def test_every_status_has_words() -> None:
    for status in (400, 401, 403, 404, 405, 409, 413, 418, 422, 429, 500, 502, 503):
        help_ = error_help(status)
        assert help_.title and help_.advice.endswith(".")
    assert error_help(502) == error_help(500) and error_help(418) == error_help(400)
    assert validation_message([]) == "the request is not valid"
    assert validation_message([{"loc": ("body",), "msg": "Field required"}]) == "the request: Field required"
