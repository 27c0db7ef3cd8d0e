"""Headless Chromium signs in as each role with the keyboard, walks the pages its menu offers, is refused the
others, and checks the sign-in, account and users pages with axe-core. Screenshots land in test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from advisor.service import Advisor
from advisor.settings import Settings
from advisor.users import UserStore
from tests.web.browser import accessibility_violations, screenshot
from tests.web.servers import serve
from tests.web.signed_in import PASSWORD, USERNAMES, add_role_users
from web.app import create_app

pytestmark = pytest.mark.browser

READER_PAGES = {"/", "/scorecard", "/recommendations", "/knowledge", "/account"}
#: The chat is at `/` where it is the role's home, else at /chat (web.navigation).
NAV = {
    "agent": READER_PAGES - {"/"} | {"/chat"},
    "manager": READER_PAGES,
    "leader": READER_PAGES - {"/"} | {"/chat"},
    "admin": READER_PAGES | {"/data", "/admin/users"},
}
ADMIN_ONLY = ("/data", "/admin/users")


@pytest.fixture(scope="module")
def url(settings: Settings, advisor: Advisor, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    users = UserStore(f"sqlite:///{tmp_path_factory.mktemp('browser-users')}/users.db")
    add_role_users(users)
    with serve(create_app(settings, advisor=advisor, users=users)) as base:
        yield base


def _slug(path: str) -> str:
    return path.strip("/").replace("/", "-") or "home"


def _heading(driver: webdriver.Chrome) -> str:
    return str(driver.find_element(By.TAG_NAME, "h1").text)


def _sign_in_with_the_keyboard(driver: webdriver.Chrome, url: str, username: str) -> None:
    driver.get(f"{url}/login?next=/account")
    field = driver.switch_to.active_element
    assert field.get_attribute("id") == "username", "the username field should have the focus"
    field.send_keys(username)
    field.send_keys(Keys.TAB)
    password = driver.switch_to.active_element
    assert password.get_attribute("id") == "password", "Tab should move to the password"
    password.send_keys(PASSWORD + Keys.ENTER)
    WebDriverWait(driver, 20).until(lambda d: d.current_url.endswith("/account"))
    # the address changes before the account page has replaced the login page's document
    WebDriverWait(driver, 20).until(lambda d: d.execute_script("return document.readyState") == "complete")


def test_the_login_page_is_accessible_and_refuses_a_wrong_password(
    browser: webdriver.Chrome, url: str
) -> None:
    browser.delete_all_cookies()
    browser.get(f"{url}/login")
    assert _heading(browser) == "Sign in"
    for field in ("username", "password"):
        label = browser.find_element(By.CSS_SELECTOR, f"label[for={field}]")
        assert label.is_displayed() and label.text
    screenshot(browser, "role-anonymous-login")
    assert accessibility_violations(browser) == []
    browser.find_element(By.ID, "username").send_keys("agent")
    browser.find_element(By.ID, "password").send_keys("not the password" + Keys.ENTER)
    WebDriverWait(browser, 20).until(lambda d: d.find_elements(By.ID, "login-error"))
    assert "Wrong username or password." in browser.find_element(By.ID, "login-error").text
    screenshot(browser, "role-anonymous-login-error")
    assert accessibility_violations(browser) == []


@pytest.mark.parametrize("role", ["agent", "manager", "leader", "admin"])
def test_each_role_sees_its_pages_and_is_refused_the_rest(
    browser: webdriver.Chrome, url: str, role: str
) -> None:
    browser.delete_all_cookies()
    _sign_in_with_the_keyboard(browser, url, USERNAMES[role])
    signed_in = f"{role} ({role})"
    WebDriverWait(browser, 20, ignored_exceptions=[StaleElementReferenceException]).until(
        lambda d: signed_in in d.find_element(By.CSS_SELECTOR, "nav").text
    )
    links = browser.find_elements(By.CSS_SELECTOR, "nav[aria-label=Main] a")
    shown = {str(link.get_attribute("href")).removeprefix(url) for link in links}
    assert shown == NAV[role]

    screenshot(browser, f"role-{role}-account")
    assert accessibility_violations(browser) == []

    for path in sorted(NAV[role] - {"/account"}):
        browser.get(url + path)
        assert _heading(browser) not in ("Not found", "Not allowed", "Sign in"), path
        screenshot(browser, f"role-{role}-{_slug(path)}")
        if path == "/admin/users":
            assert "agent" in browser.find_element(By.TAG_NAME, "table").text
            assert accessibility_violations(browser) == []

    for path in ADMIN_ONLY if role != "admin" else ():
        browser.get(url + path)
        assert _heading(browser) == "Not allowed", path
        assert f"signed in as {role} ({role})" in browser.find_element(By.ID, "main").text
        screenshot(browser, f"role-{role}-{_slug(path)}-refused")

    browser.get(f"{url}/scorecard")
    browser.find_element(By.CSS_SELECTOR, ".topbar button.nav-button").click()  # sign out from any page
    WebDriverWait(browser, 20).until(lambda d: "/login" in d.current_url)
    browser.get(f"{url}/account")
    assert "/login?next=/account" in browser.current_url
