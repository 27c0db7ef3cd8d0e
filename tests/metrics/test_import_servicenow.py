"""The ServiceNow preset on incident audit exports shaped like real ones: both column and time variants, `?`
for missing values, a zip around the CSV, and hand-offs counted as ServiceNow counts reassignments."""

from __future__ import annotations

import csv
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from metrics.importers import ImportReport, import_sources, load_preset, parse_mapping
from metrics.store import open_store

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "imports" / "servicenow"
EVENT_LOG = SAMPLES / "incident_event_log.csv"  # incident_state, sys_updated_at, 29/2/2016 01:16, `?`
AUDIT_ISO = SAMPLES / "incident_audit_iso.csv"  # state, sys_updated_on, ISO times, empty or NULL


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def imported(tmp_path: Path, *files: Path | str) -> tuple[ImportReport, duckdb.DuckDBPyConnection]:
    report = import_sources(list(files), tmp_path / "org", load_preset("servicenow"))
    return report, open_store(tmp_path / "org").cursor()


def export_counts(path: Path) -> dict[str, tuple[int, int]]:
    """Per incident, ServiceNow's own reassignment_count and reopen_count (the last row's)."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row["number"]: (int(row["reassignment_count"]), int(row["reopen_count"]))
            for row in csv.DictReader(handle)
        }


def handoffs_and_reopens(db: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    """Hand-offs as the scorecard counts them (an assignment whose team or agent differs from the previous
    one, the first not counted), and reopen events, per ticket."""
    rows = db.execute(
        """
        WITH a AS (
            SELECT ticket_id, lag("at") OVER w IS NOT NULL
                   AND (team IS DISTINCT FROM lag(team) OVER w OR agent_id IS DISTINCT FROM lag(agent_id) OVER w)
                   AS changed
            FROM ticket_events WHERE kind = 'assigned' WINDOW w AS (PARTITION BY ticket_id ORDER BY "at")
        )
        SELECT t.id, (SELECT count(*) FROM a WHERE a.ticket_id = t.id AND changed),
               (SELECT count(*) FROM ticket_events e WHERE e.ticket_id = t.id AND kind = 'reopened')
        FROM tickets t ORDER BY t.id
        """
    ).fetchall()
    return {ticket: (int(handoffs), int(reopens)) for ticket, handoffs, reopens in rows}


def test_a_real_shaped_event_log_keeps_every_incident(tmp_path: Path) -> None:
    report, db = imported(tmp_path, EVENT_LOG)
    assert report.rejects == 0 and report.warnings == 0 and report.tickets_without_rows == 0
    assert db.execute(
        "SELECT id, created_at, resolved_at, closed_at, team, channel, priority FROM tickets ORDER BY id"
    ).fetchall() == [
        ("INC0000045", utc("2016-02-29T01:16"), utc("2016-02-29T11:29"), utc("2016-03-05T12:00"), "Group 70",
         "Phone", "3 - Moderate"),
        # resolved_at is `?` on every row: the incident stays, resolved when its state became Resolved
        ("INC0000047", utc("2016-02-29T04:40"), utc("2016-03-01T10:30"), utc("2016-03-06T10:00"), "Group 24",
         "Phone", "3 - Moderate"),
        ("INC0000057", utc("2016-02-29T06:10"), utc("2016-03-02T09:00"), utc("2016-03-07T10:00"), "Group 56",
         "Email", "2 - High"),
        ("INC0000062", utc("2016-03-01T08:00"), None, None, "Group 9", "Phone", "4 - Low"),
    ]  # fmt: skip
    # `?` is no value: never a team, agent or product
    assert db.execute("SELECT count(*) FROM ticket_events WHERE team = '?' OR agent_id = '?'").fetchone() == (
        0,
    )
    assert db.execute("SELECT count(*) FROM tickets WHERE product IS NOT NULL").fetchone() == (0,)


def test_hand_offs_match_the_exports_reassignment_count(tmp_path: Path) -> None:
    _, db = imported(tmp_path, EVENT_LOG)
    expected = export_counts(EVENT_LOG)
    assert handoffs_and_reopens(db) == expected
    # the fixture holds agent changes inside a group (not hand-offs) and group changes (hand-offs)
    assert expected == {
        "INC0000045": (1, 0),
        "INC0000047": (0, 0),
        "INC0000057": (2, 1),
        "INC0000062": (0, 0),
    }


def test_counting_agent_changes_is_a_documented_choice(tmp_path: Path) -> None:
    text = (
        (Path(__file__).resolve().parents[2] / "metrics" / "importers" / "presets" / "servicenow.yaml")
        .read_text(encoding="utf-8")
        .replace("on_change_of: [team]", "on_change_of: [team, agent_id]")
    )
    import_sources([EVENT_LOG], tmp_path / "org", parse_mapping(text, "agents.yaml"))
    counted = handoffs_and_reopens(open_store(tmp_path / "org").cursor())
    # Resolver 89 -> Group 70; Resolver 46 -> Resolver 97; two agent pick-ups and two group moves; one pick-up
    assert {ticket: handoffs for ticket, (handoffs, _) in counted.items()} == {
        "INC0000045": 2,
        "INC0000047": 2,
        "INC0000057": 4,
        "INC0000062": 1,
    }


def test_the_knowledge_flag_links_an_article_once_when_it_turns_true(tmp_path: Path) -> None:
    _, db = imported(tmp_path, EVENT_LOG)
    assert db.execute(
        "SELECT ticket_id, \"at\" FROM ticket_events WHERE kind = 'article_linked' ORDER BY ticket_id"
    ).fetchall() == [("INC0000045", utc("2016-02-29T08:53")), ("INC0000057", utc("2016-03-01T11:00"))]


def canonical(db: duckdb.DuckDBPyConnection) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    tickets = db.execute("SELECT * FROM tickets ORDER BY id").fetchall()
    events = db.execute('SELECT * FROM ticket_events ORDER BY ticket_id, "at", kind').fetchall()
    return tickets, events


def test_both_export_variants_and_a_zip_give_the_same_tables(tmp_path: Path) -> None:
    _, regional = imported(tmp_path / "regional", EVENT_LOG)
    report, iso = imported(tmp_path / "iso", AUDIT_ISO)
    assert report.rejects == 0 and report.warnings == 0
    archive = tmp_path / "incident.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(AUDIT_ISO, "export/incident.csv")
    zipped_report, zipped = imported(tmp_path / "zipped", archive)
    assert [file.file for file in zipped_report.files] == ["incident.zip/export/incident.csv"]
    assert canonical(regional) == canonical(iso) == canonical(zipped)
    # NULL is no agent either
    assert iso.execute("SELECT count(*) FROM ticket_events WHERE agent_id = 'NULL'").fetchone() == (0,)


def test_a_bad_optional_value_warns_and_a_ticket_without_usable_rows_is_named(tmp_path: Path) -> None:
    lines = AUDIT_ISO.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    at = header.index("sys_updated_on")
    bad_closed = lines[5].split(",")  # INC0000045's Closed row
    bad_closed[header.index("closed_at")] = "next week"
    lost = lines[1].split(",")
    lost[0], lost[at] = "INC0000099", "yesterday"
    export = tmp_path / "incident.csv"
    export.write_text("\n".join([*lines[:5], ",".join(bad_closed), *lines[6:], ",".join(lost)]) + "\n")
    report, db = imported(tmp_path, export)
    assert (report.rejects, report.warnings, report.tickets_without_rows) == (2, 1, 1)
    assert "1 ticket had no usable row and was left out (see rejects.csv)" in report.notices
    with (tmp_path / "org" / "rejects.csv").open(encoding="utf-8", newline="") as handle:
        problems = [
            (row["line"], row["column"], row["severity"], row["reason"]) for row in csv.DictReader(handle)
        ]
    last = str(len(lines) + 1)
    assert problems == [
        ("6", "closed_at", "warning", "'next week' is not a date and time in the format ISO-8601 or "
         "%d/%m/%Y %H:%M:%S or %d/%m/%Y %H:%M or %d-%m-%Y %H:%M:%S or %d-%m-%Y %H:%M or %d.%m.%Y %H:%M:%S or "
         "%d.%m.%Y %H:%M: left empty"),
        (last, "sys_updated_on", "rejected", "'yesterday' is not a date and time in the format ISO-8601 or "
         "%d/%m/%Y %H:%M:%S or %d/%m/%Y %H:%M or %d-%m-%Y %H:%M:%S or %d-%m-%Y %H:%M or %d.%m.%Y %H:%M:%S or "
         "%d.%m.%Y %H:%M"),
        (last, "number", "rejected", "ticket 'INC0000099' has no usable row: its only row was rejected, so the "
         "ticket is left out"),
    ]  # fmt: skip
    # the incident with the bad closed_at stays, closed when its state became Closed
    assert db.execute("SELECT closed_at FROM tickets WHERE id = 'INC0000045'").fetchone() == (
        utc("2016-03-05T12:00"),
    )
    assert db.execute("SELECT count(*) FROM tickets").fetchone() == (4,)


@pytest.mark.parametrize("token", ["?", "NULL", "n/a", " N/A "])
def test_missing_value_tokens_of_a_mapping(tmp_path: Path, token: str) -> None:
    mapping = """
name: tokens
missing_values: ["?", "NULL", "N/A"]
sources: {tickets: {}}
tables:
  tickets:
    from: tickets
    columns: {id: Ticket, created_at: Opened, resolved_at: Solved, team: Team}
"""
    export = tmp_path / "tickets.csv"
    export.write_text(
        f"Ticket,Opened,Solved,Team\nT1,2026-03-01T08:00:00Z,{token},{token}\n", encoding="utf-8"
    )
    report = import_sources([export], tmp_path / "org", parse_mapping(mapping, "tokens.yaml"))
    assert report.rejects == 0 and report.warnings == 0
    assert open_store(tmp_path / "org").cursor().execute(
        "SELECT id, resolved_at, team FROM tickets"
    ).fetchall() == [("T1", None, None)]
