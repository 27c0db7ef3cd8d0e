"""The shipped presets, each on a small hand-made export in tests/data/imports/."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

import duckdb
import pytest

from metrics.importers import ImportReport, import_sources, load_preset, preset_names
from metrics.store import open_store

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "imports"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def imported(tmp_path: Path, preset: str, *files: str) -> tuple[ImportReport, duckdb.DuckDBPyConnection]:
    """Import sample files through a preset; a connection over the result, loaded by the store."""
    report = import_sources([SAMPLES / file for file in files], tmp_path / "org", load_preset(preset))
    assert report.rejects == 0, (tmp_path / "org" / "rejects.csv").read_text()
    return report, open_store(tmp_path / "org").cursor()


def counts(report: ImportReport) -> dict[str, int]:
    return {count.table: count.rows for count in report.tables}


def test_every_preset_file_loads() -> None:
    shipped = sorted(
        item.name.removesuffix(".yaml")
        for item in (resources.files("metrics.importers") / "presets").iterdir()
        if item.name.endswith(".yaml")
    )
    assert (
        preset_names()
        == shipped
        == [
            "helpdesk-italian",
            "jira-service-management",
            "salesforce-service-cloud",
            "servicenow",
            "volvo-incidents-bpic2013",
            "zendesk",
        ]
    )
    for name in shipped:
        assert load_preset(name).name == name


def test_zendesk(tmp_path: Path) -> None:
    report, db = imported(tmp_path, "zendesk", "zendesk/tickets.csv")
    assert counts(report) == {"surveys": 2, "tickets": 4}
    assert db.execute(
        "SELECT id, account_id, created_at, resolved_at, team, channel, priority FROM tickets"
    ).fetchall() == [
        ("101", "Acme", utc("2026-03-02T09:00"), utc("2026-03-03T09:00"), "Billing", "web", "normal"),
        ("102", "Globex", utc("2026-03-05T10:00"), utc("2026-03-05T16:30"), "Support", "email", "high"),
        ("103", "Acme", utc("2026-03-07T08:15"), None, "Support", "phone", "urgent"),
        ("104", "Initech", utc("2026-03-08T10:00"), utc("2026-03-08T11:00"), "Billing", "chat", "low"),
    ]
    assert db.execute("SELECT ticket_id, kind, score, scale_max FROM surveys").fetchall() == [
        ("101", "csat", 5.0, 5.0),
        ("102", "csat", 1.0, 5.0),
    ]


def test_servicenow_history_rows(tmp_path: Path) -> None:
    report, db = imported(tmp_path, "servicenow", "servicenow/incident.csv")
    # a hand-off is a change of assignment group (ServiceNow's reassignment): Beth taking INC0010001 up
    # inside Service Desk assigns nothing new, the move to Network does
    assert counts(report) == {"ticket_events": 14, "tickets": 3}
    assert db.execute(
        "SELECT id, created_at, resolved_at, closed_at, team, product, channel, priority, account_id FROM tickets"
    ).fetchall() == [
        ("INC0010001", utc("2026-03-02T08:00"), utc("2026-03-02T12:00"), None, "Network", "Email", "email",
         "3 - Moderate", "Acme"),
        ("INC0010002", utc("2026-03-03T09:00"), utc("2026-03-03T09:20"), utc("2026-03-05T09:20"), "Service Desk",
         "SAP", "phone", "4 - Low", "Globex"),
        ("INC0010003", utc("2026-03-04T10:00"), utc("2026-03-05T09:00"), utc("2026-03-12T09:00"), "Service Desk",
         "VPN", "self-service", "2 - High", "Acme"),
    ]  # fmt: skip
    assert db.execute(
        "SELECT ticket_id, count(*) FILTER (kind = 'assigned'), count(*) FILTER (kind = 'reopened') "
        "FROM ticket_events GROUP BY ALL ORDER BY 1"
    ).fetchall() == [("INC0010001", 2, 0), ("INC0010002", 1, 0), ("INC0010003", 1, 1)]


def test_servicenow_subject_and_resolution_notes(tmp_path: Path) -> None:
    _, db = imported(tmp_path, "servicenow", "servicenow/incident-notes.csv")
    # notes are the last non-empty close_notes (the Closed row repeats none); an open incident has none
    assert db.execute("SELECT id, subject, resolution, resolved_at FROM tickets ORDER BY id").fetchall() == [
        (
            "INC0020001",
            "VPN drops every hour",
            "Renewed the expired device certificate; the tunnel stays up, checked with the user after two hours.",
            utc("2026-03-02T12:00"),
        ),
        ("INC0020002", "Password reset", None, None),
    ]


def test_subjects_are_mapped_and_status_names_are_not_notes(tmp_path: Path) -> None:
    _, zendesk = imported(tmp_path / "zendesk", "zendesk", "zendesk/tickets.csv")
    assert zendesk.execute("SELECT id, subject, resolution FROM tickets ORDER BY id").fetchall() == [
        ("101", "Invoice shows the wrong VAT, please fix", None),
        ("102", "Cannot log in", None),
        ("103", "Export fails", None),
        ("104", "Refund", None),
    ]
    # Jira's Resolution column says "Done": a status name, not how the request was solved
    _, jira = imported(tmp_path / "jira", "jira-service-management", "jira/export.csv")
    assert jira.execute("SELECT id, subject, resolution FROM tickets ORDER BY id").fetchall() == [
        ("SD-1", "Cannot log in", None),
        ("SD-2", "New laptop", None),
        ("SD-3", "VPN drops", None),
    ]


def test_jira_service_management(tmp_path: Path) -> None:
    report, db = imported(tmp_path, "jira-service-management", "jira/export.csv")
    assert counts(report) == {"surveys": 2, "tickets": 3}
    assert db.execute(
        "SELECT id, created_at, resolved_at, team, product, channel, account_id FROM tickets"
    ).fetchall() == [
        ("SD-1", utc("2026-03-05T09:15"), utc("2026-03-06T09:45"), "Tier 1", "Portal", "Get IT help", "Acme"),
        (
            "SD-2",
            utc("2026-03-05T13:30"),
            utc("2026-03-07T15:30"),
            "Tier 2",
            "Hardware",
            "Request new hardware",
            "Globex",
        ),
        ("SD-3", utc("2026-03-06T08:00"), None, "Tier 1", "Network", "Report a problem", "Acme"),
    ]
    assert db.execute('SELECT ticket_id, "at", score, scale_max FROM surveys').fetchall() == [
        ("SD-1", utc("2026-03-06T11:00"), 5.0, 5.0),
        ("SD-2", utc("2026-03-07T17:00"), 2.0, 5.0),
    ]


def test_salesforce_cases_and_history(tmp_path: Path) -> None:
    report, db = imported(
        tmp_path, "salesforce-service-cloud", "salesforce/Case.csv", "salesforce/CaseHistory.csv"
    )
    assert counts(report) == {"ticket_events": 10, "tickets": 2}
    assert [(file.file, file.source) for file in report.files] == [
        ("CaseHistory.csv", "history"),
        ("Case.csv", "cases"),
    ]
    assert db.execute(
        "SELECT id, account_id, created_at, resolved_at, channel, product FROM tickets"
    ).fetchall() == [
        ("500A1", "001X1", utc("2026-03-02T08:00"), utc("2026-03-04T12:00"), "email", "GC1040"),
        ("500A2", "001X2", utc("2026-03-05T09:30"), None, "web", "GC5060"),
    ]
    # owner changes count once (the id row, not the name row); leaving Closed is a reopen
    assert db.execute(
        "SELECT kind, agent_id, status FROM ticket_events WHERE ticket_id = '500A1' AND kind <> 'status'"
    ).fetchall() == [
        ("assigned", "005U1", None),
        ("assigned", "00GQ2", None),
        ("escalated", None, None),
        ("reopened", None, None),
    ]


def test_salesforce_cases_alone(tmp_path: Path) -> None:
    report, _ = imported(tmp_path, "salesforce-service-cloud", "salesforce/Case.csv")
    assert counts(report) == {"tickets": 2}


@pytest.mark.parametrize(
    ("preset", "sample", "ticket", "created"),
    [
        ("zendesk", "zendesk/tickets.csv", "103", "2026-03-07T07:15"),
        ("servicenow", "servicenow/incident.csv", "INC0010003", "2026-03-04T09:00"),
        ("jira-service-management", "jira/export.csv", "SD-3", "2026-03-06T07:00"),
    ],
)
def test_local_times_are_read_in_the_zone_given(
    tmp_path: Path, preset: str, sample: str, ticket: str, created: str
) -> None:
    import_sources([SAMPLES / sample], tmp_path / "org", load_preset(preset), time_zone="Europe/Berlin")
    db = open_store(tmp_path / "org").cursor()
    assert db.execute("SELECT created_at FROM tickets WHERE id = ?", [ticket]).fetchall() == [(utc(created),)]
