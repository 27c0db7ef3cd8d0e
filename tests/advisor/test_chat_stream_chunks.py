"""A composed answer is already complete, so it streams in a few pieces, not one event per word."""

from __future__ import annotations

import math

from advisor.chat import STREAM_CHUNK_CHARS, stream_chunks
from advisor.conversation import ChatToken
from advisor.models import ChatAnswer
from advisor.service import Advisor


def test_chunks_join_back_and_cut_after_whitespace() -> None:
    text = "First line of the answer.\n\n" + "Then a long paragraph with [a link](/x) and words. " * 20
    chunks = stream_chunks(text, size=100)
    assert "".join(chunks) == text
    assert all(len(chunk) >= 100 for chunk in chunks[:-1])
    assert all(chunk[-1].isspace() for chunk in chunks[:-1])  # never inside a word or a link
    assert stream_chunks("") == [] and stream_chunks("one") == ["one"] and stream_chunks("  ") == ["  "]


def test_a_composed_answer_streams_in_a_few_pieces(advisor: Advisor) -> None:
    events = list(advisor.chat_stream("What should we improve next?"))
    tokens = [event.text for event in events if isinstance(event, ChatToken)]
    answer = events[-1]
    assert isinstance(answer, ChatAnswer)
    assert "".join(tokens) == answer.answer
    words = len(answer.answer.split())
    assert 2 <= len(tokens) <= math.ceil(len(answer.answer) / STREAM_CHUNK_CHARS) + 1 < words
