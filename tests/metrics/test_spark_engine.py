"""The scorecard on Apache Spark (local mode, a real JVM) is the DuckDB scorecard: every value, every window.

Slow: one SparkSession (local[2], UI off, loopback only) is started for the whole run and shared.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

# pyspark comes with the test extra and `.ci/run` installs Java: a missing runtime fails, never skips.
if shutil.which("java") is None:
    pytest.fail("the Spark engine needs a Java runtime (Debian: default-jre-headless)", pytrace=False)

from advisor.metrics_engine import open_metrics_store
from advisor.settings import Settings
from metrics.demo import generate_demo
from metrics.engines.spark_engine import SparkStore, open_spark_store, spark_session
from metrics.models import Period
from metrics.scorecard import compute_scorecard
from metrics.store import open_store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    session = spark_session("local[2]", shuffle_partitions=2)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def medium_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("medium")
    generate_demo(folder, end=date(2026, 11, 1), size="medium")
    return folder


def _values(card: Any) -> dict[str, Any]:
    return {metric.id: metric.value for category in card.categories for metric in category.metrics}


def test_the_medium_demo_scorecard_is_identical_on_spark_and_duckdb(
    spark: Any, medium_dir: Path, tmp_path: Path
) -> None:
    on_duckdb = compute_scorecard(open_store(medium_dir))
    store = open_spark_store(medium_dir, spark, staging_dir=tmp_path / "staged")
    on_spark = compute_scorecard(store)

    assert on_spark.model_dump() == on_duckdb.model_dump()  # values, details, trend months, statuses
    values = _values(on_spark)
    assert sum(value is not None for value in values.values()) >= 20
    assert len(next(m for c in on_spark.categories for m in c.metrics if m.id == "C6").trend) >= 12


def test_a_drilldown_in_another_time_zone_is_identical_too(
    spark: Any, demo_dir: Path, tmp_path: Path
) -> None:
    period = Period.parse("2026-08-01..2026-11-01")
    on_duckdb = compute_scorecard(open_store(demo_dir, time_zone="America/New_York"), period, by="team")
    staged = open_spark_store(demo_dir, spark, time_zone="America/New_York", staging_dir=tmp_path / "staged")
    # The staged folder is canonical Parquet: Spark reads it by URI, as it would a lake on a cluster.
    store = open_spark_store(f"file://{tmp_path / 'staged'}", spark, time_zone="America/New_York")
    assert store.tables == staged.tables
    on_spark = compute_scorecard(store, period, by="team")

    assert on_spark.model_dump() == on_duckdb.model_dump()
    assert any(metric.groups for category in on_spark.categories for metric in category.metrics)


def test_the_setting_picks_spark(spark: Any, settings: Settings, demo_dir: Path) -> None:
    chosen = settings.model_copy(update={"metrics_engine": "spark", "spark_master": "local[2]"})
    assert isinstance(open_metrics_store(chosen, demo_dir), SparkStore)
    assert not isinstance(open_metrics_store(chosen, demo_dir, "duckdb"), SparkStore)


def test_the_scorecard_command_takes_an_engine(spark: Any, demo_dir: Path) -> None:
    from typer.testing import CliRunner

    from advisor.cli import app

    runner = CliRunner()
    answers = [
        runner.invoke(
            app, ["scorecard", str(demo_dir), "--period", "2026-08-01..2026-11-01", "--json", *engine]
        )
        for engine in ([], ["--engine", "spark"])
    ]
    assert [answer.exit_code for answer in answers] == [0, 0], answers[1].output
    assert json.loads(answers[1].stdout) == json.loads(answers[0].stdout)
