"""The FastAPI app factory: builds what it is not given, mounts static files, and maps domain errors."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from urllib.parse import quote

from asgi_csrf import asgi_csrf
from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from advisor.composition import build_advisor, build_users, signing_secret
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
from advisor.jobs import JobRunner
from advisor.service import Advisor
from advisor.settings import Settings, get_settings
from advisor.users import UserStore
from knowledge.errors import InvalidQuery, KnowledgeError, UnknownDocument
from metrics.errors import InvalidPeriod, MetricsError, UnknownMetric
from web import csrf_multipart
from web.rendering import STATIC_DIR, build_templates
from web.routes import (
    account_api,
    api,
    auth_pages,
    chat_api,
    chat_pages,
    data_api,
    data_pages,
    diagnosis_api,
    diagnosis_pages,
    knowledge_pages,
    pages,
    recommendation_pages,
    recommendations,
    scorecard_pages,
)
from web.security import Authentication, ProtectedPaths, csrf_failed, error_page, is_api
from web.throttle import SignInThrottle


def create_app(
    settings: Settings | None = None, *, advisor: Advisor | None = None, users: UserStore | None = None
) -> FastAPI:
    """The web app; pass an `advisor` (or `users`) to share one (tests, the CLI), else it is built from
    `settings`."""
    resolved = settings or get_settings()
    user_store = users if users is not None else build_users(resolved)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if advisor is None:
            built = build_advisor(resolved)
            built.ensure_index()
            threading.Thread(target=built.warm_up, name="warm-up", daemon=True).start()
            app.state.advisor = built
        else:
            app.state.advisor = advisor
        app.state.jobs = JobRunner(app.state.advisor, max_file_bytes=resolved.import_max_file_bytes)
        yield
        app.state.jobs.close()

    app = FastAPI(title="ocmf-advisor", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """The interactive API schema, with Swagger UI served by the app itself (no CDN: works offline)."""
        vendor = "/static/vendor/swagger-ui"
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="ocmf-advisor API",
            swagger_js_url=f"{vendor}/swagger-ui-bundle.js",
            swagger_css_url=f"{vendor}/swagger-ui.css",
            swagger_favicon_url=f"{vendor}/favicon-32x32.png",
        )

    app.state.templates = build_templates()
    app.state.settings = resolved
    knowledge_pages.register_template_globals(app.state.templates)
    app.state.users = user_store
    app.state.sign_in_throttle = SignInThrottle()
    app.state.secure_cookies = resolved.secure_cookies
    # Outermost last: CSRF is checked first, then the request is signed in (web.security).
    app.add_middleware(Authentication, users=user_store)
    csrf_multipart.install()  # asgi-csrf 0.11 cannot read multipart forms with today's python-multipart
    app.add_middleware(
        asgi_csrf,
        signing_secret=signing_secret(resolved),
        always_protect=ProtectedPaths(),
        cookie_secure=resolved.secure_cookies,
        send_csrf_failed=csrf_failed,
    )
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (
        api,
        chat_api,
        recommendations,
        account_api,
        data_api,
        chat_pages,
        pages,
        recommendation_pages,
        diagnosis_api,
        diagnosis_pages,
        scorecard_pages,
        knowledge_pages,
        data_pages,
        auth_pages,
    ):
        app.include_router(module.router)

    @app.exception_handler(MetricsError)
    @app.exception_handler(KnowledgeError)
    @app.exception_handler(AdvisorError)
    async def domain_error(request: Request, error: Exception) -> Response:
        status = _status_for(error)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(error)}, status_code=status)
        return app.state.templates.TemplateResponse(  # type: ignore[no-any-return]
            request, "error.html", {"message": str(error)}, status_code=status
        )

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        """JSON for the API; for pages, sign-in first (401) or a readable error page."""
        if is_api(request.url.path):
            return await http_exception_handler(request, error)
        if error.status_code == 401:
            return RedirectResponse(f"/login?next={quote(request.url.path, safe='/')}", status_code=303)
        return error_page(request, str(error.detail), error.status_code, headers=error.headers)

    return app


def _status_for(error: Exception) -> int:
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
