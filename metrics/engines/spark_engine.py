"""The distributed engine: the metric SQL on Apache Spark (PySpark), local mode or a cluster.

Spark reads the organisation's canonical Parquet tables where they live (a local folder, or any URI Spark
reads: `hdfs://`, `s3a://`, `abfss://`), types them to the canonical schema and hides implausible times as
the DuckDB store does; every metric query is the same SQL, transpiled by `metrics.engines.portable`. A
folder of CSV files (the demo's, an unimported export) is first checked and typed by the DuckDB store, on
this machine, and staged as Parquet for Spark to read.

PySpark is an optional dependency (`pip install 'ocmf-advisor[spark]'`) and needs a Java runtime (17+).
"""

from __future__ import annotations

import contextlib
import tempfile
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from metrics.engines import Rows, union_time_range
from metrics.engines.portable import split_materialized, to_spark
from metrics.errors import InvalidInputData
from metrics.plausible import DateWindow
from metrics.schema import DUCKDB_TYPES, TABLES, Table

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

#: Where Spark runs when nothing else is said: in this process, on two threads.
DEFAULT_MASTER = "local[2]"


def spark_session(master: str = DEFAULT_MASTER, *, shuffle_partitions: int = 8) -> SparkSession:
    """A Spark session for metrics (the running one when there is one): no web UI, no ANSI errors.

    Spark's ANSI mode (its default since 4.0) raises on a division by zero or a bad cast where DuckDB and
    standard SQL give NULL; the metric SQL relies on NULL there, so it is turned off.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError as error:  # pragma: no cover - depends on the installed extras
        raise InvalidInputData(
            "the Spark engine needs PySpark: pip install 'ocmf-advisor[spark]' (and a Java 17+ runtime)"
        ) from error
    builder: Any = SparkSession.builder
    builder = (
        builder.master(master)
        .appName("ocmf-advisor metrics")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.ansi.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.showConsoleProgress", "false")
    )
    if master.startswith("local"):
        builder = builder.config("spark.driver.host", "127.0.0.1").config(
            "spark.driver.bindAddress", "127.0.0.1"
        )
    session: SparkSession = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


@dataclass
class SparkStore:
    """The canonical tables of one organisation as Spark views. Use `open_spark_store` to make one."""

    location: str
    spark: SparkSession
    time_zone: str
    sources: dict[str, str]
    window: DateWindow = field(default_factory=DateWindow.default)
    #: A temporary folder of staged Parquet this store made (removed with the store).
    staging: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def tables(self) -> frozenset[str]:
        return frozenset(self.sources)

    @contextlib.contextmanager
    def session(self) -> Iterator[SparkMetricsSession]:
        """A session for one scorecard. Its shared tables are views of this store's Spark session, so one
        scorecard runs at a time on a store (Spark spreads each query over the cluster)."""
        with self._lock:
            metrics_session = SparkMetricsSession(self.spark, self.time_zone)
            try:
                yield metrics_session
            finally:
                metrics_session.close()

    def time_range(self) -> tuple[datetime, datetime] | None:
        from metrics.store import activity_columns

        with self.session() as session:
            return union_time_range(session, activity_columns(self.tables))


class SparkMetricsSession:
    """A `MetricsSession` on Spark: portable SQL in, Python values out (times aware, in the org's zone)."""

    def __init__(self, spark: SparkSession, time_zone: str) -> None:
        self.spark = spark
        self._time_zone = time_zone
        self._zone = ZoneInfo(time_zone)
        self._cached: dict[str, DataFrame] = {}

    @property
    def time_zone(self) -> str:
        return self._time_zone

    def fetch(self, sql: str, params: Mapping[str, object] | None = None) -> Rows:
        # A part the SQL asks to materialise (the records every window reads) is built once, cached.
        parts, sql = split_materialized(sql)
        for name, part in parts:
            self._cache(name, self.spark.sql(to_spark(part, self._time_zone, params)))
        try:
            frame = self.spark.sql(to_spark(sql, self._time_zone, params))
            rows = [tuple(self._value(value) for value in row) for row in frame.collect()]
        finally:
            self._drop([name for name, _ in parts])
        return Rows(list(frame.columns), rows)

    def create_table(self, name: str, sql: str) -> None:
        """A cached view: built once on first read, then read from memory by every metric."""
        self._cache(name, self.spark.sql(to_spark(sql, self._time_zone)))

    def close(self) -> None:
        self._drop(list(self._cached))

    def _cache(self, name: str, frame: DataFrame) -> None:
        cached = frame.cache()
        cached.createOrReplaceTempView(name)
        self._cached[name] = cached

    def _drop(self, names: list[str]) -> None:
        for name in names:
            self.spark.catalog.dropTempView(name)
            self._cached.pop(name).unpersist()

    def _value(self, value: object) -> object:
        # PySpark hands back times as naive datetimes in this process's local time.
        if isinstance(value, datetime) and value.tzinfo is None:
            return value.astimezone(self._zone)
        return value


def _canonical_view_sql(table: Table, file_view: str, present: set[str], window: DateWindow) -> str:
    """Portable SQL typing `file_view`'s columns to `table`'s canonical ones, with implausible times hidden
    as `metrics.store` hides them (a required time outside the window drops its row; an optional one is
    emptied)."""
    selects, keep = [], []
    for column in table.columns:
        sql_type = DUCKDB_TYPES[column.type]
        quoted = f'"{column.name}"'
        if column.name not in present:
            selects.append(f"CAST(NULL AS {sql_type}) AS {quoted}")
            continue
        value = f"CAST({quoted} AS {sql_type})"
        if column.type == "timestamp" and column.name in table.required_columns:
            keep.append(f"NOT {window.outside_sql(value)}")
        elif column.type == "timestamp":
            value = window.inside_sql(value)
        selects.append(f"{value} AS {quoted}")
    where = f" WHERE {' AND '.join(keep)}" if keep else ""
    return f"SELECT {', '.join(selects)} FROM {file_view}{where}"


def open_spark_store(
    data_dir: str | Path,
    spark: SparkSession,
    *,
    time_zone: str = "UTC",
    window: DateWindow | None = None,
    staging_dir: Path | None = None,
) -> SparkStore:
    """The canonical tables at `data_dir` (a local folder or a Spark-readable URI of `<table>.parquet`
    files or folders) as views of a new session of `spark` in the organisation's `time_zone`.

    A local folder holding CSV tables is loaded and checked by the DuckDB store first and staged as Parquet
    in `staging_dir` (default: a new temporary folder)."""
    window = window or DateWindow.default()
    location, staging = str(data_dir), None
    local = Path(location)
    if local.is_dir() and any(not path.name.endswith(".parquet") for path in _local_tables(local).values()):
        if staging_dir is None:
            staging = tempfile.TemporaryDirectory(prefix="ocmf-spark-")
            staging_dir = Path(staging.name)
        location = str(_stage_as_parquet(local, time_zone, window, staging_dir))
    session = spark.newSession()
    session.conf.set("spark.sql.session.timeZone", time_zone)
    session.conf.set("spark.sql.ansi.enabled", "false")
    sources: dict[str, str] = {}
    for name, table in TABLES.items():
        path = f"{location.rstrip('/')}/{name}.parquet"
        if Path(location).is_dir() and not Path(path).exists():
            continue  # a local folder: no need to ask Spark
        frame = _read_parquet(session, path)
        if frame is None:
            continue
        present = set(frame.columns)
        missing = [column for column in table.required_columns if column not in present]
        if missing:
            raise InvalidInputData(f"{name}.parquet: missing required column(s): {', '.join(missing)}")
        frame.createOrReplaceTempView(f"{name}__file")
        view_sql = _canonical_view_sql(table, f"{name}__file", present, window)
        # Cached (lazily, on first read): every metric reads the same few tables.
        session.sql(to_spark(view_sql, time_zone)).cache().createOrReplaceTempView(name)
        sources[name] = path
    return SparkStore(location, session, time_zone, sources, window, staging)


def _local_tables(folder: Path) -> dict[str, Path]:
    from metrics.store import find_table_files

    return find_table_files(folder)


def _read_parquet(spark: SparkSession, path: str) -> DataFrame | None:
    """The Parquet file or folder at `path`, or None when there is none."""
    from pyspark.errors import AnalysisException

    try:
        return spark.read.parquet(path)
    except AnalysisException as error:
        if "PATH_NOT_FOUND" in str(error) or "Path does not exist" in str(error):
            return None
        raise InvalidInputData(f"{path}: cannot be read by Spark: {error}") from None


def _stage_as_parquet(folder: Path, time_zone: str, window: DateWindow, target: Path) -> Path:
    """Check and type a local folder's tables with the DuckDB store, and write them as canonical Parquet."""
    from metrics.store import open_store

    target.mkdir(parents=True, exist_ok=True)
    store = open_store(folder, time_zone=time_zone, window=window)
    try:
        with store.cursor() as cursor:
            for name in store.tables:
                literal = str(target / f"{name}.parquet").replace("'", "''")
                cursor.execute(f"COPY (SELECT * FROM {name}) TO '{literal}' (FORMAT parquet)")
    finally:
        store.close()
    return target
