"""Sign-in, roles, sessions, API tokens and CSRF over HTTP, on a real server with a user for every role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from advisor.service import Advisor
from advisor.settings import Settings
from advisor.users import UserStore
from tests.web.servers import serve
from tests.web.signed_in import PASSWORD, add_role_users, csrf_from, sign_in, signed_in
from web.app import create_app
from web.security import SESSION_COOKIE


@pytest.fixture(scope="module")
def users(tmp_path_factory: pytest.TempPathFactory) -> UserStore:
    store = UserStore(f"sqlite:///{tmp_path_factory.mktemp('users')}/users.db")
    add_role_users(store)
    return store


@pytest.fixture(scope="module")
def url(settings: Settings, advisor: Advisor, users: UserStore) -> Iterator[str]:
    with serve(create_app(settings, advisor=advisor, users=users)) as base:
        yield base


def test_nothing_but_sign_in_without_a_session(url: str) -> None:
    with httpx.Client(base_url=url) as client:
        api = client.get("/api/scorecard")
        assert api.status_code == 401 and api.headers["www-authenticate"] == "Bearer"
        assert "sign in first" in api.json()["detail"]
        assert client.get("/openapi.json").status_code == 401
        page = client.get("/recommendations?status=done")
        assert page.status_code == 303
        assert page.headers["location"] == "/login?next=/recommendations%3Fstatus%3Ddone"
        assert client.get("/").headers["location"] == "/login?next=/"
        assert client.get("/healthz").status_code == 200
        assert client.get("/static/style.css").status_code == 200
        assert client.get("/login").status_code == 200


def test_sign_in_sets_a_safe_session_cookie(url: str) -> None:
    with httpx.Client(base_url=url) as client:
        response = sign_in(client, "Agent")
        assert response.status_code == 303 and response.headers["location"] == "/account"
        [cookie] = [c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)]
        attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")}
        assert {"httponly", "samesite", "path", "max-age"} <= attributes
        assert "samesite=lax" in cookie.lower() and "path=/" in cookie.lower()
        assert "secure" not in attributes  # served on loopback: plain HTTP must keep working
        first = client.cookies[SESSION_COOKIE]
        page = client.get("/account")
        assert page.status_code == 200 and "agent (agent)" in page.text
        # a fresh session at every sign-in, and the old one ends
        sign_in(client, "agent")
        assert client.cookies[SESSION_COOKIE] != first
        stale = httpx.get(f"{url}/api/me", cookies={SESSION_COOKIE: first})
        assert stale.status_code == 401


def test_a_wrong_password_gets_a_message_and_no_session(url: str) -> None:
    with httpx.Client(base_url=url) as client:
        response = sign_in(client, "agent", PASSWORD + "!")
        assert response.status_code == 401
        assert "Wrong username or password." in response.text
        assert not any(c.startswith(SESSION_COOKIE) for c in response.headers.get_list("set-cookie"))
        assert sign_in(client, "nobody").status_code == 401


def test_password_guessing_is_throttled_per_account(url: str, users: UserStore) -> None:
    users.create_user("target", "agent", PASSWORD)
    with httpx.Client(base_url=url) as client:
        for attempt in range(5):
            assert sign_in(client, "target", f"guess number {attempt}").status_code == 401
        refused = sign_in(client, "target")  # now even the right password has to wait
        assert refused.status_code == 429 and "Too many failed sign-ins" in refused.text
        assert sign_in(client, "manager").status_code == 303  # other accounts carry on


def test_sign_in_only_returns_to_a_local_path(url: str) -> None:
    with httpx.Client(base_url=url) as client:
        token = csrf_from(client.get("/login?next=//evil.example/x").text)
        for target, expected in [
            ("//evil.example/x", "/"),
            ("https://evil.example", "/"),
            ("/knowledge", "/knowledge"),
        ]:
            response = client.post(
                "/login",
                data={"csrftoken": token, "username": "agent", "password": PASSWORD, "next": target},
            )
            assert response.headers["location"] == expected


def test_agents_chat_and_read_but_cannot_change_or_administer(url: str) -> None:
    with signed_in(url, "agent") as agent:
        assert agent.get("/api/me").json()["permissions"] == [
            "chat",
            "search",
            "view_recommendations",
            "view_scorecard",
        ]
        assert agent.get("/api/recommendations").status_code == 200
        refused = agent.post("/api/recommendations", json={})
        assert refused.status_code == 403 and "may not change recommendations" in refused.json()["detail"]
        assert agent.get("/api/users").status_code == 403
        for page in ("/data", "/admin/users"):
            response = agent.get(page)
            assert response.status_code == 403, page
            assert "Not allowed" in response.text and "signed in as agent (agent)" in response.text
        nav = agent.get("/account").text
        assert 'href="/knowledge"' in nav and 'href="/data"' not in nav and 'href="/admin/users"' not in nav
        page = agent.get("/recommendations")  # agents read the ranked steps but get no buttons to change them
        assert page.status_code == 200 and 'class="ranked-item"' in page.text
        assert "Propose the current next steps" not in page.text and "/transition" not in page.text


def test_managers_propose_and_admins_manage_users(url: str) -> None:
    with signed_in(url, "manager") as manager:
        assert "Propose the current next steps" in manager.get("/recommendations").text
        assert manager.post("/api/recommendations", json={}).status_code == 200
        assert (
            manager.post(
                "/api/users", json={"username": "x", "role": "agent", "password": PASSWORD}
            ).status_code
            == 403
        )
    with signed_in(url, "admin") as admin:
        created = admin.post("/api/users", json={"username": "Dana", "role": "agent", "password": PASSWORD})
        assert created.status_code == 201 and created.json()["username"] == "dana"
        assert "password" not in created.text and "argon2" not in created.text
        assert (
            admin.post(
                "/api/users", json={"username": "dana", "role": "agent", "password": PASSWORD}
            ).status_code
            == 409
        )
        assert (
            admin.post(
                "/api/users", json={"username": "eve", "role": "boss", "password": PASSWORD}
            ).status_code
            == 422
        )
        assert (
            admin.post(
                "/api/users", json={"username": "eve", "role": "agent", "password": "short"}
            ).status_code
            == 422
        )
        changed = admin.patch("/api/users/dana", json={"role": "leader"})
        assert changed.status_code == 200 and changed.json()["role"] == "leader"
        assert admin.patch("/api/users/nobody", json={"role": "leader"}).status_code == 404
        last = admin.patch("/api/users/admin", json={"role": "agent"})
        assert last.status_code == 409 and "last active admin" in last.json()["detail"]
        listed = [user["username"] for user in admin.get("/api/users").json()["users"]]
        assert {"admin", "agent", "manager", "leader", "dana"} <= set(listed)

        # the users page: create a user through the form, then disable them
        page = admin.get("/admin/users")
        assert page.status_code == 200 and "dana" in page.text
        form = {
            "csrftoken": csrf_from(page.text),
            "username": "frank",
            "role": "manager",
            "password": PASSWORD,
        }
        made = admin.post("/admin/users", data=form)
        assert made.status_code == 200 and "Created frank (manager)." in made.text
        frank = httpx.Client(base_url=url)
        assert sign_in(frank, "frank").status_code == 303
        disabled = admin.post(
            "/admin/users/frank/disabled", data={"csrftoken": csrf_from(made.text), "disabled": "true"}
        )
        assert disabled.status_code == 200 and "frank is disabled" in disabled.text
        assert frank.get("/api/me").status_code == 401  # the session ended at once
        frank.close()


def test_bearer_tokens_work_for_the_api_until_revoked(url: str) -> None:
    with signed_in(url, "leader") as leader:
        made = leader.post("/api/tokens", json={"name": "weekly report"})
        assert made.status_code == 201 and made.headers["cache-control"] == "no-store"
        token, token_id = made.json()["token"], made.json()["id"]
        listed = leader.get("/api/tokens").json()["tokens"]
        assert [t["name"] for t in listed] == ["weekly report"] and "token" not in listed[0]

        script = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"})
        me = script.get("/api/me").json()
        assert (me["username"], me["role"], me["local"]) == ("leader", "leader", False)
        assert script.get("/api/next-steps").status_code == 200
        assert script.get("/api/users").status_code == 403
        assert leader.get("/api/tokens").json()["tokens"][0]["last_used_at"] is not None

        assert leader.delete(f"/api/tokens/{token_id}").status_code == 204
        refused = script.get("/api/me")
        assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
        assert leader.delete(f"/api/tokens/{token_id}").status_code == 404
        script.close()


def test_forms_need_the_csrf_token(url: str) -> None:
    with signed_in(url, "manager") as manager:
        del manager.headers["x-csrftoken"]
        refused = manager.post("/account/tokens", data={"name": "no token"})
        assert refused.status_code == 403 and "CSRF" in refused.text and "reload the page" in refused.text
        assert manager.post("/api/tokens", json={"name": "no header"}).status_code == 403
        form = {"name": "with token", "csrftoken": csrf_from(manager.get("/account").text)}
        accepted = manager.post("/account/tokens", data=form)
        assert accepted.status_code == 201 and "Copy it now: it is not shown again." in accepted.text
    with httpx.Client(base_url=url) as stranger:  # login CSRF: the sign-in form is protected too
        refused = stranger.post("/login", data={"username": "agent", "password": PASSWORD})
        assert refused.status_code == 403


def test_sign_out_ends_the_session(url: str) -> None:
    with signed_in(url, "agent") as agent:
        session = agent.cookies[SESSION_COOKIE]
        out = agent.post("/logout", data={"csrftoken": csrf_from(agent.get("/account").text)})
        assert out.status_code == 303 and out.headers["location"] == "/login"
        assert agent.get("/account").status_code == 303
        assert httpx.get(f"{url}/api/me", cookies={SESSION_COOKIE: session}).status_code == 401


def test_the_openapi_schema_documents_the_account_api(url: str) -> None:
    with signed_in(url, "agent") as agent:
        schema = agent.get("/openapi.json").json()
    paths = schema["paths"]
    assert {"get", "post"} <= paths["/api/tokens"].keys() and "delete" in paths["/api/tokens/{token_id}"]
    assert {"get", "post"} <= paths["/api/users"].keys() and "patch" in paths["/api/users/{username}"]
    assert "get" in paths["/api/me"] and "put" in paths["/api/me/password"]
    assert "token" in schema["components"]["schemas"]["NewTokenOut"]["properties"]


def test_names_are_rendered_escaped(url: str) -> None:
    with signed_in(url, "leader") as leader:
        form = {"name": "<script>alert(1)</script>", "csrftoken": csrf_from(leader.get("/account").text)}
        made = leader.post("/account/tokens", data=form)
        assert "<script>alert(1)" not in made.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in made.text
        listed = leader.get("/account").text
        assert "<script>alert(1)" not in listed and "&lt;script&gt;alert(1)&lt;/script&gt;" in listed
    with signed_in(url, "admin") as admin:
        form = {
            "csrftoken": csrf_from(admin.get("/admin/users").text),
            "username": "<script>alert(2)</script>",
            "role": "agent",
            "password": PASSWORD,
        }
        refused = admin.post("/admin/users", data=form)
        assert refused.status_code == 400 and "is not a valid username" in refused.text
        assert "<script>alert(2)" not in refused.text and "&lt;script&gt;alert(2)" in refused.text


def test_a_signed_in_request_costs_at_most_two_queries(url: str, users: UserStore) -> None:
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    with signed_in(url, "agent") as agent:
        agent.get("/api/me")
        event.listen(Engine, "before_cursor_execute", count)  # every engine: nothing else may query either
        try:
            assert agent.get("/api/me").status_code == 200
        finally:
            event.remove(Engine, "before_cursor_execute", count)
    assert 1 <= len(statements) <= 2, statements


def test_local_mode_answers_only_this_machine(settings: Settings, tmp_path: Path) -> None:
    app = create_app(settings, users=UserStore(f"sqlite:///{tmp_path}/empty.db"))

    def client(address: str, host: str = "127.0.0.1:8000") -> TestClient:
        # not entered as a context manager: no lifespan, so no Advisor is built for these few calls
        return TestClient(app, base_url=f"http://{host}", client=(address, 50000), follow_redirects=False)

    local = client("127.0.0.1")
    me = local.get("/api/me").json()
    assert (me["username"], me["role"], me["local"]) == ("local user", "admin", True)
    assert local.get("/login").headers["location"] == "/"
    cross_site = local.post("/api/tokens", json={"name": "x"}, headers={"Origin": "https://evil.example"})
    assert cross_site.status_code == 403 and "another site" in cross_site.json()["detail"]
    assert local.post("/api/tokens", json={"name": "x"}).status_code == 409  # no user to own a token
    assert local.post("/logout").status_code == 403  # forms need the CSRF token even without cookies

    remote = client("203.0.113.9")
    refused = remote.get("/api/me")
    assert refused.status_code == 403 and "advisor create-user" in refused.json()["detail"]
    page = remote.get("/account")
    assert page.status_code == 403 and "only answers its own machine" in page.text
    rebound = client("127.0.0.1", host="rebound.evil.example:8000")  # DNS rebinding
    assert rebound.get("/api/me").status_code == 403
