"""Homes by role: signing in (and `/`) lands agents on knowledge search, managers on the advisor with their
team's weak metrics, leaders on the programme of recommendations; the menu lists each one's home first, and
every page their role allows stays one click away."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from advisor.access import LOCAL_PRINCIPAL, Principal
from advisor.cli import app as cli
from advisor.homes import focus_view, team_names, weak_metrics
from advisor.service import Advisor
from advisor.settings import Settings
from advisor.users import UserStore
from tests.web.signed_in import PASSWORD, csrf_from
from web.app import create_app
from web.navigation import home_path, nav_links

TEAM = "Billing Desk"  # the demo's busiest team, where its hand-offs (C6) worsen


@pytest.fixture(scope="module")
def users(tmp_path_factory: pytest.TempPathFactory) -> UserStore:
    store = UserStore(f"sqlite:///{tmp_path_factory.mktemp('home-users')}/users.db")
    for role in ("agent", "manager", "leader", "admin"):
        store.create_user(role, role, PASSWORD, team=TEAM if role == "manager" else None)
    store.create_user("lost-manager", "manager", PASSWORD, team="Night Shift")
    return store


@pytest.fixture(scope="module")
def client(settings: Settings, advisor: Advisor, users: UserStore) -> Iterator[TestClient]:
    with TestClient(create_app(settings, advisor=advisor, users=users)) as served:
        yield served


def sign_in(client: TestClient, username: str) -> str:
    """Sign in through the form with no `next` (as from the bare sign-in page); returns where it lands."""
    client.cookies.clear()
    token = csrf_from(client.get("/login").text)
    landed = client.post("/login", data={"csrftoken": token, "username": username, "password": PASSWORD})
    assert landed.status_code == 200, landed.text[:500]
    return landed.url.path


def menu(page: str) -> list[str]:
    """The main menu's links, in order (the account link and sign-out left out)."""
    nav = page.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]
    return [href for href in re.findall(r'<a href="([^"]+)"', nav) if href != "/account"]


@pytest.mark.parametrize(
    ("role", "home", "heading"),
    [
        ("agent", "/knowledge", "Knowledge"),
        ("manager", "/", "Ask the advisor"),
        ("leader", "/recommendations", None),
        ("admin", "/", "Ask the advisor"),
    ],
)
def test_signing_in_lands_each_role_on_its_home(
    client: TestClient, role: str, home: str, heading: str | None
) -> None:
    assert sign_in(client, role) == home
    again = client.get("/", follow_redirects=False)
    if home == "/":
        assert again.status_code == 200
    else:
        assert (again.status_code, again.headers["location"]) == (303, home)
    page = client.get(home).text
    if heading:
        assert re.search(rf"<h1[^>]*>{heading}</h1>", page)
    assert menu(page)[0] == (home if home != "/" else "/"), "the home comes first in the menu"
    assert 'aria-current="page"' in page.split('<nav aria-label="Main">', 1)[1].split("</nav>", 1)[0]


MENUS = {
    "agent": ["/knowledge", "/chat", "/scorecard", "/recommendations"],
    "manager": ["/", "/scorecard", "/recommendations", "/knowledge"],
    "leader": ["/recommendations", "/chat", "/scorecard", "/knowledge"],
    "admin": ["/", "/scorecard", "/recommendations", "/knowledge", "/data", "/admin/users"],
}


def test_the_menu_lists_the_home_first_then_what_the_role_may_open(client: TestClient) -> None:
    for role, links in MENUS.items():
        sign_in(client, role)
        assert menu(client.get("/account").text) == links, role


@pytest.mark.slow
@pytest.mark.parametrize("role", list(MENUS))
def test_every_page_the_menu_offers_opens(client: TestClient, role: str) -> None:
    sign_in(client, role)
    for path in MENUS[role]:
        assert client.get(path).status_code == 200, (role, path)


def test_an_agent_finds_the_chat_one_click_from_knowledge_search(client: TestClient) -> None:
    sign_in(client, "agent")
    page = client.get("/knowledge", params={"q": "reset two-factor sign-in"}).text
    ask = re.search(r'id="ask-advisor"><a href="([^"]+)"', page)
    assert ask and ask.group(1) == "/chat?ask=reset+two-factor+sign-in"
    chat = client.get("/chat", params={"ask": "reset two-factor sign-in"})
    assert chat.status_code == 200 and 'data-autoask="true"' in chat.text
    assert "reset two-factor sign-in</textarea>" in chat.text
    # a conversation's own address opens the chat, never the home it would otherwise lead to
    assert client.get("/?c=abc", follow_redirects=False).status_code == 200
    assert client.get("/data").status_code == 403, "the home changes nothing of what a role may open"


def test_a_manager_sees_their_team_weak_metrics_and_next_steps(client: TestClient) -> None:
    sign_in(client, "manager")
    page = client.get("/").text
    assert f'<h2 id="focus-title">{TEAM}: where to look first</h2>' in page
    shown = re.findall(r'<li id="focus-(\w+)">', page)
    assert "C6" in shown, "Billing Desk's worsening hand-offs come first"
    assert '<a class="why-link" href="/scorecard/metrics/C6/why">' in page
    assert f"Smartest next steps for {TEAM}</h2>" in page
    assert 'id="scorecard-title"' not in page, "the team's figures replace the organisation's summary"


def test_a_manager_whose_team_has_no_figures_sees_the_organisation(client: TestClient) -> None:
    sign_in(client, "lost-manager")
    page = client.get("/").text
    assert '<h2 id="focus-title">Where to look first</h2>' in page
    note = re.search(r'id="focus-missing-team">(.*?)</p>', page)
    assert note and "Night Shift" in note.group(1) and TEAM in note.group(1)


def test_the_team_view_ranks_weak_before_watch(advisor: Advisor) -> None:
    view = focus_view(advisor, "billing desk")  # any case
    assert view.team == TEAM and view.missing_team is None and TEAM in view.teams
    statuses = [metric.status for metric in view.metrics]
    assert statuses == sorted(statuses, key=["weak", "watch"].index)
    assert all(step.scope == {"team": TEAM} for step in view.next_steps)
    organisation = weak_metrics(advisor.scorecard())
    assert {metric.status for metric in organisation} <= {"weak", "watch"}
    assert team_names(advisor.scorecard(by="team")) == sorted(view.teams, key=str.lower)


def test_homes_and_menus_follow_the_roles() -> None:
    agent = Principal("a", "agent")
    assert home_path(agent) == "/knowledge"
    assert home_path(Principal("l", "leader")) == "/recommendations"
    assert home_path(LOCAL_PRINCIPAL) == "/"
    assert "Users" not in [link.label for link in nav_links(LOCAL_PRINCIPAL)], "no users in local mode"
    assert nav_links(None) == []
    chat = next(link for link in nav_links(agent) if link.label == "Advisor")
    assert chat.current("/chat") and not chat.current("/chatter")


def test_a_user_team_is_kept_and_reaches_their_sessions(users: UserStore) -> None:
    users.create_user("teamless", "manager", PASSWORD)
    token = users.start_session("teamless")
    assert (principal := users.session_principal(token)) and principal.team is None
    assert users.set_team("teamless", "  Platform   Support ").team == "Platform Support"
    assert (principal := users.session_principal(token)) and principal.team == "Platform Support"
    assert users.set_team("teamless", " ").team is None


def test_the_cli_sets_a_team() -> None:
    runner = CliRunner()
    made = runner.invoke(
        cli, ["create-user", "mia", "--role", "manager", "--team", TEAM, "--password-stdin"], input=PASSWORD
    )
    assert made.exit_code == 0, made.output
    moved = runner.invoke(cli, ["set-team", "mia", "Onboarding"])
    assert moved.exit_code == 0 and "mia is in Onboarding" in moved.output
    listed = runner.invoke(cli, ["users", "--json"])
    assert '"team": "Onboarding"' in listed.stdout


def test_an_admin_sets_a_team_on_the_users_page(client: TestClient, users: UserStore) -> None:
    users.create_user("newcomer", "manager", PASSWORD)
    sign_in(client, "admin")
    page = client.get("/admin/users").text
    assert 'action="/admin/users/newcomer/team"' in page
    token = csrf_from(page)
    done = client.post("/admin/users/newcomer/team", data={"csrftoken": token, "team": "Onboarding"})
    assert done.status_code == 200 and "newcomer is in Onboarding." in done.text
    assert users.get_user("newcomer").team == "Onboarding"
    sign_in(client, "newcomer")
    assert '<h2 id="focus-title">Onboarding: where to look first</h2>' in client.get("/").text
