"""Uploads never destroy: an import merges with the folder's data by id (unless a table is replaced on
purpose), a dry run previews rows per table before and after, and every import can be undone."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from metrics.demo import generate_demo
from metrics.errors import InvalidInputData
from metrics.importers import import_sources, list_versions, load_preset, parse_mapping, undo_import
from metrics.store import open_store

MAPPING = """
name: test
sources:
  tickets: {match: "tickets*"}
  events: {match: "events*", optional: true}
tables:
  tickets:
    from: tickets
    columns: {id: Ticket, created_at: Opened, resolved_at: Solved, team: Team}
  ticket_events:
    from: events
    columns:
      ticket_id: Ticket
      at: When
      kind: {column: What, values: {Reply: agent_message, Question: customer_message}}
"""
HEADER = "Ticket,Opened,Solved,Team\n"


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")
    return folder / name


def rows(org: Path, sql: str) -> list[tuple[object, ...]]:
    store = open_store(org)
    try:
        return store.cursor().execute(sql).fetchall()
    finally:
        store.close()


def files(folder: Path) -> dict[str, bytes]:
    """The folder's files and their bytes; hidden ones are the store's caches (`.tickets.parquet.keys`)."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not path.name.startswith(".")
    }


def zendesk_export(path: Path, count: int, first_id: int = 900001) -> Path:
    """A Zendesk ticket export of `count` tickets, every fourth with a satisfaction rating."""
    lines = ["Id,Organization,Group,Subject,Priority,Via,Created at,Updated at,Solved at,Satisfaction Score"]
    for number in range(count):
        day = 1 + number % 28
        rating = ("Good", "Bad", "Offered", "Unoffered")[number % 4]
        lines.append(
            f"{first_id + number},Acme,Billing,Question {number},normal,Web form,2026-10-{day:02d} 09:00:00 +0000,"
            f"2026-10-{day:02d} 12:00:00 +0000,2026-10-{day:02d} 11:00:00 +0000,{rating}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_zendesk_upload_into_a_demo_keeps_every_ticket_and_survey(tmp_path: Path) -> None:
    org = tmp_path / "demo"
    generate_demo(org, end=date(2026, 11, 1), seed=7, size="small")
    before = {
        table: sorted(rows(org, f"SELECT * FROM {table}"), key=repr)
        for table in ("tickets", "surveys", "ticket_events")
    }
    export = zendesk_export(tmp_path / "zendesk.csv", 240)
    untouched = files(org)

    preview = import_sources([export], org, load_preset("zendesk"), dry_run=True)
    assert preview.dry_run and files(org) == untouched  # a preview writes nothing
    shown = {change.table: (change.before, change.after, change.action) for change in preview.changes}
    assert shown["tickets"] == (len(before["tickets"]), len(before["tickets"]) + 240, "merged")
    assert shown["surveys"] == (len(before["surveys"]), len(before["surveys"]) + 120, "merged")
    assert shown["ticket_events"] == (len(before["ticket_events"]),) * 2 + ("kept",)

    report = import_sources([export], org, load_preset("zendesk"))
    assert [(c.table, c.before, c.after) for c in report.changes if c.table in shown] == [
        (table, before_rows, after_rows) for table, (before_rows, after_rows, _) in sorted(shown.items())
    ]
    after_tickets = rows(org, "SELECT * FROM tickets")
    assert len(after_tickets) == len(before["tickets"]) + 240
    assert set(before["tickets"]) <= set(after_tickets)  # every old ticket, unchanged
    assert set(before["surveys"]) <= set(rows(org, "SELECT * FROM surveys"))
    assert sorted(rows(org, "SELECT * FROM ticket_events"), key=repr) == before["ticket_events"]
    assert rows(org, "SELECT count(*) FROM tickets WHERE id LIKE '9%'") == [(240,)]

    # and the upload can be undone: the folder's tables are back as they were
    undone = undo_import(org)
    assert undone.undone.id == report.version and undone.versions_left == 0
    assert files(org) == untouched


@pytest.mark.slow
def test_a_zendesk_upload_into_the_medium_demo_keeps_all_its_tickets(tmp_path: Path) -> None:
    org = tmp_path / "demo"
    generate_demo(org, end=date(2026, 11, 1), seed=7, size="medium")
    counts = "SELECT (SELECT count(*) FROM tickets), (SELECT count(*) FROM surveys), (SELECT count(*) FROM ticket_events)"
    [(tickets, surveys, events)] = rows(org, counts)
    assert tickets > 45_000  # the medium demo: about 50,000 tickets
    import_sources([zendesk_export(tmp_path / "zendesk.csv", 240)], org, load_preset("zendesk"))
    assert rows(org, counts) == [(tickets + 240, surveys + 120, events)]


def test_changed_rows_are_updated_new_ones_added_and_old_ones_kept(tmp_path: Path) -> None:
    exports, org = tmp_path / "exports", tmp_path / "org"
    mapping = parse_mapping(MAPPING, "test.yaml")
    first = write(
        exports,
        "tickets-1.csv",
        HEADER + "T1,2026-03-01T08:00:00Z,,Ops\nT2,2026-03-02T08:00:00Z,,Ops\n",
    )
    import_sources([first], org, mapping)
    second = write(
        exports,
        "tickets-2.csv",
        HEADER + "T2,2026-03-02T08:00:00Z,2026-03-03T08:00:00Z,Billing\nT3,2026-03-04T08:00:00Z,,Ops\n",
    )
    report = import_sources([second], org, mapping)
    [change] = report.changes
    assert (change.before, change.after, change.added, change.updated, change.unchanged) == (2, 3, 1, 1, 0)
    assert rows(org, "SELECT id, team, resolved_at IS NOT NULL FROM tickets ORDER BY id") == [
        ("T1", "Ops", False),
        ("T2", "Billing", True),
        ("T3", "Ops", False),
    ]


def test_events_are_merged_per_ticket(tmp_path: Path) -> None:
    exports, org = tmp_path / "exports", tmp_path / "org"
    mapping = parse_mapping(MAPPING, "test.yaml")
    tickets = write(
        exports, "tickets.csv", HEADER + "T1,2026-03-01T08:00:00Z,,Ops\nT2,2026-03-01T08:00:00Z,,Ops\n"
    )
    events = write(
        exports,
        "events-1.csv",
        "Ticket,When,What\nT1,2026-03-01T09:00:00Z,Question\nT2,2026-03-01T09:00:00Z,Question\n",
    )
    import_sources([tickets, events], org, mapping)
    # a later export holds T1's whole history again, with one more reply: T1's events are replaced, T2's stay
    again = write(
        exports,
        "events-2.csv",
        "Ticket,When,What\nT1,2026-03-01T09:00:00Z,Question\nT1,2026-03-01T10:00:00Z,Reply\n",
    )
    report = import_sources([tickets, again], org, mapping)
    change = next(change for change in report.changes if change.table == "ticket_events")
    assert (change.before, change.after, change.added, change.unchanged, change.removed) == (2, 3, 1, 1, 0)
    assert rows(org, 'SELECT ticket_id, kind FROM ticket_events ORDER BY ticket_id, "at"') == [
        ("T1", "customer_message"),
        ("T1", "agent_message"),
        ("T2", "customer_message"),
    ]


def test_a_table_is_replaced_only_when_asked(tmp_path: Path) -> None:
    exports, org = tmp_path / "exports", tmp_path / "org"
    mapping = parse_mapping(MAPPING, "test.yaml")
    import_sources([write(exports, "tickets-1.csv", HEADER + "T1,2026-03-01T08:00:00Z,,Ops\n")], org, mapping)
    second = write(exports, "tickets-2.csv", HEADER + "T9,2026-03-09T08:00:00Z,,Ops\n")
    report = import_sources([second], org, mapping, replace=["tickets"])
    [change] = report.changes
    assert (change.before, change.after, change.removed, change.action) == (1, 1, 1, "replaced")
    assert rows(org, "SELECT id FROM tickets") == [("T9",)]
    with pytest.raises(InvalidInputData, match="cannot replace tockets: not tables"):
        import_sources([second], org, mapping, replace=["tockets"])


def test_every_import_is_a_version_and_undo_walks_back(tmp_path: Path) -> None:
    exports, org = tmp_path / "exports", tmp_path / "org"
    mapping = parse_mapping(MAPPING, "test.yaml")
    first = import_sources(
        [write(exports, "tickets-1.csv", HEADER + "T1,2026-03-01T08:00:00Z,,Ops\n")], org, mapping, by="ann"
    )
    after_first = files(org)
    second = import_sources(
        [write(exports, "tickets-2.csv", HEADER + "T2,2026-03-02T08:00:00Z,,Ops\n")], org, mapping, by="bob"
    )
    versions = list_versions(org)
    assert [(version.id, version.by, version.sources) for version in versions] == [
        (second.version, "bob", ["tickets-2.csv"]),
        (first.version, "ann", ["tickets-1.csv"]),
    ]
    manifest = json.loads((org / "versions" / str(second.version) / "manifest.json").read_text())
    assert manifest["tables"][0] | {"table": "tickets"} == manifest["tables"][0]
    assert (manifest["tables"][0]["before"], manifest["tables"][0]["after"]) == (1, 2)
    assert manifest["saved"] == ["rejects.csv", "tickets.parquet"] and manifest["created"] == []

    undo_import(org)
    assert files(org) == after_first
    assert rows(org, "SELECT id FROM tickets") == [("T1",)]
    undone = undo_import(org)
    assert undone.removed == ["rejects.csv", "tickets.parquet"] and undone.versions_left == 0
    assert sorted(path.name for path in org.iterdir()) == []
    with pytest.raises(InvalidInputData, match="holds no import to undo"):
        undo_import(org)


def test_a_failed_undo_leaves_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from metrics.importers import writing

    exports, org = tmp_path / "exports", tmp_path / "org"
    mapping = parse_mapping(MAPPING, "test.yaml")
    import_sources([write(exports, "tickets-1.csv", HEADER + "T1,2026-03-01T08:00:00Z,,Ops\n")], org, mapping)
    import_sources([write(exports, "tickets-2.csv", HEADER + "T2,2026-03-02T08:00:00Z,,Ops\n")], org, mapping)
    before = files(org)
    calls = []
    real_replace = writing.os.replace

    def flaky_replace(source: str, target: str) -> None:
        calls.append(source)
        if len(calls) == 2:
            raise OSError("the disk went away")
        real_replace(source, target)

    monkeypatch.setattr(writing.os, "replace", flaky_replace)
    with pytest.raises(OSError, match="went away"):
        undo_import(org)
    assert files(org) == before
    assert {path.name for path in tmp_path.iterdir()} == {"exports", "org"}


def test_the_rejects_file_says_warning_or_rejected(tmp_path: Path) -> None:
    exports, org = tmp_path / "exports", tmp_path / "org"
    export = write(exports, "tickets.csv", HEADER + "T1,2026-03-01T08:00:00Z,soon,Ops\nT2,never,,Ops\n")
    import_sources([export], org, parse_mapping(MAPPING, "test.yaml"))
    with duckdb.connect() as connection:
        found = connection.execute(
            'SELECT line, "column", severity FROM read_csv(?, all_varchar = true) ORDER BY line',
            [str(org / "rejects.csv")],
        ).fetchall()
    assert found == [("2", "Solved", "warning"), ("3", "Opened", "rejected")]
