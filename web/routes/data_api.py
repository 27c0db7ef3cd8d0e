"""The JSON API behind the data page: imports, index rebuilds and their progress."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import JSONResponse, Response

from advisor.access import Permission
from advisor.jobs import Job, JobBusy, JobRunner
from advisor.settings import Settings
from metrics.errors import MetricsError
from metrics.importers import Mapping, load_preset, parse_mapping, preset_names
from web.security import current_principal, require
from web.uploads import UploadRejected, receive_upload

router = APIRouter()

_IMPORT = [Depends(require(Permission.IMPORT_DATA))]


def get_jobs(request: Request) -> JobRunner:
    jobs: JobRunner = request.app.state.jobs
    return jobs


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


JobsDep = Annotated[JobRunner, Depends(get_jobs)]
AppSettingsDep = Annotated[Settings, Depends(get_app_settings)]


def job_json(job: Job, jobs: JobRunner) -> dict[str, Any]:
    """A job as the API shows it, with the links that belong to it."""
    rejects = jobs.rejects_file(job.id)
    waiting = jobs.awaiting_confirmation(job.id)
    return {
        **job.model_dump(mode="json"),
        "url": f"/api/jobs/{job.id}",
        "page": f"/data?job={job.id}",
        "rejects_url": f"/data/jobs/{job.id}/rejects.csv" if rejects is not None else None,
        "confirm_url": f"/api/jobs/{job.id}/confirm" if waiting else None,
        "discard_url": f"/api/jobs/{job.id}/discard" if waiting else None,
    }


def _yes(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


async def start_upload_import(
    request: Request, jobs: JobRunner, settings: Settings, *, preview: bool | None = None
) -> Job:
    """Receive an upload (exports plus a preset name or a mapping file) and start its import job.

    Form fields: `preset`, `time_zone`, `mode` (`merge`, the default, or `replace`: the tables the import
    fills lose their old rows) and `preview` (a dry run, confirmed later; `preview` here overrides it).
    Raises UploadRejected (400, 409, 413) when nothing was started; the upload is then not kept.
    """
    try:
        jobs.ensure_idle()  # before a byte is stored
    except JobBusy as error:
        raise UploadRejected(409, str(error)) from None
    folder = jobs.upload_folder()
    upload = await receive_upload(request, folder, max_file_bytes=settings.upload_max_bytes)
    try:
        if not upload.files:
            raise UploadRejected(400, "choose at least one export file to import")
        mapping = _chosen_mapping(upload.fields.get("preset", "").strip(), upload.mapping)
    except MetricsError as error:
        shutil.rmtree(folder, ignore_errors=True)
        raise UploadRejected(400, str(error)) from None
    except UploadRejected:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    time_zone = upload.fields.get("time_zone", "").strip() or None
    mode = upload.fields.get("mode", "merge").strip() or "merge"
    if mode not in {"merge", "replace"}:
        shutil.rmtree(folder, ignore_errors=True)
        raise UploadRejected(400, f"mode is 'merge' (the default) or 'replace', not {mode!r}")
    try:
        # the job owns the folder from here: it removes it when it ends, or now when it cannot start
        return jobs.start_import(
            upload.files,
            mapping,
            upload_folder=folder,
            time_zone=time_zone,
            preview=_yes(upload.fields.get("preview", "")) if preview is None else preview,
            replace=mode == "replace",
            by=current_principal(request).username,
        )
    except JobBusy as error:
        raise UploadRejected(409, str(error)) from None


def _chosen_mapping(preset: str, mapping_file: Path | None) -> Mapping:
    if preset and mapping_file is not None:
        raise UploadRejected(400, "choose a preset or upload a mapping file, not both")
    if mapping_file is not None:
        try:
            text = mapping_file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise UploadRejected(400, f"{mapping_file.name}: a mapping must be UTF-8 text") from None
        return parse_mapping(text, mapping_file.name)
    if not preset:
        raise UploadRejected(400, "choose a preset or upload a mapping file (YAML) for the exports")
    if preset not in preset_names():
        raise UploadRejected(400, f"unknown preset {preset!r}; presets: {', '.join(preset_names())}")
    return load_preset(preset)


@router.post("/api/imports", dependencies=_IMPORT, status_code=202)
async def start_import(request: Request, jobs: JobsDep, settings: AppSettingsDep) -> Response:
    try:
        job = await start_upload_import(request, jobs, settings)
    except UploadRejected as error:
        return JSONResponse({"detail": error.message}, status_code=error.status_code)
    return JSONResponse(job_json(job, jobs), status_code=202, headers={"Location": f"/api/jobs/{job.id}"})


@router.post("/api/jobs/{job_id}/confirm", dependencies=_IMPORT, status_code=202)
def confirm_import(job_id: str, request: Request, jobs: JobsDep) -> Response:
    """Import what a preview job showed (a new import job)."""
    try:
        job = jobs.confirm(job_id, by=current_principal(request).username)
    except JobBusy as error:
        return JSONResponse({"detail": str(error)}, status_code=409)
    except KeyError:
        return JSONResponse(
            {"detail": f"job {job_id!r} is no preview waiting to be imported"}, status_code=404
        )
    return JSONResponse(job_json(job, jobs), status_code=202, headers={"Location": f"/api/jobs/{job.id}"})


@router.post("/api/jobs/{job_id}/discard", dependencies=_IMPORT)
def discard_import(job_id: str, jobs: JobsDep) -> Response:
    if not jobs.discard(job_id):
        return JSONResponse(
            {"detail": f"job {job_id!r} is no preview waiting to be imported"}, status_code=404
        )
    return JSONResponse({"discarded": job_id})


@router.post("/api/imports/undo", dependencies=_IMPORT, status_code=202)
def undo_last_import(jobs: JobsDep) -> Response:
    """Restore the organisation's data as it was before its latest import (a job)."""
    try:
        job = jobs.start_undo()
    except JobBusy as error:
        return JSONResponse({"detail": str(error)}, status_code=409)
    return JSONResponse(job_json(job, jobs), status_code=202, headers={"Location": f"/api/jobs/{job.id}"})


@router.post("/api/index/rebuild", dependencies=_IMPORT, status_code=202)
def rebuild_index(jobs: JobsDep) -> Response:
    try:
        job = jobs.start_rebuild()
    except JobBusy as error:
        return JSONResponse({"detail": str(error)}, status_code=409)
    return JSONResponse(job_json(job, jobs), status_code=202, headers={"Location": f"/api/jobs/{job.id}"})


@router.get("/api/jobs", dependencies=_IMPORT)
def list_jobs(jobs: JobsDep) -> dict[str, Any]:
    return {"jobs": [job_json(job, jobs) for job in jobs.jobs()]}


@router.get("/api/jobs/{job_id}", dependencies=_IMPORT)
def get_job(job_id: str, jobs: JobsDep) -> dict[str, Any]:
    job = jobs.get(job_id)
    if job is None:
        raise HTTPException(404, f"no job {job_id!r} (the last 20 jobs are kept)")
    return job_json(job, jobs)
