"""What people come for, recognised without an LLM."""

from __future__ import annotations

import pytest

from advisor.chat import compose_search, understand
from knowledge.models import Hit


@pytest.mark.parametrize(
    ("message", "intent", "metric_id"),
    [
        ("What should we improve next?", "next_steps", None),
        ("Which step should we prioritise this quarter?", "next_steps", None),
        ("Why is C6 weak?", "metric", "C6"),
        ("How is Time to Smile computed?", "metric", "B2"),
        ("what is our csat", "metric", "C1b"),
        ("How do I reset a customer's password?", "search", None),
        ("   ", "empty", None),
        ("?!", "empty", None),
        ("How can we improve hand-offs?", "next_steps", "C6"),
    ],
)
def test_understand(message: str, intent: str, metric_id: str | None) -> None:
    understanding = understand(message)
    assert (understanding.intent, understanding.metric_id) == (intent, metric_id)


@pytest.mark.parametrize(
    ("message", "previous", "intent", "group"),
    [
        ("and for the Billing Desk?", "next_steps", "group", "Billing Desk"),
        ("what about in Payroll", "metric", "group", "Payroll"),
        ("and for the Billing Desk?", None, "search", None),
        ("why that one?", "next_steps", "why_that", None),
        ("why that one?", None, "search", None),
        ("show the recommendations", None, "recommendations", None),
    ],
)
def test_follow_ups_use_the_previous_answer(
    message: str, previous: str | None, intent: str, group: str | None
) -> None:
    understanding = understand(message, previous=previous)
    assert (understanding.intent, understanding.group) == (intent, group)


def _hit(document_id: str, kind: str, title: str, snippet: str, similarity: float = 0.6) -> Hit:
    return Hit(
        id=document_id, title=title, kind=kind, score=0.5, snippet=snippet, source="t", similarity=similarity
    )  # type: ignore[arg-type]


def test_search_answers_list_each_distinct_solution_once() -> None:
    note = "# Bank feed stopped\nThe bank renewed its consent screen. Reconnect the feed."
    hits = [
        _hit("case:T1", "case", "Bank feed stopped", note),
        _hit("case:T2", "case", "Bank feed stopped", note),
        _hit("case:T3", "case", "Bank feed stopped", note.replace("\n", "  \n ")),
        _hit("kb-7", "article", "Fix a failed sync", "Clear the cached session and sign in again."),
        _hit("kb-9", "article", "Unrelated", "Something else entirely.", similarity=0.05),
    ]
    answer, citations = compose_search(hits)
    assert [citation.id for citation in citations] == ["case:T1", "kb-7"]
    assert "(case; 2 more cases say the same): The bank renewed its consent screen." in answer
    assert "# Bank feed" not in answer and "Unrelated" not in answer
    assert citations[0].url == "/knowledge/document?id=case%3AT1" and citations[1].url == "/articles/kb-7"
