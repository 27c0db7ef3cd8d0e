"""Pieces of composed answers: search results listed once each, sources as links, plain snippets."""

from __future__ import annotations

from advisor.chat import compose_search, linkify, unlinked
from advisor.models import Citation
from knowledge.models import Hit


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


def test_search_snippets_are_plain_text_without_markdown() -> None:
    note = (
        "## Steps\n\n1. **Open** the [settings](https://x.test/settings).\n- Choose _Reconnect_.\n"
        + "More. " * 80
    )
    answer, _ = compose_search([_hit("kb-1", "article", "Reconnect a feed", note)])
    line = answer.splitlines()[0]
    assert "Open the settings. Choose Reconnect." in line
    assert "##" not in answer and "**Open**" not in answer and "](" not in answer.split("**", 2)[2]
    assert len(line) < 500, "long passages are cut at a sentence end"


def test_sources_are_links_under_their_titles_never_raw_ids() -> None:
    practice = Citation(
        id="cust-warm-handoff", title="Warm hand-off", kind="practice", url="/practices/cust-warm-handoff"
    )
    metric = Citation(
        id="metric:C6", title="Hand-offs per ticket", kind="metric", url="/scorecard/metrics/C6"
    )
    text = "Start with **Warm hand-off** [cust-warm-handoff]. Hand-offs are 1.1 per ticket [metric:C6]. Again [metric:C6]."
    linked = linkify(text, [practice, metric])
    assert linked == (
        "Start with **[Warm hand-off](/practices/cust-warm-handoff)**. Hand-offs are 1.1 per ticket "
        "([Hand-offs per ticket](/scorecard/metrics/C6)). Again."
    )
    assert "[metric:" not in linked and "[cust-" not in linked
    assert unlinked(linked) == "Start with **Warm hand-off**. Hand-offs are 1.1 per ticket. Again."


def _folded(document_id: str, title: str, markdown: str, **fields: object) -> Hit:
    return Hit(
        id=document_id,
        title=title,
        kind="case",
        score=0.9,
        snippet=" ".join(markdown.split()),
        source="t",
        similarity=0.7,
        snippet_markdown=markdown,
        **fields,  # type: ignore[arg-type]
    )


def test_a_solution_seen_in_many_cases_says_so_and_keeps_its_markdown() -> None:
    hit = _folded(
        "case:T1",
        "Bank feed stopped",
        "#### Steps\n- Reconnect the feed.\n- Re-run the import.",
        duplicates=36,
        duplicate_ids=["case:T2", "case:T3"],
        teams=["Billing Desk", "Onboarding", "Technical L2", "Platform Support", "Customer Success"],
        kind_counts={"case": 37},
        solved_count=12,
    )
    answer, citations = compose_search([hit], query="bank feed")
    assert (
        "(case; seen in 37 cases, across Billing Desk, Onboarding and 3 more teams; marked as solving it "
        "12 times):" in answer
    )
    assert "> #### Steps\n> - Reconnect the feed.\n> - Re-run the import." in answer
    assert citations[0].duplicates == 36 and citations[0].duplicate_ids == ["case:T2", "case:T3"]
    assert (
        citations[0].usage and citations[0].usage.startswith("Seen in 37 cases") and citations[0].good_match
    )
    assert "capture" not in answer


def test_when_nothing_fits_the_answer_says_so_and_offers_to_capture_it() -> None:
    weak = _folded("case:T9", "Payslips show the wrong tax code", "Updated the tax code.", match="weak")
    answer, citations = compose_search([weak], query="refund policy for annual plans")
    assert answer.startswith("Nothing in the knowledge is a good match for that. Possibly related:")
    assert (
        "[capture it as a new article](/knowledge/articles/new?title=refund+policy+for+annual+plans)"
        in answer
    )
    assert [c.id for c in citations] == ["case:T9"] and not citations[0].good_match
    nothing, none = compose_search([], query="refund policy")
    assert "I found nothing relevant" in nothing and "/knowledge/articles/new?title=refund+policy" in nothing
    assert none == []
