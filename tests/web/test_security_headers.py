"""Security headers on every answer of a real server (pages, API, streams, static files, errors, a 500), and
the pages, the chart and the API docs running under that Content-Security-Policy in headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from advisor.service import Advisor
from advisor.settings import Settings
from tests.web.servers import serve
from web.app import create_app

EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}
CSP_DIRECTIVES = {
    "default-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
}
#: Records every CSP violation from the first byte of each page on (a CDP script is not itself subject to it).
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") +
    " at " + e.sourceFile + ":" + e.lineNumber);
});
"""


def assert_hardened(response: httpx.Response) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, (response.request.url, name, response.headers)
    policy = {part.strip() for part in response.headers["content-security-policy"].split(";")}
    assert policy >= CSP_DIRECTIVES, policy
    assert not any("unsafe-inline" in part or "unsafe-eval" in part for part in policy if "script" in part)


@pytest.fixture(scope="module")
def failing_url(settings: Settings, advisor: Advisor) -> Iterator[str]:
    """A server with one route that fails, to see what a 500 carries."""
    app = create_app(settings, advisor=advisor)

    @app.get("/api/test-boom")
    def boom() -> dict[str, str]:
        raise RuntimeError("a bug")

    with serve(app) as url:
        yield url


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/scorecard",
        "/knowledge?q=reopened+tickets",
        "/docs",
        "/openapi.json",
        "/api/scorecard",
        "/api/search?q=handoffs",
        "/healthz",
        "/healthz/live",
        "/static/style.css",
        "/static/vendor/chartjs/chart.umd.min.js",
        "/practices/no-such-practice",  # the 404 page
        "/api/recommendations/nope",  # a JSON 404
        "/static/no-such-file.js",
    ],
)
def test_every_answer_carries_the_security_headers(server_url: str, path: str) -> None:
    response = httpx.get(server_url + path, timeout=60)
    assert response.status_code in {200, 404}, response.text[:300]
    assert_hardened(response)


def test_streams_errors_and_refusals_carry_them_too(server_url: str, failing_url: str) -> None:
    with httpx.stream(
        "POST", f"{server_url}/api/chat/stream", json={"message": "how do we cut hand-offs?"}, timeout=60
    ) as stream:
        assert stream.status_code == 200 and stream.headers["content-type"].startswith("text/event-stream")
        assert_hardened(stream)
        assert "event: answer" in stream.read().decode()
    refused = httpx.post(f"{server_url}/chat", data={"message": "x"})  # no CSRF token
    assert refused.status_code == 403
    assert_hardened(refused)
    invalid = httpx.post(f"{server_url}/api/chat", json={"message": 5})
    assert invalid.status_code == 422
    assert_hardened(invalid)
    crashed = httpx.get(f"{failing_url}/api/test-boom")
    assert crashed.status_code == 500
    assert_hardened(crashed)


def _violations(browser: webdriver.Chrome) -> list[str]:
    found: list[str] = browser.execute_script("return window.__cspViolations || null")
    assert found is not None, "the violation recorder did not run on this page"
    return found


@pytest.fixture(scope="module")
def watched(browser: webdriver.Chrome) -> webdriver.Chrome:
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": RECORD_VIOLATIONS})
    return browser


@pytest.mark.browser
def test_pages_charts_and_the_api_docs_run_under_the_policy(
    watched: webdriver.Chrome, server_url: str
) -> None:
    browser = watched
    browser.get(server_url + "/scorecard")
    WebDriverWait(browser, 30).until(
        lambda driver: driver.execute_script("return typeof Chart") == "function"
    )
    WebDriverWait(browser, 30).until(
        lambda driver: driver.execute_script("return Object.keys(Chart.instances).length") > 0
    )
    assert _violations(browser) == []

    browser.get(server_url + "/scorecard/metrics/C6")
    WebDriverWait(browser, 30).until(
        lambda driver: (
            driver.execute_script("return typeof Chart === 'function' && Object.keys(Chart.instances).length")
            > 0
        )
    )
    assert _violations(browser) == []

    browser.get(server_url + "/scorecard/metrics/C6/why")  # the diagnosis bars are sized by style attributes
    bars = browser.find_elements(By.CSS_SELECTOR, ".dx-bar")
    assert bars and any(bar.size["width"] > 0 for bar in bars)
    assert _violations(browser) == []

    for path in ("/data", "/recommendations", "/account", "/knowledge", "/practices"):
        browser.get(server_url + path)
        assert _violations(browser) == [], path

    browser.get(server_url + "/docs")
    WebDriverWait(browser, 30).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".swagger-ui .opblock-tag"))
    )
    assert "ocmf-advisor" in browser.find_element(By.CSS_SELECTOR, ".swagger-ui .info .title").text
    assert _violations(browser) == []

    browser.get(server_url + "/")
    browser.find_element(By.ID, "message").send_keys("How do we reduce reopened tickets?", Keys.ENTER)
    WebDriverWait(browser, 60).until(
        expected_conditions.presence_of_element_located(
            (By.CSS_SELECTOR, ".message-advisor[id^='turn-'] .citations a")
        )
    )
    assert _violations(browser) == []

    browser.get(server_url + "/knowledge")
    browser.find_element(By.ID, "q").send_keys("reopened tickets", Keys.ENTER)
    WebDriverWait(browser, 30).until(lambda driver: "q=reopened" in driver.current_url)
    WebDriverWait(browser, 30).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".result"))
    )
    assert _violations(browser) == []


@pytest.mark.browser
def test_an_inline_script_would_be_blocked(watched: webdriver.Chrome, server_url: str) -> None:
    """The policy is really enforced, not only sent: a script injected into the page does not run."""
    browser = watched
    browser.get(server_url + "/knowledge")
    ran: Any = browser.execute_script(
        "const s = document.createElement('script'); s.textContent = 'window.__ran = true';"
        "document.body.appendChild(s); return window.__ran === true;"
    )
    assert ran is False
    assert any("script-src" in violation for violation in _violations(browser))


@pytest.mark.browser
def test_a_search_says_it_is_searching_while_it_loads(watched: webdriver.Chrome, server_url: str) -> None:
    browser = watched
    browser.get(server_url + "/knowledge")
    status = browser.find_element(By.ID, "search-status")
    assert status.text == ""
    browser.find_element(By.ID, "q").send_keys("reopened tickets")
    # Hold the navigation so the page's state while it waits can be read.
    browser.execute_script(
        "const form = document.querySelector('.search-form');"
        "form.addEventListener('submit', (e) => e.preventDefault()); form.requestSubmit();"
    )
    assert status.text == "Searching…"
    assert status.get_attribute("role") == "status"
    assert browser.find_element(By.CSS_SELECTOR, ".search-form").get_attribute("aria-busy") == "true"
    assert not browser.find_element(By.CSS_SELECTOR, ".search-form button[type=submit]").is_enabled()
    assert _violations(browser) == []
