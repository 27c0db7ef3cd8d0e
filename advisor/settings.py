"""The one configuration object (environment variables with the ADVISOR_ prefix, or a .env file)."""

from __future__ import annotations

import ipaddress
import os
import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from metrics.plausible import DEFAULT_EARLIEST, DateWindow


def _packaged_model() -> Path:
    from knowledge.embeddings import packaged_model_path

    return packaged_model_path()


class LLMSettings(BaseModel):
    """An optional chat model that phrases answers; with `none` the advisor composes them itself."""

    provider: Literal["none", "openai", "ollama"] = "none"
    model: str = ""
    base_url: str | None = None
    api_key: SecretStr | None = None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="ADVISOR_", env_nested_delimiter="__", env_file=".env", extra="ignore"
    )

    data_dir: Path = Field(Path("data/demo"), description="the organisation's data folder (canonical tables)")
    index_dir: Path = Field(Path("var/index"), description="where the knowledge index is stored")
    embedding_model: Path = Field(
        default_factory=_packaged_model, description="sentence-transformers model folder"
    )
    embedding_backend: Literal["onnx", "onnx-int8", "torch"] = Field(
        "onnx",
        description="what runs the embedding model: ONNX Runtime (same vectors as PyTorch, exported once from "
        "the packaged weights; PyTorch if that fails), ONNX Runtime with int8 weights (faster; other vectors, "
        "kept in an index collection of their own; retrieval within 0.005 nDCG@10 of fp32), or PyTorch",
    )
    model_cache_dir: Path | None = Field(
        None,
        description="where the ONNX export of the embedding model is kept; unset: ocmf-advisor in the user's "
        "cache folder (XDG_CACHE_HOME or ~/.cache)",
    )
    llm: LLMSettings = Field(default_factory=LLMSettings)
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    worker_threads: int = Field(
        default_factory=lambda: 2 * (os.cpu_count() or 1),
        ge=1,
        le=256,
        description="threads serving blocking requests (pages, search, chat); default two per core. Most of "
        "a request holds Python's lock, so more threads only contend for it (benchmarks/load.py on 2 cores, "
        "10 chat clients: 71-79 answers/s and search p95 174-196 ms with 2-4 threads, 60/s and 348 ms with "
        "10; 50 mixed clients: chat p95 149 ms with 4, 253 ms with 10)",
    )
    blas_threads: int = Field(
        1,
        ge=1,
        le=256,
        description="threads a matrix product may use while serving (OpenBLAS): a request's products are "
        "small, and idle OpenBLAS threads spin, so more than one doubled a search's CPU time and took the "
        "core another request needed (issue 18 §4)",
    )
    shutdown_wait_seconds: float = Field(
        60.0,
        ge=0,
        description="on shutdown, how long to wait for a warm-up still computing scorecards before exiting",
    )
    # -- several workers (issue 16) ------------------------------------------------------------------------
    workers: int = Field(
        1,
        ge=1,
        le=64,
        description="worker processes of `advisor serve` (uvicorn); with more than one, jobs, the sign-in "
        "throttle and the signing key are shared through the application database",
    )
    jobs_dir: Path | None = Field(
        None,
        description="where uploads wait for their import and each job keeps its rejects.csv; shared by every "
        "worker (on shared storage for several machines, like the data folder); unset: `jobs` beside the "
        "SQLite database (or under var/)",
    )
    job_lease_seconds: float = Field(
        60,
        ge=1,
        description="a running import or rebuild whose worker has not said it is alive for this long is "
        "failed (its worker was killed), which lets the next one start",
    )
    throttle_storage_url: str | None = Field(
        None,
        description="where sign-in failures are counted (a `limits` storage URI): memory:// for one process, "
        "redis://host:6379 or memcached://host:11211 when you run one (install `redis` or `pymemcache`); "
        "unset: the application database, shared by every worker",
    )
    # -- end of several workers ----------------------------------------------------------------------------
    trusted_proxies: str = Field(
        "",
        description="comma-separated addresses or networks of reverse proxies whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed (uvicorn's forwarded_allow_ips); empty: none, the connecting address "
        "is the client (sign-in throttling and local mode key on it)",
    )
    min_group_size: int = Field(5, ge=1, description="smallest group shown in a drill-down or metric")
    # -- metrics engine (issue 16 §2, docs/engines.md) ------------------------------------------------------
    metrics_engine: Literal["duckdb", "spark"] = Field(
        "duckdb",
        description="what computes the scorecard: DuckDB embedded, or Apache Spark (extra `spark`, Java 17+)",
    )
    spark_master: str = Field(
        "local[2]",
        description="the Spark master URL: local[N] in this process, spark://host:7077, yarn, k8s://...",
    )
    spark_data_uri: str | None = Field(
        None,
        description="where Spark reads the canonical Parquet tables (hdfs://, s3a://, a shared folder); "
        "unset: the data folder (CSV tables are checked and staged as Parquet first)",
    )
    metrics_memory_bytes: int | None = Field(
        None,
        ge=64 * 1024**2,
        description="memory DuckDB may hold for the scorecard before large aggregations spill to disk "
        "(bytes); unset: DuckDB's default, 80% of the machine's memory",
    )
    metrics_spill_dir: Path | None = Field(
        None, description="where the scorecard's DuckDB spills beyond its memory; unset: DuckDB's own folder"
    )
    # -- knowledge index (issue 4) ----------------------------------------------------------------------
    chroma_url: str | None = Field(
        None,
        description="a Chroma server (`chroma run`) such as http://127.0.0.1:8001; unset: embedded Chroma",
    )

    @field_validator("chroma_url")
    @classmethod
    def _chroma_url_is_http(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            return None
        if value is not None and not re.match(r"^https?://[^/\s:]+(:\d{1,5})?/?$", value.strip()):
            raise ValueError(f"{value!r} is not a Chroma server URL such as http://127.0.0.1:8001")
        return value.strip() if value is not None else None

    # -- end of knowledge index -------------------------------------------------------------------------
    import_max_file_bytes: int = Field(
        2 * 1024**3, ge=1, description="`advisor import` refuses export files larger than this (bytes)"
    )
    # -- import limits (issue 15) -------------------------------------------------------------------------
    import_earliest_date: date = Field(
        DEFAULT_EARLIEST,
        description="imports reject times before this day (optional ones are emptied) and stored ones are ignored",
    )
    import_latest_date: date | None = Field(
        None, description="likewise for times after this day; unset: one year after today"
    )
    import_memory_bytes: int = Field(
        1024**3, ge=64 * 1024**2, description="memory an import may use before it spills to disk (bytes)"
    )

    def date_window(self) -> DateWindow:
        """The plausible dates: imports reject times outside them, the scorecard ignores stored ones."""
        if self.import_latest_date is None:
            return DateWindow.default(earliest=self.import_earliest_date)
        return DateWindow(self.import_earliest_date, self.import_latest_date)

    # -- end of import limits -----------------------------------------------------------------------------
    # -- data page uploads (issue 6) ---------------------------------------------------------------------
    upload_max_bytes: int = Field(
        256 * 1024**2, ge=1, description="the data page refuses an uploaded file larger than this (bytes)"
    )
    database_url: str = Field(
        "sqlite:///var/advisor.db",
        description="application state (users, conversations, recommendations, outcomes, reuse counts): any SQLAlchemy URL",
    )
    # -- sign-in, sessions and CSRF (issue 6) -----------------------------------------------------------
    secret_key: SecretStr | None = Field(
        None,
        description="signs the CSRF cookie; unset: a random key made once in `secret_key` beside the "
        "SQLite database (or under var/), readable by its owner only",
    )
    session_hours: float = Field(12, gt=0, le=24 * 90, description="a web sign-in lasts this many hours")
    cookie_secure: bool | None = Field(
        None, description="send cookies over HTTPS only; unset: yes, unless `host` is a loopback address"
    )

    @property
    def secure_cookies(self) -> bool:
        return self.cookie_secure if self.cookie_secure is not None else not is_loopback_host(self.host)

    # -- end of sign-in ---------------------------------------------------------------------------------

    @field_validator("embedding_model")
    @classmethod
    def _model_exists(cls, value: Path) -> Path:
        if not (value / "config.json").is_file():
            raise ValueError(f"no sentence-transformers model at {value}")
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once at the composition root."""
    return Settings()


def is_loopback_host(host: str) -> bool:
    """True for `localhost` and loopback IP addresses (127.0.0.0/8, ::1), with or without brackets."""
    name = host.strip().strip("[]").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
