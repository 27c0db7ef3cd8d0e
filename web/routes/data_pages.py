"""The data page: upload exports with a preset or a mapping, see counts and rejects, rebuild the index."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from advisor.access import Permission
from advisor.jobs import Job, JobBusy, JobRunner
from advisor.overview import describe_organisation
from advisor.service import Advisor
from advisor.settings import Settings
from metrics.errors import MetricsError
from metrics.importers import Version, list_versions, load_preset, preset_names
from web.dependencies import AdvisorDep, TemplatesDep
from web.routes.data_api import AppSettingsDep, JobsDep, start_upload_import
from web.security import current_principal, require
from web.uploads import ACCEPT_EXPORTS, UploadRejected, human_bytes

router = APIRouter()
logger = logging.getLogger(__name__)

_IMPORT = [Depends(require(Permission.IMPORT_DATA))]
STATE_LABELS = {"queued": "Waiting", "running": "Running", "done": "Done", "failed": "Failed"}
KIND_LABELS = {"import": "Import", "rebuild": "Index rebuild", "undo": "Undo of an import"}
#: Kept imports listed on the page (the latest can be undone).
VERSIONS_SHOWN = 5
ACTION_LABELS = {
    "new": "new table",
    "merged": "merged by id",
    "replaced": "replaced",
    "kept": "not touched",
}


@lru_cache(maxsize=1)
def presets() -> tuple[tuple[str, str], ...]:
    """The shipped presets that load, with their descriptions (read once; one that fails is left out)."""
    found = []
    for name in preset_names():
        try:
            found.append((name, " ".join(load_preset(name).description.split())))
        except MetricsError:
            logger.warning("import preset %s cannot be read; it is not offered", name, exc_info=True)
    return tuple(found)


def _page(
    request: Request,
    advisor: Advisor,
    templates: Jinja2Templates,
    jobs: JobRunner,
    settings: Settings,
    *,
    job_id: str | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    recent = jobs.jobs()
    shown: Job | None = None
    if job_id:
        shown = next((job for job in recent if job.id == job_id), None)
    if shown is None:
        shown = next((job for job in recent if job.active), None) or (recent[0] if recent else None)
    context: dict[str, Any] = {
        "overview": describe_organisation(advisor),
        "presets": presets(),
        "jobs": recent,
        "job": shown,
        "busy": any(job.active for job in recent),
        "rejects_url": (
            f"/data/jobs/{shown.id}/rejects.csv"
            if shown is not None and jobs.rejects_file(shown.id) is not None
            else None
        ),
        "error": error,
        "accept": ACCEPT_EXPORTS,
        "max_upload": human_bytes(settings.upload_max_bytes),
        "state_labels": STATE_LABELS,
        "kind_labels": KIND_LABELS,
        "action_labels": ACTION_LABELS,
        "awaiting": shown is not None and jobs.awaiting_confirmation(shown.id),
        "versions": _versions(advisor),
    }
    return templates.TemplateResponse(request, "data.html", context, status_code=status)


@router.get("/data", response_class=HTMLResponse, dependencies=_IMPORT)
def data_page(
    request: Request,
    advisor: AdvisorDep,
    templates: TemplatesDep,
    jobs: JobsDep,
    settings: AppSettingsDep,
    job: str | None = None,
) -> Response:
    return _page(request, advisor, templates, jobs, settings, job_id=job)


@router.post("/data/import", dependencies=_IMPORT)
async def import_form(
    request: Request,
    advisor: AdvisorDep,
    templates: TemplatesDep,
    jobs: JobsDep,
    settings: AppSettingsDep,
) -> Response:
    try:
        # the page always shows a preview first: nothing is written until the import is confirmed
        started = await start_upload_import(request, jobs, settings, preview=True)
    except UploadRejected as rejected:
        return await run_in_threadpool(
            _page,
            request,
            advisor,
            templates,
            jobs,
            settings,
            error=rejected.message,
            status=rejected.status_code,
        )
    return RedirectResponse(f"/data?job={started.id}#job", status_code=303)


@router.post("/data/jobs/{job_id}/confirm", dependencies=_IMPORT)
def confirm_form(
    job_id: str,
    request: Request,
    advisor: AdvisorDep,
    templates: TemplatesDep,
    jobs: JobsDep,
    settings: AppSettingsDep,
) -> Response:
    try:
        started = jobs.confirm(job_id, by=current_principal(request).username)
    except JobBusy as busy:
        return _page(request, advisor, templates, jobs, settings, job_id=job_id, error=str(busy), status=409)
    except KeyError:
        message = (
            "This preview can no longer be imported (it was imported or discarded already): upload again."
        )
        return _page(request, advisor, templates, jobs, settings, job_id=job_id, error=message, status=404)
    return RedirectResponse(f"/data?job={started.id}#job", status_code=303)


@router.post("/data/jobs/{job_id}/discard", dependencies=_IMPORT)
def discard_form(job_id: str, jobs: JobsDep) -> Response:
    jobs.discard(job_id)
    return RedirectResponse(f"/data?job={job_id}#job", status_code=303)


@router.post("/data/undo", dependencies=_IMPORT)
def undo_form(
    request: Request, advisor: AdvisorDep, templates: TemplatesDep, jobs: JobsDep, settings: AppSettingsDep
) -> Response:
    return _start(request, advisor, templates, jobs, settings, jobs.start_undo)


def _versions(advisor: Advisor) -> list[Version]:
    try:
        return list_versions(advisor.data_dir)[:VERSIONS_SHOWN]
    except OSError:
        return []


@router.post("/data/rebuild-index", dependencies=_IMPORT)
def rebuild_form(
    request: Request, advisor: AdvisorDep, templates: TemplatesDep, jobs: JobsDep, settings: AppSettingsDep
) -> Response:
    return _start(request, advisor, templates, jobs, settings, jobs.start_rebuild)


def _start(
    request: Request,
    advisor: Advisor,
    templates: Jinja2Templates,
    jobs: JobRunner,
    settings: Settings,
    start: Callable[[], Job],
) -> Response:
    """Start a background job and follow it on the page; 409 with the page when another job runs."""
    try:
        started = start()
    except JobBusy as busy:
        return _page(request, advisor, templates, jobs, settings, error=str(busy), status=409)
    return RedirectResponse(f"/data?job={started.id}#job", status_code=303)


@router.get("/data/jobs/{job_id}/rejects.csv", dependencies=_IMPORT)
def rejects_csv(job_id: str, jobs: JobsDep) -> Response:
    path = jobs.rejects_file(job_id)
    if path is None:
        raise HTTPException(404, f"job {job_id!r} has no rejects.csv")
    return FileResponse(
        path,
        media_type="text/csv; charset=utf-8",
        filename=f"rejects-{job_id}.csv",
        headers={"X-Content-Type-Options": "nosniff"},
    )
