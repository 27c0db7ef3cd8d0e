"""Every page at a phone's size (390 x 844, as a phone reports it): nothing runs off the right edge, the menu
collapses behind a "Menu" button, and a long chat answer wraps. Screenshots land in test-artifacts/phone-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.web.browser import screenshot, start_chromium

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": True}
PAGES = (
    "/",
    "/chat",
    "/scorecard",
    "/scorecard/metrics/C6",
    "/scorecard/metrics/C6/why",
    "/recommendations",
    "/knowledge",
    "/knowledge?q=customer+cannot+reset+two-factor+sign-in",
    "/data",
    "/digest",
    "/no/such/page",  # an error page, in the layout like every other
)

#: Visible elements whose right edge passes the viewport and that no scrolling box of their own holds in.
OVERFLOWING = """
const width = document.documentElement.clientWidth;
const scrolls = (node) => ['auto', 'scroll'].includes(getComputedStyle(node).overflowX);
const found = [];
for (const element of document.querySelectorAll('body *')) {
  if (!element.checkVisibility({contentVisibilityAuto: true, visibilityProperty: true})) continue;
  const box = element.getBoundingClientRect();
  if (box.width === 0 || box.right <= width + 1) continue;
  let held = false;
  for (let up = element.parentElement; up; up = up.parentElement) {
    if (scrolls(up) && up.getBoundingClientRect().right <= width + 1) { held = true; break; }
  }
  if (!held) found.push(`${element.tagName.toLowerCase()}.${element.className} ends at ${Math.round(box.right)}`);
}
return {scrollWidth: document.documentElement.scrollWidth, width, found: found.slice(0, 10)};
"""


@pytest.fixture(scope="module")
def phone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[webdriver.Chrome]:
    driver = start_chromium(Path(tmp_path_factory.mktemp("phone-chromium")), width=390, height=844)
    # A headless window cannot be narrower than about 500 px; the phone's metrics are emulated instead.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", PHONE)
    try:
        yield driver
    finally:
        driver.quit()


def _slug(path: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in path.strip("/"))[:48].strip("-") or "home"


def _assert_fits(driver: webdriver.Chrome, page: str) -> None:
    report = driver.execute_script(OVERFLOWING)
    assert report["width"] == 390
    assert report["found"] == [], f"{page}: elements run off a 390 px screen: {report['found']}"
    assert report["scrollWidth"] <= report["width"], f"{page}: the page scrolls sideways ({report})"


@pytest.mark.parametrize("page", PAGES)
def test_each_page_fits_a_phone_screen(phone: webdriver.Chrome, server_url: str, page: str) -> None:
    phone.get(f"{server_url}{page}")
    WebDriverWait(phone, 30).until(lambda d: d.find_elements(By.TAG_NAME, "h1"))
    screenshot(phone, f"phone-{_slug(page)}")
    _assert_fits(phone, page)


def test_the_menu_collapses_on_a_phone_and_opens_on_a_tap(phone: webdriver.Chrome, server_url: str) -> None:
    phone.get(f"{server_url}/scorecard")
    menu = phone.find_element(By.CSS_SELECTOR, "header .menu")
    links = menu.find_elements(By.CSS_SELECTOR, "nav a")
    assert links and not any(link.is_displayed() for link in links), "the menu should start collapsed"
    header_height = phone.find_element(By.CSS_SELECTOR, "header.topbar").size["height"]
    assert header_height < 844 * 0.1, f"the collapsed header takes {header_height} px of 844"
    menu.find_element(By.TAG_NAME, "summary").click()
    WebDriverWait(phone, 5).until(lambda d: all(link.is_displayed() for link in links))
    screenshot(phone, "phone-menu-open")
    _assert_fits(phone, "/scorecard with the menu open")
    links[[link.text for link in links].index("Knowledge")].click()
    WebDriverWait(phone, 20).until(lambda d: d.current_url.endswith("/knowledge"))


def test_a_long_chat_answer_wraps_on_a_phone(phone: webdriver.Chrome, server_url: str) -> None:
    question = (
        "how do I fix a failed bank feed sync for a customer whose " + "reconciliation" * 6 + " keeps failing"
    )
    phone.get(f"{server_url}/?ask={question.replace(' ', '+')}")
    WebDriverWait(phone, 60).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, ".message-advisor .answer:not(.streaming)")
    )
    screenshot(phone, "phone-chat-answer")
    _assert_fits(phone, "the chat with a long question and its answer")


def test_the_menu_is_always_shown_on_a_laptop(browser: webdriver.Chrome, server_url: str) -> None:
    browser.get(f"{server_url}/scorecard")
    menu = browser.find_element(By.CSS_SELECTOR, "header .menu")
    assert not menu.find_element(By.TAG_NAME, "summary").is_displayed()
    assert all(link.is_displayed() for link in menu.find_elements(By.CSS_SELECTOR, "nav a"))
