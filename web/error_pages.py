"""No bare errors: every error a page can meet is shown in the app's layout (web/templates/error.html) saying
what happened and what to do next; under /api/ it stays JSON (`{"detail": ...}`). An unexpected failure is
logged with its traceback under a short reference, which the page shows instead of any stack trace."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from advisor.access import Principal
from advisor.errors import (
    AdvisorError,
    ConversationNotFound,
    InvalidTransition,
    RecommendationNotFound,
    StateUnavailable,
    UnknownPractice,
    UserConflict,
    UserNotFound,
)
from knowledge.errors import InvalidQuery, KnowledgeError, UnknownDocument
from metrics.errors import InvalidPeriod, MetricsError, UnknownMetric
from web.security import SESSION_COOKIE, is_api

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErrorHelp:
    """What an error page says above the message (`title`) and below it (`advice`: what to do next)."""

    title: str
    advice: str


_HELP: dict[int, ErrorHelp] = {
    400: ErrorHelp("That could not be done", "Check what you entered or chose, then try again."),
    401: ErrorHelp("Sign in first", "Sign in, then open the page again."),
    403: ErrorHelp(
        "Not allowed",
        "Your role does not include this. Use the menu for the pages open to you, or ask an admin for access.",
    ),
    404: ErrorHelp(
        "Not found",
        "The address may be mistyped, or what it pointed to was removed or renamed. Start again from your "
        "home page or the menu, or search the knowledge base.",
    ),
    405: ErrorHelp(
        "That address does not work that way",
        "It is opened from a link or a form in the app, not typed in. Go back and use the page's own "
        "buttons.",
    ),
    409: ErrorHelp(
        "It changed in the meantime",
        "Someone (or another tab) changed it first. Reload the page to see where it stands, then try again.",
    ),
    413: ErrorHelp(
        "Too large", "Send less at once: split the file or the text, or ask an admin about the limit."
    ),
    422: ErrorHelp(
        "Some of what was sent is not valid", "Go back, correct the fields named here, and send again."
    ),
    429: ErrorHelp("Too many tries", "Wait a few minutes, then try again."),
    500: ErrorHelp(
        "Something went wrong on our side",
        "Nothing you did caused this. Try again in a moment; if it keeps happening, give the reference below "
        "to your admin: it finds the details in the server's log.",
    ),
    503: ErrorHelp(
        "Not available right now",
        "A part the app needs (its database, data or knowledge index) is busy or being rebuilt. Wait a moment "
        "and reload the page; your work so far is kept.",
    ),
}
_CSRF = ErrorHelp(
    "This form has expired",
    "Go back, reload the page (your sign-in is kept) and send the form again. If it keeps happening, allow "
    "cookies for this site.",
)


def error_help(status: int, reason: str | None = None) -> ErrorHelp:
    """The title and advice for an error page (a template global); `reason="csrf"` for a refused form."""
    if reason == "csrf":
        return _CSRF
    if status in _HELP:
        return _HELP[status]
    return _HELP[500] if status >= 500 else _HELP[400]


def render_error(
    request: Request,
    status: int,
    message: str,
    *,
    reference: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The error page in the app's layout, or JSON under /api/."""
    if is_api(request.url.path):
        body: dict[str, Any] = {"detail": message}
        if reference:
            body["reference"] = reference
        return JSONResponse(body, status_code=status, headers=dict(headers or {}))
    templates: Any = request.app.state.templates
    context = {"message": message, "status": status, "reference": reference}
    response: Response = templates.TemplateResponse(
        request, "error.html", context, status_code=status, headers=headers
    )
    return response


def status_for(error: Exception) -> int:
    """HTTP status for a domain error: what the client asked cannot be done, or the state is unavailable."""
    if isinstance(
        error,
        RecommendationNotFound
        | ConversationNotFound
        | UserNotFound
        | UnknownDocument
        | UnknownMetric
        | UnknownPractice,
    ):
        return 404
    if isinstance(error, InvalidTransition | UserConflict):
        return 409
    if isinstance(error, StateUnavailable):
        return 503
    if isinstance(error, InvalidPeriod | InvalidQuery):
        return 422
    return 400


_PLACES = {"query": "'{}' in the address", "path": "the address part '{}'", "body": "the field '{}'"}


def validation_message(errors: Sequence[Any]) -> str:
    """FastAPI's validation errors in words: `'period' in the address: String should have at most 40
    characters`, `the field 'message': ...`."""
    parts = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ())]
        if len(location) > 1:
            name = ".".join(location[1:])
            where = _PLACES.get(location[0], location[0] + " '{}'").format(name)
        else:
            where = "the request"
        parts.append(f"{where}: {error.get('msg', 'is not valid')}")
    return "; ".join(parts[:5]) or "the request is not valid"


def _said(request: Request, error: HTTPException) -> str:
    """The error's own words; for the router's bare "Not Found" and "Method Not Allowed", what was asked."""
    detail = str(error.detail)
    if detail != HTTPStatus(error.status_code).phrase:
        return detail
    if error.status_code == 404:
        return f"There is no page at {request.url.path}."
    if error.status_code == 405:
        return f"{request.url.path} cannot be sent a {request.method} request."
    return detail


async def _principal_after_a_crash(request: Request) -> None:
    """A 500 is answered outside the middleware that signs the request in: look the session up again, so the
    page still shows the person's menu (nothing, if that fails too)."""
    if getattr(request.state, "principal", None) is not None:
        return
    token = request.cookies.get(SESSION_COOKIE)
    users = getattr(request.app.state, "users", None)
    found: Principal | None = None
    try:
        if users is None or not await run_in_threadpool(users.has_users):
            return
        if token:
            found = await run_in_threadpool(users.session_principal, token)
    except Exception:  # the error page must render whatever else is broken
        logger.warning("could not find who met an internal error", exc_info=True)
    request.state.principal = found


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every error into a page (or JSON under /api/)."""

    @app.exception_handler(MetricsError)
    @app.exception_handler(KnowledgeError)
    @app.exception_handler(AdvisorError)
    async def domain_error(request: Request, error: Exception) -> Response:
        return render_error(request, status_for(error), str(error))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        """JSON for the API; for pages, sign-in first (401) or the error page."""
        if is_api(request.url.path):
            return await http_exception_handler(request, error)
        if error.status_code == 401:
            return RedirectResponse(f"/login?next={quote(request.url.path, safe='/')}", status_code=303)
        return render_error(request, error.status_code, _said(request, error), headers=error.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> Response:
        if is_api(request.url.path):
            return await request_validation_exception_handler(request, error)
        return render_error(request, 422, validation_message(error.errors()))

    @app.exception_handler(Exception)
    async def internal_error(request: Request, error: Exception) -> Response:
        """Logged with its traceback under a reference the page shows; never the trace itself."""
        reference = uuid.uuid4().hex[:12]
        logger.error(
            "internal error %s on %s %s", reference, request.method, request.url.path, exc_info=error
        )
        if not is_api(request.url.path):
            await _principal_after_a_crash(request)
        return render_error(
            request,
            500,
            f"An unexpected error stopped this request (reference {reference}).",
            reference=reference,
        )
