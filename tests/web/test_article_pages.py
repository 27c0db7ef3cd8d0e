"""The KCS loop over HTTP on a real server (sign-in on, a user per role): who may do what, the JSON API,
escaping, the capture page a search without a good match links to, and flags on the organisation's articles."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote_plus

import pytest
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from advisor.composition import build_advisor
from advisor.settings import Settings
from advisor.users import UserStore
from knowledge.embeddings import SentenceTransformerEmbedder
from tests.web.browser import accessibility_violations, gone, screenshot
from tests.web.servers import serve
from tests.web.signed_in import PASSWORD, add_role_users, csrf_from, signed_in
from web.app import create_app


@pytest.fixture(scope="module")
def url(
    tmp_path_factory: pytest.TempPathFactory, demo_dir: Path, embedder: SentenceTransformerEmbedder
) -> Iterator[str]:
    """A server over a copy of the demo (publishing writes into it) with a small real index: 60 resolved
    cases and 5 of the organisation's articles."""
    root = tmp_path_factory.mktemp("kcs-web")
    shutil.copytree(demo_dir, root / "org")
    settings = Settings(
        data_dir=root / "org", index_dir=root / "index", database_url=f"sqlite:///{root}/app.db"
    )
    advisor = build_advisor(settings)
    advisor.index.embedder = embedder
    documents = advisor.documents()
    cases = [document for document in documents if document.kind == "case"][:60]
    articles = [document for document in documents if document.kind == "article"][:5]
    advisor.index.build(cases + articles)
    users = UserStore(settings.database_url)
    add_role_users(users)
    with serve(create_app(settings, advisor=advisor, users=users)) as base:
        yield base


def test_only_knowledge_leads_curate(url: str) -> None:
    for role, status in (("agent", 403), ("leader", 403), ("manager", 200), ("admin", 200)):
        with signed_in(url, role) as client:
            assert client.get("/api/articles/candidates").status_code == status, role
            page = client.get("/knowledge/articles")
            assert page.status_code == status, role
            assert client.get("/knowledge/articles/new").status_code == 200, role
    with signed_in(url, "manager") as client:
        candidates = client.get("/api/articles/candidates").json()
        assert candidates and candidates[0]["size"] >= candidates[-1]["size"] >= 3
        assert "Draft article" in client.get("/knowledge/articles").text


def test_an_agent_suggests_and_flags_but_does_not_review(url: str) -> None:
    with signed_in(url, "agent") as agent:
        made = agent.post("/api/articles", json={"draft": {"title": "Refund policy for annual plans"}})
        assert made.status_code == 201, made.text
        article = made.json()
        assert (article["state"], article["origin"], article["created_by"]) == (
            "work_in_progress",
            "suggestion",
            "agent",
        )
        assert (
            agent.put(
                f"/api/articles/{article['id']}", json={"draft": {"title": "x"}, "revision": 1}
            ).status_code
            == 403
        )
        moved = agent.post(
            f"/api/articles/{article['id']}/transitions",
            json={"to": "not_validated", "expected": "work_in_progress"},
        )
        assert moved.status_code == 403
        candidate = agent.post("/api/articles", json={"candidate_id": "cand-x"})
        assert candidate.status_code == 403
        flag = agent.post(
            "/api/articles/KB0001/flags", json={"reason": "outdated", "comment": "The <b>menu</b> moved"}
        )
        assert flag.status_code == 201, flag.text
        assert (
            agent.post("/api/articles/KB9999/flags", json={"reason": "wrong", "comment": "x"}).status_code
            == 404
        )
        page = agent.get("/articles/KB0001")
        assert "The &lt;b&gt;menu&lt;/b&gt; moved" in page.text and "<b>menu</b>" not in page.text
        assert "Resolve flag" not in page.text
        title = page.text.split("<h1>", 1)[1].split("</h1>", 1)[0]
    with signed_in(url, "manager") as lead:
        flags = lead.get("/api/articles/flags").json()
        mine = [f for f in flags if f["id"] == flag.json()["id"]]
        assert mine and mine[0]["by"] == "agent"
        leads_page = lead.get("/knowledge/articles").text
        assert "The &lt;b&gt;menu&lt;/b&gt; moved" in leads_page and f">{title}</a>" in leads_page
        suggested = lead.get("/api/articles", params={"state": "work_in_progress"}).json()
        assert article["id"] in {a["id"] for a in suggested}
        resolved = lead.post(f"/api/articles/flags/{mine[0]['id']}/resolve")
        assert resolved.status_code == 200 and resolved.json()["resolved_by"] == "manager"
        assert lead.post(f"/api/articles/flags/{mine[0]['id']}/resolve").status_code == 409


def test_the_api_drafts_reviews_and_publishes_with_conflicts_refused(url: str) -> None:
    with signed_in(url, "manager") as lead:
        candidate = lead.get("/api/articles/candidates").json()[-1]
        made = lead.post("/api/articles", json={"candidate_id": candidate["id"]})
        assert made.status_code == 201, made.text
        article = made.json()
        assert [case["ticket_id"] for case in article["cases"]] == candidate["case_ids"]
        assert article["title"] == candidate["title"] and "## Resolution" in article["body"]
        assert lead.post("/api/articles", json={"candidate_id": candidate["id"]}).status_code == 404
        draft = {key: article[key] for key in ("title", "symptoms", "cause", "resolution", "product")}
        edited = lead.put(
            f"/api/articles/{article['id']}", json={"draft": draft | {"cause": "Known"}, "revision": 1}
        )
        assert edited.status_code == 200 and edited.json()["revision"] == 2
        stale = lead.put(f"/api/articles/{article['id']}", json={"draft": draft, "revision": 1})
        assert stale.status_code == 409 and "someone else" in stale.json()["detail"]
        path = f"/api/articles/{article['id']}/transitions"
        skip = lead.post(path, json={"to": "published", "expected": "work_in_progress"})
        assert skip.status_code == 409
        for expected, to in (("work_in_progress", "not_validated"), ("not_validated", "validated")):
            assert lead.post(path, json={"to": to, "expected": expected}).status_code == 200
        published = lead.post(path, json={"to": "published", "expected": "validated", "note": "checked"})
        assert published.status_code == 200 and published.json()["state"] == "published"
        again = lead.post(path, json={"to": "published", "expected": "validated"})
        assert again.status_code == 409
        found = lead.get("/knowledge", params={"q": article["title"]})
        assert f"/articles/{article['id']}" in found.text
        history = lead.get(f"/api/articles/{article['id']}").json()["history"]
        assert [h["to_state"] for h in history if h["action"] == "moved"] == [
            "not_validated",
            "validated",
            "published",
        ]
        assert history[-1]["actor"] == "manager" and history[-1]["note"] == "checked"
        assert lead.get("/api/articles/kcs-unknown").status_code == 404


def test_the_capture_page_fills_the_title_and_escapes_everything(url: str) -> None:
    query = 'Refund policy <script>alert(1)</script> & "annual"'
    with signed_in(url, "agent") as agent:
        page = agent.get("/knowledge/articles/new", params={"title": query})
        assert page.status_code == 200
        assert "<script>alert(1)</script>" not in page.text
        assert (
            'value="Refund policy &lt;script&gt;alert(1)&lt;/script&gt; &amp; &#34;annual&#34;"' in page.text
        )
        assert "Suggest article" in page.text
        made = agent.post(
            "/knowledge/articles/new",
            data={
                "csrftoken": csrf_from(page.text),
                "title": query,
                "resolution": "<img src=x onerror=alert(1)>",
            },
            follow_redirects=False,
        )
        assert made.status_code == 303 and "done=suggested" in made.headers["location"]
        shown = agent.get(made.headers["location"])
        assert "<script>alert(1)" not in shown.text and "<img src=x" not in shown.text
        assert "your suggestion is with the knowledge leads" in shown.text
    with signed_in(url, "manager") as lead:
        assert "Create draft" in lead.get("/knowledge/articles/new", params={"title": "x"}).text


# -- the browser walk ----------------------------------------------------------------------------------------
SIZES = {"wide": (1280, 800), "phone": (390, 844)}


def _shoot(browser: webdriver.Chrome, name: str) -> None:
    """Screenshots at both sizes (test-artifacts/kcs-<name>-wide.png and -phone.png), wide left last."""
    for size in ("phone", "wide"):
        browser.set_window_size(*SIZES[size])
        screenshot(browser, f"kcs-{name}-{size}")


def _submit(browser: webdriver.Chrome, button: WebElement) -> None:
    """Click a form's button and wait for the next page to replace this one."""
    old = browser.find_element(By.TAG_NAME, "html")
    button.click()
    WebDriverWait(browser, 60).until(gone(old))
    WebDriverWait(browser, 60).until(lambda d: d.execute_script("return document.readyState") == "complete")


@pytest.mark.browser
@pytest.mark.slow
def test_a_lead_captures_drafts_reviews_publishes_and_finds_it(browser: webdriver.Chrome, url: str) -> None:
    browser.set_window_size(*SIZES["wide"])
    browser.delete_all_cookies()
    browser.get(f"{url}/login?next=/account")
    browser.find_element(By.ID, "username").send_keys("manager")
    browser.find_element(By.ID, "password").send_keys(PASSWORD + Keys.ENTER)
    WebDriverWait(browser, 30).until(lambda d: d.current_url.endswith("/account"))

    # capture: the link a search without a good match offers
    browser.get(f"{url}/knowledge?q=Refund+policy+for+annual+plans")
    _submit(browser, browser.find_element(By.CSS_SELECTOR, "a.capture-link"))
    assert browser.current_url == f"{url}/knowledge/articles/new?title=Refund+policy+for+annual+plans"
    assert browser.find_element(By.ID, "title").get_attribute("value") == "Refund policy for annual plans"
    browser.find_element(By.ID, "symptoms").send_keys("A customer on an annual plan asks for a refund.")
    _shoot(browser, "capture")
    _submit(browser, browser.find_element(By.ID, "capture-submit"))
    assert browser.find_element(By.ID, "article-state").text == "Work in progress"
    assert "Draft created" in browser.find_element(By.ID, "done").text

    # the leads' page (linked from the knowledge page): flags, candidates (largest first), articles by state
    browser.get(f"{url}/knowledge")
    _submit(browser, browser.find_element(By.ID, "articles-link"))
    assert "Refund policy for annual plans" in browser.find_element(By.ID, "list-work_in_progress").text
    candidates = browser.find_elements(By.CSS_SELECTOR, "#candidates > li")
    assert len(candidates) >= 3
    assert accessibility_violations(browser) == []
    _shoot(browser, "articles")
    title = candidates[0].find_element(By.TAG_NAME, "h3").text

    # draft from the largest candidate: pre-filled from its cases, with links back to them
    _submit(browser, candidates[0].find_element(By.CSS_SELECTOR, "button[type=submit]"))
    assert browser.find_element(By.ID, "title").get_attribute("value") == title
    assert browser.find_element(By.ID, "resolution").get_attribute("value")
    assert len(browser.find_elements(By.CSS_SELECTOR, "#cases li a")) >= 3
    assert accessibility_violations(browser) == []
    _shoot(browser, "draft")
    Select(browser.find_element(By.ID, "audience")).select_by_value("customer")
    _submit(browser, browser.find_element(By.ID, "save"))
    assert browser.find_element(By.ID, "done").text == "Saved."

    # review: work in progress -> not validated -> validated -> published
    for step, state in (
        ("not_validated", "Not validated"),
        ("validated", "Validated"),
        ("published", "Published"),
    ):
        _submit(browser, browser.find_element(By.ID, f"step-{step}"))
        assert browser.find_element(By.ID, "article-state").text == state
    assert "in search now" in browser.find_element(By.ID, "done").text
    history = browser.find_element(By.ID, "history").text
    assert history.count("manager") == 5 and "Validated → Published" in history
    _shoot(browser, "published")
    article_url = browser.find_element(By.LINK_TEXT, "Open the published article").get_attribute("href")

    # found in the knowledge search at once, and its page carries the flag form
    browser.get(f"{url}/knowledge?q={quote_plus(title)}")
    links = [str(a.get_attribute("href")) for a in browser.find_elements(By.CSS_SELECTOR, "main a")]
    assert article_url in links
    _shoot(browser, "found")
    browser.get(str(article_url))
    assert browser.find_element(By.TAG_NAME, "h1").text == title
    assert browser.find_elements(By.ID, "flag-comment")
    _shoot(browser, "published-page")
