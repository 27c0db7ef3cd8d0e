"""Server-rendered pages for one practice or one knowledge article."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from advisor.access import Permission
from advisor.article_models import FLAG_REASONS, MAX_COMMENT
from web.dependencies import AdvisorDep, TemplatesDep
from web.routes.article_pages import article_flags
from web.security import require

router = APIRouter()


_SEARCH = [Depends(require(Permission.SEARCH))]


@router.get("/practices/{practice_id}", response_class=HTMLResponse, dependencies=_SEARCH)
def practice(practice_id: str, request: Request, advisor: AdvisorDep, templates: TemplatesDep) -> Response:
    found = advisor.practices.get(practice_id)
    if found is None:
        raise HTTPException(404, f"no practice {practice_id!r}")
    return templates.TemplateResponse(request, "practice.html", {"practice": found})


@router.get("/articles/{article_id}", response_class=HTMLResponse, dependencies=_SEARCH)
def article(article_id: str, request: Request, advisor: AdvisorDep, templates: TemplatesDep) -> Response:
    found = advisor.article(article_id)
    if found is None:
        raise HTTPException(404, f"no article {article_id!r}")
    context = {
        "article": found,
        "flags": article_flags(request, article_id),
        "flag_reasons": FLAG_REASONS,
        "max_comment": MAX_COMMENT,
    }
    return templates.TemplateResponse(request, "article.html", context)
