"""The scorecard's memory cap and spill folder reach the engine from the settings, in the CLI's store and in
the served Advisor's."""

from __future__ import annotations

from pathlib import Path

from advisor.metrics_engine import open_metrics_store
from advisor.service import Advisor
from advisor.settings import Settings
from metrics.store import OrganisationStore
from tests.metrics.tables import ticket, write_tables


def _settings(tmp_path: Path, folder: Path) -> Settings:
    return Settings(
        data_dir=folder,
        database_url=f"sqlite:///{tmp_path / 'app.db'}",
        metrics_memory_bytes=256 * 2**20,
        metrics_spill_dir=tmp_path / "spill",
    )


def _limits(store: OrganisationStore) -> tuple[str, str]:
    with store.cursor() as cursor:
        row = cursor.execute(
            "SELECT current_setting('memory_limit'), current_setting('temp_directory')"
        ).fetchone()
    assert row is not None
    return str(row[0]), str(row[1])


def test_the_settings_cap_the_clis_and_the_servers_store(tmp_path: Path) -> None:
    folder = write_tables(tmp_path / "org", {"tickets": [ticket("T1", "2026-01-05T10:00:00Z")]})
    settings = _settings(tmp_path, folder)
    store = open_metrics_store(settings, folder)
    assert isinstance(store, OrganisationStore)
    try:
        assert _limits(store) == ("256.0 MiB", str(tmp_path / "spill"))
    finally:
        store.close()
    # only the store's wiring is under test here: no index, recommendations or conversations are needed
    advisor = Advisor(
        data_dir=folder,
        index=None,  # type: ignore[arg-type]
        practices=[],
        recommendations=None,  # type: ignore[arg-type]
        conversations=None,  # type: ignore[arg-type]
        metrics_memory_bytes=settings.metrics_memory_bytes,
        metrics_spill_dir=settings.metrics_spill_dir,
    )
    assert _limits(advisor.store()) == ("256.0 MiB", str(tmp_path / "spill"))
