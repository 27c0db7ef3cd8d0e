"""The knowledge page: search with filters, with feedback on each hit (which feeds the reuse counts)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from pydantic import BaseModel, Field

from advisor.access import Permission
from advisor.chat import capture_url, document_url, usage_line
from advisor.overview import indexed_document, search_facets
from knowledge.errors import InvalidQuery, UnknownDocument
from knowledge.index import MAX_QUERY_CHARS, validate_query
from knowledge.models import DOCUMENT_KINDS, FeedbackKind, Hit, SearchFilters
from web.dependencies import AdvisorDep, TemplatesDep
from web.security import PrincipalDep, require

router = APIRouter()

_SEARCH = [Depends(require(Permission.SEARCH))]
#: Hits shown for one search.
RESULTS = 10
KIND_LABELS = {
    "practice": "Practice",
    "article": "Knowledge article",
    "solution": "Prior solution",
    "case": "Resolved case",
    "document": "Document",
}
#: Kinds whose documents can solve a customer's case ("This solved it"); every hit can be "helpful".
SOLVING_KINDS = frozenset({"article", "solution", "case"})
EXAMPLES = (
    "reopened tickets",
    "hand-offs between teams",
    "customer satisfaction follow-up",
    "reset two-factor sign-in",
)
#: Pages a feedback form may send the person back to.
_RETURN_PATHS = ("/knowledge", "/practices/", "/articles/")
_HEADING = re.compile(r"(?<=\s)#{1,6}\s+")
FilterText = Annotated[str, Query(max_length=200)]


@dataclass(frozen=True)
class ResultView:
    """One hit as the page shows it."""

    hit: Hit
    snippet: str
    url: str
    anchor: str
    kind_label: str
    can_solve: bool
    facts: list[tuple[str, str]]
    #: The passage rendered from Markdown and sanitised by knowledge.rendering (nh3).
    snippet_html: Markup
    #: "Seen in 37 cases, across ...; marked as solving it 12 times", or None.
    usage: str | None


class FeedbackRequest(BaseModel):
    document_id: str = Field(min_length=1, max_length=1000)
    kind: FeedbackKind = "helpful"


def anchor_for(document_id: str) -> str:
    """A stable HTML id for a document's result (ids may hold any character)."""
    return "doc-" + hashlib.sha1(document_id.encode("utf-8"), usedforsecurity=False).hexdigest()[:12]


def reuse_count(request: Request, document_id: str) -> int:
    """The reuse count of a document (0 when the index does not know it): a template global."""
    return int(request.app.state.advisor.index.reuse_count(document_id))


def register_template_globals(templates: Jinja2Templates) -> None:
    """What the feedback partial needs on any page (practice and article pages use it too)."""
    templates.env.globals["reuse_count"] = reuse_count
    templates.env.globals["anchor_for"] = anchor_for


def _facts(hit: Hit) -> list[tuple[str, str]]:
    facts = []
    for key, label in (
        ("product", "Product"),
        ("team", "Team"),
        ("audience", "Audience"),
        ("categories", "Categories"),
    ):
        value = hit.metadata.get(key)
        if value not in (None, ""):
            facts.append((label, str(value).replace(",", ", ")))
    return facts


def _plain_snippet(hit: Hit) -> str:
    """The matched passage without its Markdown heading marks and without repeating the title."""
    text = _HEADING.sub(" ", " " + hit.snippet).strip()
    if text.startswith(hit.title):
        text = text[len(hit.title) :].lstrip(" :-")
    return text or hit.snippet


def _result(hit: Hit) -> ResultView:
    return ResultView(
        hit=hit,
        snippet=_plain_snippet(hit),
        url=document_url(hit.id, hit.kind),
        anchor=anchor_for(hit.id),
        kind_label=KIND_LABELS.get(hit.kind, hit.kind),
        can_solve=hit.kind in SOLVING_KINDS,
        facts=_facts(hit),
        snippet_html=Markup(hit.snippet_html),  # noqa: S704 - sanitised by nh3 in knowledge.rendering
        usage=usage_line(hit),
    )


@router.get("/knowledge", response_class=HTMLResponse, dependencies=_SEARCH)
def knowledge_page(
    request: Request,
    advisor: AdvisorDep,
    templates: TemplatesDep,
    q: str = "",
    kind: FilterText = "",
    product: FilterText = "",
    category: FilterText = "",
    audience: FilterText = "",
) -> Response:
    facets = search_facets(advisor)
    chosen = {"kind": kind, "product": product, "category": category, "audience": audience}
    results: list[ResultView] = []
    error = notice = None
    status = 200
    if kind and kind not in DOCUMENT_KINDS:
        error, status = f"there is no kind {kind!r}; choose one of the list", 422
    elif q.strip():
        try:
            if validate_query(q) is None:
                notice = "Nothing to search for: type a word or two (punctuation alone matches nothing)."
            else:
                filters = SearchFilters(
                    kinds=[kind] if kind else [],  # type: ignore[list-item]
                    products=[product] if product else [],
                    categories=[category] if category else [],
                    audiences=[audience] if audience else [],
                )
                results = [_result(hit) for hit in advisor.search(q, RESULTS, filters=filters)]
        except InvalidQuery as problem:
            error, status = f"Your search is too long: {problem}. Shorten it to the words that matter.", 422
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    context: dict[str, Any] = {
        "q": q,
        "chosen": chosen,
        "facets": facets,
        "kind_labels": KIND_LABELS,
        "results": results,
        "error": error,
        "notice": notice,
        "searched": bool(q.strip()) and error is None and notice is None,
        # Honest when nothing fits: no result reaches the calibrated floor (knowledge.relevance).
        "no_good_match": not any(result.hit.match == "good" for result in results),
        "capture_url": capture_url(q),
        "examples": EXAMPLES,
        "max_query_chars": MAX_QUERY_CHARS,
        "next": _without_vote(here),
    }
    return templates.TemplateResponse(request, "knowledge.html", context, status_code=status)


@router.post("/knowledge/feedback", dependencies=_SEARCH)
def feedback_form(
    advisor: AdvisorDep,
    principal: PrincipalDep,
    document_id: Annotated[str, Form(min_length=1, max_length=1000)],
    kind: Annotated[FeedbackKind, Form()] = "helpful",
    next_page: Annotated[str, Form(alias="next", max_length=4000)] = "/knowledge",
) -> Response:
    try:
        advisor.record_feedback(document_id, kind, user=principal.username)
    except UnknownDocument as error:
        raise HTTPException(404, str(error)) from None
    target = _safe_return(next_page)
    # on the knowledge page each result has its own anchor; a document's own page has one feedback block
    anchor = anchor_for(document_id) if urlsplit(target).path == "/knowledge" else "feedback"
    return RedirectResponse(_with_vote(target, anchor), status_code=303)


@router.post("/api/knowledge/feedback", dependencies=_SEARCH)
def feedback_api(body: FeedbackRequest, advisor: AdvisorDep, principal: PrincipalDep) -> dict[str, Any]:
    """Count a hit as helpful, or as what solved a case; returns its new reuse count (404: unknown id)."""
    try:
        count = advisor.record_feedback(body.document_id, body.kind, user=principal.username)
    except UnknownDocument as error:
        raise HTTPException(404, str(error)) from None
    return {"document_id": body.document_id, "reuse_count": count}


@router.get("/knowledge/document", response_class=HTMLResponse, dependencies=_SEARCH)
def document_page(
    request: Request,
    advisor: AdvisorDep,
    templates: TemplatesDep,
    document_id: Annotated[str, Query(alias="id", min_length=1, max_length=1000)],
) -> Response:
    found = indexed_document(advisor, document_id)
    if found is None:
        raise HTTPException(404, f"no document {document_id!r} in the knowledge index")
    context = {"document": found, "kind_label": KIND_LABELS.get(found.kind, found.kind)}
    return templates.TemplateResponse(request, "knowledge_document.html", context)


def _safe_return(target: str) -> str:
    """`target` when it is a page of this site that shows feedback, else the knowledge page."""
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith(("//", "/\\"))
        or not parts.path.startswith(_RETURN_PATHS)
    ):
        return "/knowledge"
    return target


def _without_vote(target: str) -> str:
    parts = urlsplit(target)
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key != "voted"]
    return parts.path + (f"?{urlencode(query)}" if query else "")


def _with_vote(target: str, anchor: str) -> str:
    parts = urlsplit(_without_vote(target))
    query = [*parse_qsl(parts.query, keep_blank_values=True), ("voted", anchor)]
    return f"{parts.path}?{urlencode(query)}#{anchor}"
