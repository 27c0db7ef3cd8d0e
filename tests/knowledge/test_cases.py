"""Resolved tickets' notes as prior solutions: which tickets become cases, what a case holds, and that a
search for a note's words finds it, from an export through the importer to the index."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from advisor.composition import build_advisor
from knowledge.documents import case_document
from knowledge.embeddings import SentenceTransformerEmbedder
from metrics.importers import import_sources, load_preset
from tests.knowledge.helpers import article, knowledge_settings, open_index

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "imports"
RESOLVED = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def ticket(**values: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": "T1",
        "subject": "VPN drops every hour",
        "resolution": "Renewed the device certificate.",
        "product": "VPN",
        "team": "Network",
        "resolved_at": RESOLVED,
    }
    return {**row, **values}


def test_a_resolved_ticket_with_notes_is_a_case() -> None:
    case = case_document(ticket())
    assert case is not None
    assert (case.id, case.kind, case.title, case.source) == (
        "case:T1",
        "case",
        "VPN drops every hour",
        "ticket:T1",
    )
    assert case.text == "# VPN drops every hour\n\nRenewed the device certificate."
    assert case.metadata == {
        "product": "VPN",
        "team": "Network",
        "audience": "internal",
        "date": "2026-03-02",
    }


@pytest.mark.parametrize(
    ("values", "title"),
    [
        ({"subject": None}, "VPN case"),
        ({"subject": "  ", "product": None}, "Resolved case"),
        ({"subject": "Line\nbreaks   collapse"}, "Line breaks collapse"),
    ],
)
def test_without_a_subject_the_title_is_the_product(values: dict[str, object], title: str) -> None:
    case = case_document(ticket(**values))
    assert case is not None and case.title == title


def test_a_date_resolution_and_missing_team_are_fine() -> None:
    case = case_document(ticket(resolved_at=date(2026, 3, 2), team=None))
    assert case is not None and case.metadata == {
        "product": "VPN",
        "audience": "internal",
        "date": "2026-03-02",
    }


@pytest.mark.parametrize(
    "values",
    [{"resolution": None}, {"resolution": ""}, {"resolution": " \n "}, {"resolved_at": None}],
    ids=["no notes", "empty notes", "blank notes", "not resolved"],
)
def test_only_resolved_tickets_with_notes_are_cases(values: dict[str, object]) -> None:
    assert case_document(ticket(**values)) is None


def test_a_search_for_a_notes_words_finds_the_case_from_an_export(
    tmp_path: Path, embedder: SentenceTransformerEmbedder
) -> None:
    org = tmp_path / "org"
    import_sources([SAMPLES / "servicenow" / "incident-notes.csv"], org, load_preset("servicenow"))
    advisor = build_advisor(knowledge_settings(tmp_path, data_dir=org))
    cases = [document for document in advisor.documents() if document.kind == "case"]
    # INC0020002 is still in progress: no case
    assert [(case.id, case.title) for case in cases] == [("case:INC0020001", "VPN drops every hour")]
    assert "Renewed the expired device certificate" in cases[0].text
    assert cases[0].metadata["team"] == "Network" and cases[0].metadata["date"] == "2026-03-02"
    index = open_index(tmp_path / "index", embedder)
    index.build(
        [
            *cases,
            article("kb-1", "Reset a password", "Open the sign-in page and use the reset link."),
            article("kb-2", "Export invoices", "Choose CSV in billing."),
        ]
    )
    hits = index.search("expired device certificate renewed", k=3)
    assert hits[0].id == "case:INC0020001" and hits[0].kind == "case"
    assert "certificate" in hits[0].snippet
    assert [hit.id for hit in index.search("certificate", k=3, kinds=["case"], mode="keyword")] == [
        "case:INC0020001"
    ]
