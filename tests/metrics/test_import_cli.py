"""`advisor import`: counts per table, rejects, and clean errors (kept beside the importer's tests)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from advisor.cli import app

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "imports"
runner = CliRunner()


def test_import_with_a_preset_prints_counts(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "import",
            str(SAMPLES / "zendesk" / "tickets.csv"),
            "--into",
            str(tmp_path / "org"),
            "--preset",
            "zendesk",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "imported into" in result.stdout and "with zendesk" in result.stdout
    assert "│ tickets │    4 │" in result.stdout and "│ surveys │    2 │" in result.stdout
    assert "no rejects" in result.stdout
    assert (tmp_path / "org" / "tickets.parquet").is_file()


def test_import_with_a_mapping_file_reports_rejects(tmp_path: Path) -> None:
    mapping = tmp_path / "mine.yaml"
    mapping.write_text(
        "name: mine\nsources:\n  tickets: {}\ntables:\n  tickets:\n    from: tickets\n"
        "    columns: {id: Ticket, created_at: Opened}\n",
        encoding="utf-8",
    )
    export = tmp_path / "export.csv"
    export.write_text("Ticket,Opened\nT1,2026-03-01T08:00:00Z\nT2,never\n", encoding="utf-8")
    result = runner.invoke(
        app, ["import", str(export), "--into", str(tmp_path / "org"), "--mapping", str(mapping)]
    )
    assert result.exit_code == 0, result.output
    assert "1 problem(s) listed in" in result.output and "rejects.csv" in result.output
    assert "'never' is not" in (tmp_path / "org" / "rejects.csv").read_text(encoding="utf-8")


def test_import_errors_are_one_clean_line(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["import", str(SAMPLES / "jira" / "export.csv"), "--into", str(tmp_path / "org")]
    )
    assert result.exit_code == 2
    assert "give exactly one of --preset NAME or --mapping FILE.yaml" in result.output
    result = runner.invoke(
        app,
        [
            "import",
            str(SAMPLES / "jira" / "export.csv"),
            "--into",
            str(tmp_path / "org"),
            "--preset",
            "freshdesk",
        ],
    )
    assert result.exit_code == 2 and "unknown preset 'freshdesk'" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "org").exists()


def test_the_size_limit_is_a_setting(tmp_path: Path) -> None:
    arguments = [
        "import",
        str(SAMPLES / "zendesk" / "tickets.csv"),
        "--into",
        str(tmp_path / "org"),
        "--preset",
        "zendesk",
    ]
    result = runner.invoke(app, arguments, env={"ADVISOR_IMPORT_MAX_FILE_BYTES": "100"})
    assert result.exit_code == 2
    assert (
        "nothing could be imported" in result.output and "over the import limit of 100 bytes" in result.output
    )


def test_presets_are_listed() -> None:
    result = runner.invoke(app, ["import-presets"])
    assert result.exit_code == 0
    for name in ("zendesk", "servicenow", "jira-service-management", "salesforce-service-cloud"):
        assert name in result.stdout


def test_a_dry_run_previews_and_undo_restores(tmp_path: Path) -> None:
    org = tmp_path / "org"
    zendesk = ["--into", str(org), "--preset", "zendesk"]
    first = runner.invoke(app, ["import", str(SAMPLES / "zendesk" / "tickets.csv"), *zendesk])
    assert first.exit_code == 0, first.output
    assert "advisor import --undo --into" in first.stdout
    # (hidden files are the store's caches, `.tickets.parquet.keys`, written by any reader)
    before = sorted(path.name for path in org.rglob("*") if not path.name.startswith("."))

    export = tmp_path / "more.csv"
    export.write_text(
        "Id,Created at,Satisfaction Score,Updated at\n201,2026-03-09T08:00:00Z,Good,2026-03-09T09:00:00Z\n",
        encoding="utf-8",
    )
    preview = runner.invoke(app, ["import", str(export), *zendesk, "--dry-run"])
    assert preview.exit_code == 0, preview.output
    assert "preview of an import into" in preview.stdout and "nothing was written" in preview.stdout
    # table, before, after, added, updated, unchanged, removed, action
    assert "│ tickets │      4 │     5 │     1 │       0 │         0 │       0 │ merged │" in preview.stdout
    assert sorted(path.name for path in org.rglob("*") if not path.name.startswith(".")) == before

    replaced = runner.invoke(app, ["import", str(export), *zendesk, "--replace", "tickets"])
    assert replaced.exit_code == 0, replaced.output
    assert (
        "│ tickets │      4 │     1 │     1 │       0 │         0 │       4 │ replaced │" in replaced.stdout
    )

    undone = runner.invoke(app, ["import", "--undo", "--into", str(org)])
    assert undone.exit_code == 0, undone.output
    assert "undid the import of" in undone.stdout and "more.csv" in undone.stdout
    assert "1 earlier import(s) can still be undone" in undone.stdout
    assert sorted(path.name for path in org.rglob("*") if not path.name.startswith(".")) == before

    wrong = runner.invoke(app, ["import", "--undo", "--into", str(org), "--dry-run"])
    assert wrong.exit_code == 2 and "--undo takes only --into" in wrong.output
