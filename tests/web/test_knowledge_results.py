"""One result per solution, honest "no good match", rendered passages and pasted e-mails, on the knowledge
page, GET /api/search and the chat (its citations and the page that shows them)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from advisor.service import Advisor
from knowledge.embeddings import SentenceTransformerEmbedder
from tests.web.data_org import tiny_advisor
from web.app import create_app

NOTE = "Feed token expired after 90 days. Customer re-authorised the bank connection; the backlog imported."
TEAMS = ("Billing Desk", "Onboarding", "Billing Desk", "Technical L2", "Platform Support", "Customer Success")
STEPS = """---
id: vpn-runbook
title: VPN drops every few minutes
---
# VPN drops every few minutes

## Steps
- Renew the device certificate.
- Reconnect the VPN client.
"""
EMAIL = (
    "Hi team,\n\nI hope the week started well for all of you over there. "
    + "We have used your products for years and we are generally very happy with the service. " * 12
    + "\n\nSince this morning the VPN drops every few minutes for our remote staff and asks for the device "
    "certificate again.\n\n"
    + "Our office manager also says the last invoices were fine, so nothing to do there. " * 6
    + "\n\nKind regards,\nJonathan Example\nHead of Operations\n\n"
    + "> On Monday you wrote:\n> Thank you for contacting support, we will get back to you soon.\n" * 4
)


@pytest.fixture(scope="module")
def knowledge(
    tmp_path_factory: pytest.TempPathFactory, demo_dir: Path, embedder: SentenceTransformerEmbedder
) -> Iterator[tuple[TestClient, Advisor]]:
    root = tmp_path_factory.mktemp("knowledge-results")
    advisor, settings = tiny_advisor(root, demo_dir, embedder)
    documents = root / "documents"
    documents.mkdir()
    for number in range(12):  # one note, logged by six teams, twelve times
        (documents / f"case-{number:02d}.md").write_text(
            f"---\nid: case:R{number:02d}\nkind: case\nteam: {TEAMS[number % 6]}\n---\n"
            f"# Bank feed stopped importing transactions\n\n{NOTE}\n",
            encoding="utf-8",
        )
    (documents / "vpn.md").write_text(STEPS, encoding="utf-8")
    advisor.build_index(paths=[documents])
    with TestClient(create_app(settings, advisor=advisor)) as client:
        yield client, advisor


@pytest.fixture
def client(knowledge: tuple[TestClient, Advisor]) -> TestClient:
    return knowledge[0]


def blocks(page: str) -> list[str]:
    return page.split('<li class="result"')[1:]


def test_copies_are_one_result_that_says_how_often_it_was_used(client: TestClient) -> None:
    page = client.get("/knowledge", params={"q": "bank feed token expired, transactions not importing"}).text
    cases = [block for block in blocks(page) if "Bank feed stopped importing transactions" in block]
    assert len(cases) == 1
    assert (
        '<p class="usage">Seen in 12 cases, across Billing Desk, Customer Success and 3 more teams'
        in cases[0]
    )
    token = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert token
    for copy in ("case:R05", "case:R07"):
        voted = client.post(
            "/knowledge/feedback",
            data={"csrftoken": token.group(1), "document_id": copy, "kind": "solved"},
            follow_redirects=False,
        )
        assert voted.status_code == 303, voted.text
    again = client.get("/knowledge", params={"q": "bank feed token expired, transactions not importing"}).text
    assert "; marked as solving it twice</p>" in again, re.findall(r"class=\"usage\">[^<]*", again)


def test_the_api_gives_the_duplicate_count_and_ids(client: TestClient) -> None:
    body = client.get("/api/search", params={"q": "bank connection token expired", "k": 5}).json()
    top = body["hits"][0]
    assert top["id"] == "case:R00" and top["duplicates"] == 11
    assert sorted(top["duplicate_ids"]) == [f"case:R{n:02d}" for n in range(1, 12)]
    assert top["kind_counts"] == {"case": 12} and top["teams"][0] == "Billing Desk"
    assert top["match"] == "good" and body["no_good_match"] is False and body["capture_url"] is None
    assert "similarity" not in top and "snippet_markdown" not in top


def test_passages_are_rendered_markdown_never_raw(client: TestClient) -> None:
    page = client.get("/knowledge", params={"q": "vpn drops, renew the device certificate"}).text
    block = next(block for block in blocks(page) if "VPN drops every few minutes" in block)
    snippet = block.split('<div class="snippet">', 1)[1].split("</div>", 1)[0]
    assert "<h4>Steps</h4>" in snippet and "<li>Renew the device certificate.</li>" in snippet
    assert "##" not in snippet and "- Renew" not in snippet
    api = client.get("/api/search", params={"q": "vpn drops, renew the device certificate"}).json()
    assert "<li>Renew the device certificate.</li>" in api["hits"][0]["snippet_html"]


def test_when_nothing_fits_the_page_and_the_api_say_so_and_offer_to_capture(client: TestClient) -> None:
    page = client.get("/knowledge", params={"q": "refund policy for annual plans"}).text
    assert "No good match" in page or "No results" in page
    assert 'href="/knowledge/articles/new?title=refund+policy+for+annual+plans"' in page
    assert all("Possibly related" in block for block in blocks(page))
    body = client.get("/api/search", params={"q": "refund policy for annual plans"}).json()
    assert body["no_good_match"] is True
    assert body["capture_url"] == "/knowledge/articles/new?title=refund+policy+for+annual+plans"
    assert all(hit["match"] == "weak" for hit in body["hits"])


def test_a_pasted_email_of_over_2000_characters_is_searched(client: TestClient) -> None:
    assert 2000 < len(EMAIL) < 4000
    page = client.get("/knowledge", params={"q": EMAIL})
    assert page.status_code == 200
    assert "VPN drops every few minutes" in blocks(page.text)[0]
    body = client.get("/api/search", params={"q": EMAIL}).json()
    assert body["hits"][0]["id"] == "vpn-runbook" and body["no_good_match"] is False


def chat(client: TestClient, message: str) -> dict[str, Any]:
    token = client.cookies.get("csrftoken") or ""
    if not token:
        found = re.search(r'<meta name="csrf-token" content="([^"]+)">', client.get("/knowledge").text)
        token = found.group(1) if found else ""
    response = client.post("/api/chat", json={"message": message}, headers={"x-csrftoken": token})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_the_chat_answers_a_pasted_email_with_rendered_passages_and_usage(client: TestClient) -> None:
    answer = chat(client, EMAIL)
    assert answer["intent"] == "how_to"
    citations = answer["citations"]
    assert isinstance(citations, list) and "vpn-runbook" in [citation["id"] for citation in citations]
    text = str(answer["answer"])
    assert "> #### Steps" in text and "> - Renew the device certificate." in text
    cases = chat(client, "How do I fix a bank feed whose token expired?")
    cited = next(c for c in cases["citations"] if c["id"].startswith("case:"))
    assert cited["duplicates"] == 11 and cited["usage"].startswith("Seen in 12 cases")
    page = client.get("/", params={"c": cases["conversation_id"]}).text
    assert '<span class="citation-usage">Seen in 12 cases, across Billing Desk' in page
    assert "<blockquote>" in page and "Feed token expired after 90 days" in page
    assert "<h4>Steps</h4>" in client.get("/", params={"c": answer["conversation_id"]}).text


def test_the_chat_says_when_nothing_fits_and_links_to_capture(client: TestClient) -> None:
    text = str(chat(client, "How do I handle the refund policy for annual plans?")["answer"])
    assert "good match" in text or "nothing relevant" in text
    assert "/knowledge/articles/new?title=" in text
