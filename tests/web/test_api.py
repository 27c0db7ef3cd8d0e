"""The JSON API and the plain-HTML chat over HTTP, against the real app, model, Chroma and DuckDB."""

from __future__ import annotations

import re

import httpx
import pytest
from httpx_sse import connect_sse


def test_healthz(server_url: str) -> None:
    response = httpx.get(f"{server_url}/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["practices"] >= 15 and body["index_empty"] is False


def test_scorecard_api_finds_the_planted_weaknesses(server_url: str) -> None:
    body = httpx.get(f"{server_url}/api/scorecard", timeout=30).json()
    assert body["period"] == {"start": "2026-08-01", "end": "2026-11-01"}
    metrics = {metric["id"]: metric for category in body["categories"] for metric in category["metrics"]}
    assert {"C6", "B2", "C1b", "E4"} <= metrics.keys()
    # the small demo plants worsening hand-offs, CSAT and time to competency (metrics.demo)
    assert metrics["C6"]["status"] in {"weak", "watch"}
    assert metrics["C1b"]["status"] in {"weak", "watch"}
    assert metrics["C6"]["n"] > 0 and metrics["C6"]["details"]["p80"] is not None


def test_scorecard_api_rejects_a_bad_period(server_url: str) -> None:
    response = httpx.get(f"{server_url}/api/scorecard", params={"period": "2026-13-01..2026-14-01"})
    assert response.status_code == 422
    assert "2026-13-01" in response.json()["detail"]


def test_chat_api_answers_what_to_improve_with_citations(server_url: str) -> None:
    response = httpx.post(
        f"{server_url}/api/chat", json={"message": "What should we improve next?"}, timeout=60
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"answer", "citations", "conversation_id"}
    assert body["citations"], body
    practices = [citation for citation in body["citations"] if citation["kind"] == "practice"]
    assert practices and all(citation["url"] == f"/practices/{citation['id']}" for citation in practices)
    assert f"]({practices[0]['url']})" in body["answer"]  # sources are links in the text, not raw ids
    assert f"[{practices[0]['id']}]" not in body["answer"]
    follow_up = httpx.post(
        f"{server_url}/api/chat",
        json={
            "message": "How do we share knowledge between teams?",
            "conversation_id": body["conversation_id"],
        },
        timeout=60,
    ).json()
    assert follow_up["conversation_id"] == body["conversation_id"]
    assert follow_up["citations"]
    assert all(f"]({citation['url']})" in follow_up["answer"] for citation in follow_up["citations"])


def test_citation_links_resolve(server_url: str) -> None:
    body = httpx.post(
        f"{server_url}/api/chat", json={"message": "what should we improve next"}, timeout=60
    ).json()
    for citation in body["citations"]:
        url = citation["url"].split("#")[0]
        assert httpx.get(f"{server_url}{url}").status_code == 200, citation


@pytest.mark.parametrize("message", ["", "   ", "x" * 5000])
def test_chat_api_answers_empty_or_huge_messages_clearly(server_url: str, message: str) -> None:
    body = httpx.post(f"{server_url}/api/chat", json={"message": message}).json()
    assert body["answer"] and body["citations"] == []


def test_chat_api_refuses_oversized_bodies_and_bad_ids(server_url: str) -> None:
    assert httpx.post(f"{server_url}/api/chat", json={"message": "x" * 30_000}).status_code == 422
    assert (
        httpx.post(
            f"{server_url}/api/chat", json={"message": "hi", "conversation_id": "<script>"}
        ).status_code
        == 422
    )


def test_script_in_a_chat_message_is_rendered_harmless(server_url: str) -> None:
    with httpx.Client(base_url=server_url, follow_redirects=True, timeout=60) as client:
        client.get("/")
        message = "<script>alert('x')</script> how do I fix <b>billing</b>?"
        forged = client.post("/chat", data={"message": message})
        assert forged.status_code == 403, "a form without its CSRF token is refused"
        page = client.post("/chat", data={"message": message, "csrftoken": client.cookies["csrftoken"]})
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page.text


def test_search_api(server_url: str) -> None:
    body = httpx.get(
        f"{server_url}/api/search", params={"q": "swarming on complex cases", "k": 3}, timeout=30
    ).json()
    assert len(body["hits"]) == 3
    assert set(body["hits"][0]) == {
        "id", "title", "kind", "score", "snippet", "source", "reuse_count",
        # one result per solution (issue 13): the copies folded into it, and whether it truly matches
        "duplicates", "duplicate_ids", "teams", "kind_counts", "solved_count", "match", "snippet_html",
    }  # fmt: skip


def test_unknown_practice_is_a_404(server_url: str) -> None:
    assert httpx.get(f"{server_url}/practices/nope").status_code == 404


def test_chat_streams_tokens_then_the_answer_as_server_sent_events(server_url: str) -> None:
    with (
        httpx.Client(base_url=server_url, timeout=60) as client,
        connect_sse(
            client, "POST", "/api/chat/stream", json={"message": "What should we improve next?"}
        ) as source,
    ):
        assert source.response.headers["content-type"].startswith("text/event-stream")
        events = [(sse.event, sse.json()) for sse in source.iter_sse()]
    names = [name for name, _ in events]
    assert names[-1] == "answer" and set(names[:-1]) == {"token"} and len(names) > 3
    answer = events[-1][1]
    assert "".join(str(data["text"]) for _, data in events[:-1]) == answer["answer"]
    assert answer["citations"] and answer["conversation_id"]


def test_the_api_docs_are_served_without_any_outside_address(server_url: str) -> None:
    page = httpx.get(f"{server_url}/docs", timeout=30)
    assert page.status_code == 200
    sources = re.findall(r"""(?:src|href)=["']([^"']+)""", page.text) + re.findall(
        r"url: '([^']+)'", page.text
    )
    assert sources and all(source.startswith("/") for source in sources), sources
    for source in sources:
        assert httpx.get(f"{server_url}{source}", timeout=30).status_code == 200, source
    assert httpx.get(f"{server_url}/redoc", timeout=30).status_code == 404  # ReDoc would need a CDN


def test_next_steps_api_lists_what_to_measure_next_apart(server_url: str) -> None:
    body = httpx.get(f"{server_url}/api/next-steps", timeout=60).json()
    assert body["recommendations"] and isinstance(body["measure_next"], list)
    gaps = {gap["metric_id"] for gap in body["measure_next"]}
    assert all(not set(rec["targets"]) & gaps for rec in body["recommendations"])
    # the small demo plants hand-offs, CSAT and time to competency: the first step targets one of them
    assert set(body["recommendations"][0]["targets"]) & {"C6", "C1b", "E4"}
