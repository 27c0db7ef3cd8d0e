"""Health: liveness (the process answers) and readiness (the model, the index and the scorecard are loaded).

`/healthz` is the readiness answer (200 when ready, 503 with the reasons otherwise), so a load balancer or
`advisor serve`'s callers wait for a server that answers at full speed; `/healthz/live` answers as soon as
the server listens. Both are answered on the event loop from what the warm-up found: never slow.
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from advisor.readiness import Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz/live")
async def live() -> dict[str, str | int]:
    """The process is up and answering; `worker` names the process (with `advisor serve --workers N`, which
    of them answered: a check that a proxy or the kernel spreads requests over all)."""
    return {"status": "alive", "worker": os.getpid()}


@router.get("/healthz")
@router.get("/healthz/ready")
async def ready(request: Request) -> JSONResponse:
    """200 `{"status": "ok"}` once ready; 503 `{"status": "starting" | "not ready"}` with each check's
    state ("ok", "waiting" or the reason it failed)."""
    readiness: Readiness = request.app.state.readiness
    report = readiness.report()
    advisor = request.app.state.advisor
    waiting = any(value == "waiting" for value in report.checks.values())
    body: dict[str, Any] = {
        "status": "ok" if report.ready else ("starting" if waiting else "not ready"),
        "ready": report.ready,
        "checks": report.checks,
        "ready_after_s": report.ready_after_s,
        "practices": len(advisor.practices),
        "index_empty": report.checks["knowledge index"] != "ok",
    }
    return JSONResponse(body, status_code=200 if report.ready else 503)
