"""The diagnosis page in real headless Chromium: reached from the metric page, readable with JavaScript off,
and no serious accessibility finding."""

from __future__ import annotations

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By

from tests.web.browser import accessibility_violations, screenshot

pytestmark = pytest.mark.browser


def test_diagnosis_page_from_the_metric_page(browser: webdriver.Chrome, server_url: str) -> None:
    browser.get(server_url + "/scorecard/metrics/C6")
    browser.find_element(By.CSS_SELECTOR, "a.dx-why").click()
    assert browser.current_url.endswith("/scorecard/metrics/C6/why")
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Why is C6")
    bars = browser.find_elements(By.CSS_SELECTOR, ".dx-bar-row")
    assert bars and bars[0].text.startswith("team: Billing Desk")
    widths = [bar.size["width"] for bar in browser.find_elements(By.CSS_SELECTOR, ".dx-bar.dx-rate")]
    assert widths[0] == max(widths) > 0  # the largest contribution draws the longest bar, without JavaScript
    screenshot(browser, "diagnosis")
    assert accessibility_violations(browser) == []
