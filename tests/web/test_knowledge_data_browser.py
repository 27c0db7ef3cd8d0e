"""The knowledge and data pages in real headless Chromium: a filtered search and a vote that raises the
reuse count, then an upload whose progress bar reaches done; both pages free of serious accessibility issues."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from advisor.service import Advisor
from knowledge.embeddings import SentenceTransformerEmbedder
from tests.web.browser import accessibility_violations, screenshot
from tests.web.data_org import SCRIPT, tiny_advisor
from tests.web.servers import serve
from web.app import create_app

pytestmark = pytest.mark.browser

ZENDESK = Path(__file__).resolve().parents[1] / "data" / "imports" / "zendesk" / "tickets.csv"
REJECTED_ROW = (
    f"105,X,Acme,Support,Bob,Bad,Open,low,Mail,question,{SCRIPT},2026-03-07 08:20:00,,Offered,1,0,0,0\n"
)
#: Index rebuild steps the test's advisor reports slowly, so the browser sees the bar move.
STEPS = 6


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, demo_dir: Path, embedder: SentenceTransformerEmbedder
) -> Iterator[tuple[str, Advisor]]:
    advisor, settings = tiny_advisor(tmp_path_factory.mktemp("knowledge-data-browser"), demo_dir, embedder)
    with serve(create_app(settings, advisor=advisor)) as url:
        yield url, advisor


def test_search_filter_and_a_helpful_vote(browser: webdriver.Chrome, site: tuple[str, Advisor]) -> None:
    url, _ = site
    browser.get(url + "/knowledge")
    assert browser.title.startswith("Knowledge")
    assert browser.find_element(By.CSS_SELECTOR, "label[for=q]").text == "Search"
    box = browser.find_element(By.ID, "q")
    box.send_keys("reset two-factor sign-in", Keys.ENTER)
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".result"))
    assert browser.find_element(By.ID, "q").get_attribute("value") == "reset two-factor sign-in"

    Select(browser.find_element(By.ID, "filter-kind")).select_by_value("article")
    browser.find_element(By.XPATH, "//button[text()='Apply filters']").click()
    WebDriverWait(browser, 30).until(lambda d: "kind=article" in d.current_url)
    results = browser.find_elements(By.CSS_SELECTOR, ".result")
    assert results
    assert all(r.find_element(By.CSS_SELECTOR, ".kind-tag").text == "KNOWLEDGE ARTICLE" for r in results)

    first = results[0]
    result_id = first.get_attribute("id")
    before = int(first.find_element(By.CSS_SELECTOR, ".reuse-count").text)
    first.find_element(By.XPATH, ".//button[text()='Helpful']").click()
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".thanks"))
    voted = browser.find_element(By.ID, result_id)
    assert int(voted.find_element(By.CSS_SELECTOR, ".reuse-count").text) == before + 1
    assert "kind=article" in browser.current_url, "the search and its filter are kept"
    assert (
        Select(browser.find_element(By.ID, "filter-kind")).first_selected_option.text == "Knowledge article"
    )
    screenshot(browser, "knowledge")
    assert accessibility_violations(browser) == []


def test_an_upload_shows_its_progress_until_done(
    browser: webdriver.Chrome, site: tuple[str, Advisor], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, advisor = site
    build = advisor.build_index

    def slow_build(*args: Any, progress: Any = None, **kwargs: Any) -> Any:
        for step in range(STEPS + 1):
            if progress is not None:
                progress(step, STEPS)
            time.sleep(0.5)
        return build(*args, **kwargs)

    monkeypatch.setattr(advisor, "build_index", slow_build)
    export = tmp_path / "tickets.csv"
    export.write_bytes(ZENDESK.read_bytes() + REJECTED_ROW.encode())

    browser.get(url + "/data")
    assert browser.title.startswith("Data")
    assert accessibility_violations(browser) == []
    browser.find_element(By.ID, "files").send_keys(str(export))
    Select(browser.find_element(By.ID, "preset")).select_by_value("zendesk")
    browser.find_element(
        By.XPATH, "//form[@action='/data/import']//button[text()='Preview the import']"
    ).click()
    # a preview first (nothing written), then the import is confirmed
    WebDriverWait(browser, 60, ignored_exceptions=(StaleElementReferenceException,)).until(
        lambda d: d.find_elements(By.XPATH, "//form[contains(@action, '/confirm')]//button[text()='Import']")
    )
    assert "Preview: rows per table before and after" in browser.page_source
    assert accessibility_violations(browser) == []
    preview_url = browser.current_url
    browser.find_element(By.XPATH, "//form[contains(@action, '/confirm')]//button[text()='Import']").click()

    WebDriverWait(browser, 30).until(lambda d: "/data?job=" in d.current_url and d.current_url != preview_url)
    values: set[str] = set()

    def settled(driver: webdriver.Chrome) -> bool:
        bars = driver.find_elements(By.ID, "job-progress")
        if bars:
            values.add(bars[0].get_attribute("value") or "")
        section = driver.find_elements(By.CSS_SELECTOR, "[data-job-state]")
        return (
            bool(section)
            and section[0].get_attribute("data-job-state") == "done"
            and "Rows per table" in driver.page_source
        )

    # the page reloads itself when the job ends: an element read during the reload is stale, not an error
    # (Chromium reports it either as a stale element or as a node that no longer belongs to the document)
    WebDriverWait(
        browser,
        60,
        poll_frequency=0.2,
        ignored_exceptions=(StaleElementReferenceException, WebDriverException),
    ).until(settled)
    assert len(values - {""}) >= 2, f"the bar moved while the job ran: {values}"
    bar = browser.find_element(By.ID, "job-progress")
    assert bar.get_attribute("value") == bar.get_attribute("max")
    status = browser.find_element(By.ID, "job-status")
    assert status.get_attribute("role") == "status" and status.text == "Finished"
    assert browser.find_element(By.CSS_SELECTOR, "[data-job-field=state]").text == "Done"
    reason = browser.find_element(By.CSS_SELECTOR, ".rejects td.reason").text
    assert reason == f"'{SCRIPT}' is not an ISO-8601 date and time", "the script tag is shown as text"
    assert browser.execute_script("return window.__xss === undefined")
    screenshot(browser, "data")
    assert accessibility_violations(browser) == []
