"""Each role's home in headless Chromium, at a laptop's and a phone's size: signing in lands there, the menu
starts with it, and nothing runs off the phone's screen. Screenshots: test-artifacts/home-<role>-<size>.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from advisor.service import Advisor
from advisor.settings import Settings
from advisor.users import UserStore
from tests.web.browser import screenshot, start_chromium
from tests.web.servers import serve
from tests.web.signed_in import PASSWORD
from tests.web.test_phone_browser import OVERFLOWING
from web.app import create_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SIZES = {"1366x768": (1366, 768, False), "390x844": (390, 844, True)}
HOMES = {"agent": "/knowledge", "manager": "/", "leader": "/recommendations"}


@pytest.fixture(scope="module")
def url(settings: Settings, advisor: Advisor, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    users = UserStore(f"sqlite:///{tmp_path_factory.mktemp('home-browser-users')}/users.db")
    for role in HOMES:
        users.create_user(role, role, PASSWORD, team="Billing Desk" if role == "manager" else None)
    with serve(create_app(settings, advisor=advisor, users=users)) as base:
        yield base


@pytest.fixture(scope="module", params=list(SIZES))
def screen(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[webdriver.Chrome, str]]:
    width, height, mobile = SIZES[request.param]
    driver = start_chromium(
        Path(tmp_path_factory.mktemp("home-chromium")), width=max(width, 800), height=height
    )
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
    )
    try:
        yield driver, request.param
    finally:
        driver.quit()


@pytest.mark.parametrize("role", list(HOMES))
def test_each_role_lands_on_its_home(url: str, screen: tuple[webdriver.Chrome, str], role: str) -> None:
    driver, size = screen
    driver.delete_all_cookies()
    driver.get(f"{url}/login")
    driver.find_element(By.ID, "username").send_keys(role)
    driver.find_element(By.ID, "password").send_keys(PASSWORD + Keys.ENTER)
    WebDriverWait(driver, 60).until(lambda d: d.current_url == url + HOMES[role])
    WebDriverWait(driver, 60).until(lambda d: d.find_elements(By.TAG_NAME, "footer"))
    first = driver.find_element(By.CSS_SELECTOR, "nav[aria-label=Main] a")
    assert first.get_attribute("href") == url + HOMES[role]
    assert first.get_attribute("aria-current") == "page"
    if role == "manager":
        assert driver.find_element(By.ID, "focus-title").text == "Billing Desk: where to look first"
        assert driver.find_elements(By.CSS_SELECTOR, "#focus-metrics li")
    if role == "agent":
        assert driver.find_element(By.CSS_SELECTOR, "#ask-advisor a").get_attribute("href") == f"{url}/chat"
    screenshot(driver, f"home-{role}-{size}")
    if size == "390x844":
        report = driver.execute_script(OVERFLOWING)
        assert report["found"] == [] and report["scrollWidth"] <= report["width"], report
        if role == "manager":  # the team's metrics, scrolled to, fit as well
            driver.execute_script("document.getElementById('focus-title').scrollIntoView()")
            screenshot(driver, f"home-{role}-{size}-focus")
