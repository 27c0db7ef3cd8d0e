"""`advisor recommendations assign|due|review|tick|comment|show`: the plan from the command line."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.cli import app as cli
from advisor.models import Recommendation
from advisor.recommendation_store import RecommendationStore
from advisor.settings import get_settings
from metrics.models import Period


@pytest.mark.slow  # every command builds the advisor (about 1 s each)
def test_the_cli_runs_a_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path}/state.db"
    (tmp_path / "acme").mkdir()
    for key, value in {
        "ADVISOR_DATA_DIR": str(tmp_path / "acme"),
        "ADVISOR_INDEX_DIR": str(tmp_path / "index"),
        "ADVISOR_DATABASE_URL": url,
    }.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    step = Recommendation(
        rank=1, title="Route once", practice_id="cust-route-once", targets=["C6"], why="C6 is weak.",
        sources=[], steps="1. Map the routes.\n2. Remove the second hop.", scope={"team": "Billing Desk"},
    )  # fmt: skip
    store = RecommendationStore(url)
    [rec] = store.propose(
        [step], organisation="acme", period=Period(date(2026, 3, 1), date(2026, 6, 1)),
        at=datetime(2026, 6, 1, tzinfo=UTC),
    )  # fmt: skip
    short = rec.id[:8]
    runner = CliRunner()

    def run(*args: str) -> str:
        result = runner.invoke(cli, ["recommendations", *args, "--actor", "li"])
        assert result.exit_code == 0, result.output
        return result.output

    assert "owner: maria" in run("assign", short, "maria")
    assert "due: 2026-07-01" in run("due", short, "2026-07-01")
    assert "outcome measurable from 2026-07-20" in run("review", short, "2026-07-20")
    assert "tasks: 1 of 2 done" in run("tick", short, "2")
    run("comment", short, "Billing starts Monday.")
    shown = runner.invoke(cli, ["recommendations", "show", short])
    assert shown.exit_code == 0 and "Remove the second hop." in shown.output
    assert "li on" in shown.output and "Billing starts Monday." in shown.output
    refused = runner.invoke(cli, ["recommendations", "review", short, "2026-06-02"])
    assert refused.exit_code == 2 and "measurable from 2026-07-01 at the earliest" in refused.output
    wrong = runner.invoke(cli, ["recommendations", "tick", short, "7"])
    assert wrong.exit_code == 2 and "tasks 1 to 2" in wrong.output
    after = store.get(rec.id)
    assert (after.owner, after.due, after.review_on, after.tasks_done) == (
        "maria",
        date(2026, 7, 1),
        date(2026, 7, 20),
        1,
    )
    assert [change.what for change in after.plan_history][-1] == "commented"
    assert {change.actor for change in after.plan_history} == {"li"}
