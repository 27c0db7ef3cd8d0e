"""The programme view (/recommendations) and the digest page (/digest) over a real app: steps by state with
owner and due date, the overdue ones marked, the timelines' data with each step's start and end, outcomes in
words and colour; the digest remembers each person's last visit."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from bs4 import BeautifulSoup
from fastapi.testclient import TestClient

from advisor.digest_store import DigestViews
from tests.advisor.programme_org import MARKUP, ProgrammeOrg, settle_warm_up
from web.app import create_app


@pytest.fixture(scope="module")
def client(programme_org: ProgrammeOrg) -> Iterator[TestClient]:
    with TestClient(create_app(programme_org.settings, advisor=programme_org.advisor)) as test_client:
        yield test_client
    settle_warm_up()


def words(node: object) -> str:
    return re.sub(r"\s+", " ", getattr(node, "get_text", lambda: str(node))()).strip()


def test_the_programme_shows_steps_by_state_overdue_and_timelines(
    client: TestClient, programme_org: ProgrammeOrg
) -> None:
    page = client.get("/recommendations")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    # steps by state, the work under way first, each with its owner and due date
    states = [node["id"] for node in soup.select("#programme-steps h3[id^=state-]")]
    assert states == ["state-in_progress", "state-proposed", "state-done", "state-dismissed"]
    overdue_step = soup.select_one(f"#rec-{programme_org.overdue}")
    assert overdue_step is not None and "is-overdue" in overdue_step["class"]
    assert words(overdue_step.select_one(".step-owner")) == "maria"
    assert words(overdue_step.select_one(".step-due")) == "2026-11-10"
    days = (datetime.now(UTC).date() - date(2026, 11, 10)).days
    assert f"Overdue by {days} days" in words(overdue_step.select_one(".step-overdue"))
    # the page reads the programme on the real today: the step due on 2026-11-24 is overdue by now too
    overdue = soup.select_one("#overdue")
    assert overdue is not None and [li["id"] for li in overdue.select("li")] == [
        f"overdue-{programme_org.overdue}",
        f"overdue-{programme_org.due_soon}",
    ]
    assert f"overdue by {days} days (due 2026-11-10), in progress, owner maria" in words(overdue)
    # titles are the users' words: escaped, never run
    assert MARKUP not in page.text and "Swarm &lt;script&gt;" in page.text
    assert words(soup.select_one(f"#rec-{programme_org.due_soon} .step-owner")) == "nobody yet"

    # the outcome: better or worse in words and colour, with the noise band
    c6 = soup.select_one(f"#outcome-{programme_org.done}-C6")
    assert c6 is not None and c6["data-verdict"] == "worse"
    assert c6.select_one(".badge-weak") is not None and "Worse" in words(c6.select_one(".badge"))
    assert words(c6.select_one(".outcome-change")) == (
        "rose from 0.78 hand-offs per ticket to 1.24 hand-offs per ticket: worse, as lower is better"
    )
    c5 = soup.select_one(f"#outcome-{programme_org.done}-C5")
    assert c5 is not None and c5.select_one(".badge-watch") is not None
    assert "it spans no change, so the change is inside the noise: no clear change." in words(c5)

    # the timelines: the targeted metrics per month, the done step's start and end marked
    charts = json.loads(soup.select_one("#timeline-charts").string)  # type: ignore[union-attr, arg-type]
    # in progress, proposed and done steps' targets, in that order; C1b was only a dismissed step's
    figures = [figure["id"] for figure in soup.select("figure.timeline")]
    assert figures == ["timeline-C6", "timeline-K1", "timeline-C5"] and sorted(charts) == ["C5", "C6", "K1"]
    c6_chart = charts["C6"]
    assert c6_chart["labels"][-1] == "2026-10" and len(c6_chart["labels"]) == 18
    assert len(c6_chart["values"]) == 18 and all(value is not None for value in c6_chart["values"])
    route_once = [mark for mark in c6_chart["marks"] if "Route once" in mark["text"]]
    assert [(mark["kind"], mark["label"], mark["text"], mark["verdict"]) for mark in route_once] == [
        ("start", "2026-09", "start Route once", None),
        ("end", "2026-10", "end Route once: worse", "worse"),  # the outcome on the timeline
    ]
    assert soup.select_one("canvas[data-timeline=C6]") is not None
    assert "Route once ended 2026-10-19: worse on C6" in words(
        soup.select_one("#timeline-C6 .timeline-marks")
    )
    assert "Route once ended 2026-10-19: no clear change on C5" in words(soup.select_one("#timeline-C5"))
    # the chart's figures are on the page as text too, in a table that scrolls inside its card
    assert soup.select_one("#timeline-C6 .table-scroll table") is not None

    # no inline script: data in JSON, drawn by static files that share charts.js
    scripts = soup.find_all("script")
    assert all(tag.get("src") or tag.get("type") == "application/json" for tag in scripts)
    sources = [str(tag["src"]) for tag in scripts if tag.get("src")]
    assert sources[-4:] == [
        "/static/vendor/chartjs/chart.umd.min.js",
        "/static/charts.js",
        "/static/outcome_chart.js",
        "/static/programme_chart.js",
    ] or [src.split("http://testserver")[-1] for src in sources[-4:]] == [
        "/static/vendor/chartjs/chart.umd.min.js",
        "/static/charts.js",
        "/static/outcome_chart.js",
        "/static/programme_chart.js",
    ]
    for name in ("charts.js", "programme_chart.js", "programme.css"):
        assert client.get(f"/static/{name}").status_code == 200


def test_the_digest_page_remembers_the_last_visit(client: TestClient, programme_org: ProgrammeOrg) -> None:
    views = DigestViews(programme_org.settings.database_url)
    organisation = programme_org.advisor.organisation()
    first = client.get("/digest?since=2026-09-01")
    assert first.status_code == 200
    soup = BeautifulSoup(first.text, "html.parser")
    assert words(soup.select_one("#digest-since")).startswith("Since 2026-09-01, up to ")
    assert soup.select_one("#crossed-C6") is not None
    assert soup.select_one(f"#due-{programme_org.overdue}.overdue") is not None
    assert soup.select_one(f"#measured-{programme_org.done}-C6 .badge-weak") is not None
    assert MARKUP not in first.text
    seen = views.last_seen("local user", organisation)
    assert seen is not None and (datetime.now(UTC) - seen).total_seconds() < 120

    again = client.get("/digest")
    assert f"Since your last visit on {seen:%Y-%m-%d %H:%M} UTC" in words(
        BeautifulSoup(again.text, "html.parser").select_one("#digest-since")
    )
    markdown = client.get("/digest.md?since=2026-09-01")
    assert markdown.headers["content-type"].startswith("text/markdown")
    assert "## Steps due or overdue" in markdown.text and "- **OVERDUE** Swarm <script>" in markdown.text
