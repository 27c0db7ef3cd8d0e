"""The background job runner: one job at a time, progress, results, failures kept as messages, cleanup."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, cast

import pytest

from advisor.jobs import JobBusy, JobRunner, JobUpdates, read_rejects
from advisor.service import Advisor
from knowledge.index import BuildReport, Progress
from metrics.errors import InvalidInputData
from metrics.importers import load_preset

ZENDESK = Path(__file__).resolve().parents[1] / "data" / "imports" / "zendesk" / "tickets.csv"
SCRIPT = "<script>alert(1)</script>"


class FakeAdvisor:
    """What the runner uses of an Advisor: the data folder, its plausible dates, reload_data, build_index (3
    passages), remeasure_due_outcomes and warm_up. The runner's own lifecycle is tested with it; tests/web/test_data_pages.py runs
    imports through a real Advisor."""

    def __init__(self, data_dir: Path, *, index_error: Exception | None = None) -> None:
        self.data_dir = data_dir
        self.date_window = None
        self.reloaded: list[Path | None] = []
        self.warmed = 0
        self.remeasured = 0
        self.index_error = index_error

    def warm_up(self) -> None:
        self.warmed += 1

    def remeasure_due_outcomes(self) -> int:
        self.remeasured += 1
        return 0

    def reload_data(self, data_dir: Path | None = None) -> None:
        self.reloaded.append(data_dir)

    def build_index(self, *, progress: Progress | None = None, **_: Any) -> BuildReport:
        if self.index_error is not None:
            raise self.index_error
        if progress is not None:
            progress(0, 3)
            progress(3, 3)
        return BuildReport(added=2, updated=0, unchanged=5, removed=1, chunks=3)


def runner_for(advisor: FakeAdvisor, tmp_path: Path, **options: Any) -> JobRunner:
    return JobRunner(cast(Advisor, advisor), tmp_path / "work", **options)


def test_a_job_runs_in_the_background_reports_progress_and_ends_done(tmp_path: Path) -> None:
    runner = runner_for(FakeAdvisor(tmp_path), tmp_path)
    release = threading.Event()
    seen: list[tuple[str, int, int]] = []

    def work(updates: JobUpdates) -> str:
        updates.stage("Counting", total=10)
        updates.progress(4, 10)
        release.wait(10)
        return "counted"

    job = runner.submit("rebuild", work)
    assert job.state in {"queued", "running"} and job.created is not None
    for _ in range(100):
        current = runner.get(job.id)
        assert current is not None
        if current.done == 4:
            seen.append((current.stage, current.done, current.total))
            break
        threading.Event().wait(0.02)
    assert seen == [("Counting", 4, 10)]
    assert runner.active() is not None and runner.active().id == job.id  # type: ignore[union-attr]
    release.set()
    finished = runner.wait(job.id, 10)
    assert finished.state == "done" and finished.message == "counted"
    assert finished.done == finished.total == 10
    assert finished.started is not None and finished.finished is not None
    assert finished.started <= finished.finished
    assert runner.active() is None


def test_a_second_job_while_one_runs_is_refused(tmp_path: Path) -> None:
    runner = runner_for(FakeAdvisor(tmp_path), tmp_path)
    release = threading.Event()
    first = runner.submit("rebuild", lambda updates: str(release.wait(10)))
    with pytest.raises(JobBusy, match=f"index rebuild is already running \\(job {first.id}"):
        runner.start_rebuild()
    with pytest.raises(JobBusy):
        runner.ensure_idle()
    folder = runner.upload_folder()
    with pytest.raises(JobBusy):
        runner.start_import([folder / "x.csv"], load_preset("zendesk"), upload_folder=folder)
    assert not folder.exists(), "an upload that cannot start is not kept"
    release.set()
    runner.wait(first.id, 10)
    second = runner.start_rebuild()
    assert runner.wait(second.id, 10).state == "done"
    assert [job.id for job in runner.jobs()] == [second.id, first.id]


@pytest.mark.parametrize(
    ("error", "message"),
    [
        (
            InvalidInputData("tickets.csv: column 'Id' is missing"),
            "The index rebuild failed: tickets.csv: column 'Id' is missing",
        ),
        (
            RuntimeError("disk on fire"),
            "The index rebuild failed: unexpected error: RuntimeError: disk on fire",
        ),
    ],
)
def test_a_failure_is_kept_as_a_clear_message(tmp_path: Path, error: Exception, message: str) -> None:
    runner = runner_for(FakeAdvisor(tmp_path, index_error=error), tmp_path)
    job = runner.wait(runner.start_rebuild().id, 10)
    assert job.state == "failed"
    assert job.message == message
    assert job.finished is not None
    assert runner.active() is None, "a failed job does not block the next"


def test_an_import_writes_the_folder_reloads_the_data_and_rebuilds_the_index(tmp_path: Path) -> None:
    organisation = tmp_path / "org"
    advisor = FakeAdvisor(organisation)
    runner = runner_for(advisor, tmp_path)
    upload = runner.upload_folder()
    export = upload / "tickets.csv"
    rejected = (
        f"105,X,Acme,Support,Bob,Bad,Open,low,Mail,question,{SCRIPT},2026-03-07 08:20:00,,Offered,1,0,0,0\n"
    )
    export.write_bytes(ZENDESK.read_bytes() + rejected.encode())

    job = runner.wait(runner.start_import([export], load_preset("zendesk"), upload_folder=upload).id, 30)

    assert job.state == "done", job.message
    assert job.tables == {"tickets": 4, "surveys": 2}
    assert job.sources == ["tickets.csv"] and job.mapping == "zendesk"
    assert [(file.file, file.rows, file.rejected) for file in job.files] == [("tickets.csv", 5, 1)]
    assert job.rejects == 1
    assert job.rejects_preview[0].reason == f"'{SCRIPT}' is not an ISO-8601 date and time"
    assert job.rejects_preview[0].line == "6" and job.rejects_preview[0].column == "Created at"
    assert job.index == {"added": 2, "updated": 0, "unchanged": 5, "removed": 1, "chunks": 3}
    assert job.done == job.total == 3
    assert job.message.startswith(
        "Imported 6 rows into 2 tables (1 problem in rejects.csv). Knowledge index: 2 added"
    )
    assert (organisation / "tickets.parquet").is_file()
    assert advisor.reloaded == [organisation]
    assert advisor.warmed == 1, "the served organisation's scorecards are computed before the job ends"
    assert advisor.remeasured == 1, "outcomes that were too early to tell are measured on the new data"
    assert not upload.exists(), "the upload is removed once imported"
    kept = runner.rejects_file(job.id)
    assert kept is not None and SCRIPT in kept.read_text(encoding="utf-8")
    assert read_rejects(kept, 5) == job.rejects_preview


def test_a_failed_import_leaves_the_folder_as_it_was(tmp_path: Path) -> None:
    organisation = tmp_path / "org"
    organisation.mkdir()
    (organisation / "tickets.csv").write_text("id,created_at\nT1,2026-01-01T00:00:00Z\n", encoding="utf-8")
    before = {path.name: path.read_bytes() for path in organisation.iterdir()}
    advisor = FakeAdvisor(organisation)
    runner = runner_for(advisor, tmp_path)
    upload = runner.upload_folder()
    export = upload / "tickets.csv"
    export.write_text("Something,Else\n1,2\n", encoding="utf-8")

    job = runner.wait(runner.start_import([export], load_preset("zendesk"), upload_folder=upload).id, 30)

    assert job.state == "failed"
    assert job.message.startswith("The import failed: ")
    assert "Id" in job.message  # the missing column is named
    assert {path.name: path.read_bytes() for path in organisation.iterdir()} == before
    assert advisor.reloaded == [], "nothing was imported, so nothing is reloaded or rebuilt"
    assert not upload.exists()
    assert runner.rejects_file(job.id) is None


def test_an_index_failure_after_an_import_says_the_data_was_imported(tmp_path: Path) -> None:
    runner = runner_for(FakeAdvisor(tmp_path / "org", index_error=RuntimeError("no space")), tmp_path)
    upload = runner.upload_folder()
    (upload / "tickets.csv").write_bytes(ZENDESK.read_bytes())
    job = runner.wait(
        runner.start_import([upload / "tickets.csv"], load_preset("zendesk"), upload_folder=upload).id, 30
    )
    assert job.state == "failed"
    assert job.message.startswith("The data was imported, but rebuilding the knowledge index failed:")
    assert job.tables == {"tickets": 4, "surveys": 2}


def test_old_jobs_are_forgotten_with_their_files(tmp_path: Path) -> None:
    runner = runner_for(FakeAdvisor(tmp_path), tmp_path, keep=2)
    ids = []
    for _ in range(4):
        job = runner.submit("rebuild", lambda updates: "ok")
        folder = runner.work_dir / "jobs" / job.id
        folder.mkdir(parents=True)
        (folder / "rejects.csv").write_text("file,line,column,table,reason\n", encoding="utf-8")
        runner.wait(job.id, 10)
        ids.append(job.id)
    assert [job.id for job in runner.jobs()] == [ids[3], ids[2]]
    assert runner.get(ids[0]) is None and runner.rejects_file(ids[0]) is None
    assert not (runner.work_dir / "jobs" / ids[0]).exists()
    assert runner.rejects_file(ids[3]) is not None
    assert runner.rejects_file("../../etc/passwd") is None


def test_close_removes_a_work_folder_the_runner_made(tmp_path: Path) -> None:
    runner = JobRunner(cast(Advisor, FakeAdvisor(tmp_path)))
    folder = runner.upload_folder()
    assert folder.is_dir()
    runner.close()
    assert not runner.work_dir.exists()
