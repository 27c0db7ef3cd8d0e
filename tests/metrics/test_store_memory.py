"""The store's engine memory cap and spill folder (settings `metrics_memory_bytes`, `metrics_spill_dir`)."""

from __future__ import annotations

from pathlib import Path

from metrics.store import open_store
from tests.metrics.tables import ticket, write_tables


def test_a_capped_store_spills_to_its_folder(tmp_path: Path) -> None:
    folder = write_tables(tmp_path / "org", {"tickets": [ticket("T1", "2026-01-05T10:00:00Z")]})
    store = open_store(folder, memory_bytes=512 * 2**20, spill_dir=tmp_path / "spill")
    try:
        with store.cursor() as cursor:
            limit, spill = cursor.execute(
                "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
            ).fetchone() or (None, None)
        assert limit == "512.0 MiB"
        assert spill == str(tmp_path / "spill") and (tmp_path / "spill").is_dir()
    finally:
        store.close()


def test_an_uncapped_store_keeps_the_engine_default(tmp_path: Path) -> None:
    folder = write_tables(tmp_path / "org", {"tickets": [ticket("T1", "2026-01-05T10:00:00Z")]})
    store = open_store(folder)
    try:
        with store.cursor() as cursor:
            limit = cursor.execute("SELECT current_setting('memory_limit')").fetchone()
        assert limit is not None and limit[0] != "512.0 MiB"
    finally:
        store.close()
