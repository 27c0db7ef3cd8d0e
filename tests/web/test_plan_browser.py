"""A leader runs a step's plan in Chromium: choose and scope two steps, set the owner and due date, tick a
task, comment, start it; the page passes axe and fits a 390 px phone (test-artifacts/plan-*.png)."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from advisor.plan_store import PlanStore
from advisor.recommendation_store import RecommendationStore
from advisor.service import Advisor
from advisor.settings import Settings
from advisor.users import UserStore
from tests.web.browser import accessibility_violations, gone, screenshot
from tests.web.servers import serve
from tests.web.signed_in import PASSWORD
from tests.web.test_phone_browser import OVERFLOWING, PHONE
from web.app import create_app

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def plan_server(
    tmp_path_factory: pytest.TempPathFactory, settings: Settings, advisor: Advisor
) -> Iterator[tuple[str, Advisor]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('plan_browser')}/advisor.db"
    users = UserStore(url)
    users.create_user("leader", "leader", PASSWORD)
    users.create_user("manager", "manager", PASSWORD)
    own = copy.copy(advisor)  # the session's data, index and scorecards over this module's own database
    own.recommendations = RecommendationStore(url)
    own.plans = PlanStore(own.recommendations)
    with serve(
        create_app(settings.model_copy(update={"database_url": url}), advisor=own, users=users)
    ) as base:
        yield base, own


def click_and_wait(browser: webdriver.Chrome, element: WebElement) -> None:
    """Submit a form by its button and wait for the next page."""
    element.click()
    WebDriverWait(browser, 30).until(gone(element))
    WebDriverWait(browser, 30).until(
        lambda driver: driver.execute_script("return document.readyState") == "complete"
    )


def test_a_leader_runs_a_plan_in_the_browser(
    browser: webdriver.Chrome, plan_server: tuple[str, Advisor]
) -> None:
    base, advisor = plan_server
    browser.get(f"{base}/login")
    browser.find_element(By.NAME, "username").send_keys("leader")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    click_and_wait(browser, browser.find_element(By.CSS_SELECTOR, "form button[type=submit]"))

    browser.get(f"{base}/recommendations")
    boxes = browser.find_elements(By.CSS_SELECTOR, "#propose-form input[name=practice_id]")
    assert len(boxes) >= 2
    chosen = {}
    for box in boxes[:2]:
        practice = str(box.get_attribute("value"))
        box.click()
        scopes = Select(browser.find_element(By.ID, f"scope-{practice}"))
        scopes.select_by_index(len(scopes.options) - 1)  # the last group offered (or everyone)
        chosen[practice] = scopes.first_selected_option.text
    click_and_wait(browser, browser.find_element(By.ID, "propose-chosen"))
    stored = {rec.practice_id: rec for rec in advisor.recommendations.list()}
    assert set(stored) == set(chosen)
    for practice, label in chosen.items():
        scope = stored[practice].scope
        assert (scope is None) == (label == "for the whole organisation")
        assert scope is None or all(group in label for group in scope.values())

    rec = next(iter(stored.values()))
    browser.get(f"{base}/recommendations/{rec.id}")
    assert accessibility_violations(browser) == []
    Select(browser.find_element(By.ID, "plan-owner")).select_by_visible_text("manager")
    click_and_wait(browser, browser.find_element(By.ID, "plan-owner-save"))
    assert browser.find_element(By.ID, "plan-owner-text").text == "manager"
    due = date.today() + timedelta(days=40)
    browser.execute_script("document.getElementById('plan-due').value = arguments[0]", due.isoformat())
    click_and_wait(browser, browser.find_element(By.ID, "plan-due-save"))
    assert browser.find_element(By.ID, "plan-due-text").text == due.isoformat()
    task = rec.checklist[0].id
    click_and_wait(browser, browser.find_element(By.ID, f"tick-{task}"))
    assert "done by leader" in browser.find_element(By.ID, f"task-{task}").text
    browser.find_element(By.ID, "plan-comment").send_keys("<b>Billing</b> starts Monday.")
    click_and_wait(browser, browser.find_element(By.ID, "plan-comment-save"))
    for step in ("accepted", "in_progress"):
        click_and_wait(browser, browser.find_element(By.ID, f"transition-{step}"))
    assert browser.find_element(By.ID, "plan-review-text").text.startswith(f"Outcome measurable from {due}")
    history = browser.find_element(By.ID, "plan-history").text
    assert "owner: manager by leader" in history and "in progress by leader" in history
    assert (
        "<b>Billing</b> starts Monday." in browser.find_element(By.ID, "comments").text
    )  # escaped, not bold
    screenshot(browser, "plan-laptop")

    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    try:
        browser.refresh()
        report = browser.execute_script(OVERFLOWING)
        assert report["found"] == [] and report["scrollWidth"] <= report["width"] == 390, report
        screenshot(browser, "plan-phone")
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
