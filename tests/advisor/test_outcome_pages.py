"""Where leaders look: a recommendation's page, the programme view, the API and the CLI show the same
verdict, interval and weekly chart data; ranking and the chat use the verdicts."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from advisor.cli import app as cli
from advisor.composition import build_advisor
from advisor.models import MetricOutcome, Recommendation, RecommendationStatus, TrackedRecommendation
from advisor.ranking import evidence_weight, rank_next_steps
from advisor.service import Advisor
from advisor.settings import Settings, get_settings
from metrics.models import Period
from tests.advisor.test_outcome_measuring import BASE, DATA_END, START, write_org
from web.app import create_app

WORDS = "better than the rest of the organisation by 1 hand-off per ticket (95% interval 1 to 1)"


@pytest.fixture
def measured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Settings, Advisor, TrackedRecommendation]:
    """A done recommendation for Billing Desk whose outcome was measured against Onboarding."""
    folder = write_org(tmp_path / "acme", BASE)
    for key, value in {
        "ADVISOR_DATA_DIR": str(folder),
        "ADVISOR_INDEX_DIR": str(tmp_path / "index"),
        "ADVISOR_DATABASE_URL": f"sqlite:///{tmp_path}/state.db",
    }.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    settings = get_settings()
    advisor = build_advisor(settings)
    step = Recommendation(
        rank=1, title="Route once", practice_id="cust-route-once", targets=["C6"], why="C6 is weak.",
        sources=[], scope={"team": "Billing Desk"},
    )  # fmt: skip
    [rec] = advisor.recommendations.propose(
        [step], organisation="acme", period=Period(START - timedelta(weeks=4), START),
        at=datetime.combine(START, time(8), tzinfo=UTC),
    )  # fmt: skip
    steps: list[tuple[RecommendationStatus, date]] = [
        ("accepted", START), ("in_progress", START), ("done", DATA_END),
    ]  # fmt: skip
    for status, day in steps:
        advisor.recommendations.transition(
            rec.id,
            status,
            actor="lead",
            at=datetime.combine(day, time(9), tzinfo=UTC),
        )
    done = advisor.recommendations.get(rec.id)
    stored = advisor.recommendations.record_outcomes(rec.id, advisor.measure_recommendation(done, DATA_END))
    return settings, advisor, stored


def test_the_page_the_list_the_api_and_the_cli_give_the_same_figures(
    measured: tuple[Settings, Advisor, TrackedRecommendation],
) -> None:
    settings, advisor, rec = measured
    [outcome] = rec.outcomes
    figures = (outcome.verdict, outcome.estimate, outcome.low, outcome.high, outcome.confidence)
    assert figures == ("better", -1.0, -1.0, -1.0, 0.95)
    with TestClient(create_app(settings, advisor=advisor)) as client:
        page = client.get(f"/recommendations/{rec.id}")
        assert page.status_code == 200
        text = re.sub(r"\s+", " ", page.text)
        assert WORDS in text and "Better" in text
        assert "Compared with Onboarding, which the step did not touch" in text
        # the chart's data is JSON beside the page (no inline script), drawn by a static file
        scripts = re.findall(r"<script([^>]*)>", page.text)
        assert all("src=" in attributes or 'type="application/json"' in attributes for attributes in scripts)
        assert "outcome_chart.js" in page.text
        charts = json.loads(re.search(r'id="outcome-charts">(.*?)</script>', page.text, re.S).group(1))  # type: ignore[union-attr]
        chart = charts[f"{rec.id}-C6"]
        # the step ended as the data ends: its mark is on the last week shown
        assert chart["start"] == START.isoformat() and chart["end"] == "2026-06-08"
        assert chart["groupLabel"] == "Billing Desk" and chart["group"][-2:] == [1.0, 1.0]
        assert f'data-outcome="{rec.id}-C6"' in page.text
        assert "2026-06-01 (step starts)" in text

        listing = re.sub(r"\s+", " ", client.get("/recommendations").text)
        assert WORDS in listing and f'href="/recommendations/{rec.id}"' in listing
        assert f'"{rec.id}-C6"' in listing

        api = client.get(f"/api/recommendations/{rec.id}").json()
        [from_api] = api["outcomes"]
        assert (from_api["verdict"], from_api["estimate"], from_api["low"], from_api["high"]) == figures[:4]
        assert from_api["comparison"] == ["Onboarding"] and from_api["series"]
        assert client.get("/recommendations/nope").status_code == 404

    runner = CliRunner()
    shown = runner.invoke(cli, ["recommendations", "show", rec.id[:8], "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["outcomes"] == api["outcomes"]
    table = runner.invoke(cli, ["recommendations", "show", rec.id[:8]], env={"COLUMNS": "250"})
    assert table.exit_code == 0, table.output
    assert "better" in table.stdout and "-1 to -1 (95%)" in table.stdout and "Onboarding" in table.stdout


def test_the_chat_cites_what_worked_here_with_its_verdict(
    measured: tuple[Settings, Advisor, TrackedRecommendation],
) -> None:
    _, advisor, rec = measured
    answer = advisor.chat("What worked for us before on hand-offs?")
    assert answer.intent == "what_worked"
    assert "against the groups it did not touch" in answer.answer
    assert WORDS in answer.answer
    assert any(
        citation.id.endswith("cust-route-once") or rec.practice_id in citation.id
        for citation in answer.citations
    )


def test_ranking_raises_a_practice_that_worked_here_and_lowers_one_with_no_clear_change() -> None:

    def outcome(verdict: str, method: str = "difference_in_differences") -> MetricOutcome:
        return MetricOutcome.model_validate(
            {
                "metric_id": "C6", "name": "Hand-offs per ticket", "unit": "hand-offs per ticket",
                "direction": "lower", "before_start": "2026-03-01", "before_end": "2026-06-01",
                "before_value": 2.0, "before_n": 40, "after_start": "2026-06-01", "after_end": "2026-09-01",
                "after_value": 1.9, "after_n": 40, "verdict": verdict, "method": method,
                "estimate": -0.1, "low": -0.3, "high": 0.1, "confidence": 0.95,
            }
        )  # fmt: skip

    from tests.advisor.test_ranking import metric, practice, scorecard

    ranked = rank_next_steps(
        scorecard(metric("C6", "weak", 30.0)),
        [practice("a-route", ["C6"], "S"), practice("b-swarm", ["C6"], "L"), practice("c-flat", ["C6"], "S")],
        evidence={"b-swarm": [outcome("better")], "c-flat": [outcome("no_clear_change")]},
    )
    # measurably worked here: first, despite its effort; did not show it works here: last, with its result
    assert [rec.practice_id for rec in ranked] == ["b-swarm", "a-route", "c-flat"]
    assert "Our own evidence: C6 Hand-offs per ticket fell from 2 to 1.9" in ranked[0].why
    assert "no clear change against the rest of the organisation: -0.1 hand-offs per ticket" in ranked[2].why

    assert evidence_weight(outcome("better")) == 20.0
    assert evidence_weight(outcome("better", "interrupted_time_series")) == 10.0  # weaker evidence
    assert evidence_weight(outcome("no_clear_change")) == -10.0
    assert evidence_weight(outcome("worse")) == -20.0
    assert evidence_weight(outcome("too_early")) == 0.0 and evidence_weight(outcome("not_comparable")) == 0.0


@pytest.mark.slow
def test_the_chart_draws_in_a_browser_under_the_content_security_policy(
    measured: tuple[Settings, Advisor, TrackedRecommendation], tmp_path: Path
) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    from tests.web.browser import accessibility_violations, screenshot, start_chromium
    from tests.web.servers import serve

    settings, advisor, rec = measured
    driver = start_chromium(tmp_path / "chromium")
    try:
        with serve(create_app(settings, advisor=advisor)) as url:
            driver.get(f"{url}/recommendations/{rec.id}")
            labels = (
                "const canvas = document.querySelector('canvas[data-outcome]');"
                "const chart = canvas && window.Chart && window.Chart.getChart(canvas);"
                "return chart ? chart.data.datasets.map(d => d.label) : null;"
            )
            # the chart is drawn once the page's scripts have run (later than `get` returns on a busy machine)
            drawn = WebDriverWait(driver, 20).until(lambda d: d.execute_script(labels))
            assert drawn == ["Billing Desk", "Onboarding"]
            # nothing refused by the content security policy, no script error
            errors = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]  # type: ignore[no-untyped-call]
            assert errors == []
            screenshot(driver, "outcome-recommendation-page")
            assert accessibility_violations(driver) == []
            driver.get(f"{url}/recommendations")
            assert WebDriverWait(driver, 20).until(
                lambda d: d.execute_script(
                    "const canvas = document.querySelector('canvas[data-outcome]');"
                    "return Boolean(canvas && window.Chart && window.Chart.getChart(canvas));"
                )
            )
            screenshot(driver, "outcome-recommendations-list")
    finally:
        driver.quit()
