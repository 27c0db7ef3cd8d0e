"""The chat API over a real server: the conversation history, feedback on answers, "this solved it"."""

from __future__ import annotations

import httpx
from httpx_sse import connect_sse


def test_a_conversation_is_listed_and_read_back_through_the_api(server_url: str) -> None:
    with httpx.Client(base_url=server_url, timeout=60) as client:
        first = client.post("/api/chat", json={"message": "How is C6 computed?"}).json()
        assert first["turn_id"] and first["follow_ups"]
        client.post(
            "/api/chat",
            json={"message": "What should we improve next?", "conversation_id": first["conversation_id"]},
        )
        listed = client.get("/api/conversations").json()["conversations"]
        mine = next(item for item in listed if item["id"] == first["conversation_id"])
        assert mine["title"] == "How is C6 computed?" and mine["turns"] == 4
        turns = client.get(f"/api/conversations/{first['conversation_id']}").json()
        assert [turn["role"] for turn in turns] == ["user", "advisor", "user", "advisor"]
        assert turns[1]["id"] == first["turn_id"]
        assert client.get("/api/conversations/nobody-has-this").json() == []
        assert client.get("/api/conversations/bad%20id!").status_code == 422


def test_every_source_a_why_answer_links_to_is_a_page(server_url: str) -> None:
    with httpx.Client(base_url=server_url, timeout=60) as client:
        answer = client.post("/api/chat", json={"message": "Why are hand-offs high?"}).json()
        assert answer["understood"]["intent"] == "diagnose" and answer["citations"]
        for citation in answer["citations"]:
            assert client.get(citation["url"]).status_code == 200, citation


def test_feedback_on_an_answer_is_kept(server_url: str) -> None:
    with httpx.Client(base_url=server_url, timeout=60) as client:
        answer = client.post("/api/chat", json={"message": "What should we improve next?"}).json()
        kept = client.post(
            "/api/chat/feedback", json={"turn_id": answer["turn_id"], "helpful": False, "comment": "too long"}
        )
        assert kept.status_code == 200
        assert kept.json()["helpful"] is False and kept.json()["comment"] == "too long"
        missing = client.post("/api/chat/feedback", json={"turn_id": 10**9, "helpful": True})
        assert missing.status_code == 404 and "no answer" in missing.json()["detail"]
        question = client.post("/api/chat/feedback", json={"turn_id": answer["turn_id"] - 1, "helpful": True})
        assert question.status_code == 404


def test_the_page_stream_ends_with_the_rendered_turn(server_url: str) -> None:
    with httpx.Client(base_url=server_url, timeout=60) as client:
        client.get("/")
        token = client.cookies.get("csrftoken")
        assert token, "the chat page sets the CSRF cookie its script sends back"
        with connect_sse(
            client,
            "POST",
            "/chat/stream",
            json={"message": "What should we improve next?"},
            headers={"x-csrftoken": token},
        ) as source:
            assert source.response.status_code == 200
            events = [(sse.event, sse.json()) for sse in source.iter_sse()]
        assert events[-1][0] == "turn" and {name for name, _ in events[:-1]} == {"token"}
        turn = events[-1][1]
        assert f'id="turn-{turn["turn_id"]}"' in turn["html"]
        assert 'name="csrftoken"' in turn["html"] and "Was this answer helpful?" in turn["html"]

        refused = client.post("/chat/stream", json={"message": "hello"})  # no CSRF header
        assert refused.status_code == 403


def test_this_solved_it_raises_the_reuse_count(server_url: str) -> None:
    with httpx.Client(base_url=server_url, timeout=60) as client:
        client.get("/")
        token = client.cookies["csrftoken"]
        hits = client.get(
            "/api/search", params={"q": "customer cannot log in after password reset", "k": 20}
        ).json()["hits"]
        article = next(hit for hit in hits if hit["kind"] == "article")
        marked = client.post(
            "/chat/solved",
            data={"document_id": article["id"], "csrftoken": token},
            headers={"accept": "application/json"},
        )
        assert marked.status_code == 200
        assert marked.json()["reuse_count"] == article["reuse_count"] + 1
        unknown = client.post(
            "/chat/solved",
            data={"document_id": "no-such-doc", "csrftoken": token},
            headers={"accept": "application/json"},
        )
        assert unknown.status_code == 404


def test_a_conversation_is_deleted_through_the_api_and_the_page(server_url: str) -> None:
    with httpx.Client(base_url=server_url, timeout=60) as client:
        first = client.post("/api/chat", json={"message": "How is B2 measured?"}).json()
        assert client.delete(f"/api/conversations/{first['conversation_id']}").status_code == 204
        listed = {item["id"] for item in client.get("/api/conversations").json()["conversations"]}
        assert first["conversation_id"] not in listed
        assert client.delete(f"/api/conversations/{first['conversation_id']}").status_code == 404

        second = client.post("/api/chat", json={"message": "How is C6 computed?"}).json()
        page = client.get("/")
        assert f'action="/chat/conversations/{second["conversation_id"]}/delete"' in page.text
        deleted = client.post(
            f"/chat/conversations/{second['conversation_id']}/delete",
            data={"csrftoken": client.cookies["csrftoken"]},
        )
        assert deleted.status_code == 303 and deleted.headers["location"] == "/"
        assert client.get(f"/api/conversations/{second['conversation_id']}").json() == []


def test_every_answer_says_how_the_question_was_read_and_can_be_corrected(server_url: str) -> None:
    with httpx.Client(base_url=server_url, timeout=60) as client:
        answer = client.post(
            "/api/chat", json={"message": "What is our CSAT for the Payroll product?"}
        ).json()
        assert answer["understood"] == {
            "intent": "status", "metrics": ["C1b"], "filters": {"product": "Payroll"}, "by": None, "period": None,
            "compare_to": None, "about_people": False, "more": False, "item": None, "question": None,
        }  # fmt: skip
        corrected = dict(answer["understood"], filters={"team": "Billing Desk"}, metrics=["C6"])
        again = client.post(
            "/api/chat",
            json={"message": "What is our CSAT for the Payroll product?", "understood": corrected},
        ).json()
        assert again["understood"]["filters"] == {"team": "Billing Desk"} and again["intent"] == "status"
        assert "for Billing Desk (team)" in again["answer"] and "Hand-offs per ticket" in again["answer"]
        bad = client.post("/api/chat", json={"message": "x", "understood": {"intent": "gossip"}})
        assert bad.status_code == 422

        with connect_sse(
            client, "POST", "/api/chat/stream", json={"message": "Which team has the most hand-offs?"}
        ) as source:
            events = [(sse.event, sse.json()) for sse in source.iter_sse()]
        name, final = events[-1]
        assert name == "answer" and final["understood"]["intent"] == "breakdown"
        assert final["understood"]["by"] == "team" and final["understood"]["metrics"] == ["C6"]


def test_the_page_shows_the_reading_and_its_plain_form_re_asks(server_url: str) -> None:
    with httpx.Client(base_url=server_url, timeout=60) as client:
        client.get("/")
        token = client.cookies["csrftoken"]
        with connect_sse(
            client,
            "POST",
            "/chat/stream",
            json={"message": "Why are hand-offs high?"},
            headers={"x-csrftoken": token},
        ) as source:
            events = [(sse.event, sse.json()) for sse in source.iter_sse()]
        turn = events[-1][1]
        assert "Reading this as:" in turn["html"] and "why it moved · Hand-offs per ticket" in turn["html"]
        assert turn["understood"]["intent"] == "diagnose"
        assert 'name="message" value="Why are hand-offs high?"' in turn["html"]

        asked = client.post(
            "/chat",
            data={
                "csrftoken": token, "message": "Why are hand-offs high?", "conversation_id": turn["conversation_id"],
                "intent": "breakdown", "metric": "C6", "filter_dimension": "", "filter_value": "", "by": "product",
                "period": "2026-08-01..2026-11-01",
            },
        )  # fmt: skip
        assert asked.status_code == 303
        page = client.get(asked.headers["location"]).text
        assert "breakdown · Hand-offs per ticket · by product · Aug–Oct 2026" in page
        assert "has the highest Hand-offs per ticket by product in Aug–Oct 2026" in page
        refused = client.post(
            "/chat", data={"csrftoken": token, "message": "x", "intent": "status", "metric": "Z9"}
        )
        assert refused.status_code == 422 and "unknown metric id" in refused.text and "Z9" in refused.text
