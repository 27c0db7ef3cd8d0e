"""Which engine computes the scorecard (settings `metrics_engine`, `spark_master`, `spark_data_uri`).

DuckDB in this process is the default. With Spark, only the scorecard's queries move to the cluster: imports,
the diagnosis and series behind the web pages, the knowledge index and the app database stay on this machine
(docs/engines.md).
"""

from __future__ import annotations

from pathlib import Path

from advisor.settings import Settings
from metrics.engines import EngineName, MetricsStore
from metrics.store import open_store


def open_metrics_store(settings: Settings, data_dir: Path, engine: EngineName | None = None) -> MetricsStore:
    """The organisation's tables for the chosen engine (`engine`, else the setting)."""
    chosen = engine or settings.metrics_engine
    if chosen == "duckdb":
        return open_store(
            data_dir,
            window=settings.date_window(),
            memory_bytes=settings.metrics_memory_bytes,
            spill_dir=settings.metrics_spill_dir,
        )
    from metrics.engines.spark_engine import open_spark_store, spark_session

    location = settings.spark_data_uri or str(data_dir.resolve())
    return open_spark_store(location, spark_session(settings.spark_master), window=settings.date_window())
