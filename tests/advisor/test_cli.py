"""The `advisor` command line and its JSON contracts, over the real demo data, model and Chroma."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from advisor.cli import app
from advisor.settings import Settings

runner = CliRunner()


def run(*args: str) -> tuple[int, str]:
    """Exit code and standard output (with standard error after it when the command failed)."""
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout if result.exit_code == 0 else result.output


def test_scorecard_json_contract(demo_dir: Path) -> None:
    code, output = run("scorecard", str(demo_dir), "--period", "2026-07-01..2026-10-01", "--json")
    assert code == 0, output
    data = json.loads(output)
    assert data["period"] == {"start": "2026-07-01", "end": "2026-10-01"}
    assert [category["id"] for category in data["categories"]] == [
        "customer",
        "employee",
        "business",
        "knowledge",
        "acceleration",
    ]
    c6 = next(
        metric for category in data["categories"] for metric in category["metrics"] if metric["id"] == "C6"
    )
    # the headline is the mean per ticket (issue 10); the share with one, median and p80 are details
    assert {"share_with_handoff_pct", "median", "p80"} <= c6["details"].keys()


def test_scorecard_text_is_a_table(demo_dir: Path) -> None:
    code, output = run("scorecard", str(demo_dir))
    assert code == 0
    assert "OCMF scorecard 2026-08-01..2026-11-01" in output
    assert "C6 Hand-offs" in output and "B2 Time to" in output and "focus" in output


def test_next_steps_json_contract(
    demo_dir: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADVISOR_INDEX_DIR", str(settings.index_dir))
    code, output = run("next-steps", str(demo_dir), "--json")
    assert code == 0, output
    recommendations = json.loads(output)["recommendations"]
    assert recommendations and recommendations[0]["rank"] == 1
    for rec in recommendations:
        assert {"rank", "title", "practice_id", "targets", "why", "sources"} <= rec.keys()
        assert f"practice:{rec['practice_id']}" in rec["sources"]
    first = recommendations[0]
    assert {"level", "steps", "measure", "metrics"} <= first.keys() and first["steps"] and first["measure"]
    assert {"value", "target", "status", "change_vs_previous", "trend"} <= first["metrics"][0].keys()
    assert len(first["metrics"][0]["trend"]) == 6
    # the small demo plants hand-offs, CSAT and competency: the first step targets one of them
    assert set(recommendations[0]["targets"]) & {"C6", "C1b", "E4"}


def test_next_steps_rank_weaknesses_and_list_data_gaps_to_measure_next(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADVISOR_INDEX_DIR", str(settings.index_dir))
    org = tmp_path / "org"
    code, output = run(
        "demo-data", str(org), "--size", "small", "--seed", "3", "--weakness", "handoffs", "--shape",
        "tickets_events",
    )  # fmt: skip
    assert code == 0, output
    assert sorted(path.name for path in org.glob("*.csv")) == ["ticket_events.csv", "tickets.csv"]
    code, output = run("next-steps", str(org), "--json")
    assert code == 0, output
    data = json.loads(output)
    gaps = {gap["metric_id"]: gap for gap in data["measure_next"]}
    # no surveys: CSAT is to be measured next, with the practice that starts it, and no step targets it
    assert gaps["C1b"]["availability"] == "missing_tables" and gaps["C1b"]["practice_id"]
    targets = {target for rec in data["recommendations"] for target in rec["targets"]}
    assert targets and not targets & set(gaps)
    assert "C6" in data["recommendations"][0]["targets"]
    code, output = run("next-steps", str(org))
    assert code == 0 and "Measure next" in output and "C1b" in output


def test_index_then_search_json_contract(tmp_path: Path) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "vpn.md").write_text(
        "# VPN drops every hour\n\nRenew the client certificate, then reconnect.", encoding="utf-8"
    )
    code, output = run("index", str(folder), "--index-dir", str(tmp_path / "index"))
    assert code == 0, output
    assert "added" in output
    code, output = run(
        "search", "the vpn keeps disconnecting", "--index-dir", str(tmp_path / "index"), "-k", "2", "--json"
    )
    assert code == 0, output
    hits = json.loads(output)["hits"]
    assert hits[0]["id"] == "vpn.md" and hits[0]["kind"] == "document"
    assert set(hits[0]) == {
        "id", "title", "kind", "score", "snippet", "source", "reuse_count",
        # one result per solution (issue 13): the copies folded into it, and whether it truly matches
        "duplicates", "duplicate_ids", "teams", "kind_counts", "solved_count", "match", "snippet_html",
    }  # fmt: skip


def test_errors_are_one_clear_line(tmp_path: Path) -> None:
    code, output = run("scorecard", str(tmp_path / "missing"))
    assert code == 2
    assert "does not exist" in output and "Traceback" not in output
    code, output = run("scorecard", str(tmp_path), "--period", "2026-10-01..2026-07-01")
    assert code == 2 and "must be after its start" in output


def test_demo_data_writes_the_canonical_tables(tmp_path: Path) -> None:
    code, output = run("demo-data", str(tmp_path / "org"), "--size", "small", "--seed", "3")
    assert code == 0, output
    assert {"tickets.csv", "ticket_events.csv", "surveys.csv", "employees.csv", "competency.csv"} <= {
        path.name for path in (tmp_path / "org").iterdir()
    }


def test_serve_refuses_a_public_address_without_sign_in(demo_dir: Path) -> None:
    code, output = run("serve", "--data", str(demo_dir), "--host", "0.0.0.0")
    assert code == 2 and "refusing to listen on 0.0.0.0: no user exists yet" in output


def test_the_installed_entry_point_asks_a_question(
    demo_dir: Path, settings: Settings, tmp_path: Path
) -> None:
    advisor_command = Path(sys.executable).parent / "advisor"
    result = subprocess.run(
        [str(advisor_command), "ask", "How is C6 computed?", "--data", str(demo_dir)],
        capture_output=True, text=True, timeout=300, check=False,
        env={"PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1", "ADVISOR_INDEX_DIR": str(tmp_path / "index"), "HOME": str(tmp_path),
             "ADVISOR_DATABASE_URL": f"sqlite:///{tmp_path}/state.db"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Reading this as: definition · Hand-offs per ticket" in result.stdout
    assert (
        "/scorecard/metrics/C6" in result.stdout and "[metric:C6]" not in result.stdout
    )  # links, not raw ids


def test_recommendations_commands_track_a_step(
    demo_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(demo_dir))
    monkeypatch.setenv("ADVISOR_INDEX_DIR", str(tmp_path / "index"))
    code, output = run("recommendations", "propose", "--actor", "maria")
    assert code == 0, output
    code, output = run("recommendations", "list", "--json")
    stored = json.loads(output)["recommendations"]
    assert stored and {rec["status"] for rec in stored} == {"proposed"}
    short = stored[0]["id"][:8]
    code, output = run("recommendations", "accept", short, "--actor", "maria")
    assert code == 0, output
    code, output = run("recommendations", "done", short)
    assert code == 2 and "a recommendation that is accepted cannot become done" in output
    code, output = run("recommendations", "dismiss", short, "--reason", "not now", "--at", "31/12/2026")
    assert code == 2 and "is not a date like 2026-06-01" in output
    code, output = run("recommendations", "list", "--json", "--status", "accepted")
    assert [rec["id"] for rec in json.loads(output)["recommendations"]] == [stored[0]["id"]]
