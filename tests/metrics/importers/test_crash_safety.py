"""An import killed at any point leaves the old or the new folder, complete; the next import repairs what was
left and never drops the tables it does not fill."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from metrics.folders import folder_lock, work_folders
from metrics.importers import import_sources, parse_mapping
from metrics.store import open_store

ROOT = Path(__file__).resolve().parents[3]
BOTH = """
name: both
sources:
  tickets: {match: ["tickets*.csv"]}
  surveys: {match: ["surveys*.csv"]}
tables:
  tickets: {from: tickets, columns: {id: Ticket, created_at: Opened, team: Team}}
  surveys:
    from: surveys
    columns: {id: Id, kind: {constant: csat}, at: At, score: Score, scale_max: {constant: 5}}
"""
TICKETS_ONLY = """
name: tickets
sources:
  tickets: {match: ["tickets*.csv"]}
tables:
  tickets: {from: tickets, columns: {id: Ticket, created_at: Opened, team: Team}}
"""
#: The child: an import that, with a rename number, kills itself with SIGKILL just before (or, negative,
#: just after) that call of os.replace; the swap's renames are the first two.
CHILD = """
import os, signal, sys
from pathlib import Path
from metrics.importers import import_sources, parse_mapping
into, export, mapping, point = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
real, calls = os.replace, []
def replace(source, target):
    calls.append(source)
    if len(calls) == point:
        os.kill(os.getpid(), signal.SIGKILL)
    real(source, target)
    if len(calls) == -point:
        os.kill(os.getpid(), signal.SIGKILL)
os.replace = replace
import_sources([export], into, parse_mapping(Path(mapping).read_text(), "m.yaml"))
"""


def _write(path: Path, header: str, rows: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + "".join(rows), encoding="utf-8")
    return path


def _state(folder: Path) -> tuple[int, int, int, int]:
    """Tickets, distinct ticket ids, surveys and distinct survey ids, as the scorecard loads them."""
    store = open_store(folder)
    try:
        cursor = store.cursor()
        tickets = cursor.execute("SELECT count(*), count(DISTINCT id) FROM tickets").fetchone()
        surveys = cursor.execute("SELECT count(*), count(DISTINCT id) FROM surveys").fetchone()
    finally:
        store.close()
    assert tickets is not None and surveys is not None
    return int(tickets[0]), int(tickets[1]), int(surveys[0]), int(surveys[1])


@pytest.fixture
def exports(tmp_path: Path) -> dict[str, Path]:
    day = "2026-03-{:02d}T08:00:00Z"
    ticket_rows = [f"T{n},{day.format(n % 28 + 1)},Ops\n" for n in range(1, 20001)]
    later = [f"T{n},{day.format(n % 28 + 1)},Billing\n" for n in range(10001, 30001)]
    survey_rows = [f"S{n},{day.format(n % 28 + 1)},{n % 5 + 1}\n" for n in range(1, 501)]
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    (mappings / "both.yaml").write_text(BOTH, encoding="utf-8")
    (mappings / "tickets.yaml").write_text(TICKETS_ONLY, encoding="utf-8")
    return {
        "tickets": _write(tmp_path / "exports" / "tickets-1.csv", "Ticket,Opened,Team\n", ticket_rows),
        "surveys": _write(tmp_path / "exports" / "surveys-1.csv", "Id,At,Score\n", survey_rows),
        "new tickets": _write(tmp_path / "exports" / "tickets-2.csv", "Ticket,Opened,Team\n", later),
        "mapping": mappings / "tickets.yaml",
        "both": mappings / "both.yaml",
    }


def _child(into: Path, exports: dict[str, Path], point: int) -> subprocess.Popen[bytes]:
    arguments = [str(into), str(exports["new tickets"]), str(exports["mapping"]), str(point)]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, *arguments],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


OLD = (20000, 20000, 500, 500)
NEW = (30000, 30000, 500, 500)


@pytest.mark.slow
def test_an_import_killed_anywhere_leaves_the_old_or_the_new_folder(
    tmp_path: Path, exports: dict[str, Path]
) -> None:
    both = parse_mapping(exports["both"].read_text(), "both.yaml")
    pristine = tmp_path / "pristine" / "org"
    import_sources([exports["tickets"], exports["surveys"]], pristine, both)
    assert _state(pristine) == OLD

    started = time.monotonic()
    full = _child(tmp_path / "timing" / "org", exports, 0)
    assert full.wait(120) == 0, full.stderr.read() if full.stderr else ""
    duration = time.monotonic() - started
    # the swap's renames (killed before the first, between the two, after the second) and random moments
    # over the import's second half and just past its end (its first half is Python starting up)
    rng = random.Random(15)
    plans: list[tuple[str, int, float]] = [("before rename 1", 1, 0), ("between renames", 2, 0)]
    plans += [("after rename 2", -2, 0)]
    moments = sorted(rng.uniform(0.5 * duration, 1.1 * duration) for _ in range(8))
    plans += [(f"at {moment:.2f} s", 0, moment) for moment in moments]
    outcomes: dict[str, tuple[int, int, int, int]] = {}
    for number, (label, point, moment) in enumerate(plans):
        into = tmp_path / f"run{number}" / "org"
        shutil.copytree(pristine, into, copy_function=shutil.copy2)
        child = _child(into, exports, point)
        if moment:
            time.sleep(moment)
            child.send_signal(signal.SIGKILL)
        child.wait(120)
        # a reader first: the scorecard finds the old or the new folder, complete, never none
        outcomes[label] = _state(into)
        assert outcomes[label] in (OLD, NEW), label
        # the next import repairs what was left, keeps the surveys it does not fill, and leaves no work folder
        import_sources([exports["new tickets"]], into, parse_mapping(TICKETS_ONLY, "m.yaml"))
        assert _state(into) == NEW, label
        assert work_folders(into) == [], label
    assert outcomes["before rename 1"] == OLD
    assert outcomes["between renames"] == OLD  # the old folder is put back: the import did not happen
    assert outcomes["after rename 2"] == NEW


def test_a_swap_cut_between_its_renames_is_undone_by_the_next_writer(tmp_path: Path) -> None:
    into = tmp_path / "org"
    into.mkdir()
    (into / "tickets.csv").write_text("id,created_at\nT1,2026-03-01T08:00:00Z\n", encoding="utf-8")
    work = tmp_path / ".org.import-killed"
    (work / "new").mkdir(parents=True)
    os.replace(into, work / "old")  # killed here, before the new folder moved in
    stale = tmp_path / ".org.import-older"
    stale.mkdir()
    with folder_lock(into) as repaired:
        assert (into / "tickets.csv").is_file()
    assert len(repaired) == 3 and repaired[0].startswith("restored org")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["org"]


def test_a_reader_restores_a_folder_cut_mid_swap(tmp_path: Path) -> None:
    into = tmp_path / "org"
    into.mkdir()
    (into / "tickets.csv").write_text("id,created_at\nT1,2026-03-01T08:00:00Z\n", encoding="utf-8")
    work = tmp_path / ".org.import-killed"
    work.mkdir()
    os.replace(into, work / "old")
    store = open_store(into)
    try:
        assert store.cursor().execute("SELECT id FROM tickets").fetchall() == [("T1",)]
    finally:
        store.close()
    assert work_folders(into) == [work]  # a reader repairs only the swap; the next writer removes the rest
