"""The FastAPI app factory: builds what it is not given, mounts static files, and maps domain errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import to_thread
from asgi_csrf import asgi_csrf
from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp
from threadpoolctl import threadpool_limits

from advisor.composition import build_advisor, build_users, signing_secret
from advisor.database import state_folder
from advisor.jobs import JobRunner
from advisor.readiness import Readiness
from advisor.service import Advisor
from advisor.settings import Settings, get_settings
from advisor.users import UserStore
from web import csrf_multipart
from web.error_pages import install_error_handlers
from web.hardening import JsonBodyCheck, SecurityHeaders
from web.rendering import STATIC_DIR, build_templates
from web.routes import (
    account_api,
    api,
    article_pages,
    articles_api,
    auth_pages,
    chat_api,
    chat_pages,
    data_api,
    data_pages,
    diagnosis_api,
    diagnosis_pages,
    digest_pages,
    health,
    knowledge_pages,
    pages,
    recommendation_pages,
    recommendations,
    scorecard_pages,
)
from web.security import Authentication, ProtectedPaths, csrf_failed
from web.throttle import build_sign_in_throttle


class AdvisorApp(FastAPI):
    """FastAPI with the hardening wrappers outside everything, Starlette's error middleware included, so
    that a 500 carries the security headers as well."""

    def build_middleware_stack(self) -> ASGIApp:
        return SecurityHeaders(JsonBodyCheck(super().build_middleware_stack()))


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
            built.ensure_index()  # before listening: a half-built index is never served
            app.state.advisor = built
        else:
            app.state.advisor = advisor
        # Blocking requests run in this many threads: past a few, more only contend for the GIL (the event
        # loop, /healthz included, waits its turn behind them) on a machine of a few cores.
        to_thread.current_default_thread_limiter().total_tokens = resolved.worker_threads
        # Requests run in parallel, not their matrix products: OpenBLAS's spinning threads otherwise take the
        # core that another request needs (process-wide, so set here once, before any request).
        threadpool_limits(limits=resolved.blas_threads, user_api="blas")
        # The model, the index and the scorecard load in the background; /healthz says when they have.
        app.state.readiness = Readiness(app.state.advisor)
        app.state.readiness.start()
        app.state.jobs = JobRunner(
            app.state.advisor,
            # every worker shares the jobs (the database) and their uploads and rejects (this folder)
            resolved.jobs_dir or state_folder(resolved.database_url) / "jobs",
            database_url=resolved.database_url,
            lease_s=resolved.job_lease_seconds,
            # an upload's limit holds for its unpacked bytes too (a small .csv.gz can unpack to gigabytes)
            max_file_bytes=min(resolved.upload_max_bytes, resolved.import_max_file_bytes),
            import_memory_bytes=resolved.import_memory_bytes,
        )
        yield
        app.state.jobs.close()
        # A daemon thread still inside DuckDB when the interpreter exits aborts the process (exit code 134).
        await to_thread.run_sync(app.state.readiness.stop, resolved.shutdown_wait_seconds)

    app = AdvisorApp(title="ocmf-advisor", version="0.1.0", lifespan=lifespan, docs_url=None, redoc_url=None)

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        """The interactive API schema, with Swagger UI served by the app itself (no CDN: works offline; no
        inline script, so the Content-Security-Policy holds here too)."""
        return HTMLResponse(_DOCS_PAGE)

    app.state.templates = build_templates()
    app.state.settings = resolved
    knowledge_pages.register_template_globals(app.state.templates)
    app.state.users = user_store
    app.state.sign_in_throttle = build_sign_in_throttle(resolved)  # shared by every worker
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
        health,
        api,
        chat_api,
        recommendations,
        account_api,
        data_api,
        chat_pages,
        pages,
        recommendation_pages,
        digest_pages,
        diagnosis_api,
        diagnosis_pages,
        scorecard_pages,
        knowledge_pages,
        article_pages,
        articles_api,
        data_pages,
        auth_pages,
    ):
        app.include_router(module.router)

    install_error_handlers(app)  # every error as a page in the layout, or JSON under /api/
    return app


_VENDOR = "/static/vendor/swagger-ui"
_DOCS_PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>ocmf-advisor API</title>
<link rel="stylesheet" href="{_VENDOR}/swagger-ui.css">
<link rel="icon" href="{_VENDOR}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="/openapi.json"></div>
<script src="{_VENDOR}/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script>
</body>
</html>
"""
