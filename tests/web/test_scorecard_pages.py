"""The scorecard pages over HTTP: categories, metrics, trends, drill-down, the metric page, no CDN anywhere."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup, Tag

from metrics.definitions import METRICS
from metrics.models import MetricValue, PeriodModel
from web.rendering import STATIC_DIR
from web.routes.scorecard_pages import ask_url, change_view, period_label, value_text

DIMENSIONS = ("team", "product", "channel", "segment")


def page(server_url: str, path: str, **params: str) -> BeautifulSoup:
    response = httpx.get(f"{server_url}{path}", params=params, timeout=60)
    assert response.status_code == 200, response.text[:500]
    assert response.headers["content-type"].startswith("text/html")
    return BeautifulSoup(response.text, "html.parser")


def api_metrics(server_url: str, **params: str) -> dict[str, dict[str, Any]]:
    body = httpx.get(f"{server_url}/api/scorecard", params=params, timeout=60).json()
    return {metric["id"]: metric for category in body["categories"] for metric in category["metrics"]}


def text(tag: Tag | None) -> str:
    assert tag is not None
    return " ".join(tag.get_text(" ").split())


def row(soup: BeautifulSoup, metric_id: str) -> Tag:
    found = soup.find("tr", id=f"metric-{metric_id}")
    assert isinstance(found, Tag), metric_id
    return found


def test_the_scorecard_shows_five_categories_and_every_metric(server_url: str) -> None:
    soup = page(server_url, "/scorecard")
    assert text(soup.find("h1")) == "Scorecard"
    assert "1 Aug 2026 to 31 Oct 2026" in text(soup.find(class_="sc-period"))
    assert "Baseline: 1 Nov 2024 to 31 Jan 2025" in text(soup.find(class_="sc-title"))

    cards = soup.select(".sc-summary .sc-card")
    assert [text(card.find(class_="sc-card-name")) for card in cards] == [
        "Customer", "Employee", "Business", "Knowledge/Collaboration", "Acceleration",
    ]  # fmt: skip
    assert [card["href"] for card in cards] == [
        f"#category-{category}"
        for category in ("customer", "employee", "business", "knowledge", "acceleration")
    ]
    assert "20% leadership focus" in text(cards[0]) and "30% leadership focus" in text(cards[2])
    assert "9 of 9 measures with data" in text(cards[0])
    sections = soup.select("section.sc-category")
    assert len(sections) == 5
    assert all(section.find("span", class_="badge") for section in sections)

    rows = soup.select("tr.sc-metric-row")
    assert [tr["id"] for tr in rows] == [f"metric-{metric.id}" for metric in METRICS]
    assert len(rows) == 24
    c6 = row(soup, "C6")
    assert text(c6.find("th")).startswith("C6 Hand-offs per ticket")
    assert c6.find("a", href="/scorecard/metrics/C6")
    # issue 10: a count headlines its mean per ticket, with the share of tickets with at least one
    assert text(c6.find(class_="sc-value")) == "1.1 hand-offs per ticket 60% of tickets with at least one"
    assert text(c6.find(class_="sc-compared")) == "baseline 0.6 hand-offs per ticket"
    assert "+0.52 worse vs previous" in text(c6.find(class_="sc-changes"))
    assert c6.find("span", class_="badge-weak")
    canvas = c6.find("canvas")
    assert isinstance(canvas, Tag)
    assert canvas["role"] == "img" and canvas["data-trend"] == "C6"
    assert str(canvas["aria-label"]).startswith("C6 Hand-offs per ticket by month, Nov 2024 to Oct 2026")
    assert soup.find("select", id="by") and text(soup.find("label", attrs={"for": "by"})) == "Drill down by"


def test_trend_data_is_json_for_every_metric(server_url: str) -> None:
    soup = page(server_url, "/scorecard")
    data = soup.find("script", id="scorecard-trends")
    assert isinstance(data, Tag) and data["type"] == "application/json"
    trends = json.loads(data.get_text())
    assert set(trends) == {metric.id for metric in METRICS}
    metrics = api_metrics(server_url)
    c6 = trends["C6"]
    assert c6["months"][-1] == "2026-10" and c6["labels"][-1] == "Oct 2026"
    assert c6["values"] == [point["value"] for point in metrics["C6"]["trend"]]
    assert c6["n"] == [point["n"] for point in metrics["C6"]["trend"]]
    assert c6["periodFrom"] == "2026-08"
    assert c6["reference"] == {"label": "Baseline", "value": metrics["C6"]["baseline"]}
    assert trends["K6"]["reference"] is None  # activity measures carry no target or baseline line
    drawable = {
        key for key, metric in metrics.items() if any(p["value"] is not None for p in metric["trend"])
    }
    canvases = soup.select("canvas[data-trend][role=img][aria-label]")
    assert {canvas["data-trend"] for canvas in canvases} == drawable and len(drawable) >= 20
    # a metric whose every month rests on too few records says so instead of drawing an empty chart
    for metric_id in metrics.keys() - drawable:
        assert text(row(soup, metric_id).find(class_="sc-trend")) == "no month with enough data"


def test_why_links_open_the_chat_on_weak_and_watch_outcomes_only(server_url: str) -> None:
    soup = page(server_url, "/scorecard")
    metrics = api_metrics(server_url)
    for metric_id, metric in metrics.items():
        link = row(soup, metric_id).find("a", class_="sc-why")
        expected = metric["kind"] == "outcome" and metric["status"] in {"weak", "watch"}
        assert (link is not None) == expected, metric_id
    link = row(soup, "C6").find("a", class_="sc-why")
    assert isinstance(link, Tag)
    assert text(link).startswith("Why is this weak?")
    url = urlsplit(str(link["href"]))
    assert url.path == "/" and parse_qs(url.query) == {"ask": ["Why is C6 Hand-offs per ticket weak?"]}


def test_activity_measures_are_shown_without_target_or_status(server_url: str) -> None:
    soup = page(server_url, "/scorecard")
    k6 = row(soup, "K6")
    assert "sc-activity" in k6["class"]
    assert text(k6.find("span", class_="badge")) == "activity"
    assert not k6.select(".badge-weak, .badge-watch, .badge-strong")
    assert text(k6.find(class_="sc-compared")) == "no target; coaching range 65-85%"
    assert "up" in text(k6.find(class_="sc-changes")) or "down" in text(k6.find(class_="sc-changes"))
    assert "better" not in text(k6.find(class_="sc-changes"))


def test_drill_down_by_team_shows_groups_and_hides_small_ones(server_url: str) -> None:
    soup = page(server_url, "/scorecard", by="team")
    assert text(soup.find("h1")) == "Scorecard by team"
    selected = soup.select_one("select#by option[selected]")
    assert selected is not None and selected["value"] == "team"
    assert "fewer than 5 people or records show no value" in text(soup.find(id="drilldown-note"))

    metrics = api_metrics(server_url, by="team")
    c2_groups = row(soup, "C2").find_next_sibling("tr")
    assert isinstance(c2_groups, Tag) and "sc-groups-row" in c2_groups["class"]
    table = c2_groups.find("table", class_="sc-groups")
    assert isinstance(table, Tag)
    assert text(table.find("caption")) == "C2 Customer effort (CES 2.0) by team"
    shown = {text(tr.find("th")): tr for tr in table.select(":scope > tbody > tr")}
    assert list(shown) == [group["group"] for group in metrics["C2"]["groups"]]
    hidden_groups = [group for group in metrics["C2"]["groups"] if group["suppressed"]]
    assert hidden_groups, "the small demo has teams too small for C2"
    for group in metrics["C2"]["groups"]:
        cells = [text(td) for td in shown[group["group"]].find_all("td")]
        if group["suppressed"]:
            assert cells[0] == "hidden (fewer than 5)" and cells[1] == "hidden"
            assert not any(character.isdigit() for character in "".join(cells[1:4]))
        else:
            assert cells[0] == value_text(group["value"], metrics["C2"]["unit"])
    assert "sc-suppressed" in shown[hidden_groups[0]["group"]]["class"]

    # every metric gets its groups, or says why it has none
    for metric_id, metric in metrics.items():
        groups_row = row(soup, metric_id).find_next_sibling("tr")
        assert isinstance(groups_row, Tag) and "sc-groups-row" in groups_row["class"]
        if not metric["groups"]:
            assert metric["groups_note"] in text(groups_row)
    assert "not available by team: its records carry no team" in text(row(soup, "C4").find_next_sibling("tr"))


def test_every_drill_down_dimension_renders(server_url: str) -> None:
    for dimension in DIMENSIONS:
        soup = page(server_url, "/scorecard", by=dimension)
        assert soup.select("table.sc-groups"), dimension
        assert len(soup.select("tr.sc-groups-row")) == 24


def test_an_unknown_drill_down_or_period_is_refused_with_a_page(server_url: str) -> None:
    response = httpx.get(f"{server_url}/scorecard", params={"by": "<b>agent</b>"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "<b>agent</b>" not in response.text and "&lt;b&gt;agent&lt;/b&gt;" in response.text
    assert httpx.get(f"{server_url}/scorecard", params={"by": "agent_id"}).status_code == 422
    bad_period = httpx.get(f"{server_url}/scorecard", params={"period": "2026-13-01..2026-14-01"})
    assert bad_period.status_code == 422 and "2026-13-01" in bad_period.text
    # the form's "Whole organisation" sends an empty drill-down and an empty period
    assert (
        httpx.get(f"{server_url}/scorecard", params={"by": "", "period": ""}, timeout=60).status_code == 200
    )


def test_a_chosen_period_is_kept_in_the_links(server_url: str) -> None:
    soup = page(server_url, "/scorecard", period="2026-07-01..2026-10-01")
    assert "1 Jul 2026 to 30 Sep 2026" in text(soup.find(class_="sc-period"))
    period_input = soup.find("input", id="period")
    assert isinstance(period_input, Tag) and period_input["value"] == "2026-07-01..2026-10-01"
    assert row(soup, "C6").find("a", href="/scorecard/metrics/C6?period=2026-07-01..2026-10-01")


def test_the_metric_page_has_definition_trend_and_every_drill_down(server_url: str) -> None:
    soup = page(server_url, "/scorecard/metrics/C6")
    assert text(soup.find("h1")) == "C6 Hand-offs per ticket"
    assert "Hand-offs per ticket" in text(soup.find("title"))
    summary = text(soup.find(class_="sc-figures"))
    assert "Value 1.1 hand-offs per ticket 60% of tickets with at least one" in summary
    assert "Compared with baseline 0.6 hand-offs per ticket" in summary
    assert f"n = {api_metrics(server_url)['C6']['n']}" in summary
    definition = text(soup.find(class_="sc-definition"))
    assert "the number of assigned events whose team or agent differs" in definition
    assert "Inputs tickets , ticket_events" in definition
    assert "Leading" in definition and "No sourced target" in definition
    assert "p80" in text(soup.find(id="definition-title").find_parent("section"))  # type: ignore[union-attr]

    canvas = soup.find("canvas", attrs={"data-chart": "detail"})
    assert isinstance(canvas, Tag) and canvas["role"] == "img" and canvas["aria-label"]
    monthly = soup.select(".sc-data tbody tr")
    assert len(monthly) == 24 and text(monthly[-1]).startswith("Oct 2026 1.3 hand-offs per ticket")

    for dimension in DIMENSIONS:
        block = soup.find(id=f"by-{dimension}")
        assert isinstance(block, Tag), dimension
        assert text(block.find("h3")) == f"By {dimension}"
        table = block.find("table", class_="sc-groups")
        assert isinstance(table, Tag), dimension
        assert text(table.find("caption")) == f"C6 Hand-offs per ticket by {dimension}"
    link = soup.find("a", class_="sc-why")
    assert isinstance(link, Tag)
    assert parse_qs(urlsplit(str(link["href"])).query) == {"ask": ["Why is C6 Hand-offs per ticket weak?"]}
    trends = json.loads(soup.find("script", id="scorecard-trends").get_text())  # type: ignore[union-attr]
    assert list(trends) == ["C6"]


def test_the_metric_page_marks_hidden_groups_and_missing_dimensions(server_url: str) -> None:
    soup = page(server_url, "/scorecard/metrics/C2")
    team = soup.find(id="by-team")
    assert isinstance(team, Tag)
    assert "hidden (fewer than 5)" in text(team)
    k1 = page(server_url, "/scorecard/metrics/K1")
    assert "not available by team: its records carry no team" in text(k1.find(id="by-team"))
    k6 = page(server_url, "/scorecard/metrics/K6")
    assert not k6.find("a", class_="sc-why")
    assert "activity measure is a coaching signal" in text(k6.find(class_="sc-definition"))


def test_an_unknown_metric_is_a_404_page(server_url: str) -> None:
    response = httpx.get(f"{server_url}/scorecard/metrics/Z9")
    assert response.status_code == 404
    assert "There is no metric 'Z9' on the scorecard." in text(
        BeautifulSoup(response.text, "html.parser").main
    )
    markup = httpx.get(f"{server_url}/scorecard/metrics/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E")
    assert markup.status_code == 404
    assert "<img src=x" not in markup.text and "&lt;img src=x onerror=alert(1)&gt;" in markup.text


@pytest.mark.parametrize(
    "path", ["/scorecard", "/scorecard?by=team", "/scorecard/metrics/C6", "/scorecard/metrics/K6"]
)
def test_every_script_style_and_link_is_served_by_the_app(server_url: str, path: str) -> None:
    soup = BeautifulSoup(httpx.get(f"{server_url}{path}", timeout=60).text, "html.parser")
    addresses = [str(tag[name]) for name in ("src", "href") for tag in soup.select(f"[{name}]")]
    for address in addresses:
        local = address.startswith(("#", "?", f"{server_url}/")) or (
            address.startswith("/") and not address.startswith("//")
        )
        assert local, address
    scripts = [str(tag["src"]) for tag in soup.find_all("script", src=True)]
    assert [urlsplit(src).path for src in scripts] == [
        "/static/menu.js",  # every page's: the phone menu
        "/static/vendor/chartjs/chart.umd.min.js",
        "/static/charts.js",  # what the chart scripts share
        "/static/scorecard.js",
    ]
    assert f"{server_url}/static/scorecard.css" in addresses


def test_the_vendored_chart_library_is_served_as_javascript(server_url: str) -> None:
    response = httpx.get(f"{server_url}/static/vendor/chartjs/chart.umd.min.js")
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] in {"text/javascript", "application/javascript"}
    assert response.text.startswith("/*!\n * Chart.js v4.")
    for name in ("scorecard.js", "scorecard.css"):
        assert httpx.get(f"{server_url}/static/{name}").status_code == 200
    vendor = Path(STATIC_DIR) / "vendor" / "chartjs"
    assert "MIT License" in (vendor / "LICENSE.md").read_text(encoding="utf-8")
    assert "4.6.1" in (vendor / "README.md").read_text(encoding="utf-8")


def _metric(**changes: Any) -> MetricValue:
    values: dict[str, Any] = {
        "id": "C6", "name": "Hand-offs per ticket", "category": "customer", "value": 1.0, "unit": "hand-offs",
        "direction": "lower", "status": "weak", "score": 0.0, "n": 3, "target": None,
    }  # fmt: skip
    return MetricValue(**(values | changes))


@pytest.mark.parametrize(
    ("value", "unit", "shown"),
    [
        (70.4166, "%", "70.4%"),
        (5.39, "1-7", "5.4 (1-7)"),
        (6.0612, "ratio", "6.06 : 1"),
        (524851.4, "EUR", "524,851.4 EUR"),
        (None, "days", "no data"),
    ],
)
def test_values_are_shown_with_their_units(value: float | None, unit: str, shown: str) -> None:
    assert value_text(value, unit) == shown


def test_changes_say_better_or_worse_by_direction() -> None:
    lower = _metric()
    worse = change_view(lower, 1.0)
    assert worse is not None and (worse.text, worse.word) == ("+1 hand-offs", "worse")
    better = change_view(_metric(direction="higher", unit="%"), 2.25)
    assert better is not None and (better.text, better.word) == ("+2.2 pts", "better")
    small = change_view(_metric(direction="higher", unit="1-7"), -0.04)
    assert small is not None and (small.text, small.tone) == ("-0.04", "worse")
    same = change_view(lower, 0.001)
    assert same is not None and same.word == "no change"
    activity = change_view(_metric(kind="activity", unit="%", direction="higher"), -3.67)
    assert activity is not None and (activity.text, activity.tone, activity.word) == (
        "-3.7 pts",
        "neutral",
        "down",
    )
    assert change_view(lower, None) is None
    per_ticket = change_view(_metric(unit="hand-offs per ticket"), 0.47)
    assert per_ticket is not None and (per_ticket.text, per_ticket.word) == ("+0.47", "worse")


def test_why_questions_and_periods_read_as_sentences() -> None:
    assert ask_url(_metric()) == "/?ask=Why+is+C6+Hand-offs+per+ticket+weak%3F"
    assert ask_url(_metric(status="watch")).endswith("on+watch%3F")
    assert period_label(PeriodModel.model_validate({"start": "2026-08-01", "end": "2026-11-01"})) == (
        "1 Aug 2026 to 31 Oct 2026"
    )


def test_the_page_says_how_its_period_and_baseline_were_chosen(server_url: str) -> None:
    soup = page(server_url, "/scorecard")
    reason = text(soup.find(id="period-reason"))
    assert reason.startswith("How this period was chosen: The latest 3 months of representative data")
    assert "Baseline: 1 Nov 2024 to 31 Jan 2025, the organisation's first window" in text(
        soup.find(id="baseline-reason")
    )
    body = httpx.get(f"{server_url}/api/scorecard", timeout=60).json()
    assert body["period_reason"] == reason.removeprefix("How this period was chosen: ")
    assert body["baseline_kind"] == "baseline"


def test_a_chosen_baseline_is_used_and_kept_in_the_links(server_url: str) -> None:
    chosen = {"period": "2026-07-01..2026-10-01", "baseline": "2026-01-01..2026-04-01"}
    soup = page(server_url, "/scorecard", **chosen)
    baseline_input = soup.find("input", id="baseline")
    assert isinstance(baseline_input, Tag) and baseline_input["value"] == chosen["baseline"]
    assert "Baseline: 1 Jan 2026 to 31 Mar 2026, as chosen." in text(soup.find(id="baseline-reason"))
    link = row(soup, "C6").find("a", href=True)
    assert isinstance(link, Tag)
    assert parse_qs(urlsplit(str(link["href"])).query) == {key: [value] for key, value in chosen.items()}
    body = httpx.get(f"{server_url}/api/scorecard", params=chosen, timeout=60).json()
    assert body["baseline_kind"] == "given"
    assert body["baseline_period"] == {"start": "2026-01-01", "end": "2026-04-01"}
    metric = page(server_url, "/scorecard/metrics/C6", **chosen)
    assert "baseline 1 Jan 2026 to 31 Mar 2026" in text(metric.find(class_="sc-period"))
    steps = httpx.get(f"{server_url}/api/next-steps", params=chosen, timeout=60)
    assert steps.status_code == 200 and "recommendations" in steps.json()
    bad = httpx.get(f"{server_url}/api/scorecard", params={"baseline": "2026-13-01..2026-14-01"}, timeout=60)
    assert bad.status_code == 422


def test_a_fallback_baseline_marks_statuses_provisional(server_url: str) -> None:
    # a period two months into the data: no full window of its length fits before it
    soup = page(server_url, "/scorecard", period="2025-01-01..2025-04-01")
    reason = text(soup.find(id="baseline-reason"))
    assert reason.startswith("Baseline: 1 Nov 2024 to 31 Dec 2024. The history is too short")
    assert reason.endswith("a fallback: 2024-11-01..2025-01-01; statuses judged against it are provisional.")
    provisional = soup.select(".badge-provisional")
    assert provisional and all(text(badge).endswith(", provisional") for badge in provisional)
    assert text(row(soup, "C6").find(class_="badge")).endswith(", provisional")
