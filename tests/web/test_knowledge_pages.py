"""The knowledge page over a tiny organisation of its own: search, each filter, feedback and escaping."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from advisor.service import Advisor
from knowledge.embeddings import SentenceTransformerEmbedder
from tests.web.data_org import SCRIPT, tiny_advisor
from web.app import create_app
from web.routes.knowledge_pages import anchor_for

RUNBOOK = f"""---
id: runbook-export-cache
title: Runbook for a stuck payroll export
product: Payroll
---
# Runbook for a stuck payroll export

When the payroll export hangs, clear the export cache. {SCRIPT} Then run the export again.
"""


@pytest.fixture(scope="module")
def knowledge(
    tmp_path_factory: pytest.TempPathFactory, demo_dir: Path, embedder: SentenceTransformerEmbedder
) -> Iterator[tuple[TestClient, Advisor]]:
    root = tmp_path_factory.mktemp("knowledge-page")
    advisor, settings = tiny_advisor(root, demo_dir, embedder)
    documents = root / "documents"
    documents.mkdir()
    (documents / "runbook.md").write_text(RUNBOOK, encoding="utf-8")
    advisor.build_index(paths=[documents])
    with TestClient(create_app(settings, advisor=advisor)) as client:
        yield client, advisor


@pytest.fixture
def client(knowledge: tuple[TestClient, Advisor]) -> TestClient:
    return knowledge[0]


def csrf_from(page: str) -> str:
    """The CSRF token of a page (its meta tag; forms carry the same)."""
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert found, "the page has no CSRF token"
    return found.group(1)


def results(page: str) -> list[str]:
    """The HTML of each result of a knowledge page."""
    return page.split('<li class="result"')[1:]


def result_of(page: str, document_id: str) -> str:
    found = [block for block in results(page) if f'id="{anchor_for(document_id)}"' in block]
    assert found, f"{document_id} is not among the results"
    return found[0]


def reuse_of(block: str) -> int:
    found = re.search(r'class="reuse-count">(\d+)<', block)
    assert found, block
    return int(found.group(1))


def test_the_start_state_offers_labelled_search_filters_and_examples(client: TestClient) -> None:
    response = client.get("/knowledge")
    assert response.status_code == 200
    page = response.text
    assert '<label for="q">Search</label>' in page and 'id="q" name="q" type="search"' in page
    for name in ("kind", "product", "category", "audience"):
        assert f'<label for="filter-{name}">' in page and f'<select id="filter-{name}" name="{name}">' in page
    for value in (
        "practice",
        "article",
        "solution",
        "case",
        "document",
        "Ledger",
        "Payroll",
        "Insights",
        "Mobile",
    ):
        assert f'<option value="{value}">' in page
    for value in ("customer", "knowledge", "employee", "business", "acceleration", "internal"):
        assert f'<option value="{value}">' in page
    assert "What are you looking for?" in page
    assert '<a href="/knowledge?q=reopened+tickets">reopened tickets</a>' in page


def test_search_shows_each_document_once_with_a_link_a_snippet_and_votes(client: TestClient) -> None:
    page = client.get("/knowledge", params={"q": "reset two-factor sign-in"}).text
    blocks = results(page)
    assert blocks, "the search finds the two-factor articles"
    ids = re.findall(r'<h3><a href="([^"]+)"', page)
    assert len(ids) == len(set(ids)) == len(blocks), "grouped by document"
    article = result_of(page, "KB0009")
    assert '<a href="/articles/KB0009">Reset two-factor sign-in in Insights</a>' in article
    assert "Knowledge article" in article and "two-factor" in article.split('class="snippet">')[1]
    assert "<dt>Product</dt><dd>Insights</dd>" in article
    assert 'value="helpful"' in article and 'value="solved"' in article and "This solved it" in article
    assert 'name="csrftoken"' in article
    practices = [block for block in blocks if "kind-practice" in block]
    assert all('value="solved"' not in block for block in practices), "a practice is helpful, never 'solved'"


@pytest.mark.parametrize(
    ("query", "filters", "expected"),
    [
        ("reset two-factor sign-in", {"kind": "article"}, 'class="kind-tag kind-article"'),
        ("reopened tickets root cause", {"kind": "practice"}, 'class="kind-tag kind-practice"'),
        ("stuck payroll export cache", {"kind": "document"}, 'class="kind-tag kind-document"'),
        ("cannot close the month, draft journal", {"kind": "case"}, 'class="kind-tag kind-case"'),
        ("connect the bank feed", {"product": "Ledger"}, "<dt>Product</dt><dd>Ledger</dd>"),
        ("knowledge reuse", {"category": "knowledge"}, "knowledge"),
        ("fix a failed sync", {"audience": "internal"}, "<dt>Audience</dt><dd>internal</dd>"),
    ],
)
def test_each_filter_narrows_the_results(
    client: TestClient, query: str, filters: dict[str, str], expected: str
) -> None:
    unfiltered = results(client.get("/knowledge", params={"q": query}).text)
    response = client.get("/knowledge", params={"q": query, **filters})
    assert response.status_code == 200
    blocks = results(response.text)
    assert blocks, f"{filters} keeps some results"
    assert all(expected in block for block in blocks), filters
    name, value = next(iter(filters.items()))
    assert f'<option value="{value}" selected>' in response.text, "the chosen filter stays selected"
    if name == "category":
        assert all("<dt>Categories</dt>" in block for block in blocks)
    assert len(blocks) <= len(unfiltered) or name == "kind"


def test_filters_without_a_match_give_a_friendly_empty_result(client: TestClient) -> None:
    response = client.get("/knowledge", params={"q": "reset two-factor sign-in", "kind": "solution"})
    assert response.status_code == 200
    assert results(response.text) == []
    assert "No results" in response.text and "Search again without filters" in response.text


def test_an_unknown_kind_is_a_clear_message(client: TestClient) -> None:
    response = client.get("/knowledge", params={"q": "sign-in", "kind": "<b>rumour</b>"})
    assert response.status_code == 422
    assert "there is no kind &#39;&lt;b&gt;rumour&lt;/b&gt;&#39;" in response.text


def test_a_very_long_query_is_refused_with_the_limit(client: TestClient) -> None:
    response = client.get("/knowledge", params={"q": "a" * 10_000})
    assert response.status_code == 422
    assert 'role="alert"' in response.text
    assert "the query has 10,000 characters; the limit is 4,000" in response.text


def test_punctuation_alone_says_there_is_nothing_to_search_for(client: TestClient) -> None:
    response = client.get("/knowledge", params={"q": "?!?! ... ---"})
    assert response.status_code == 200
    assert "Nothing to search for" in response.text and results(response.text) == []


def test_a_script_tag_in_the_query_or_in_a_document_is_shown_as_text(client: TestClient) -> None:
    response = client.get("/knowledge", params={"q": f"{SCRIPT} payroll export cache"})
    assert response.status_code == 200
    page = response.text
    assert "<script>alert" not in page
    assert html.escape(SCRIPT, quote=True) in page  # in the search box and the heading, as text
    article = result_of(page, "KB9999")
    assert "Reset the payroll export &lt;script&gt;alert(1)&lt;/script&gt; cache" in article
    for url in ("/articles/KB9999", "/knowledge/document?id=runbook-export-cache"):
        shown = client.get(url)
        assert shown.status_code == 200
        assert "<script>alert" not in shown.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in shown.text


def test_helpful_raises_the_reuse_count_shown_after_a_redirect_back(client: TestClient) -> None:
    search = {"q": "reset two-factor sign-in", "product": "Payroll"}
    page = client.get("/knowledge", params=search).text
    before = reuse_of(result_of(page, "KB0010"))
    back = f"/knowledge?{urlencode(search)}"
    response = client.post(
        "/knowledge/feedback",
        data={"csrftoken": csrf_from(page), "document_id": "KB0010", "kind": "helpful", "next": back},
        follow_redirects=False,
    )
    assert response.status_code == 303
    anchor = anchor_for("KB0010")
    assert response.headers["location"] == f"{back}&voted={anchor}#{anchor}"
    after = client.get(response.headers["location"]).text
    block = result_of(after, "KB0010")
    assert reuse_of(block) == before + 1
    assert "Thanks, your vote counts" in block


def test_this_solved_it_counts_too_and_feeds_the_ranking_data(
    knowledge: tuple[TestClient, Advisor],
) -> None:
    client, advisor = knowledge
    page = client.get("/knowledge", params={"q": "connect the bank feed"}).text
    before = advisor.index.reuse_count("KB0003")
    response = client.post(
        "/knowledge/feedback",
        data={"csrftoken": csrf_from(page), "document_id": "KB0003", "kind": "solved", "next": "/knowledge"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert advisor.index.reuse_count("KB0003") == before + 1


def test_feedback_never_redirects_off_the_site(client: TestClient) -> None:
    token = csrf_from(client.get("/knowledge").text)
    for target in ("https://evil.example/", "//evil.example/knowledge", "/scorecard", "javascript:alert(1)"):
        response = client.post(
            "/knowledge/feedback",
            data={"csrftoken": token, "document_id": "KB0001", "next": target},
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"].startswith("/knowledge?voted="), target


def test_feedback_on_an_unknown_document_is_404(client: TestClient) -> None:
    token = csrf_from(client.get("/knowledge").text)
    response = client.post("/knowledge/feedback", data={"csrftoken": token, "document_id": "no-such-thing"})
    assert response.status_code == 404


def test_the_practice_and_article_pages_show_the_reuse_count_and_votes(client: TestClient) -> None:
    page = client.get("/practices/know-improve-on-reuse")
    assert page.status_code == 200
    before = reuse_of(page.text)
    assert 'value="helpful"' in page.text and 'value="solved"' not in page.text
    response = client.post(
        "/knowledge/feedback",
        data={
            "csrftoken": csrf_from(page.text),
            "document_id": "know-improve-on-reuse",
            "next": "/practices/know-improve-on-reuse",
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/practices/know-improve-on-reuse?voted=feedback#feedback"
    after = client.get(response.headers["location"]).text
    assert reuse_of(after) == before + 1 and "Thanks, your vote counts" in after
    article = client.get("/articles/KB0002").text
    assert 'value="solved"' in article and "This solved it" in article


def test_the_feedback_api_returns_the_new_reuse_count(knowledge: tuple[TestClient, Advisor]) -> None:
    client, advisor = knowledge
    token = client.cookies.get("csrftoken") or csrf_from(client.get("/knowledge").text)
    headers = {"x-csrftoken": token}
    before = advisor.index.reuse_count("KB0005")
    response = client.post(
        "/api/knowledge/feedback", json={"document_id": "KB0005", "kind": "solved"}, headers=headers
    )
    assert response.status_code == 200
    assert response.json() == {"document_id": "KB0005", "reuse_count": before + 1}
    missing = client.post(
        "/api/knowledge/feedback", json={"document_id": "KB404", "kind": "helpful"}, headers=headers
    )
    assert missing.status_code == 404 and "KB404" in missing.json()["detail"]
    wrong = client.post(
        "/api/knowledge/feedback", json={"document_id": "KB0005", "kind": "loved"}, headers=headers
    )
    assert wrong.status_code == 422


def test_a_resolved_case_leads_to_its_indexed_text_and_can_be_marked_solved(client: TestClient) -> None:
    page = client.get(
        "/knowledge", params={"q": "cannot close the month, draft journal", "kind": "case"}
    ).text
    block = result_of(page, "case:T000003")
    assert '<a href="/knowledge/document?id=case%3AT000003">Cannot close the month</a>' in block
    assert 'value="solved"' in block and "Resolved case" in block
    document = client.get("/knowledge/document", params={"id": "case:T000003"}).text
    assert "<h1>Cannot close the month</h1>" in document and "draft journal" in document
    assert 'value="solved"' in document


def test_a_document_without_a_page_of_its_own_shows_its_indexed_text(client: TestClient) -> None:
    page = client.get("/knowledge", params={"q": "stuck payroll export runbook"}).text
    block = result_of(page, "runbook-export-cache")
    assert '<a href="/knowledge/document?id=runbook-export-cache">' in block
    document = client.get("/knowledge/document", params={"id": "runbook-export-cache"})
    assert document.status_code == 200
    assert "<h1>Runbook for a stuck payroll export</h1>" in document.text
    assert "clear the export cache" in document.text
    assert client.get("/knowledge/document", params={"id": "nope"}).status_code == 404
