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
