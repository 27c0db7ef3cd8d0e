"""A person's first visit, in real headless Chromium: the scorecard, a chat question, a cited answer."""

from __future__ import annotations

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from tests.web.browser import ARTIFACTS

pytestmark = pytest.mark.browser


def test_a_chat_question_through_the_plain_form_gets_a_cited_answer(
    browser: webdriver.Chrome, server_url: str
) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    browser.get(server_url + "/")
    assert "ocmf-advisor" in browser.title
    scorecard = browser.find_element(By.ID, "scorecard-title")
    assert scorecard.text.startswith("Scorecard 2026-08-01")
    assert browser.find_element(By.ID, "metric-C6").is_displayed()
    browser.save_screenshot(str(ARTIFACTS / "home.png"))

    box = browser.find_element(By.ID, "message")
    assert browser.find_element(By.CSS_SELECTOR, "label[for=message]").text == "Your question"
    box.send_keys("What should we improve next?")
    browser.find_element(By.CSS_SELECTOR, ".chat-form button[type=submit]").click()

    WebDriverWait(browser, 60).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".message-advisor"))
    )
    answer = browser.find_element(By.CSS_SELECTOR, ".message-advisor .answer")
    assert "smartest next step" in answer.text
    links = browser.find_elements(By.CSS_SELECTOR, ".message-advisor .citations a")
    assert links, "the answer cites its sources"
    browser.save_screenshot(str(ARTIFACTS / "chat-answer.png"))

    first = links[0]
    title = first.text
    first.click()
    WebDriverWait(browser, 30).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "article.document h1"))
    )
    assert browser.find_element(By.CSS_SELECTOR, "article.document h1").text == title
    browser.save_screenshot(str(ARTIFACTS / "practice.png"))


def test_a_leader_proposes_accepts_and_dismisses_recommendations(
    browser: webdriver.Chrome, server_url: str
) -> None:
    browser.get(server_url + "/")
    browser.find_element(By.LINK_TEXT, "Recommendations").click()
    WebDriverWait(browser, 30).until(expected_conditions.title_contains("Recommendations"))
    browser.find_element(By.XPATH, "//button[text()='Propose the current next steps']").click()
    WebDriverWait(browser, 30).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".tracked-item"))
    )

    accept = browser.find_elements(
        By.XPATH, "//li[contains(@class,'tracked-item')][.//button[text()='Accept']]"
    )
    assert len(accept) >= 2, "the proposal gives at least two open recommendations"
    first_id, second_id = accept[0].get_attribute("id"), accept[1].get_attribute("id")
    accept[0].find_element(By.XPATH, ".//button[text()='Accept']").click()
    WebDriverWait(browser, 30).until(expected_conditions.presence_of_element_located((By.ID, first_id)))
    item = browser.find_element(By.ID, first_id)
    assert "accepted by local user" in item.text
    assert item.find_elements(By.XPATH, ".//button[text()='Start']")

    second = browser.find_element(By.ID, second_id)
    reason = second.find_element(By.CSS_SELECTOR, "input[name=reason]")
    assert (
        second.find_element(By.CSS_SELECTOR, f"label[for={reason.get_attribute('id')}]").text
        == "Reason to dismiss"
    )
    reason.send_keys("<script>alert('x')</script> not this quarter")
    second.find_element(By.XPATH, ".//button[text()='Dismiss']").click()
    WebDriverWait(browser, 30).until(expected_conditions.presence_of_element_located((By.ID, second_id)))
    dismissed = browser.find_element(By.ID, second_id)
    assert "dismissed by local user" in dismissed.text
    assert "<script>alert('x')</script> not this quarter" in dismissed.text  # shown as text, never run
    assert not dismissed.find_elements(By.XPATH, ".//button")
    browser.save_screenshot(str(ARTIFACTS / "recommendations.png"))
