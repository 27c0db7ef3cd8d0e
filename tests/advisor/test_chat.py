"""What people come for, recognised without an LLM."""

from __future__ import annotations

import pytest

from advisor.chat import understand


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
