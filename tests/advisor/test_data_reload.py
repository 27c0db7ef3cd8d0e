"""A data folder that changes under a running advisor (an `advisor import` into the folder being served) is
read again at the next request; an unchanged one comes from the cache."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, get_args

import pytest

from advisor import service
from advisor.service import Advisor
from metrics.models import Dimension


def test_a_changed_data_folder_is_read_again(advisor: Advisor, demo_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "org"
    shutil.copytree(demo_dir, folder)
    before = advisor.scorecard(data_dir=folder)
    assert advisor.scorecard(data_dir=folder) is before, "an unchanged folder is not read again"
    surveys_before = before.metric("C1b").n

    surveys = folder / "surveys.csv"
    lines = surveys.read_text(encoding="utf-8").splitlines(keepends=True)
    surveys.write_text("".join(lines[: 1 + (len(lines) - 1) // 2]), encoding="utf-8")  # header + half

    after = advisor.scorecard(data_dir=folder)
    assert after is not before
    assert after.metric("C1b").n is not None and surveys_before is not None
    assert after.metric("C1b").n < surveys_before


def test_warm_up_computes_the_scorecard_and_every_drill_down_once(
    advisor: Advisor, monkeypatch: pytest.MonkeyPatch
) -> None:
    computed: list[str | None] = []
    real = service.compute_scorecard

    def counting(*args: Any, **kwargs: Any) -> Any:
        computed.append(kwargs.get("by"))
        return real(*args, **kwargs)

    monkeypatch.setattr(service, "compute_scorecard", counting)
    advisor.reload_data()
    advisor.warm_up()
    advisor.scorecard()
    advisor.scorecard(by="team")  # the first visitor's requests come from the cache
    assert sorted(computed, key=str) == sorted([None, *get_args(Dimension)], key=str)
