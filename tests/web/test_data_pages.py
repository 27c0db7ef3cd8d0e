"""The data page and its API over a tiny organisation of its own: uploads, imports, rejects, rebuilds, jobs."""

from __future__ import annotations

import html
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from advisor.jobs import Job, JobRunner
from advisor.service import Advisor
from knowledge.embeddings import SentenceTransformerEmbedder
from metrics.importers.presets import load_preset
from tests.web.data_org import SCRIPT, tiny_advisor
from web.app import create_app

ZENDESK = Path(__file__).resolve().parents[1] / "data" / "imports" / "zendesk" / "tickets.csv"
REJECTED_ROW = (
    f"105,X,Acme,Support,Bob,Bad,Open,low,Mail,question,{SCRIPT},2026-03-07 08:20:00,,Offered,1,0,0,0\n"
)
UPLOAD_LIMIT = 64 * 1024


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, demo_dir: Path, embedder: SentenceTransformerEmbedder
) -> Iterator[tuple[TestClient, Advisor]]:
    advisor, settings = tiny_advisor(
        tmp_path_factory.mktemp("data-page"), demo_dir, embedder, upload_max_bytes=UPLOAD_LIMIT
    )
    with TestClient(create_app(settings, advisor=advisor)) as client:
        yield client, advisor


@pytest.fixture
def client(served: tuple[TestClient, Advisor]) -> TestClient:
    return served[0]


@pytest.fixture
def advisor(served: tuple[TestClient, Advisor]) -> Advisor:
    return served[1]


def jobs_of(client: TestClient) -> JobRunner:
    runner: JobRunner = client.app.state.jobs  # type: ignore[attr-defined]
    return runner


def token_of(client: TestClient) -> str:
    page = client.get("/data").text
    found = re.search(r'<meta name="csrf-token" content="([^"]+)">', page)
    assert found
    return found.group(1)


def api(client: TestClient) -> dict[str, str]:
    """Headers for the API from a browser-like client (it holds the CSRF cookie)."""
    return {"x-csrftoken": token_of(client)}


def finished(client: TestClient, job_id: str) -> Job:
    job = jobs_of(client).wait(job_id, 120)
    assert job.state in {"done", "failed"}, job
    return job


def zendesk_export(extra: str = "") -> bytes:
    return ZENDESK.read_bytes() + extra.encode("utf-8")


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {path.name: (path.stat().st_size, path.stat().st_mtime_ns) for path in folder.iterdir()}


def uploads_left(client: TestClient) -> list[Path]:
    folder = jobs_of(client).work_dir / "uploads"
    return list(folder.rglob("*")) if folder.exists() else []


def test_the_page_shows_the_organisation_an_upload_form_and_the_presets(
    client: TestClient, advisor: Advisor
) -> None:
    response = client.get("/data")
    assert response.status_code == 200
    page = response.text
    tickets = advisor.store().cursor().execute("SELECT count(*) FROM tickets").fetchone()
    assert tickets is not None
    assert re.search(rf"<td>tickets</td><td class=\"num\">{tickets[0]:,}</td>", page)
    assert html.escape(str(advisor.data_dir.resolve())) in page
    assert re.search(r"<dt>Time range</dt>\s*<dd>\d{4}-\d\d-\d\d to \d{4}-\d\d-\d\d</dd>", page)
    form = page[page.index('action="/data/import"') :]
    form = form[: form.index("</form>")]
    assert 'enctype="multipart/form-data"' in page
    assert form.index('name="csrftoken"') < form.index('type="file"'), "the token comes before any file"
    assert (
        '<label for="files">Export files</label>' in form
        and 'id="files" name="files" type="file" multiple' in form
    )
    assert (
        '<label for="preset">Preset</label>' in form
        and '<label for="mapping">Mapping file (YAML)</label>' in form
    )
    for name in ("zendesk", "servicenow", "salesforce-service-cloud"):
        assert f'<option value="{name}">{name}</option>' in form
    assert 'action="/data/rebuild-index"' in page


def job_of(location: str) -> str:
    found = re.fullmatch(r"/data\?job=(\w+)#job", location)
    assert found, location
    return found.group(1)


def test_an_upload_with_a_preset_previews_then_imports_merged_and_shows_counts_and_escaped_rejects(
    client: TestClient, advisor: Advisor
) -> None:
    [(tickets_before,)] = advisor.store().cursor().execute("SELECT count(*) FROM tickets").fetchall()
    untouched = snapshot(advisor.data_dir)
    response = client.post(
        "/data/import",
        data={"csrftoken": token_of(client), "preset": "zendesk"},
        files={"files": ("tickets.csv", zendesk_export(REJECTED_ROW), "text/csv")},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    preview_id = job_of(response.headers["location"])
    preview = finished(client, preview_id)
    assert preview.state == "done" and preview.preview, preview.message
    assert snapshot(advisor.data_dir) == untouched, "a preview writes nothing"
    tickets = next(change for change in preview.changes if change.table == "tickets")
    assert (tickets.before, tickets.after, tickets.action) == (tickets_before, tickets_before + 4, "merged")
    page = client.get(response.headers["location"]).text
    assert "Preview: rows per table before and after" in page
    assert (
        f'<tr><td>tickets</td><td class="num">{tickets_before:,}</td><td class="num">{tickets_before + 4:,}</td>'
        in page
    )
    assert f'action="/data/jobs/{preview_id}/confirm"' in page and "nothing was written yet" in page

    confirmed = client.post(
        f"/data/jobs/{preview_id}/confirm", data={"csrftoken": token_of(client)}, follow_redirects=False
    )
    assert confirmed.status_code == 303, confirmed.text
    job_id = job_of(confirmed.headers["location"])
    job = finished(client, job_id)
    assert job.state == "done", job.message
    assert job.tables == {"tickets": 4, "surveys": 2} and job.rejects == 1 and job.version
    again = client.post(f"/data/jobs/{preview_id}/confirm", data={"csrftoken": token_of(client)})
    assert again.status_code == 404 and "can no longer be imported" in again.text

    page = client.get(confirmed.headers["location"]).text
    assert "<h3>Rows per table</h3>" in page
    assert '<tr><td>tickets</td><td class="num">4</td></tr>' in page
    assert '<tr><td>surveys</td><td class="num">2</td></tr>' in page
    assert "<script>alert" not in page
    assert "&#39;&lt;script&gt;alert(1)&lt;/script&gt;&#39; is not an ISO-8601 date and time" in page
    assert f'href="/data/jobs/{job_id}/rejects.csv"' in page
    assert "Imported 6 rows into 2 tables" in page
    # the scorecard reads the merged data at once: the demo's tickets and the 4 imported ones
    total = f"{tickets_before + 4:,}"
    assert f'<td>tickets</td><td class="num">{total}</td><td class="file">tickets.parquet</td>' in page
    assert advisor.store().cursor().execute("SELECT count(*) FROM tickets").fetchone() == (
        tickets_before + 4,
    )
    assert "Undo the latest import" in page and "tickets.csv with zendesk" in page

    rejects = client.get(f"/data/jobs/{job_id}/rejects.csv")
    assert rejects.status_code == 200
    assert rejects.headers["content-type"] == "text/csv; charset=utf-8"
    assert rejects.headers["content-disposition"].startswith("attachment;")
    assert rejects.headers["x-content-type-options"] == "nosniff"
    assert rejects.text.splitlines()[0] == "file,line,column,table,severity,reason"
    assert SCRIPT in rejects.text
    assert uploads_left(client) == [], "the upload is removed once imported"


def test_an_upload_with_a_mapping_file_through_the_api_reports_its_progress(client: TestClient) -> None:
    mapping = load_preset("zendesk").model_dump(by_alias=True, exclude_none=True)
    text = (Path(__file__).resolve().parents[2] / "metrics/importers/presets/zendesk.yaml").read_text()
    text = text.replace("name: zendesk", "name: acme-helpdesk", 1)
    assert mapping["name"] == "zendesk"
    response = client.post(
        "/api/imports",
        files=[
            ("files", ("tickets-march.csv", zendesk_export(), "text/csv")),
            ("mapping", ("acme.yaml", text.encode(), "application/yaml")),
        ],
        headers=api(client),
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert response.headers["location"] == body["url"] == f"/api/jobs/{body['id']}"
    assert body["kind"] == "import" and body["state"] in {"queued", "running", "done"}
    assert body["sources"] == ["tickets-march.csv"] and body["mapping"] == "acme-helpdesk"
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        progress = client.get(body["url"]).json()
        seen.append(progress)
        if progress["state"] in {"done", "failed"}:
            break
        time.sleep(0.05)
    final = seen[-1]
    assert final["state"] == "done", final["message"]
    assert final["done"] == final["total"] >= 1
    assert final["tables"] == {"tickets": 4, "surveys": 2} and final["rejects"] == 0
    assert final["rejects_url"] is None
    assert final["finished"] >= final["started"]
    listed = client.get("/api/jobs").json()["jobs"]
    assert listed[0]["id"] == body["id"]


def test_an_oversized_upload_is_refused_while_streaming_and_nothing_changes(
    client: TestClient, advisor: Advisor
) -> None:
    before = snapshot(advisor.data_dir)
    jobs_before = len(jobs_of(client).jobs())
    big = b"Id,Created at\n" + b"1,2026-03-01T00:00:00Z\n" * 5000
    assert len(big) > UPLOAD_LIMIT
    response = client.post(
        "/data/import",
        data={"csrftoken": token_of(client), "preset": "zendesk"},
        files={"files": ("huge-export.csv", big, "text/csv")},
    )
    assert response.status_code == 413
    assert 'role="alert"' in response.text
    assert "huge-export.csv is larger than the upload limit of 64.0 KiB per file" in response.text
    api_response = client.post(
        "/api/imports",
        files=[
            ("files", ("small.csv", zendesk_export(), "text/csv")),
            ("files", ("huge.csv", big, "text/csv")),
        ],
        data={"preset": "zendesk"},
        headers=api(client),
    )
    assert api_response.status_code == 413
    assert api_response.json()["detail"].startswith("huge.csv is larger than the upload limit of 64.0 KiB")
    far_too_big = client.post(
        "/api/imports",
        files={"files": ("enormous.csv", b"Id\n" + b"1\n" * 2_000_000, "text/csv")},
        data={"preset": "zendesk"},
        headers=api(client),
    )
    assert far_too_big.status_code == 413, "refused from its declared length, before it is read"
    assert far_too_big.json()["detail"].startswith(
        "the upload of enormous.csv holds 3.8 MiB, over the upload limit"
    )
    assert snapshot(advisor.data_dir) == before
    assert uploads_left(client) == []
    assert len(jobs_of(client).jobs()) == jobs_before, "no job was started"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("report.exe", b"MZ\x90\x00\x03", "report.exe: not a file the importer reads"),
        (
            "tickets.xlsx",
            b"PK\x03\x04\x14\x00",
            "tickets.xlsx: spreadsheets are not read: save the sheet as CSV",
        ),
        (
            "tickets.csv",
            b"\x00\x01\x02" + os.urandom(4000),
            "tickets.csv is not CSV text: it holds binary data",
        ),
        (
            "tickets.csv",
            b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
            "tickets.csv is not CSV text: it is a PNG image",
        ),
        (
            "tickets.csv",
            b"PK\x03\x04" + b"\x00" * 64,
            "tickets.csv is not CSV text: it is a zip archive or an Excel",
        ),
        ("export.zip", b"Id,Created at\n1,2\n", "export.zip is named .zip but is not a zip archive"),
        ("export.csv.gz", b"Id,Created at\n1,2\n", "export.csv.gz is named .gz but is not gzip-compressed"),
        ("export.parquet", b"Id,Created at\n", "export.parquet is named .parquet but is not a Parquet file"),
        ("empty.csv", b"", "empty.csv is empty"),
    ],
)
def test_a_file_of_the_wrong_type_is_refused(
    client: TestClient, advisor: Advisor, name: str, content: bytes, message: str
) -> None:
    before = snapshot(advisor.data_dir)
    response = client.post(
        "/api/imports",
        data={"preset": "zendesk"},
        files={"files": (name, content, "text/csv")},
        headers=api(client),
    )
    assert response.status_code == 400
    assert response.json()["detail"].startswith(message)
    assert snapshot(advisor.data_dir) == before
    assert uploads_left(client) == []


def test_a_refusal_on_the_page_names_the_file_escaped(client: TestClient) -> None:
    name = "<img src=x onerror=alert(1)>.exe"
    response = client.post(
        "/data/import",
        data={"csrftoken": token_of(client), "preset": "zendesk"},
        files={"files": (name, b"MZ", "application/octet-stream")},
    )
    assert response.status_code == 400
    assert "<img src=x" not in response.text
    assert "&lt;img src=x onerror=alert(1)&gt;.exe: not a file the importer reads" in response.text


@pytest.mark.parametrize(
    ("fields", "mapping", "message"),
    [
        ({}, None, "choose a preset or upload a mapping file (YAML) for the exports"),
        ({"preset": "zendesk"}, b"name: x\n", "choose a preset or upload a mapping file, not both"),
        ({"preset": "nonesuch"}, None, "unknown preset 'nonesuch'"),
        ({}, b"name: [unclosed\n", "acme.yaml line"),
        ({}, b"name: acme\nsources: {}\n", "acme.yaml"),
    ],
)
def test_a_preset_or_a_usable_mapping_is_required(
    client: TestClient, fields: dict[str, str], mapping: bytes | None, message: str
) -> None:
    files = [("files", ("tickets.csv", zendesk_export(), "text/csv"))]
    if mapping is not None:
        files.append(("mapping", ("acme.yaml", mapping, "application/yaml")))
    response = client.post("/api/imports", data=fields, files=files, headers=api(client))
    assert response.status_code == 400
    assert response.json()["detail"].startswith(message), response.json()
    assert uploads_left(client) == []


def test_a_mapping_must_be_yaml(client: TestClient) -> None:
    response = client.post(
        "/api/imports",
        files=[
            ("files", ("tickets.csv", zendesk_export(), "text/csv")),
            ("mapping", ("acme.exe", b"MZ", "application/octet-stream")),
        ],
        headers=api(client),
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "acme.exe: a mapping is a YAML file (.yaml or .yml)"


def test_a_rebuild_reads_new_articles_and_reaches_done(client: TestClient, advisor: Advisor) -> None:
    articles = advisor.data_dir / "articles.csv"
    if articles.is_file():  # a new article written beside the app: the rebuild reads it afresh
        with articles.open("a", encoding="utf-8") as handle:
            handle.write(
                '"KB7000","Rotate the API key in Ledger","Symptom: calls fail with 401. Resolution: rotate the key.",'
                '"customer","published","Ledger","2025-01-01T00:00:00+00:00",\n'
            )
    response = client.post("/api/index/rebuild", headers=api(client))
    assert response.status_code == 202
    job = finished(client, response.json()["id"])
    assert job.state == "done", job.message
    assert job.done == job.total >= 1
    assert job.index["added"] >= (1 if articles.is_file() else 0)
    assert job.message.startswith("Knowledge index:")
    page = client.get(f"/data?job={job.id}").text
    assert '<progress id="job-progress"' in page and f'max="{job.total}" value="{job.total}"' in page
    assert "Done" in page and "Knowledge index:" in page


def test_a_second_job_while_one_runs_is_409(
    client: TestClient, advisor: Advisor, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = threading.Event()
    build = advisor.build_index

    def slow_build(*args: Any, **kwargs: Any) -> Any:
        gate.wait(30)
        return build(*args, **kwargs)

    monkeypatch.setattr(advisor, "build_index", slow_build)
    try:
        first = client.post("/api/index/rebuild", headers=api(client))
        assert first.status_code == 202
        job_id = first.json()["id"]
        again = client.post("/api/index/rebuild", headers=api(client))
        assert again.status_code == 409
        assert f"index rebuild is already running (job {job_id}" in again.json()["detail"]
        upload = client.post(
            "/api/imports",
            data={"preset": "zendesk"},
            files={"files": ("tickets.csv", zendesk_export(), "text/csv")},
            headers=api(client),
        )
        assert upload.status_code == 409 and "already running" in upload.json()["detail"]
        assert uploads_left(client) == [], "a refused upload is not stored"
        form = client.post("/data/rebuild-index", data={"csrftoken": token_of(client)})
        assert form.status_code == 409 and 'role="alert"' in form.text and "already running" in form.text
        page = client.get("/data").text
        assert f'data-job-id="{job_id}" data-job-state="running"' in page
        assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
        assert 'disabled aria-describedby="busy-hint"' in page
        progress = client.get(f"/api/jobs/{job_id}").json()
        assert progress["state"] == "running" and progress["stage"] == "Rebuilding the knowledge index"
    finally:
        gate.set()
    assert finished(client, job_id).state == "done"
    last = client.post("/api/index/rebuild", headers=api(client))
    assert last.status_code == 202
    assert finished(client, last.json()["id"]).state == "done"  # the next test's job must not meet it


def test_unknown_jobs_and_rejects_are_404(client: TestClient) -> None:
    missing = client.get("/api/jobs/nosuchjob")
    assert missing.status_code == 404 and "nosuchjob" in missing.json()["detail"]
    assert client.get("/data/jobs/nosuchjob/rejects.csv").status_code == 404


def test_a_form_whose_file_comes_before_the_csrf_token_is_refused(client: TestClient) -> None:
    token = token_of(client)
    boundary = "testboundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="tickets.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\n{ZENDESK.read_text()}\r\n"
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrftoken"\r\n\r\n{token}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="preset"\r\n\r\nzendesk\r\n'
        f"--{boundary}--\r\n"
    ).encode()
    response = client.post(
        "/data/import", content=body, headers={"content-type": f"multipart/form-data; boundary={boundary}"}
    )
    assert response.status_code == 403
    assert uploads_left(client) == []


def test_a_discarded_preview_writes_nothing_and_an_undo_restores_the_data(
    client: TestClient, advisor: Advisor
) -> None:
    untouched = snapshot(advisor.data_dir)
    extra = "901,Z,Initech,Support,Bob,New one,Open,low,Mail,question,2026-03-09 08:00:00,,,,0,0,0,0\n"
    response = client.post(
        "/api/imports",
        data={"preset": "zendesk", "preview": "true", "mode": "replace"},
        files={"files": ("tickets.csv", zendesk_export(extra), "text/csv")},
        headers=api(client),
    )
    assert response.status_code == 202, response.text
    preview = finished(client, response.json()["id"])
    assert preview.preview and preview.replace
    assert {change.table: change.action for change in preview.changes}["tickets"] == "replaced"
    body = client.get(f"/api/jobs/{preview.id}").json()
    assert body["confirm_url"] == f"/api/jobs/{preview.id}/confirm"
    discarded = client.post(f"/data/jobs/{preview.id}/discard", data={"csrftoken": token_of(client)})
    assert discarded.status_code == 200 and "Discarded: nothing was imported." in discarded.text
    assert client.post(f"/api/jobs/{preview.id}/confirm", headers=api(client)).status_code == 404
    assert snapshot(advisor.data_dir) == untouched and uploads_left(client) == []

    # an import through the API (merged, no preview), then the page's undo button restores the folder
    [(tickets_before,)] = advisor.store().cursor().execute("SELECT count(*) FROM tickets").fetchall()
    started = client.post(
        "/api/imports",
        data={"preset": "zendesk"},
        files={"files": ("tickets.csv", zendesk_export(extra), "text/csv")},
        headers=api(client),
    )
    assert finished(client, started.json()["id"]).state == "done"
    cursor = advisor.store().cursor()
    [(imported, total)] = cursor.execute(
        "SELECT count(*) FILTER (id IN ('101', '102', '103', '104', '901')), count(*) FROM tickets"
    ).fetchall()
    assert imported == 5 and total > tickets_before  # merged: the old tickets stay, 901 is new
    undo = client.post("/data/undo", data={"csrftoken": token_of(client)}, follow_redirects=False)
    assert undo.status_code == 303
    job = finished(client, job_of(undo.headers["location"]))
    assert job.state == "done" and job.kind == "undo", job.message
    assert job.message.startswith("Undid the import of")
    assert advisor.store().cursor().execute("SELECT count(*) FROM tickets").fetchone() == (tickets_before,)
    # the same files (hard links of the old ones); only the versions folder itself is new
    restored = snapshot(advisor.data_dir)
    assert restored.keys() == untouched.keys()
    assert {name: restored[name] for name in restored if name != "versions"} == {
        name: untouched[name] for name in untouched if name != "versions"
    }


def test_an_upload_of_240_zendesk_rows_keeps_every_ticket_and_survey(
    client: TestClient, advisor: Advisor
) -> None:
    counts = "SELECT (SELECT count(*) FROM tickets), (SELECT count(*) FROM surveys)"
    [(tickets, surveys)] = advisor.store().cursor().execute(counts).fetchall()
    old_ids = {row[0] for row in advisor.store().cursor().execute("SELECT id FROM tickets").fetchall()}
    lines = ["Id,Organization,Group,Subject,Priority,Via,Created at,Updated at,Solved at,Satisfaction Score"]
    for number in range(240):
        rating = ("Good", "Bad", "Offered", "Unoffered")[number % 4]
        lines.append(
            f"{70000 + number},Acme,Billing,Question {number},normal,Web form,2026-10-02 09:00:00 +0000,"
            f"2026-10-02 12:00:00 +0000,2026-10-02 11:00:00 +0000,{rating}"
        )
    upload = ("\n".join(lines) + "\n").encode()
    response = client.post(
        "/api/imports",
        data={"preset": "zendesk", "preview": "true"},
        files={"files": ("export.csv", upload, "text/csv")},
        headers=api(client),
    )
    preview = finished(client, response.json()["id"])
    shown = {change.table: (change.before, change.after) for change in preview.changes}
    assert shown["tickets"] == (tickets, tickets + 240) and shown["surveys"] == (surveys, surveys + 120)
    confirmed = client.post(f"/api/jobs/{preview.id}/confirm", headers=api(client))
    assert confirmed.status_code == 202, confirmed.text
    assert finished(client, confirmed.json()["id"]).state == "done"
    assert advisor.store().cursor().execute(counts).fetchall() == [(tickets + 240, surveys + 120)]
    now_ids = {row[0] for row in advisor.store().cursor().execute("SELECT id FROM tickets").fetchall()}
    assert old_ids <= now_ids
