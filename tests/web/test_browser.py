"""A person's first visit, in real headless Chromium: the scorecard, a chat question, a cited answer."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from tests.web.browser import ARTIFACTS, accessibility_violations, gone, screenshot, start_chromium

pytestmark = pytest.mark.browser


FINAL_ANSWER = (By.CSS_SELECTOR, ".message-advisor[id^='turn-'] .citations a")


def _answers(browser: webdriver.Chrome) -> list[WebElement]:
    return browser.find_elements(By.CSS_SELECTOR, ".message-advisor[id^='turn-']")


def test_a_chat_answer_streams_in_with_sources_follow_ups_and_feedback(
    browser: webdriver.Chrome, server_url: str
) -> None:
    browser.get(server_url + "/")
    assert "ocmf-advisor" in browser.title
    assert browser.find_element(By.ID, "scorecard-title").text.startswith("Scorecard 2026-08-01")
    assert browser.find_element(By.ID, "metric-C6").is_displayed()
    screenshot(browser, "home")

    box = browser.find_element(By.ID, "message")
    assert browser.find_element(By.CSS_SELECTOR, "label[for=message]").text == "Your question"
    box.send_keys("What should we improve next?", Keys.ENTER)  # the keyboard alone asks
    WebDriverWait(browser, 60).until(expected_conditions.presence_of_element_located(FINAL_ANSWER))
    assert "?c=" in browser.current_url, "the streamed answer is kept in a conversation"
    answer = _answers(browser)[0]
    assert "smartest next step" in answer.find_element(By.CSS_SELECTOR, ".answer").text
    assert answer.find_elements(By.CSS_SELECTOR, ".citations a")
    follow_ups = [chip.text for chip in answer.find_elements(By.CSS_SELECTOR, "button.chip")]
    assert "Why that one?" in follow_ups
    assert accessibility_violations(browser) == []
    screenshot(browser, "chat-answer")

    answer.find_element(By.XPATH, ".//button[text()='Why that one?']").click()
    WebDriverWait(browser, 60).until(lambda driver: len(_answers(driver)) == 2)
    second = _answers(browser)[1]
    assert second.find_elements(By.CSS_SELECTOR, ".citations a[href^='/practices/']")
    users = [element.text for element in browser.find_elements(By.CSS_SELECTOR, ".message-user .user-text")]
    assert users == ["What should we improve next?", "Why that one?"]

    second.find_element(By.CSS_SELECTOR, "input[name=comment]").send_keys("clear <b>reasons</b>")
    second.find_element(By.XPATH, ".//button[text()='Helpful']").click()
    WebDriverWait(browser, 30).until(
        lambda driver: (
            "Thank you" in _answers(driver)[1].find_element(By.CSS_SELECTOR, ".feedback-status").text
        )
    )

    browser.get(server_url + "/")
    history = browser.find_elements(By.CSS_SELECTOR, ".history li a")
    assert history and history[0].text == "What should we improve next?"
    history[0].click()
    WebDriverWait(browser, 30).until(lambda driver: len(_answers(driver)) == 2)
    screenshot(browser, "chat-history")
    assert accessibility_violations(browser) == []  # the stored conversation with its history and forms

    first = _answers(browser)[0].find_elements(By.CSS_SELECTOR, ".citations a")[0]
    title = first.text
    first.click()
    WebDriverWait(browser, 30).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "article.document h1"))
    )
    assert browser.find_element(By.CSS_SELECTOR, "article.document h1").text == title
    screenshot(browser, "practice")


def test_an_empty_chat_offers_questions_to_start_with(browser: webdriver.Chrome, server_url: str) -> None:
    browser.get(server_url + "/")
    starters = browser.find_elements(By.CSS_SELECTOR, ".starters button.chip")
    assert [chip.text for chip in starters][:2] == [
        "What should we improve next?",
        "How do I fix a failed bank feed sync?",
    ]
    starters[1].click()
    WebDriverWait(browser, 60).until(lambda driver: len(_answers(driver)) == 1)
    assert not browser.find_elements(By.CSS_SELECTOR, ".starters")
    answer = _answers(browser)[0]
    prior = answer.find_elements(
        By.CSS_SELECTOR, ".citations a[href^='/articles/'], .citations a[href*='case']"
    )
    assert prior, "a new agent's question is answered from prior solutions"
    snippets = [
        line for line in answer.find_element(By.CSS_SELECTOR, ".answer").text.splitlines() if ": " in line
    ]
    assert len(snippets) == len(set(snippets)), "cases solved the same way are listed once"


def test_script_tags_in_a_chat_message_are_shown_as_text_and_never_run(
    browser: webdriver.Chrome, server_url: str
) -> None:
    hostile = '<script>window.pwned = 1</script><img src=x onerror="window.pwned = 2"> password reset'
    browser.get(server_url + "/")
    browser.find_element(By.ID, "message").send_keys(hostile, Keys.ENTER)
    WebDriverWait(browser, 60).until(lambda driver: len(_answers(driver)) == 1)
    browser.refresh()  # the stored conversation, rendered by the server this time
    WebDriverWait(browser, 30).until(lambda driver: len(_answers(driver)) == 1)
    assert browser.find_element(By.CSS_SELECTOR, ".message-user .user-text").text == hostile
    assert browser.execute_script("return window.pwned === undefined")
    assert not browser.find_elements(By.CSS_SELECTOR, ".messages img, .messages script")


def test_why_is_this_weak_links_open_the_chat_and_ask(browser: webdriver.Chrome, server_url: str) -> None:
    browser.get(server_url + "/?ask=" + quote("How is C6 computed?"))
    WebDriverWait(browser, 60).until(lambda driver: len(_answers(driver)) == 1)
    assert "C6" in _answers(browser)[0].text
    assert browser.find_element(By.CSS_SELECTOR, ".message-user .user-text").text == "How is C6 computed?"


def test_without_javascript_the_plain_form_still_answers(
    server_url: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    driver = start_chromium(tmp_path_factory.mktemp("no-js"), javascript=False)
    try:
        driver.get(server_url + "/")
        driver.find_element(By.ID, "message").send_keys("What should we improve next?")
        driver.find_element(By.CSS_SELECTOR, ".chat-form button[type=submit]").click()
        WebDriverWait(driver, 60).until(expected_conditions.presence_of_element_located(FINAL_ANSWER))
        answer = _answers(driver)[0]
        assert "smartest next step" in answer.text
        answer.find_element(By.XPATH, ".//button[text()='Not helpful']").click()  # a plain POST, then back
        WebDriverWait(driver, 30).until(lambda d: "#turn-" in d.current_url)
        screenshot(driver, "chat-without-javascript")
    finally:
        driver.quit()


def test_a_leader_proposes_accepts_and_dismisses_recommendations(
    browser: webdriver.Chrome, server_url: str
) -> None:
    browser.get(server_url + "/")
    browser.find_element(By.LINK_TEXT, "Recommendations").click()
    WebDriverWait(browser, 30).until(expected_conditions.title_contains("Recommendations"))
    ranked = browser.find_elements(By.CSS_SELECTOR, ".ranked-item")
    assert len(ranked) >= 2, "the ranked next steps are shown before anything is proposed"
    assert ranked[0].find_elements(By.CSS_SELECTOR, ".targets a[href^='/scorecard/metrics/']")
    sources = ranked[0].find_elements(By.CSS_SELECTOR, ".sources a")
    assert sources and all(a.get_attribute("href").startswith("https://") for a in sources)
    assert accessibility_violations(browser) == []
    propose = browser.find_element(By.XPATH, "//button[text()='Propose the current next steps']")
    propose.click()
    # other tests of the session may have tracked items on the page already: wait for the reload first
    WebDriverWait(browser, 30).until(gone(propose))
    WebDriverWait(browser, 30).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".tracked-item"))
    )

    accept = browser.find_elements(
        By.XPATH, "//li[contains(@class,'tracked-item')][.//button[text()='Accept']]"
    )
    assert len(accept) >= 2, "the proposal gives at least two open recommendations"
    first_id, second_id = accept[0].get_attribute("id"), accept[1].get_attribute("id")
    accept[0].find_element(By.XPATH, ".//button[text()='Accept']").click()
    # the form posts and the page reloads: wait for the old page to go before looking at the new one
    WebDriverWait(browser, 30).until(gone(accept[0]))
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
    WebDriverWait(browser, 30).until(gone(second))
    WebDriverWait(browser, 30).until(expected_conditions.presence_of_element_located((By.ID, second_id)))
    dismissed = browser.find_element(By.ID, second_id)
    assert "dismissed by local user" in dismissed.text
    assert "<script>alert('x')</script> not this quarter" in dismissed.text  # shown as text, never run
    assert not dismissed.find_elements(By.XPATH, ".//button")
    browser.save_screenshot(str(ARTIFACTS / "recommendations.png"))


def test_the_interactive_api_docs_render_offline(browser: webdriver.Chrome, server_url: str) -> None:
    browser.get(server_url + "/docs")
    WebDriverWait(browser, 30).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".swagger-ui .info .title"))
    )
    assert "ocmf-advisor" in browser.find_element(By.CSS_SELECTOR, ".swagger-ui .info .title").text
    WebDriverWait(browser, 30).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".opblock-tag"))
    )
    tags = {element.text.split("\n")[0] for element in browser.find_elements(By.CSS_SELECTOR, ".opblock-tag")}
    assert {"chat", "recommendations"} <= tags
    screenshot(browser, "api-docs")


def test_the_reading_of_a_question_is_shown_and_can_be_changed(
    browser: webdriver.Chrome, server_url: str
) -> None:
    browser.get(server_url + "/")
    browser.find_element(By.ID, "message").send_keys("What is our CSAT for the Payroll product?", Keys.ENTER)
    WebDriverWait(browser, 60).until(lambda driver: len(_answers(driver)) == 1)
    answer = _answers(browser)[0]
    reading = answer.find_element(By.CSS_SELECTOR, ".reading summary")
    assert reading.text.startswith("Reading this as: figures · CSAT% · Payroll")
    reading.click()  # opens the form
    form = answer.find_element(By.CSS_SELECTOR, "form.reading-form")
    Select(form.find_element(By.NAME, "metric")).select_by_value("C6")
    Select(form.find_element(By.NAME, "filter_dimension")).select_by_value("team")
    value = form.find_element(By.NAME, "filter_value")
    value.clear()
    value.send_keys("Billing Desk")
    assert accessibility_violations(browser) == []
    form.find_element(By.XPATH, ".//button[text()='Ask again this way']").click()
    WebDriverWait(browser, 60).until(lambda driver: len(_answers(driver)) == 2)
    second = _answers(browser)[1]
    assert (
        second.find_element(By.CSS_SELECTOR, ".reading-text").text
        == "figures · Hand-offs per ticket · Billing Desk"
    )
    assert "for Billing Desk (team)" in second.find_element(By.CSS_SELECTOR, ".answer").text
    screenshot(browser, "chat-reading-changed")
