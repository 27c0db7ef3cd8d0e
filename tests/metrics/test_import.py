"""Importing exports: delimiters, encodings, byte-order marks, gzip, zip, Parquet and JSON lines."""

from __future__ import annotations

import csv
import gzip
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from metrics.importers import ImportReport, import_sources, parse_mapping
from tests.metrics.import_helpers import import_files

MAPPING = """
name: test
sources:
  tickets:
    time_zone: Europe/Rome
tables:
  tickets:
    from: tickets
    columns:
      id: Ticket
      created_at: Opened
      resolved_at: Solved
      team: Team
"""
HEADER = "Ticket,Opened,Solved,Team\n"


def run(
    tmp_path: Path, files: dict[str, bytes | str], mapping: str = MAPPING, **options: object
) -> ImportReport:
    return import_files(tmp_path, files, mapping, **options)


def rows(tmp_path: Path, table: str, columns: str = "*") -> list[tuple[object, ...]]:
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'UTC'")
        return connection.execute(
            f"SELECT {columns} FROM read_parquet(?)", [str(tmp_path / "org" / f"{table}.parquet")]
        ).fetchall()


def rejects(tmp_path: Path) -> list[dict[str, str]]:
    with (tmp_path / "org" / "rejects.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_semicolons_and_a_byte_order_mark(tmp_path: Path) -> None:
    text = "\ufeffTicket;Opened;Solved;Team\nT1;2026-03-01T08:00:00+01:00;2026-03-01 10:30:00 +0100;Billing\n"
    report = run(tmp_path, {"tickets.csv": text})
    assert [(count.table, count.rows) for count in report.tables] == [("tickets", 1)]
    assert rows(tmp_path, "tickets", "id, created_at, resolved_at, team") == [
        ("T1", utc("2026-03-01T07:00:00"), utc("2026-03-01T09:30:00"), "Billing")
    ]
    assert report.rejects == 0 and rejects(tmp_path) == []


def test_times_without_an_offset_are_read_in_the_source_zone(tmp_path: Path) -> None:
    text = HEADER + "T1,2026-03-01 08:00:00,2026-07-01 08:00,Billing\n"
    run(tmp_path, {"tickets.csv": text})
    # Rome is UTC+1 in winter and UTC+2 in summer
    assert rows(tmp_path, "tickets", "created_at, resolved_at") == [
        (utc("2026-03-01T07:00:00"), utc("2026-07-01T06:00:00"))
    ]
    run(tmp_path, {"tickets.csv": text}, time_zone="America/New_York")
    assert rows(tmp_path, "tickets", "created_at") == [(utc("2026-03-01T13:00:00"),)]


def test_a_windows_1252_export_is_detected_and_read(tmp_path: Path) -> None:
    lines = [HEADER.strip()] + [
        f"T{number},2026-03-0{number}T08:00:00Z,,{team}"
        for number, team in enumerate(
            ["Équipe Zürich", "Facturación", "Kundendienst Köln", "Crème – à part"], 1
        )
    ]
    report = run(tmp_path, {"tickets.csv": "\r\n".join(lines).encode("cp1252")})
    assert [team for (team,) in rows(tmp_path, "tickets", "team")] == [
        "Équipe Zürich",
        "Facturación",
        "Kundendienst Köln",
        "Crème – à part",
    ]
    assert report.notices == ["tickets.csv: read as cp1252 (detected)"]


def test_a_utf16_export_is_read(tmp_path: Path) -> None:
    text = HEADER + "T1,2026-03-01T08:00:00Z,,Straße\n"
    run(tmp_path, {"tickets.csv": text.encode("utf-16")})
    assert rows(tmp_path, "tickets", "id, team") == [("T1", "Straße")]


def test_a_declared_encoding_is_used(tmp_path: Path) -> None:
    mapping = MAPPING.replace("    time_zone: Europe/Rome", "    encoding: latin-1")
    report = run(
        tmp_path, {"tickets.csv": (HEADER + "T1,2026-03-01T08:00:00Z,,Café\n").encode("latin-1")}, mapping
    )
    assert rows(tmp_path, "tickets", "team") == [("Café",)]
    assert report.notices == ["tickets.csv: read as latin-1"]


def test_broken_utf8_rejects_the_row_with_line_and_column(tmp_path: Path) -> None:
    good = HEADER + "T1,2026-03-01T08:00:00Z,,Café\n"
    broken = b"T2,2026-03-02T08:00:00Z,,Caf\xe9\n"
    report = run(tmp_path, {"tickets.csv": good.encode() + broken + b"T3,2026-03-03T08:00:00Z,,Ops\n"})
    assert [ticket for (ticket,) in rows(tmp_path, "tickets", "id")] == ["T1", "T3"]
    [problem] = rejects(tmp_path)
    assert (problem["file"], problem["line"], problem["column"]) == ("tickets.csv", "3", "Team")
    assert "invalid encoding" in problem["reason"] and "utf-8" in problem["reason"]
    assert [(file.rows, file.rejected) for file in report.files] == [(3, 1)]


def test_lines_stay_right_after_a_malformed_row(tmp_path: Path) -> None:
    text = (
        HEADER
        + "T1,2026-03-01T08:00:00Z,,Ops\n"
        + "T2,2026-03-02T08:00:00Z,,Ops,unexpected\n"
        + 'T3,2026-03-03T08:00:00Z,,"Ops"\n'
        + "T4,31/02/2024,,Ops\n"
    )
    run(tmp_path, {"tickets.csv": text})
    assert [(problem["line"], problem["column"]) for problem in rejects(tmp_path)] == [
        ("3", ""),
        ("5", "Opened"),
    ]
    assert "too many columns" in rejects(tmp_path)[0]["reason"]


def test_gzip_parquet_and_json_lines(tmp_path: Path) -> None:
    gzipped = gzip.compress((HEADER + "G1,2026-03-01T08:00:00Z,,Ops\n").encode())
    table = pa.table(
        {
            "Ticket": ["P1", "P2"],
            "Opened": pa.array(
                [datetime(2026, 3, 1, 8, tzinfo=UTC), datetime(2026, 3, 2, 9, tzinfo=UTC)],
                pa.timestamp("us", tz="UTC"),
            ),
            "Solved": [None, "2026-03-02T10:00:00Z"],
            "Team": ["Ops", None],
        }
    )
    pq.write_table(table, tmp_path / "tickets.parquet")
    json_lines = (
        '{"Ticket": "J1", "Opened": "2026-03-01T08:00:00Z", "Team": "Ops"}\n'
        "\n"
        "not json\n"
        '["J2"]\n'
        '{"Ticket": "J3", "Opened": "2026-03-03T08:00:00Z", "Solved": null, "Extra": {"nested": 1}}\n'
    )
    report = run(
        tmp_path,
        {
            "tickets.csv.gz": gzipped,
            "tickets.parquet": (tmp_path / "tickets.parquet").read_bytes(),
            "tickets.jsonl": json_lines,
        },
    )
    assert rows(tmp_path, "tickets", "id, created_at, team") == [
        ("G1", utc("2026-03-01T08:00:00"), "Ops"),
        ("J1", utc("2026-03-01T08:00:00"), "Ops"),
        ("J3", utc("2026-03-03T08:00:00"), None),
        ("P1", utc("2026-03-01T08:00:00"), "Ops"),
        ("P2", utc("2026-03-02T09:00:00"), None),
    ]
    assert [(problem["file"], problem["line"], problem["reason"]) for problem in rejects(tmp_path)] == [
        ("tickets.jsonl", "3", "not valid JSON"),
        ("tickets.jsonl", "4", "not a JSON object"),
    ]
    assert {file.file: (file.rows, file.rejected) for file in report.files} == {
        "tickets.csv.gz": (1, 0),
        "tickets.parquet": (2, 0),
        "tickets.jsonl": (4, 2),
    }


def test_a_zip_archive_member_is_read(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("export/tickets.csv", HEADER + "Z1,2026-03-01T08:00:00Z,,Ops\n")
        handle.writestr("export/notes.csv", "Ticket,Note\nZ1,ignored\n")
        handle.writestr("__MACOSX/export/._tickets.csv", b"\x00\x05\x16\x07")
    mapping = MAPPING.replace("    time_zone: Europe/Rome", '    member: "*/tickets.csv"')
    report = run(tmp_path, {"export.zip": archive.read_bytes()}, mapping)
    assert rows(tmp_path, "tickets", "id") == [("Z1",)]
    assert [file.file for file in report.files] == ["export.zip/export/tickets.csv"]


def test_named_sources_and_several_files_per_source(tmp_path: Path) -> None:
    mapping = """
name: two sources
sources:
  tickets: {match: "tickets*"}
  events: {match: "events*"}
tables:
  tickets:
    from: tickets
    columns: {id: Ticket, created_at: Opened}
  ticket_events:
    from: events
    columns:
      ticket_id: Ticket
      at: When
      kind: {column: What, values: {Reply: agent_message, Question: customer_message, Moved: assigned}}
      team: Team
"""
    exports = tmp_path / "exports"
    exports.mkdir()
    (exports / "tickets-march.csv").write_text("Ticket,Opened\nT1,2026-03-01T08:00:00Z\n")
    (exports / "tickets-april.csv").write_text("Ticket,Opened\nT2,2026-04-01T08:00:00Z\n")
    (exports / "log.csv").write_text("Ticket,When,What,Team\nT1,2026-03-01T09:00:00Z,Question,\n")
    (exports / "more.csv").write_text("Ticket,When,What,Team\nT1,2026-03-01T10:00:00Z,reply,Ops\n")
    sources = [exports / "tickets-march.csv", exports / "tickets-april.csv", f"events={exports / 'log.csv'}"]
    sources.append(f"events={exports / 'more.csv'}")
    import_sources(sources, tmp_path / "org", parse_mapping(mapping, "two.yaml"))
    assert rows(tmp_path, "tickets", "id") == [("T1",), ("T2",)]
    assert rows(tmp_path, "ticket_events", "kind, team") == [
        ("customer_message", None),
        ("agent_message", "Ops"),
    ]


def test_the_store_loads_what_was_imported(tmp_path: Path) -> None:
    from metrics.store import open_store

    run(tmp_path, {"tickets.csv": HEADER + "T1,2026-03-01T08:00:00Z,2026-03-01T09:00:00Z,Ops\n"})
    store = open_store(tmp_path / "org")
    assert store.tables == frozenset({"tickets"}) and store.warnings == []
    assert store.cursor().execute("SELECT epoch(resolved_at - created_at) FROM tickets").fetchall() == [
        (3600.0,)
    ]


@pytest.mark.parametrize("column_case", ["ticket", " TICKET "])
def test_column_names_match_ignoring_case_and_spaces(tmp_path: Path, column_case: str) -> None:
    run(tmp_path, {"tickets.csv": f"{column_case},Opened,Solved,Team\nT1,2026-03-01T08:00:00Z,,Ops\n"})
    assert rows(tmp_path, "tickets", "id") == [("T1",)]


def test_a_declared_delimiter_is_used(tmp_path: Path) -> None:
    mapping = MAPPING.replace("    time_zone: Europe/Rome", '    delimiter: "|"')
    run(
        tmp_path,
        {"tickets.csv": "Ticket|Opened|Solved|Team\nT1|2026-03-01T08:00:00Z||Ops, Billing\n"},
        mapping,
    )
    assert rows(tmp_path, "tickets", "id, team") == [("T1", "Ops, Billing")]


def test_the_mapping_examples_in_the_docs_are_valid() -> None:
    import re

    docs = Path(__file__).resolve().parents[2] / "docs" / "importing.md"
    first, second = re.findall(r"```yaml\n(.*?)```", docs.read_text(encoding="utf-8"), re.DOTALL)
    assert parse_mapping(first, "docs example").produced_tables() == ["tickets"]
    with_sources = "name: log example\nsources: {log: {}}\n" + second
    assert parse_mapping(with_sources, "docs example").produced_tables() == ["ticket_events", "tickets"]
