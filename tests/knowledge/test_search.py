"""Hybrid search over the practices and a folder of notes: real MiniLM, real Chroma, real bm25s."""

from __future__ import annotations

import pytest

from knowledge.errors import InvalidQuery
from knowledge.index import KnowledgeIndex
from knowledge.models import SearchFilters


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tickets bounce between too many teams before anyone fixes them", {"cust-swarming-complex-cases", "cust-skills-based-routing", "cust-own-the-case-end-to-end", "cust-warm-handoff-with-context"}),
        ("new hires take months before they can work with customers alone", {"emp-peer-trust-signoff", "emp-buddy-cohorts", "emp-agent-peer-vouch", "emp-team-defines-competency", "emp-learn-from-kb-day-one", "emp-ttc-cohort-review"}),
        ("KCS 85/85 goal", {"cust-85-85-self-service"}),
    ],
)  # fmt: skip
def test_hybrid_search_finds_the_practice_that_fits(
    shared_index: KnowledgeIndex, query: str, expected: set[str]
) -> None:
    hits = shared_index.search(query, k=3, kinds=["practice"])
    assert {hit.id for hit in hits} & expected
    assert all(hit.kind == "practice" and hit.snippet for hit in hits)
    assert len({hit.id for hit in hits}) == len(hits)  # grouped by document
    assert hits == sorted(hits, key=lambda hit: -hit.score)
    assert all(0 < hit.score <= 1 and hit.similarity is not None for hit in hits)


def test_an_exact_code_is_found_by_keywords_and_kept_by_hybrid(shared_index: KnowledgeIndex) -> None:
    assert shared_index.search("E-4711", k=1, mode="keyword")[0].id == "sync-error.txt"
    hybrid = shared_index.search("what does E-4711 mean", k=3)
    assert hybrid[0].id == "sync-error.txt"
    assert "E-4711" in hybrid[0].snippet


def test_each_mode_ranks_on_its_own(shared_index: KnowledgeIndex) -> None:
    dense = shared_index.search("the vpn keeps disconnecting", k=5, mode="dense")
    keyword = shared_index.search("the vpn keeps disconnecting", k=5, mode="keyword")
    assert dense[0].id == "KB-101" and keyword[0].id == "KB-101"
    # a single retriever's first place scores 1.0; in hybrid only first place in both does
    assert dense[0].score == 1.0 and keyword[0].score == 1.0
    assert keyword[0].similarity is None
    hybrid = shared_index.search("the vpn keeps disconnecting", k=5)
    assert hybrid[0].id == "KB-101" and hybrid[0].score == 1.0


@pytest.mark.parametrize(
    ("filters", "allowed"),
    [
        (SearchFilters(kinds=["document"]), {"KB-101", "billing/invoice-export.html", "sync-error.txt", "passwort.md", "escalation.md", "good.md"}),  # good.md: test_cli_knowledge
        (SearchFilters(products=["billing"]), {"billing/invoice-export.html"}),
        (SearchFilters(products=["vpn", "billing"]), {"KB-101", "billing/invoice-export.html"}),
        (SearchFilters(audiences=["customer"]), {"KB-101", "billing/invoice-export.html"}),
        (SearchFilters(kinds=["document"], categories=["knowledge"]), {"escalation.md"}),
    ],
)  # fmt: skip
def test_filters_apply_to_both_retrievers(
    shared_index: KnowledgeIndex, filters: SearchFilters, allowed: set[str]
) -> None:
    for mode in ("dense", "keyword", "hybrid"):
        hits = shared_index.search("how do I fix this for the customer", k=10, filters=filters, mode=mode)  # type: ignore[arg-type]
        assert {hit.id for hit in hits} <= allowed, mode


def test_category_filter_keeps_practices_of_that_category(shared_index: KnowledgeIndex) -> None:
    hits = shared_index.search("publish articles", k=10, filters=SearchFilters(categories=["knowledge"]))
    assert hits
    assert all("knowledge" in str(hit.metadata.get("categories", "")).split(",") for hit in hits)


def test_hits_carry_metadata_for_the_edges(shared_index: KnowledgeIndex) -> None:
    hit = shared_index.search("renew the vpn device certificate", k=1)[0]
    assert hit.id == "KB-101" and hit.source == "vpn-drops.md"
    assert {key: hit.metadata[key] for key in ("product", "team", "audience", "date")} == {
        "product": "vpn",
        "team": "network",
        "audience": "customer",
        "date": "2026-03-02",
    }
    assert "content_hash" not in hit.metadata and "root" not in hit.metadata
    assert set(hit.model_dump(mode="json", exclude={"metadata"})) == {
        "id",
        "title",
        "kind",
        "score",
        "snippet",
        "source",
        "reuse_count",
        "duplicates",
        "duplicate_ids",
        "teams",
        "kind_counts",
        "solved_count",
        "match",
        "snippet_html",
    }


def test_html_is_searched_as_text(shared_index: KnowledgeIndex) -> None:
    hit = shared_index.search("download all invoices as a spreadsheet", k=1)[0]
    assert hit.id == "billing/invoice-export.html" and hit.title == "Export invoices to CSV"
    assert "<" not in hit.snippet and "console.log" not in hit.snippet


def test_other_languages_are_found(shared_index: KnowledgeIndex) -> None:
    assert shared_index.search("Passwort vergessen", k=1, mode="keyword")[0].id == "passwort.md"
    assert shared_index.search("Passwort vergessen", k=3)[0].id == "passwort.md"


def test_bad_queries_get_a_clear_error_or_nothing(shared_index: KnowledgeIndex) -> None:
    assert shared_index.search("?!... ---") == []
    assert shared_index.search("") == []
    with pytest.raises(InvalidQuery, match="10,000 characters; the limit is 4,000"):
        shared_index.search("x" * 10_000)
    # off-topic messages find nothing rather than the least unrelated practices
    assert shared_index.search("asdf qwerty zxcv") == []


def test_search_many_answers_in_order(shared_index: KnowledgeIndex) -> None:
    answers = shared_index.search_many(["the vpn keeps disconnecting", "?!", "E-4711"], k=2)
    assert [hits[0].id if hits else None for hits in answers] == ["KB-101", None, "sync-error.txt"]
