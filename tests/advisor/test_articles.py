"""The KCS loop end to end on real parts: SQLite for the articles, a copy of the demo organisation (DuckDB),
real Chroma and the real model. Atomic state changes, history, flags, the data version written on publish,
K1/K2/K3 before and after, and search finding the article at once."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.article_models import ArticleDraft, ArticleNotFound, CaseRef
from advisor.article_store import ArticleStore
from advisor.articles import KnowledgeLoop
from advisor.cli import app
from advisor.composition import build_advisor
from advisor.errors import InvalidTransition
from advisor.service import Advisor
from advisor.settings import Settings, get_settings
from knowledge.embeddings import SentenceTransformerEmbedder
from metrics.importers.versions import list_versions, undo_import
from metrics.models import Period
from metrics.published_articles import ArticleEvent, ArticleRow, write_published_articles
from metrics.store import open_store
from tests.postgres import database_url, postgres_server

#: The demo's two years: every case of a candidate is resolved in it.
WHOLE = Period(datetime(2024, 11, 1).date(), datetime(2026, 11, 1).date())
IN_DATA = datetime(2026, 10, 10, 12, 0, tzinfo=UTC)
__all__ = ["database_url", "postgres_server"]  # fixtures


@pytest.fixture
def store(database_url: str) -> ArticleStore:
    """The store on SQLite and on a real PostgreSQL (tests.postgres)."""
    return ArticleStore(database_url)


def _draft(title: str = "Report times out", **changes: object) -> ArticleDraft:
    return ArticleDraft(
        title=title, symptoms="The report spins.", resolution="Add a date filter."
    ).model_copy(update=changes)


def test_every_change_keeps_who_and_when_and_steps_follow_kcs(store: ArticleStore) -> None:
    made = store.create(_draft(), organisation="org", origin="capture", actor="mia")
    assert made.state == "work_in_progress" and made.revision == 1
    moved = store.move(made.id, "not_validated", expected="work_in_progress", actor="mia", note="ready")
    moved = store.move(moved.id, "validated", expected="not_validated", actor="lee")
    with pytest.raises(InvalidTransition, match="cannot become work in progress"):
        store.move(moved.id, "work_in_progress", expected="validated", actor="lee")
    with pytest.raises(InvalidTransition, match="is validated now, not not validated"):
        store.move(moved.id, "validated", expected="not_validated", actor="lee")
    published = store.move(moved.id, "published", expected="validated", actor="lee")
    assert published.published_at is not None
    assert [(c.action, c.from_state, c.to_state, c.actor) for c in published.history] == [
        ("created", None, "work_in_progress", "mia"),
        ("moved", "work_in_progress", "not_validated", "mia"),
        ("moved", "not_validated", "validated", "lee"),
        ("moved", "validated", "published", "lee"),
    ]
    assert published.history[1].note == "ready"
    assert all(change.at.tzinfo is not None for change in published.history)


def test_two_leads_publishing_at_once_cannot_both_succeed(store: ArticleStore) -> None:
    made = store.create(_draft(), organisation="org", origin="capture", actor="mia")
    store.move(made.id, "not_validated", expected="work_in_progress", actor="mia")
    store.move(made.id, "validated", expected="not_validated", actor="mia")
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def attempt(number: int) -> None:
        barrier.wait()
        target = "published" if number % 2 else "archived"
        try:
            store.move(made.id, target, expected="validated", actor=f"lead{number}")  # type: ignore[arg-type]
            outcomes.append(target)
        except InvalidTransition:
            outcomes.append("refused")

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("refused") == 5
    final = store.get(made.id)
    assert final.state in {"published", "archived"} and [o for o in outcomes if o != "refused"] == [
        final.state
    ]
    assert len([c for c in final.history if c.action == "moved"]) == 3


def test_a_case_is_behind_one_live_article_at_most(store: ArticleStore) -> None:
    case = CaseRef(ticket_id="T1", title="Report times out")
    first = store.create(_draft(), organisation="org", origin="candidate", actor="lee", cases=[case])
    with pytest.raises(InvalidTransition, match=f"T1 is already behind article {first.id}"):
        store.create(_draft(), organisation="org", origin="candidate", actor="mia", cases=[case])
    assert store.create(_draft(), organisation="other", origin="candidate", actor="mia", cases=[case])
    store.move(first.id, "archived", expected="work_in_progress", actor="lee")
    assert store.linked_ticket_ids("org") == set()
    again = store.create(_draft(), organisation="org", origin="candidate", actor="mia", cases=[case])
    assert store.linked_ticket_ids("org") == {"T1"} and again.cases[0].ticket_id == "T1"


def test_an_edit_on_a_stale_copy_or_a_validated_article_is_refused(store: ArticleStore) -> None:
    made = store.create(_draft(), organisation="org", origin="capture", actor="mia")
    edited = store.edit(made.id, _draft(cause="No date filter."), revision=1, actor="lee")
    assert (edited.revision, edited.cause) == (2, "No date filter.")
    with pytest.raises(InvalidTransition, match="changed by someone else"):
        store.edit(made.id, _draft(cause="Old copy"), revision=1, actor="mia")
    store.move(made.id, "not_validated", expected="work_in_progress", actor="lee")
    store.move(made.id, "validated", expected="not_validated", actor="lee")
    with pytest.raises(InvalidTransition, match="cannot be edited"):
        store.edit(made.id, _draft(), revision=2, actor="lee")
    assert store.get(made.id).cause == "No date filter."
    assert [c.action for c in store.get(made.id).history].count("edited") == 1


def test_flags_are_kept_resolved_once_and_listed(store: ArticleStore) -> None:
    made = store.create(_draft(), organisation="org", origin="capture", actor="mia")
    own = store.flag(made.id, organisation="org", reason="outdated", comment="Menu moved", actor="agent")
    other = store.flag("KB0001", organisation="org", reason="wrong", comment="Step 2 fails", actor="agent")
    assert {flag.id for flag in store.flags(organisation="org", open_only=True)} == {own.id, other.id}
    assert store.get(made.id).open_flags[0].comment == "Menu moved"
    assert store.get(made.id).history[-1].action == "flagged"
    resolved = store.resolve_flag(own.id, actor="lee")
    assert resolved.resolved_by == "lee" and not resolved.open
    with pytest.raises(InvalidTransition, match="already resolved"):
        store.resolve_flag(own.id, actor="lee")
    assert [flag.id for flag in store.flags(organisation="org", open_only=True)] == [other.id]
    assert store.flags(organisation="elsewhere") == []
    with pytest.raises(ArticleNotFound):
        store.resolve_flag(9999, actor="lee")


def test_the_data_writer_upserts_keeps_a_version_and_can_be_undone(tmp_path: Path, demo_dir: Path) -> None:
    folder = tmp_path / "org"
    shutil.copytree(demo_dir, folder)
    before = open_store(folder)
    articles_before = before.cursor().execute("SELECT count(*) FROM articles").fetchone()
    events_before = before.cursor().execute("SELECT count(*) FROM ticket_events").fetchone()
    ticket = (
        before.cursor()
        .execute("SELECT id, resolved_at FROM tickets WHERE resolved_at IS NOT NULL")
        .fetchone()
    )
    before.close()
    assert articles_before and events_before and ticket
    row = ArticleRow(
        "kcs-1", "Title", "## Resolution\n\nDo it.", "customer", "published", None, IN_DATA, IN_DATA
    )
    event = ArticleEvent(ticket[0], "article_created", "kcs-1", ticket[1], "Billing Desk")
    written = write_published_articles(folder, [row], [event], by="lee")
    assert (written.articles_added, written.events_added) == (1, 1) and written.version
    again = write_published_articles(folder, [row], [event], by="lee")
    assert again.version is None and again.articles_added == again.events_added == 0
    changed = write_published_articles(
        folder, [ArticleRow(**{**row.__dict__, "state": "archived"})], [], by="lee"
    )
    assert changed.articles_updated == 1
    after = open_store(folder)
    assert after.cursor().execute("SELECT count(*) FROM articles").fetchone() == (articles_before[0] + 1,)
    assert after.cursor().execute("SELECT count(*) FROM ticket_events").fetchone() == (events_before[0] + 1,)
    assert after.cursor().execute("SELECT state FROM articles WHERE id = 'kcs-1'").fetchone() == ("archived",)
    after.close()
    assert [version.mapping for version in list_versions(folder)] == ["published articles"] * 2
    undo_import(folder)
    undo_import(folder)
    restored = open_store(folder)
    assert restored.cursor().execute("SELECT count(*) FROM articles").fetchone() == articles_before
    restored.close()


@pytest.fixture(scope="module")
def loop(
    tmp_path_factory: pytest.TempPathFactory, demo_dir: Path, embedder: SentenceTransformerEmbedder
) -> Iterator[KnowledgeLoop]:
    """A loop over a copy of the demo (publishing writes into it) with a small real index of its cases."""
    root = tmp_path_factory.mktemp("kcs-loop")
    shutil.copytree(demo_dir, root / "org")
    settings = Settings(
        data_dir=root / "org", index_dir=root / "index", database_url=f"sqlite:///{root}/app.db"
    )
    advisor = build_advisor(settings)
    advisor.index.embedder = embedder
    cases = [document for document in advisor.documents() if document.kind == "case"]
    advisor.index.build(cases[:60])
    yield KnowledgeLoop(advisor, ArticleStore(settings.database_url))


def _knowledge(advisor: Advisor) -> dict[str, tuple[float | None, int, dict[str, float | int | None]]]:
    scorecard = advisor.scorecard(WHOLE)
    return {
        key: (scorecard.metric(key).value, scorecard.metric(key).n, scorecard.metric(key).details)
        for key in ("K1", "K2", "K3")
    }


@pytest.mark.slow
def test_publishing_counts_for_k1_k2_k3_and_is_found_at_once(loop: KnowledgeLoop) -> None:
    advisor = loop.advisor
    before = _knowledge(advisor)
    candidate = loop.candidates()[0]
    drafted = loop.draft_from_candidate(candidate.id, actor="lee", at=IN_DATA)
    assert [case.ticket_id for case in drafted.cases] == candidate.case_ids
    assert candidate.id not in {c.id for c in loop.candidates()}, "a drafted candidate is no longer offered"
    assert drafted.resolution and drafted.resolution in candidate.representative.notes
    edited = loop.edit(
        drafted.id, drafted.model_copy(update={"audience": "customer"}), revision=1, actor="lee"
    )
    for expected, to in (("work_in_progress", "not_validated"), ("not_validated", "validated")):
        loop.move(edited.id, to, expected=expected, actor="lee", at=IN_DATA)  # type: ignore[arg-type]
    assert advisor.article(edited.id) is None, "not in the organisation's data before it is published"
    assert edited.id not in {hit.id for hit in advisor.search(edited.title, 10)}
    published = loop.move(edited.id, "published", expected="validated", actor="lee", at=IN_DATA)

    hits = advisor.search(published.title, 5)
    assert (
        published.id in [hit.id for hit in hits[:3]]
        and hits[[h.id for h in hits].index(published.id)].kind == "article"
    )
    row = advisor.article(published.id)
    assert row is not None and (row["state"], row["audience"]) == ("published", "customer")

    after = _knowledge(advisor)
    k1, k1_after = before["K1"], after["K1"]
    public_before = round((k1[0] or 0) * k1[1] / 100)
    assert k1_after[1] == k1[1] + 1
    assert k1_after[0] == pytest.approx((public_before + 1) / (k1[1] + 1) * 100, abs=0.01)
    k2, k2_after = before["K2"], after["K2"]
    at_once_before = round((k2[0] or 0) * k2[1] / 100)
    assert k2_after[1] == k2[1] + 1
    assert k2_after[0] == pytest.approx((at_once_before + 1) / (k2[1] + 1) * 100, abs=0.01)
    k3, k3_after = before["K3"][2], after["K3"][2]
    assert k3_after["article_created_events"] == (k3["article_created_events"] or 0) + 1
    assert k3_after["article_linked_events"] == (k3["article_linked_events"] or 0) + candidate.size - 1
    assert (k3_after["link_rate_pct"] or 0) > (k3["link_rate_pct"] or 0)

    # archiving takes it out of search, of K1 and of the documents a rebuild would index
    loop.move(published.id, "archived", expected="published", actor="lee", at=IN_DATA + timedelta(minutes=5))
    assert published.id not in {hit.id for hit in advisor.search(published.title, 10)}
    assert published.id not in {document.id for document in advisor.documents()}
    assert _knowledge(advisor)["K1"][1] == k1[1]


def test_flagging_needs_an_article_that_exists(loop: KnowledgeLoop) -> None:
    flag = loop.flag("KB0001", reason="outdated", comment="The menu moved", actor="agent")
    assert loop.flags("KB0001", open_only=True)[0].id == flag.id
    with pytest.raises(ArticleNotFound):
        loop.flag("KB9999", reason="wrong", comment="?", actor="agent")
    with pytest.raises(ArticleNotFound):
        loop.flag("kcs-nothere", reason="wrong", comment="?", actor="agent")


def test_sync_writes_published_articles_back_after_an_undo(
    tmp_path: Path, demo_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`advisor articles sync` repairs the organisation's data when an import (or an undo) dropped what a
    publish wrote; a second run changes nothing."""
    folder = tmp_path / "org"
    shutil.copytree(demo_dir, folder)
    url = f"sqlite:///{tmp_path}/app.db"
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(folder))
    monkeypatch.setenv("ADVISOR_DATABASE_URL", url)
    get_settings.cache_clear()
    store = ArticleStore(url)
    case = CaseRef(ticket_id="T000001", title="Case", resolved_at=IN_DATA)
    made = store.create(_draft(), organisation="org", origin="candidate", actor="lee", cases=[case])
    for expected, to in (("work_in_progress", "not_validated"), ("not_validated", "validated")):
        store.move(made.id, to, expected=expected, actor="lee")  # type: ignore[arg-type]
    store.move(made.id, "published", expected="validated", actor="lee")

    first = CliRunner().invoke(app, ["articles", "sync"])
    assert first.exit_code == 0 and "1 article(s) added" in first.output, first.output
    undo_import(folder)  # as if an import had replaced the tickets' events
    assert _article_and_event(folder, made.id) == (0, 0)
    again = CliRunner().invoke(app, ["articles", "sync"])
    assert "1 article(s) added" in again.output and _article_and_event(folder, made.id) == (1, 1)
    assert "already in" in CliRunner().invoke(app, ["articles", "sync"]).output
    listed = CliRunner().invoke(app, ["articles", "list", "--json"])
    assert listed.exit_code == 0 and made.id in listed.output


def _article_and_event(folder: Path, article_id: str) -> tuple[int, int]:
    store = open_store(folder)
    try:
        cursor = store.cursor()
        articles = cursor.execute("SELECT count(*) FROM articles WHERE id = ?", [article_id]).fetchone()
        events = cursor.execute(
            "SELECT count(*) FROM ticket_events WHERE article_id = ? AND kind = 'article_created'",
            [article_id],
        ).fetchone()
        return (articles[0] if articles else 0, events[0] if events else 0)
    finally:
        store.close()
