"""The FastAPI app factory: builds what it is not given, mounts static files, and maps domain errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from advisor.composition import build_advisor
from advisor.errors import AdvisorError, InvalidTransition, RecommendationNotFound, StateUnavailable
from advisor.service import Advisor
from advisor.settings import Settings, get_settings
from knowledge.errors import InvalidQuery, KnowledgeError
from metrics.errors import InvalidPeriod, MetricsError
from web.rendering import STATIC_DIR, build_templates
from web.routes import (
    account_api,
    api,
    auth_pages,
    chat_stream,
    data_api,
    data_pages,
    knowledge_pages,
    pages,
    recommendation_pages,
    recommendations,
    scorecard_pages,
)


def create_app(settings: Settings | None = None, *, advisor: Advisor | None = None) -> FastAPI:
    """The web app; pass an `advisor` to share one (tests, the CLI), else it is built from `settings`."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if advisor is None:
            built = build_advisor(settings or get_settings())
            built.ensure_index()
            app.state.advisor = built
        else:
            app.state.advisor = advisor
        yield

    app = FastAPI(title="ocmf-advisor", version="0.1.0", lifespan=lifespan)
    app.state.templates = build_templates()
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for module in (
        api,
        chat_stream,
        recommendations,
        account_api,
        data_api,
        pages,
        recommendation_pages,
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

    return app


def _status_for(error: Exception) -> int:
    """HTTP status for a domain error: what the client asked cannot be done, or the state is unavailable."""
    if isinstance(error, RecommendationNotFound):
        return 404
    if isinstance(error, InvalidTransition):
        return 409
    if isinstance(error, StateUnavailable):
        return 503
    if isinstance(error, InvalidPeriod | InvalidQuery):
        return 422
    return 400
