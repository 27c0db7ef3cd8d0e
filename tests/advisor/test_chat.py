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
