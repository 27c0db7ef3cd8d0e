"""Imports read in bounded memory: the size limit holds for unpacked bytes, DuckDB spills beyond its memory
limit, and the data page runs imports in a child process."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from advisor.import_jobs import ImportProcessDied, in_child_process
from metrics.errors import InvalidInputData
from tests.metrics.import_helpers import import_files

ROOT = Path(__file__).resolve().parents[3]
MAPPING = """
name: test
sources:
  tickets: {match: ["tickets*"]}
tables:
  tickets:
    from: tickets
    columns: {id: Ticket, created_at: Opened, resolved_at: Solved, team: Team}
"""
HEADER = b"Ticket,Opened,Solved,Team\n"
ROW = b"T1,2026-03-01T08:00:00Z,2026-03-01T10:30:00Z,Billing\n"


def _packed(rows: int) -> bytes:
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9) as out:
        out.write(HEADER)
        for _ in range(rows // 100_000):
            out.write(ROW * 100_000)
        out.write(ROW * (rows % 100_000))
    return buffer.getvalue()


def test_a_gzip_file_that_unpacks_past_the_limit_is_refused(tmp_path: Path) -> None:
    packed = _packed(200_000)  # about 11 MB unpacked, 30 KB packed
    assert len(packed) < 100_000
    with pytest.raises(InvalidInputData) as refused:
        import_files(tmp_path, {"tickets.csv.gz": packed}, MAPPING, max_file_bytes=1_000_000)
    assert "tickets.csv.gz: unpacked, the file holds more than 1,000,000 bytes, over the import limit" in str(
        refused.value
    )
    assert "the limit applies to the unpacked bytes too" in str(refused.value)
    assert not (tmp_path / "org").exists()
    assert [path.name for path in tmp_path.iterdir()] == ["exports"]  # no scratch left behind


def test_a_zip_member_that_unpacks_past_the_limit_is_refused(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("tickets.csv", HEADER + ROW * 200_000)
        archive.writestr("small.csv", HEADER + ROW)
    report = import_files(tmp_path, {"tickets.zip": buffer.getvalue()}, MAPPING, max_file_bytes=1_000_000)
    assert [(table.table, table.rows) for table in report.tables] == [("tickets", 1)]
    with (tmp_path / "org" / "rejects.csv").open(encoding="utf-8", newline="") as handle:
        [refused] = list(csv.DictReader(handle))
    assert refused["file"] == "tickets.zip/tickets.csv" and refused["severity"] == "rejected"
    assert "over the import limit of 1,000,000 bytes" in refused["reason"]


def test_a_gzip_file_within_the_limit_is_imported(tmp_path: Path) -> None:
    report = import_files(tmp_path, {"tickets.csv.gz": _packed(3)}, MAPPING)
    assert [(table.table, table.rows) for table in report.tables] == [("tickets", 1)]
    assert report.rejects == 2  # the repeated ids
    assert report.files[0].file == "tickets.csv.gz" and report.files[0].rows == 3


CHILD = """
import json, sys
from pathlib import Path
from metrics.importers import import_sources, parse_mapping
report = import_sources([sys.argv[1]], Path(sys.argv[2]), parse_mapping(sys.argv[3], "m.yaml"),
                        memory_limit_bytes=int(sys.argv[4]))
# VmHWM: this process's own peak (ru_maxrss would carry over the parent's size across fork and exec)
status = Path("/proc/self/status").read_text()
peak = int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) * 1024
print(json.dumps({"rows": report.tables[0].rows, "rejects": report.rejects, "peak": peak}))
"""


@pytest.mark.slow
def test_a_small_highly_compressible_export_is_imported_in_bounded_memory(tmp_path: Path) -> None:
    # 2 million copies of one row: 0.3 MB packed, 108 MB unpacked; before the memory limit such a file took
    # about 2 GB (every row is a duplicate, so every row is also a reject), a 1.5 MB one 11.5 GB; with a
    # limit of 256 MiB the import peaks near 400 MB here
    source = tmp_path / "tickets.csv.gz"
    source.write_bytes(_packed(2_000_000))
    child = subprocess.run(
        [sys.executable, "-c", CHILD, str(source), str(tmp_path / "org"), MAPPING, str(256 * 1024**2)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(child.stdout.strip().splitlines()[-1])
    assert (result["rows"], result["rejects"]) == (1, 1_999_999)
    assert result["peak"] < 768 * 1024**2, result


def test_jobs_run_their_work_in_a_child_process() -> None:
    assert in_child_process(os.getpid) != os.getpid()
    with pytest.raises(InvalidInputData, match="no folder"):
        in_child_process(_fail, "no folder")
    with pytest.raises(ImportProcessDied, match="ended unexpectedly"):
        in_child_process(os._exit, 9)


def _fail(message: str) -> None:
    raise InvalidInputData(message)
