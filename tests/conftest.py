"""Shared fixtures: the real embedding model, a small demo organisation and an Advisor over real Chroma."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from advisor.composition import build_advisor
from advisor.service import Advisor
from advisor.settings import Settings, get_settings
from knowledge.embeddings import SentenceTransformerEmbedder, packaged_model_path

if TYPE_CHECKING:
    from tests.advisor.programme_org import ProgrammeOrg

DEMO_END = date(2026, 11, 1)


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test may reach a model hub, and none reads the developer's own settings or data."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    for key in list(os.environ):
        if key.startswith("ADVISOR_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(tmp_path / "no-data"))
    monkeypatch.setenv("ADVISOR_INDEX_DIR", str(tmp_path / "no-index"))
    monkeypatch.setenv("ADVISOR_DATABASE_URL", f"sqlite:///{tmp_path}/advisor.db")
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    """The real packaged MiniLM model, loaded once per test session."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    return SentenceTransformerEmbedder(packaged_model_path())


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo organisation with the default planted weaknesses."""
    from metrics.demo import generate_demo

    folder = tmp_path_factory.mktemp("demo")
    generate_demo(folder, end=DEMO_END, seed=7, size="small")
    return folder


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path) -> Settings:
    state = tmp_path_factory.mktemp("state")
    return Settings(
        data_dir=demo_dir,
        index_dir=tmp_path_factory.mktemp("index"),
        database_url=f"sqlite:///{state}/advisor.db",
    )


@pytest.fixture(scope="session")
def advisor(settings: Settings) -> Iterator[Advisor]:
    """An Advisor over the demo organisation, the real model and embedded Chroma, with its index built."""
    os.environ["HF_HUB_OFFLINE"] = "1"
    built = build_advisor(settings)
    built.build_index()
    yield built


@pytest.fixture(scope="session")
def programme_org(tmp_path_factory: pytest.TempPathFactory, demo_dir: Path) -> ProgrammeOrg:
    """Steps done, overdue, due soon and dismissed on the demo (programme and digest tests share it)."""
    from tests.advisor.programme_org import build_programme_org

    return build_programme_org(tmp_path_factory.mktemp("programme"), demo_dir)
