"""The KCS loop's JSON API: candidates, articles (draft, edit, move through the states) and flags."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from advisor.access import Permission
from advisor.article_models import (
    MAX_COMMENT,
    ArticleDraft,
    ArticleFlag,
    ArticleState,
    Candidate,
    FlagReason,
    KcsArticle,
)
from web.routes.article_pages import CuratorDep, LoopDep, SearcherDep, found

router = APIRouter(prefix="/api/articles", tags=["articles"])


class NewArticle(BaseModel):
    """A draft from a candidate (`candidate_id`, leads only) or a new article (`draft`)."""

    candidate_id: str | None = Field(default=None, max_length=100)
    draft: ArticleDraft | None = None


class ArticleEdit(BaseModel):
    draft: ArticleDraft
    #: The revision the edit was made on; a stale one is refused (409).
    revision: int = Field(ge=1)


class Transition(BaseModel):
    to: ArticleState
    #: The state the article is expected to be in; 409 when someone moved it meanwhile.
    expected: ArticleState
    note: str | None = Field(default=None, max_length=MAX_COMMENT)


class NewFlag(BaseModel):
    reason: FlagReason
    comment: str = Field(min_length=1, max_length=MAX_COMMENT)


@router.get("/candidates")
def candidates(loop: LoopDep, _lead: CuratorDep) -> list[Candidate]:
    """Clusters of similar resolved cases with no article, the largest first."""
    return loop.candidates()


@router.get("/flags")
def flags(
    loop: LoopDep, _lead: CuratorDep, open_only: Annotated[bool, Query(alias="open")] = True
) -> list[ArticleFlag]:
    return loop.flags(open_only=open_only)


@router.post("/flags/{flag_id}/resolve")
def resolve_flag(flag_id: int, loop: LoopDep, lead: CuratorDep) -> ArticleFlag:
    with found():
        return loop.resolve_flag(flag_id, actor=lead.username)


@router.get("")
def articles(
    loop: LoopDep, _lead: CuratorDep, state: Annotated[list[ArticleState] | None, Query()] = None
) -> list[KcsArticle]:
    return loop.articles(frozenset(state) if state else None)


@router.post("", status_code=201)
def create(body: NewArticle, loop: LoopDep, principal: SearcherDep) -> KcsArticle:
    """Leads draft from a candidate or capture a new article; agents suggest one (it starts as a draft the
    leads see)."""
    lead = principal.can(Permission.CURATE_KNOWLEDGE)
    if body.candidate_id is not None:
        if not lead:
            raise HTTPException(403, f"your role ({principal.role}) may not curate knowledge")
        with found():
            return loop.draft_from_candidate(body.candidate_id, actor=principal.username)
    if body.draft is None:
        raise HTTPException(422, "send a `draft` (title, symptoms, cause, resolution) or a `candidate_id`")
    return loop.capture(body.draft, actor=principal.username, origin="capture" if lead else "suggestion")


@router.get("/{article_id}")
def article(article_id: str, loop: LoopDep, _reader: SearcherDep) -> KcsArticle:
    with found():
        return loop.article(article_id)


@router.put("/{article_id}")
def edit(article_id: str, body: ArticleEdit, loop: LoopDep, lead: CuratorDep) -> KcsArticle:
    with found():
        return loop.edit(article_id, body.draft, revision=body.revision, actor=lead.username)


@router.post("/{article_id}/transitions")
def move(article_id: str, body: Transition, loop: LoopDep, lead: CuratorDep) -> KcsArticle:
    """One KCS step; publishing indexes the article and writes it into the organisation's data (409 when
    the step is not allowed or the article is no longer in `expected`)."""
    with found():
        return loop.move(article_id, body.to, expected=body.expected, actor=lead.username, note=body.note)


@router.post("/{article_id}/flags", status_code=201)
def flag(article_id: str, body: NewFlag, loop: LoopDep, principal: SearcherDep) -> dict[str, Any]:
    """Flag any article (one of the loop's or of the organisation's own) as wrong, outdated or unclear."""
    if not body.comment.strip():
        raise HTTPException(422, "say what is wrong or outdated in a comment")
    with found():
        made = loop.flag(article_id, reason=body.reason, comment=body.comment, actor=principal.username)
    return made.model_dump(mode="json")
