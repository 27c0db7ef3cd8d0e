"""The diagnosis API and page over HTTP: issue 11's JSON, permissions, the no-JavaScript page, proposing a step."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from bs4 import BeautifulSoup, Tag

from advisor.recommendation_store import RecommendationStore
from advisor.service import Advisor
from advisor.settings import Settings
from advisor.users import UserStore
from tests.web.servers import serve
from tests.web.signed_in import add_role_users, csrf_from, signed_in
from web.app import create_app


@pytest.fixture(scope="module")
def url(settings: Settings, advisor: Advisor, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Sign-in switched on (a user per role) over the session's demo, with a recommendation store of its own."""
    state = tmp_path_factory.mktemp("diagnosis-web")
    own = Advisor(
        data_dir=advisor.data_dir,
        index=advisor.index,
        practices=list(advisor.practices.values()),
        recommendations=RecommendationStore(f"sqlite:///{state}/recs.db"),
        conversations=advisor.conversations,
        min_group_size=advisor.min_group_size,
    )
    users = UserStore(f"sqlite:///{state}/users.db")
    add_role_users(users)
    with serve(create_app(settings, advisor=own, users=users)) as base:
        yield base


def test_api_returns_the_json_contract(url: str) -> None:
    with signed_in(url, "agent") as client:
        body = client.get("/api/diagnose/C6").json()
    assert {"metric", "period", "compared_with", "value", "change", "since", "segments", "prior_solutions",
            "practices"} <= body.keys()  # fmt: skip
    top = body["segments"][0]
    assert (top["by"], top["value"], top["effect"]) == ("team", "Billing Desk", "rate")


def test_api_takes_period_and_baseline(url: str) -> None:
    with signed_in(url, "agent") as client:
        response = client.get(
            "/api/diagnose/C1b",
            params={"period": "2026-08-01..2026-11-01", "baseline": "2025-02-01..2025-05-01"},
        )
    assert response.status_code == 200
    compared = response.json()["compared_with"]
    assert compared["kind"] == "baseline" and compared["start"] == "2025-02-01"


@pytest.mark.parametrize(
    ("path", "status"),
    [("/api/diagnose/Z9", 404), ("/api/diagnose/C6?period=2026-13-01..2026-14-01", 422)],
)
def test_api_errors(url: str, path: str, status: int) -> None:
    with signed_in(url, "agent") as client:
        assert client.get(path).status_code == status


def test_api_needs_sign_in(url: str) -> None:
    assert httpx.get(f"{url}/api/diagnose/C6").status_code == 401


def test_metric_page_links_to_the_diagnosis(url: str) -> None:
    with signed_in(url, "agent") as client:
        soup = BeautifulSoup(client.get("/scorecard/metrics/C6").text, "html.parser")
    link = soup.find("a", class_="dx-why")
    assert isinstance(link, Tag) and link["href"] == "/scorecard/metrics/C6/why"
    assert link.get_text().startswith("Why is this weak")


def test_page_works_without_javascript(url: str) -> None:
    with signed_in(url, "agent") as client:
        response = client.get("/scorecard/metrics/C6/why")
    assert response.status_code == 200
    soup = BeautifulSoup(response.text, "html.parser")
    assert not soup.find("script", src=lambda src: bool(src) and "diagnos" in src)
    chart = soup.find("figure", class_="dx-chart")
    assert isinstance(chart, Tag)
    label = str(chart["aria-label"])
    assert label.startswith("Largest contributions to the change: team Billing Desk +")
    rows = soup.select("table.dx-table tbody tr")
    assert rows and "team: Billing Desk" in rows[0].get_text()
    text = soup.get_text(" ")
    assert "Rate" in text and "Mix" in text and "What was tried here before" in text
    assert "has not tried anything for C6" in text
    # An agent may look, not propose.
    assert not soup.select("form.dx-propose")


def test_a_manager_proposes_a_practice_scoped_to_the_segment(url: str) -> None:
    with signed_in(url, "manager") as client:
        page = client.get("/scorecard/metrics/C6/why").text
        soup = BeautifulSoup(page, "html.parser")
        forms = soup.select("form.dx-propose")
        assert forms
        warm = next(f for f in forms if f.find("input", attrs={"value": "cust-warm-handoff-with-context"}))
        assert "starting with team Billing Desk" in warm.get_text()
        fields = {str(i["name"]): str(i.get("value", "")) for i in warm.find_all("input")}
        fields["csrftoken"] = csrf_from(page)
        response = client.post(str(warm["action"]), data=fields, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/recommendations"
        tracked = client.get("/api/recommendations").json()
    items = tracked["recommendations"] if isinstance(tracked, dict) else tracked
    proposed = next(item for item in items if item["practice_id"] == "cust-warm-handoff-with-context")
    assert proposed["scope"] == {"team": "Billing Desk"} and proposed["status"] == "proposed"
    assert "diagnosis:C6" in proposed["sources"]


def test_an_agent_cannot_propose(url: str) -> None:
    with signed_in(url, "agent") as client:
        response = client.post(
            "/scorecard/metrics/C6/why/propose",
            data={"practice_id": "cust-warm-handoff-with-context", "csrftoken": client.cookies["csrftoken"]},
            follow_redirects=False,
        )
    assert response.status_code == 403
