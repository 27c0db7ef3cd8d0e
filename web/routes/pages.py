"""Server-rendered pages: the home page (scorecard summary and chat), practices and articles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from advisor.access import Permission
from web.dependencies import AdvisorDep, TemplatesDep
from web.security import require

router = APIRouter()


_CHAT = [Depends(require(Permission.CHAT))]
_SEARCH = [Depends(require(Permission.SEARCH))]


@router.get("/", response_class=HTMLResponse, dependencies=_CHAT)
def home(
    request: Request,
    advisor: AdvisorDep,
    templates: TemplatesDep,
    c: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Za-z0-9_-]+$")] = None,
) -> Response:
    scorecard = advisor.scorecard()
    context = {
        "scorecard": scorecard,
        "recommendations": advisor.next_steps(limit=3),
        "conversation_id": c or "",
        "messages": advisor.conversation(c) if c else [],
    }
    return templates.TemplateResponse(request, "index.html", context)


@router.post("/chat", dependencies=_CHAT)
def chat_form(
    advisor: AdvisorDep,
    message: Annotated[str, Form(max_length=20_000)],
    conversation_id: Annotated[str, Form(max_length=64, pattern=r"^[A-Za-z0-9_-]*$")] = "",
) -> Response:
    answer = advisor.chat(message, conversation_id or None)
    return RedirectResponse(f"/?c={answer.conversation_id}#answer", status_code=303)


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
    return templates.TemplateResponse(request, "article.html", {"article": found})
