"""Duplicate keys are checked once per file version, not on every open of the data folder (issue 18)."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from metrics import store as store_module
from metrics.errors import InvalidInputData
from metrics.store import open_store


def _write_surveys(folder: Path, ids: list[str]) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "surveys.parquet"
    rows = ", ".join(
        f"('{survey_id}', 'csat', TIMESTAMPTZ '2026-01-0{number + 1} 10:00:00+00', 4.0, 5.0)"
        for number, survey_id in enumerate(ids)
    )
    duckdb.sql(
        f"COPY (SELECT * FROM (VALUES {rows}) v(id, kind, \"at\", score, scale_max)) TO '{path}' (FORMAT parquet)"
    )
    return path


def test_a_checked_file_version_is_not_scanned_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "org"
    path = _write_surveys(folder, ["S1", "S2"])
    open_store(folder).close()
    marker = folder / ".surveys.parquet.keys"
    stat = path.stat()
    assert marker.read_text(encoding="utf-8") == f"unique {stat.st_size} {stat.st_mtime_ns}"
    # Proof that the marker is what a later process goes by: one stamped on a file with a duplicate (which no
    # check would pass) lets it open without a scan, in a process that remembers nothing ...
    path = _write_surveys(folder, ["S1", "S1"])
    stat = path.stat()
    marker.write_text(f"unique {stat.st_size} {stat.st_mtime_ns}", encoding="utf-8")
    monkeypatch.setattr(store_module, "_UNIQUE_KEYS", set())
    open_store(folder).close()
    # ... and the same file once changed (another modification time) is checked again.
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    with pytest.raises(InvalidInputData, match="id 'S1' appears 2 times"):
        open_store(folder)


def test_the_check_works_in_a_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "org"
    _write_surveys(folder, ["S1", "S2"])
    folder.chmod(0o555)
    try:
        open_store(folder).close()
        assert not (folder / ".surveys.parquet.keys").exists() or os.geteuid() == 0
    finally:
        folder.chmod(0o755)
