"""The programme view and the digest in Chromium, at a laptop's size and a phone's (390 x 844): the timelines
and outcome charts are drawn, nothing runs off the screen, and no serious accessibility violation. Screenshots
land in test-artifacts/programme-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.advisor.programme_org import ProgrammeOrg, settle_warm_up
from tests.web.browser import accessibility_violations, screenshot, start_chromium
from tests.web.servers import serve
from tests.web.test_phone_browser import OVERFLOWING, PHONE
from web.app import create_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DRAWN = """
return [...document.querySelectorAll(arguments[0])].map((canvas) => Boolean(window.Chart && Chart.getChart(canvas)));
"""


@pytest.fixture(scope="module")
def programme_url(programme_org: ProgrammeOrg) -> Iterator[str]:
    with serve(create_app(programme_org.settings, advisor=programme_org.advisor)) as url:
        yield url
    settle_warm_up()


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    started = start_chromium(Path(tmp_path_factory.mktemp("programme-chromium")), width=1366, height=768)
    try:
        yield started
    finally:
        started.quit()


def _fits(driver: webdriver.Chrome, width: int) -> None:
    report = driver.execute_script(OVERFLOWING)
    assert report["width"] == width
    assert report["found"] == [], f"elements run off a {width} px screen: {report['found']}"
    assert report["scrollWidth"] <= report["width"], report


@pytest.mark.parametrize("size", ["laptop", "phone"])
def test_the_programme_draws_its_timelines_and_fits_the_screen(
    driver: webdriver.Chrome, programme_url: str, programme_org: ProgrammeOrg, size: str
) -> None:
    if size == "phone":
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    else:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    driver.get(f"{programme_url}/recommendations")
    WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.ID, "programme-steps"))
    WebDriverWait(driver, 30).until(lambda d: all(d.execute_script(DRAWN, "canvas[data-timeline]")))
    assert len(driver.execute_script(DRAWN, "canvas[data-timeline]")) == 3
    assert driver.execute_script(DRAWN, "canvas[data-outcome]") == [True]  # the done step's outcome chart
    overdue = driver.find_element(By.ID, f"overdue-{programme_org.overdue}")
    assert "overdue by" in overdue.text and "owner maria" in overdue.text
    screenshot(driver, f"programme-{size}")
    _fits(
        driver,
        390 if size == "phone" else driver.execute_script("return document.documentElement.clientWidth"),
    )
    if size == "laptop":
        assert accessibility_violations(driver) == []

    driver.get(f"{programme_url}/digest?since=2026-09-01")
    WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.ID, "digest-crossed"))
    assert driver.find_element(By.ID, "crossed-C6").text.startswith("Worse")
    screenshot(driver, f"programme-digest-{size}")
    _fits(
        driver,
        390 if size == "phone" else driver.execute_script("return document.documentElement.clientWidth"),
    )
    if size == "laptop":
        assert accessibility_violations(driver) == []
