"""Readable results: passages rendered from Markdown and sanitised, long pasted e-mails searched by their key
sentences, and the relevance verdict ("no good match") on the real model."""

from __future__ import annotations

import pytest

from knowledge.errors import InvalidQuery
from knowledge.index import MAX_QUERY_CHARS, KnowledgeIndex
from knowledge.key_sentences import LONG_QUERY_CHARS, key_sentences
from knowledge.relevance import GOOD_MATCH_SIMILARITY, verdict
from knowledge.rendering import markdown_to_html, passage_markdown

PRACTICE_PASSAGE = (
    "# Warm hand-off with context\n## Pitfalls\n- Claiming causation from one month.\n"
    "- Handing off without a summary.\n\n1. **Write** the [summary](https://example.test/x).\n"
)

#: A customer's e-mail as agents paste it: greeting, a long story, the problem in one sentence, a signature
#: and the quoted thread; well over 2,000 characters.
EMAIL = (
    "Hi team,\n\nI hope you are well and that the week has started nicely for everyone over there. "
    + "We have been customers for many years and we are generally very happy with the service you provide. "
    * 8
    + "\n\nSince this morning our VPN keeps disconnecting every few minutes for all remote staff, and the "
    "device certificate warning appears each time they reconnect.\n\n"
    + "Our office manager asked me to mention that the invoices for last quarter were fine. " * 5
    + "\n\nKind regards,\nJonathan Example\nHead of Operations, Example Ltd\nSent from my phone\n\n"
    + "> On Monday you wrote:\n> Thank you for contacting support, we will get back to you shortly.\n" * 6
)


def test_a_passage_is_markdown_without_its_title_and_with_demoted_headings() -> None:
    markdown = passage_markdown(PRACTICE_PASSAGE, "Warm hand-off with context")
    assert markdown.splitlines()[0] == "#### Pitfalls"
    assert "- Claiming causation from one month." in markdown
    html = markdown_to_html(markdown)
    assert "<h4>Pitfalls</h4>" in html and "<li>Claiming causation from one month.</li>" in html
    assert "<strong>Write</strong>" in html and 'href="https://example.test/x"' in html
    assert "##" not in html


def test_rendered_passages_are_sanitised() -> None:
    hostile = "# T\nClick <script>alert(1)</script> [here](javascript:alert(1)) <img src=x onerror=alert(1)>"
    html = markdown_to_html(passage_markdown(hostile, "T"))
    assert "<script" not in html and "href=" not in html and "<img" not in html
    assert "&lt;script&gt;" in html  # shown as text, never run
    assert "href" not in markdown_to_html("[x](javascript:alert(1))")


def test_long_passages_are_cut_at_a_line_or_sentence() -> None:
    text = "# T\n## Steps\n" + "\n".join(f"- Step {n} does one thing well." for n in range(60))
    markdown = passage_markdown(text, "T", limit=300)
    assert len(markdown) <= 310 and markdown.startswith("#### Steps")
    assert all(line.startswith(("####", "- ")) for line in markdown.splitlines())
    assert markdown.endswith("…")


def test_a_long_email_is_searched_by_its_key_sentences() -> None:
    assert len(EMAIL) > 2000
    weights = {"vpn": 5.0, "disconnect": 4.0, "certif": 4.0, "devic": 3.0}
    chosen = key_sentences(EMAIL, lambda token: weights.get(token, 0.5))
    assert "VPN keeps disconnecting" in chosen and "Jonathan" not in chosen and "On Monday" not in chosen
    assert len(chosen) <= 400
    assert key_sentences("short question", lambda token: 1.0) == "short question"
    assert len("short question") < LONG_QUERY_CHARS


def test_search_finds_the_answer_to_a_pasted_email(shared_index: KnowledgeIndex) -> None:
    hits = shared_index.search(EMAIL, k=3)
    assert hits and hits[0].id == "KB-101"  # tests/knowledge/data/notes/vpn-drops.md
    assert hits[0].match == "good"
    with pytest.raises(InvalidQuery, match="the limit is 4,000"):
        shared_index.search("x" * (MAX_QUERY_CHARS + 1))


def test_hits_carry_their_passage_as_safe_html(shared_index: KnowledgeIndex) -> None:
    hit = shared_index.search("warm hand-off with context between teams", k=1)[0]
    assert hit.snippet_html.startswith("<") and "#" not in hit.snippet_html.split(">", 1)[0]
    assert not hit.snippet_markdown.startswith(f"# {hit.title}")


def test_the_verdict_uses_the_floor_or_the_words() -> None:
    assert verdict(GOOD_MATCH_SIMILARITY, 0.0) == "good"
    assert verdict(GOOD_MATCH_SIMILARITY - 0.01, 0.0) == "weak"
    assert verdict(0.3, 0.9) == "weak"  # words alone do not make a match when there is a cosine
    assert verdict(None, 0.9) == "good" and verdict(None, 0.1) == "weak"  # keyword search alone


@pytest.mark.parametrize(
    "question",
    [
        "refund policy for annual plans",
        "what is the wifi password in the London office",
        "best pizza near the office",
    ],
)
def test_nothing_fits_is_said_honestly(shared_index: KnowledgeIndex, question: str) -> None:
    hits = shared_index.search(question, k=5)
    assert all(hit.match == "weak" for hit in hits), [(h.title, h.similarity) for h in hits]


@pytest.mark.parametrize(
    "question",
    [
        "customers have to explain their problem again after every transfer",
        "renew the vpn device certificate",
    ],
)
def test_a_real_answer_is_a_good_match(shared_index: KnowledgeIndex, question: str) -> None:
    assert shared_index.search(question, k=5)[0].match == "good"
