"""`advisor ask --json` prints what POST /api/chat returns, and `advisor eval chat` scores the reading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.cli import app
from advisor.service import Advisor
from advisor.settings import Settings

runner = CliRunner()


@pytest.fixture
def served(settings: Settings, advisor: Advisor, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The CLI on the session's demo data and its already built index."""
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("ADVISOR_INDEX_DIR", str(settings.index_dir))
    return settings


def test_ask_json_carries_the_reading(served: Settings) -> None:
    result = runner.invoke(app, ["ask", "why r handoffs so bad on the billing desk lately??", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert set(answer) >= {
        "answer",
        "citations",
        "conversation_id",
        "intent",
        "understood",
        "flags",
        "follow_ups",
    }
    assert answer["understood"]["intent"] == "diagnose" == answer["intent"]
    assert answer["understood"]["metrics"] == ["C6"]
    assert answer["understood"]["filters"] == {"team": "Billing Desk"}
    assert {"by", "period", "compare_to"} <= set(answer["understood"])


def test_ask_prints_the_reading_and_linked_sources(served: Settings) -> None:
    result = runner.invoke(app, ["ask", "What was the reopen rate in August 2026?"])
    assert result.exit_code == 0, result.output
    assert "Reading this as: figures · Reopen rate · Aug 2026" in result.stdout
    assert "Reopen rate: /scorecard/metrics/C1r" in result.stdout and "[metric:" not in result.stdout


def test_ask_takes_a_period_over_the_one_asked(served: Settings) -> None:
    result = runner.invoke(
        app,
        ["ask", "What was the reopen rate in August 2026?", "--period", "2026-07-01..2026-10-01", "--json"],
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["understood"]["period"] == {"start": "2026-07-01", "end": "2026-10-01"}
    assert answer["understood"]["metrics"] == ["C1r"] and "Jul" in answer["answer"]
    refused = runner.invoke(app, ["ask", "What was the reopen rate?", "--period", "2026-10-01..2026-07-01"])
    assert refused.exit_code == 2 and "must be after its start" in refused.output


def test_eval_chat_prints_the_share_per_facet(served: Settings, tmp_path: Path) -> None:
    questions = tmp_path / "questions.jsonl"
    lines = [
        {"id": "a", "question": "Which team has the most hand-offs?", "expect": {"intent": "breakdown", "metrics": ["C6"], "by": "team"}},
        {"id": "b", "question": "csat for payroll in August 2026", "expect": {"intent": "status", "filters": {"product": "Payroll"}, "period": {"start": "2026-08-01", "end": "2026-09-01"}}},
        {"id": "c", "question": "What is Time to Smile?", "expect": {"intent": "trend"}},
    ]  # fmt: skip
    questions.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    result = runner.invoke(app, ["eval", "chat", "--questions", str(questions), "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert scores["questions"] == 3
    assert scores["shares"] == {
        "intent": 0.6667,
        "metrics": 1.0,
        "filters": 1.0,
        "by": 1.0,
        "period": 1.0,
        "all": 0.6667,
    }
    assert [miss["id"] for miss in scores["misses"]] == ["c"] and scores["misses"][0]["wrong"] == ["intent"]
    table = runner.invoke(app, ["eval", "chat", "--questions", str(questions)])
    assert table.exit_code == 0 and "66.7%" in table.stdout and "c: What is Time to Smile?" in table.stdout
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"id": "x"}\n', encoding="utf-8")
    failed = runner.invoke(app, ["eval", "chat", "--questions", str(broken)])
    assert failed.exit_code == 2 and "line 1: not a question object" in failed.output
