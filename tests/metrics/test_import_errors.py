"""Bad input: every unusable row is named by file, line and column; usable rows are imported; a failed import
leaves the data folder as it was."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import duckdb
import pytest

from metrics.errors import InvalidInputData
from metrics.importers import ImportReport, InvalidMapping, import_sources, parse_mapping
from tests.metrics.import_helpers import import_files

MAPPING = """
name: test
sources:
  tickets: {match: "tickets*"}
  events: {match: "events*", optional: true}
tables:
  tickets:
    from: tickets
    columns:
      id: Ticket
      created_at: Opened
      resolved_at: Solved
      team: Team
  ticket_events:
    from: events
    columns:
      ticket_id: Ticket
      at: When
      kind: {column: What, values: {Reply: agent_message, Question: customer_message}}
"""
HEADER = "Ticket,Opened,Solved,Team\n"
GOOD = HEADER + "T1,2026-03-01T08:00:00Z,2026-03-01T09:00:00Z,Ops\n"


def run(
    tmp_path: Path, files: dict[str, bytes | str], mapping: str = MAPPING, **options: object
) -> ImportReport:
    return import_files(tmp_path, files, mapping, **options)


def ids(tmp_path: Path, table: str = "tickets") -> list[str]:
    with duckdb.connect() as connection:
        query = "SELECT * FROM read_parquet(?)"
        found = connection.execute(query, [str(tmp_path / "org" / f"{table}.parquet")]).fetchall()
    return [str(row[0]) for row in found]


def problems(tmp_path: Path, severity: str = "rejected") -> list[tuple[str, str, str, str]]:
    with (tmp_path / "org" / "rejects.csv").open(encoding="utf-8", newline="") as handle:
        return [
            (row["file"], row["line"], row["column"], row["reason"])
            for row in csv.DictReader(handle)
            if row["severity"] == severity
        ]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (the kept versions included) and its bytes."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def test_dates_that_do_not_parse(tmp_path: Path) -> None:
    # a bad required value rejects the row; a bad optional one is emptied with a warning, the row stays
    report = run(tmp_path, {"tickets.csv": GOOD + "T2,31/02/2024,,Ops\nT3,2026-03-02T08:00:00Z,soon,Ops\n"})
    assert ids(tmp_path) == ["T1", "T3"]
    assert problems(tmp_path) == [
        ("tickets.csv", "3", "Opened", "'31/02/2024' is not an ISO-8601 date and time"),
    ]
    assert problems(tmp_path, "warning") == [
        ("tickets.csv", "4", "Solved", "'soon' is not an ISO-8601 date and time: left empty"),
    ]
    assert (report.rejects, report.warnings, report.tickets_without_rows) == (1, 1, 1)
    assert [(file.rows, file.rejected) for file in report.files] == [(3, 1)]


def test_a_date_in_another_format_names_the_format(tmp_path: Path) -> None:
    mapping = MAPPING.replace("created_at: Opened", 'created_at: {column: Opened, format: "%d.%m.%Y %H:%M"}')
    run(tmp_path, {"tickets.csv": HEADER + "T1,01.03.2026 08:00,,Ops\nT2,2026-03-01,,Ops\n"}, mapping)
    assert ids(tmp_path) == ["T1"]
    assert problems(tmp_path)[0][1:] == (
        "3",
        "Opened",
        "'2026-03-01' is not a date and time in the format %d.%m.%Y %H:%M",
    )


def test_negative_durations(tmp_path: Path) -> None:
    # the end (optional) is emptied with a warning; the ticket stays
    run(tmp_path, {"tickets.csv": GOOD + "T2,2026-03-05T08:00:00Z,2026-03-04T08:00:00Z,Ops\n"})
    assert ids(tmp_path) == ["T1", "T2"]
    with duckdb.connect() as connection:
        resolved = connection.execute(
            "SELECT id, resolved_at IS NULL FROM read_parquet(?) ORDER BY id",
            [str(tmp_path / "org" / "tickets.parquet")],
        ).fetchall()
    assert resolved == [("T1", False), ("T2", True)]
    assert problems(tmp_path) == []
    assert problems(tmp_path, "warning") == [
        (
            "tickets.csv",
            "3",
            "Solved",
            "'2026-03-04T08:00:00Z' (resolved_at) is before created_at '2026-03-05T08:00:00Z': a negative "
            "duration: left empty",
        )
    ]


def test_unknown_event_kinds(tmp_path: Path) -> None:
    events = "Ticket,When,What\nT1,2026-03-01T08:10:00Z,Question\nT1,2026-03-01T08:20:00Z,Chatted\nT1,2026-03-01T08:30:00Z,reply\n"
    run(tmp_path, {"tickets.csv": GOOD, "events.csv": events})
    with duckdb.connect() as connection:
        kinds = connection.execute(
            "SELECT kind FROM read_parquet(?)", [str(tmp_path / "org" / "ticket_events.parquet")]
        )
        assert kinds.fetchall() == [("customer_message",), ("agent_message",)]
    assert problems(tmp_path) == [
        (
            "events.csv",
            "3",
            "What",
            "unknown event kind 'Chatted' (expected one of: assigned, customer_message, agent_message, status, "
            "reopened, escalated, article_linked, article_created)",
        )
    ]


def test_duplicate_ids_keep_the_first(tmp_path: Path) -> None:
    second = HEADER + "T1,2026-03-09T08:00:00Z,,Billing\nT2,2026-03-09T08:00:00Z,,Billing\n"
    run(tmp_path, {"tickets-1.csv": GOOD + "T1,2026-03-02T08:00:00Z,,Ops\n", "tickets-2.csv": second})
    assert ids(tmp_path) == ["T1", "T2"]
    assert problems(tmp_path) == [
        ("tickets-1.csv", "3", "Ticket", "duplicate id 'T1' (first on line 2)"),
        ("tickets-2.csv", "2", "Ticket", "duplicate id 'T1' (first on line 2 of tickets-1.csv)"),
    ]


def test_missing_values_of_required_columns(tmp_path: Path) -> None:
    run(tmp_path, {"tickets.csv": GOOD + ",2026-03-02T08:00:00Z,,Ops\n"})
    assert problems(tmp_path) == [("tickets.csv", "3", "Ticket", "empty, but tickets.id is required")]


def test_a_file_without_a_required_column_is_rejected_and_the_others_imported(tmp_path: Path) -> None:
    report = run(tmp_path, {"tickets-1.csv": GOOD, "tickets-2.csv": "Ticket,Team\nT9,Ops\n"})
    assert ids(tmp_path) == ["T1"]
    [(file, line, column, reason)] = problems(tmp_path)
    assert (file, line, column) == ("tickets-2.csv", "1", "Opened")
    assert reason == "column 'Opened' is missing (needed for tickets); the file has: Ticket, Team"
    assert report.rejects == 1


def test_a_missing_optional_column_is_left_empty_with_a_note(tmp_path: Path) -> None:
    report = run(tmp_path, {"tickets.csv": "Ticket,Opened\nT1,2026-03-01T08:00:00Z\n"})
    assert ids(tmp_path) == ["T1"]
    assert report.notices == ["tickets.csv: no column 'Solved', 'Team': left empty in tickets"]


def test_empty_files_and_files_with_only_a_header(tmp_path: Path) -> None:
    report = run(tmp_path, {"tickets-1.csv": GOOD, "tickets-2.csv": "", "tickets-3.csv": HEADER})
    assert ids(tmp_path) == ["T1"]
    assert problems(tmp_path) == [
        ("tickets-2.csv", "", "", "the file is empty"),
        ("tickets-3.csv", "1", "", "the file has no rows"),
    ]
    assert [(file.file, file.rows) for file in report.files] == [
        ("tickets-1.csv", 1),
        ("tickets-2.csv", 0),
        ("tickets-3.csv", 0),
    ]


def test_files_over_the_size_limit(tmp_path: Path) -> None:
    big = GOOD + "".join(f"B{number},2026-03-01T08:00:00Z,,Ops\n" for number in range(20))
    run(tmp_path, {"tickets-1.csv": GOOD, "tickets-2.csv": big}, max_file_bytes=len(GOOD) + 10)
    assert ids(tmp_path) == ["T1"]
    [(file, line, _, reason)] = problems(tmp_path)
    assert file == "tickets-2.csv" and line == "" and "over the import limit of" in reason


def test_nothing_usable_fails_and_keeps_the_folder(tmp_path: Path) -> None:
    run(tmp_path, {"tickets.csv": GOOD})
    before = snapshot(tmp_path / "org")
    with pytest.raises(
        InvalidInputData, match=r"no usable rows for tickets, the data folder is unchanged.*line 2"
    ):
        run(tmp_path, {"tickets.csv": HEADER + "T5,yesterday,,Ops\n"})
    assert snapshot(tmp_path / "org") == before
    with pytest.raises(InvalidInputData, match=r"nothing could be imported.*the file is empty"):
        run(tmp_path, {"tickets.csv": ""})
    assert snapshot(tmp_path / "org") == before
    assert {path.name for path in tmp_path.iterdir()} == {"exports", "org"}


def test_a_failure_while_writing_keeps_the_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from metrics.importers import pipeline

    run(tmp_path, {"tickets.csv": GOOD})
    before = snapshot(tmp_path / "org")

    def broken_store(folder: Path, **_: object) -> None:
        raise InvalidInputData(f"{folder}: disk trouble")

    monkeypatch.setattr(pipeline, "open_store", broken_store)
    with pytest.raises(InvalidInputData, match="disk trouble"):
        run(tmp_path, {"tickets.csv": GOOD + "T2,2026-03-02T08:00:00Z,,Ops\n"})
    assert snapshot(tmp_path / "org") == before
    assert {path.name for path in tmp_path.iterdir()} == {"exports", "org"}


def test_a_failed_swap_puts_the_old_folder_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from metrics.importers import writing

    run(tmp_path, {"tickets.csv": GOOD})
    before = snapshot(tmp_path / "org")
    calls: list[tuple[str, str]] = []
    real_replace = os.replace

    def flaky_replace(source: str | os.PathLike[str], target: str | os.PathLike[str]) -> None:
        calls.append((str(source), str(target)))
        if len(calls) == 2:
            raise OSError("the disk went away")
        real_replace(source, target)

    monkeypatch.setattr(writing.os, "replace", flaky_replace)
    with pytest.raises(OSError, match="went away"):
        run(tmp_path, {"tickets.csv": GOOD + "T2,2026-03-02T08:00:00Z,,Ops\n"})
    assert snapshot(tmp_path / "org") == before
    assert {path.name for path in tmp_path.iterdir()} == {"exports", "org"}


def test_importing_twice_gives_the_same_folder(tmp_path: Path) -> None:
    files = {
        "tickets.csv": GOOD + "T2,bad,,Ops\n",
        "events.csv": "Ticket,When,What\nT1,2026-03-01T08:10:00Z,Reply\n",
    }
    first = run(tmp_path, files)
    tables = {name: ids(tmp_path, name) for name in ("tickets", "ticket_events")}
    rejected = (tmp_path / "org" / "rejects.csv").read_bytes()
    second = run(tmp_path, files)
    assert {name: ids(tmp_path, name) for name in ("tickets", "ticket_events")} == tables
    assert (tmp_path / "org" / "rejects.csv").read_bytes() == rejected
    assert first.model_dump(exclude={"into", "changes", "version"}) == second.model_dump(
        exclude={"into", "changes", "version"}
    )
    # the second import merges into the first: every row is there already, unchanged
    assert [(c.table, c.before, c.after, c.unchanged, c.action) for c in second.changes] == [
        ("ticket_events", 1, 1, 1, "merged"),
        ("tickets", 1, 1, 1, "merged"),
    ]
    # hidden files are the store's caches (`.tickets.parquet.keys`)
    assert sorted(path.name for path in (tmp_path / "org").iterdir() if not path.name.startswith(".")) == [
        "rejects.csv",
        "ticket_events.parquet",
        "tickets.parquet",
        "versions",  # each import is kept as a version
    ]
    assert len(list((tmp_path / "org" / "versions").iterdir())) == 2


def test_other_files_in_the_folder_stay_and_old_copies_of_a_table_go(tmp_path: Path) -> None:
    org = tmp_path / "org"
    org.mkdir()
    (org / "surveys.csv").write_text("id,kind,at,score,scale_max\nS1,csat,2026-03-01T08:00:00Z,5,5\n")
    (org / "tickets.csv").write_text("id,created_at\nOLD,2026-01-01T08:00:00Z\n")
    (org / "notes").mkdir()
    (org / "notes" / "readme.txt").write_text("ours")
    run(tmp_path, {"tickets.csv": GOOD})
    assert sorted(path.name for path in org.iterdir() if not path.name.startswith(".")) == [
        "notes",
        "rejects.csv",
        "surveys.csv",
        "tickets.parquet",
        "versions",
    ]
    assert (org / "notes" / "readme.txt").read_text() == "ours"
    # the old ticket is merged into the new table (issue 10: uploads never destroy); its CSV copy is kept
    # in the import's version, not in the folder
    assert ids(tmp_path) == ["OLD", "T1"]
    [version] = (org / "versions").iterdir()
    assert sorted(path.name for path in version.iterdir() if not path.name.startswith(".")) == [
        "manifest.json",
        "tickets.csv",
    ]


def test_files_that_match_no_source_or_do_not_exist(tmp_path: Path) -> None:
    with pytest.raises(
        InvalidInputData, match=r"notes.csv matches no source of mapping 'test' \(tickets: tickets\*"
    ):
        run(tmp_path, {"notes.csv": GOOD})
    with pytest.raises(InvalidInputData, match=r"source file .*missing\.csv does not exist"):
        import_sources([tmp_path / "missing.csv"], tmp_path / "org", parse_mapping(MAPPING, "test.yaml"))
    with pytest.raises(InvalidInputData, match="no file for source 'tickets'"):
        run(tmp_path, {"events.csv": "Ticket,When,What\n"})
    assert not (tmp_path / "org").exists()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("tables:\n  tickets:", "tables:\n  tockets:"), "tables.tockets: not a canonical table"),
        (("team: Team", "mood: Team"), r"tables.tickets.columns: \['mood'\] not in tickets"),
        (("      id: Ticket\n", ""), r"required column\(s\) \['id'\] are not mapped"),
        (("Question: customer_message", "Question: complaint"), r"\['complaint'\] not in \['assigned'"),
        (("from: events", "from: logs"), "`from: logs` names no source"),
        (
            ('match: "tickets*"}', 'match: "tickets*", time_zone: Mars/Olympus}'),
            "unknown time zone 'Mars/Olympus'",
        ),
        (
            ("created_at: Opened", "created_at: {column: Opened, constant: x}"),
            "exactly one of `column` or `constant`",
        ),
        (("created_at: Opened", "created_at: {column: Opened, format: '%Q'}"), "format '%Q'"),
        (("name: test", "name: test\nsurprise: 1"), "surprise: Extra inputs are not permitted"),
        (("sources:", "sources: [\n"), r"test.yaml line \d+, column \d+: not valid YAML"),
    ],
)
def test_mapping_errors_say_where(change: tuple[str, str], message: str) -> None:
    with pytest.raises(InvalidMapping, match=message):
        parse_mapping(MAPPING.replace(*change), "test.yaml")
