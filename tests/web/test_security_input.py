"""Hostile JSON over real HTTP: a lone UTF-16 surrogate (valid JSON, not text) is refused with a clear 400 by
every JSON API, where it used to fail later as a 500; real text, surrogate pairs included, still passes."""

from __future__ import annotations

import httpx
import pytest

from web.hardening import lone_surrogate

LONE = b'{"message": "\\ud800"}'


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/chat", LONE),
        ("/api/chat", b'{"message": "hi \\uDFFF there"}'),  # a lone low surrogate, upper-case hex
        ("/api/chat", b'{"message": "x", "\\udc80": 1}'),  # in a key
        ("/api/chat/stream", LONE),
        ("/api/chat/feedback", b'{"turn_id": 1, "helpful": true, "comment": "\\ud83d"}'),
        ("/api/knowledge/feedback", b'{"document_id": "\\ud800x"}'),
        ("/api/recommendations", b'{"period": "\\ud800"}'),
        ("/api/tokens", b'{"name": "\\ud800"}'),
    ],
)
def test_a_lone_surrogate_is_a_clear_400(server_url: str, path: str, body: bytes) -> None:
    response = httpx.post(server_url + path, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400, response.text
    assert "lone surrogate" in response.json()["detail"]


def test_the_same_body_without_a_content_type_is_refused_too(server_url: str) -> None:
    """FastAPI reads a body without a content type as JSON, so the check does too."""
    response = httpx.post(server_url + "/api/chat", content=LONE)
    assert response.status_code == 400


def test_real_text_passes_surrogate_pairs_and_escaped_backslashes_included(server_url: str) -> None:
    for body in (
        b'{"message": "reopened tickets \\ud83d\\ude00"}',  # an emoji written as a pair
        '{"message": "reopened tickets \U0001f600"}'.encode(),  # the same emoji as UTF-8
        b'{"message": "reopened tickets \\\\ud800"}',  # a backslash followed by "ud800": text, not an escape
    ):
        response = httpx.post(
            server_url + "/api/chat", content=body, headers={"content-type": "application/json"}, timeout=60
        )
        assert response.status_code == 200, (body, response.text)
        assert response.json()["conversation_id"]


def test_malformed_json_keeps_fastapis_own_422(server_url: str) -> None:
    response = httpx.post(
        server_url + "/api/chat",
        content=b'{"message": "\\ud800',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422


def test_an_oversized_json_body_is_refused_before_it_is_parsed(server_url: str) -> None:
    body = b'{"message": "' + b"x" * (3 * 1024**2) + b'"}'
    response = httpx.post(
        server_url + "/api/chat", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


@pytest.mark.parametrize("query", ["%ED%A0%80", "%5Cud800", "%F0%9F%98%80", "%FF%FE"])
def test_search_answers_invalid_utf8_and_surrogate_text_without_a_500(server_url: str, query: str) -> None:
    """A query string cannot carry a surrogate (it is UTF-8 bytes): invalid bytes become U+FFFD."""
    response = httpx.get(f"{server_url}/api/search?q={query}", timeout=60)
    assert response.status_code == 200, response.text
    assert isinstance(response.json()["hits"], list)
    page = httpx.get(f"{server_url}/knowledge?q={query}", timeout=60)
    assert page.status_code == 200


def test_the_check_itself() -> None:
    assert lone_surrogate(b'{"a": "\\ud800"}') is not None
    assert lone_surrogate(b'["\\ud800\\udc00"]') is None
    assert lone_surrogate(b'{"a": "plain"}') is None
    assert lone_surrogate(b'{"a": ') is None  # malformed: left to FastAPI
