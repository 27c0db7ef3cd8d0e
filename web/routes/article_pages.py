"""The KCS loop's pages: candidates and articles for knowledge leads, the article editor and review, the
capture page (linked from a search with no good match), and flags on any article."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from advisor.access import Permission, Principal
from advisor.article_models import (
    ARTICLE_STATES,
    FLAG_REASONS,
    MAX_COMMENT,
    MAX_TEXT,
    MAX_TITLE,
    STATE_LABELS,
    TRANSITIONS,
    ArticleDraft,
    ArticleFlag,
    ArticleNotFound,
    ArticleState,
    Audience,
    FlagReason,
)
from advisor.articles import KnowledgeLoop
from advisor.composition import build_knowledge_loop
from advisor.errors import InvalidTransition
from web.dependencies import TemplatesDep
from web.security import require

router = APIRouter()

SearcherDep = Annotated[Principal, Depends(require(Permission.SEARCH))]
CuratorDep = Annotated[Principal, Depends(require(Permission.CURATE_KNOWLEDGE))]
#: Candidates the leads' page lists (the largest first).
CANDIDATES_SHOWN = 20
#: What the buttons of each step say.
STEP_LABELS = {
    ("work_in_progress", "not_validated"): "Submit for review",
    ("not_validated", "validated"): "Validate",
    ("not_validated", "work_in_progress"): "Back to work in progress",
    ("validated", "published"): "Publish",
    ("validated", "not_validated"): "Back to review",
}
#: Pages a flag form may send the person back to.
_RETURN_PATHS = ("/articles/", "/knowledge/articles/")
_loop_lock = threading.Lock()

Title = Annotated[str, Form(min_length=1, max_length=MAX_TITLE)]
Text = Annotated[str, Form(max_length=MAX_TEXT)]


def get_loop(request: Request) -> KnowledgeLoop:
    """The app's KCS loop, built once over its Advisor."""
    state = request.app.state
    with _loop_lock:
        loop: KnowledgeLoop | None = getattr(state, "knowledge_loop", None)
        if loop is None or loop.advisor is not state.advisor:
            loop = build_knowledge_loop(state.settings, state.advisor)
            state.knowledge_loop = loop
        return loop


LoopDep = Annotated[KnowledgeLoop, Depends(get_loop)]


@contextmanager
def found() -> Iterator[None]:
    """An unknown article or candidate is a 404 at the edge."""
    try:
        yield
    except ArticleNotFound as error:
        raise HTTPException(404, str(error)) from None


def article_flags(request: Request, article_id: str) -> list[ArticleFlag]:
    """Open flags of an article, for pages outside this module (the organisation's own articles)."""
    return get_loop(request).flags(article_id, open_only=True)


@router.get("/knowledge/articles", response_class=HTMLResponse)
def articles_page(request: Request, loop: LoopDep, templates: TemplatesDep, _lead: CuratorDep) -> Response:
    articles = loop.articles()
    by_state = {state: [a for a in articles if a.state == state] for state in ARTICLE_STATES}
    flags = loop.flags(open_only=True)
    titles = {article.id: article.title for article in articles}
    for flag in flags:  # the organisation's own articles, by their title too
        if flag.article_id not in titles:
            row = loop.advisor.article(flag.article_id)
            titles[flag.article_id] = str(row["title"]) if row else flag.article_id
    context: dict[str, Any] = {
        "candidates": loop.candidates()[:CANDIDATES_SHOWN],
        "by_state": by_state,
        "state_labels": STATE_LABELS,
        "flags": flags,
        "titles": titles,
    }
    return templates.TemplateResponse(request, "articles.html", context)


@router.post("/knowledge/articles/candidates/{candidate_id}/draft")
def draft_from_candidate(candidate_id: str, loop: LoopDep, lead: CuratorDep) -> Response:
    with found():
        article = loop.draft_from_candidate(candidate_id, actor=lead.username)
    return RedirectResponse(_article_url(article.id, "drafted"), status_code=303)


@router.get("/knowledge/articles/new", response_class=HTMLResponse)
def capture_page(
    request: Request,
    templates: TemplatesDep,
    principal: SearcherDep,
    title: Annotated[str, Query(max_length=MAX_TITLE)] = "",
) -> Response:
    """A blank article with the title filled (from a search with no good match): a lead's draft, or an
    agent's suggestion for the leads."""
    context = {
        "title": " ".join(title.split()),
        "lead": principal.can(Permission.CURATE_KNOWLEDGE),
        "max_title": MAX_TITLE,
    }
    return templates.TemplateResponse(request, "article_new.html", context)


@router.post("/knowledge/articles/new")
def capture(
    loop: LoopDep,
    principal: SearcherDep,
    title: Title,
    symptoms: Text = "",
    cause: Text = "",
    resolution: Text = "",
) -> Response:
    draft = _draft(title, symptoms, cause, resolution)
    lead = principal.can(Permission.CURATE_KNOWLEDGE)
    article = loop.capture(draft, actor=principal.username, origin="capture" if lead else "suggestion")
    return RedirectResponse(_article_url(article.id, "captured" if lead else "suggested"), status_code=303)


@router.get("/knowledge/articles/{article_id}", response_class=HTMLResponse)
def article_page(
    article_id: str, request: Request, loop: LoopDep, templates: TemplatesDep, principal: SearcherDep
) -> Response:
    return _article_page(article_id, request, loop, templates, principal)


def _article_page(
    article_id: str,
    request: Request,
    loop: KnowledgeLoop,
    templates: TemplatesDep,
    principal: Principal,
    error: str | None = None,
    status: int = 200,
) -> Response:
    with found():
        article = loop.article(article_id)
    lead = principal.can(Permission.CURATE_KNOWLEDGE)
    steps = [
        (to, STEP_LABELS.get((article.state, to), f"Move to {STATE_LABELS[to].lower()}"))
        for to in sorted(TRANSITIONS[article.state], key=ARTICLE_STATES.index)
    ]
    context = {
        "article": article,
        "lead": lead,
        "editable": lead and article.state in ("work_in_progress", "not_validated"),
        "steps": steps if lead else [],
        "state_labels": STATE_LABELS,
        "flag_reasons": FLAG_REASONS,
        "max_comment": MAX_COMMENT,
        "error": error,
        "done": request.query_params.get("done", ""),
    }
    return templates.TemplateResponse(request, "article_edit.html", context, status_code=status)


@router.post("/knowledge/articles/{article_id}/edit")
def edit_article(
    article_id: str,
    request: Request,
    loop: LoopDep,
    templates: TemplatesDep,
    lead: CuratorDep,
    title: Title,
    revision: Annotated[int, Form(ge=1)],
    symptoms: Text = "",
    cause: Text = "",
    resolution: Text = "",
    audience: Annotated[Audience, Form()] = "internal",
    product: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    draft = _draft(title, symptoms, cause, resolution, audience, product)
    try:
        with found():
            loop.edit(article_id, draft, revision=revision, actor=lead.username)
    except InvalidTransition as problem:
        return _article_page(article_id, request, loop, templates, lead, str(problem), 409)
    return RedirectResponse(_article_url(article_id, "saved"), status_code=303)


@router.post("/knowledge/articles/{article_id}/move")
def move_article(
    article_id: str,
    request: Request,
    loop: LoopDep,
    templates: TemplatesDep,
    lead: CuratorDep,
    to: Annotated[ArticleState, Form()],
    expected: Annotated[ArticleState, Form()],
    note: Annotated[str, Form(max_length=MAX_COMMENT)] = "",
) -> Response:
    try:
        with found():
            loop.move(article_id, to, expected=expected, actor=lead.username, note=note)
    except InvalidTransition as problem:
        return _article_page(article_id, request, loop, templates, lead, str(problem), 409)
    return RedirectResponse(_article_url(article_id, to), status_code=303)


@router.post("/knowledge/flags")
def flag_article(
    loop: LoopDep,
    principal: SearcherDep,
    article_id: Annotated[str, Form(min_length=1, max_length=200)],
    reason: Annotated[FlagReason, Form()],
    comment: Annotated[str, Form(min_length=1, max_length=MAX_COMMENT)],
    next_page: Annotated[str, Form(alias="next", max_length=2000)] = "",
) -> Response:
    """Flag any article as wrong, outdated or unclear, with a comment the knowledge leads see."""
    if not comment.strip():
        raise HTTPException(422, "say what is wrong or outdated in a comment")
    with found():
        loop.flag(article_id, reason=reason, comment=comment, actor=principal.username)
    return RedirectResponse(_return_to(next_page, article_id) + "?flagged=1#flags", status_code=303)


@router.post("/knowledge/flags/{flag_id}/resolve")
def resolve_flag(
    flag_id: int,
    loop: LoopDep,
    lead: CuratorDep,
    next_page: Annotated[str, Form(alias="next", max_length=2000)] = "",
) -> Response:
    with found():
        flag = loop.resolve_flag(flag_id, actor=lead.username)
    return RedirectResponse(_return_to(next_page, flag.article_id) + "#flags", status_code=303)


def _draft(
    title: str,
    symptoms: str,
    cause: str,
    resolution: str,
    audience: str = "internal",
    product: str = "",
) -> ArticleDraft:
    try:
        return ArticleDraft(
            title=" ".join(title.split()),
            symptoms=symptoms.strip(),
            cause=cause.strip(),
            resolution=resolution.strip(),
            audience=audience,  # type: ignore[arg-type]
            product=product.strip() or None,
        )
    except ValidationError as error:
        raise HTTPException(422, f"the article cannot be saved: {error.errors()[0]['msg']}") from None


def _article_url(article_id: str, done: str) -> str:
    return f"/knowledge/articles/{quote(article_id, safe='')}?done={quote(done)}"


def _return_to(target: str, article_id: str) -> str:
    """`target` when it is an article page of this site, else the article's own page."""
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or parts.query
        or not target.startswith(_RETURN_PATHS)
        or target.startswith(("//", "/\\"))
    ):
        prefix = "/knowledge/articles/" if article_id.startswith("kcs-") else "/articles/"
        return prefix + quote(article_id, safe="")
    return parts.path
