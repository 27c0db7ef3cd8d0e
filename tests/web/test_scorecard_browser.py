"""The scorecard pages in real headless Chromium: charts drawn by the vendored Chart.js, a keyboard drill-down,
"why is this weak?" links, and no serious accessibility finding."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from selenium import webdriver
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from tests.web.browser import accessibility_violations, screenshot

pytestmark = pytest.mark.browser

#: True once every trend canvas of the page has a Chart.js chart with one value per month.
CHARTS_DRAWN = (
    "const canvases = Array.from(document.querySelectorAll('canvas[data-trend]'));"
    "return window.Chart !== undefined && canvases.length > 0 && canvases.every(canvas => {"
    "  const chart = Chart.getChart(canvas);"
    "  return chart !== undefined && chart.data.datasets[0].data.length > 0 && canvas.width > 0;"
    "}) ? canvases.length : 0;"
)


def wait_for_charts(driver: webdriver.Chrome) -> int:
    """Wait until Chart.js has drawn every trend canvas of the page; return how many there are."""
    drawn: int = WebDriverWait(driver, 20).until(lambda d: d.execute_script(CHARTS_DRAWN))
    assert drawn == len(driver.find_elements(By.CSS_SELECTOR, "canvas[data-trend]"))
    return drawn


def test_scorecard_charts_drill_down_and_metric_page(browser: webdriver.Chrome, server_url: str) -> None:
    browser.get(server_url + "/scorecard")
    assert browser.title.startswith("Scorecard")
    assert wait_for_charts(browser) >= 20
    assert browser.execute_script("return Chart.version").startswith("4.")
    screenshot(browser, "scorecard")
    assert accessibility_violations(browser) == []

    why = browser.find_element(By.CSS_SELECTOR, "#metric-C6 a.sc-why")
    assert why.text.startswith("Why is this weak?")
    href = urlsplit(why.get_attribute("href") or "")
    assert href.path == "/" and parse_qs(href.query) == {"ask": ["Why is C6 Hand-offs per ticket weak?"]}

    # Drill down by team with the keyboard alone: Tab from the period field past the baseline field to the
    # select, pick, Tab, Enter.
    browser.find_element(By.ID, "period").click()
    keys = ActionChains(browser)
    keys.send_keys(Keys.TAB).perform()
    assert browser.switch_to.active_element.get_attribute("id") == "baseline"
    keys.send_keys(Keys.TAB).perform()
    assert browser.switch_to.active_element.get_attribute("id") == "by"
    keys.send_keys(Keys.ARROW_DOWN).perform()
    assert browser.execute_script("return document.getElementById('by').value") == "team"
    keys.send_keys(Keys.TAB).perform()
    assert browser.switch_to.active_element.text == "Show"
    keys.send_keys(Keys.ENTER).perform()
    WebDriverWait(browser, 20).until(lambda d: "by=team" in d.current_url)
    assert wait_for_charts(browser) >= 20
    assert browser.find_element(By.TAG_NAME, "h1").text == "Scorecard by team"
    groups = browser.find_elements(By.CSS_SELECTOR, "table.sc-groups")
    assert len(groups) > 5
    hidden = browser.find_elements(By.CSS_SELECTOR, "tr.sc-suppressed td.sc-hidden")
    assert hidden and hidden[0].text == "hidden (fewer than 5)"
    browser.execute_script("document.getElementById('metric-C2').scrollIntoView({block: 'start'})")
    screenshot(browser, "scorecard-by-team")
    assert accessibility_violations(browser) == []

    browser.find_element(By.CSS_SELECTOR, "#metric-C6 th a").click()
    WebDriverWait(browser, 20).until(lambda d: d.current_url.endswith("/scorecard/metrics/C6"))
    assert wait_for_charts(browser) == 1
    assert browser.execute_script(
        "return Chart.getChart(document.getElementById('trend-C6')).data.datasets.map(d => d.label)"
    ) == ["C6 Hand-offs per ticket", "Baseline"]
    sections = [element.text for element in browser.find_elements(By.CSS_SELECTOR, ".sc-dimension h3")]
    assert sections == ["By team", "By product", "By channel", "By priority", "By segment"]
    why = browser.find_element(By.CSS_SELECTOR, "a.sc-why")
    assert urlsplit(why.get_attribute("href") or "").path == "/"
    screenshot(browser, "metric-C6")
    assert accessibility_violations(browser) == []

    # Short history before a chosen period: a fallback baseline, statuses marked provisional, still accessible.
    browser.get(f"{server_url}/scorecard?period=2025-01-01..2025-04-01")
    assert wait_for_charts(browser) >= 1
    badges = browser.find_elements(By.CSS_SELECTOR, ".badge-provisional")
    assert badges and all(badge.text.endswith(", provisional") for badge in badges)
    screenshot(browser, "scorecard-provisional")
    assert accessibility_violations(browser) == []
