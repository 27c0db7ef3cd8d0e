"""A real uvicorn server with sign-in switched on (a user for every role), and signing in over HTTP."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from advisor.access import ROLES
from advisor.users import UserStore

PASSWORD = "correct horse battery staple"
#: One user per role, named after it.
USERNAMES = {role: role for role in ROLES}


def add_role_users(users: UserStore) -> None:
    for role, username in USERNAMES.items():
        users.create_user(username, role, PASSWORD)


def csrf_from(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = re.search(r'name="csrftoken" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(client: httpx.Client, username: str, password: str = PASSWORD) -> httpx.Response:
    """Sign in through the login form, as a browser would (the CSRF cookie first, then the form)."""
    token = csrf_from(client.get("/login").text)
    return client.post(
        "/login",
        data={"csrftoken": token, "username": username, "password": password, "next": "/account"},
        follow_redirects=False,
    )


@contextmanager
def signed_in(url: str, role: str) -> Iterator[httpx.Client]:
    """A client holding a session of the user with `role`; API calls send the CSRF header like the pages."""
    with httpx.Client(base_url=url, timeout=60) as client:
        response = sign_in(client, USERNAMES[role])
        assert response.status_code == 303, response.text
        client.headers["x-csrftoken"] = client.cookies["csrftoken"]
        yield client
