"""The digest page: what changed since the person's last visit (or since a chosen day), and the same as
Markdown to paste into mail or chat."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from advisor.access import Permission, Principal
from advisor.digest import DEFAULT_DAYS, digest_for, digest_html, digest_markdown
from advisor.digest_store import DigestViews
from web.dependencies import AdvisorDep, TemplatesDep
from web.security import require

router = APIRouter()

ViewerDep = Annotated[Principal, Depends(require(Permission.VIEW_RECOMMENDATIONS))]
SinceQuery = Annotated[date | None, Query(description="YYYY-MM-DD: what changed from this day on")]


def _views(request: Request) -> DigestViews:
    """The store of last visits, opened once per app (on the application database every worker shares)."""
    found: DigestViews | None = getattr(request.app.state, "digest_views", None)
    if found is None:
        found = DigestViews(request.app.state.settings.database_url)
        request.app.state.digest_views = found
    return found


@router.get("/digest", response_class=HTMLResponse)
def digest_page(
    request: Request,
    advisor: AdvisorDep,
    templates: TemplatesDep,
    principal: ViewerDep,
    since: SinceQuery = None,
) -> Response:
    """Since `since` when given, else since this person's last visit, else the last `DEFAULT_DAYS` days; the
    visit is remembered for next time."""
    views = _views(request)
    organisation = advisor.organisation()
    last = views.last_seen(principal.username, organisation)
    if since is not None:
        reason = f"since {since}"
    elif last is not None:
        since, reason = last.date(), f"since your last visit on {last:%Y-%m-%d %H:%M} UTC"
    else:
        reason = f"the last {DEFAULT_DAYS} days: this is your first visit"
    digest = digest_for(advisor, since, reason=reason)
    views.record(principal.username, organisation, at=datetime.now(UTC))
    context = {
        "digest": digest,
        "body": digest_html(digest),
        "markdown_url": f"/digest.md?since={digest.since}",
    }
    return templates.TemplateResponse(request, "digest.html", context)


@router.get("/digest.md", response_class=PlainTextResponse)
def digest_text(advisor: AdvisorDep, principal: ViewerDep, since: SinceQuery = None) -> Response:
    """The digest as Markdown (does not count as a visit)."""
    digest = digest_for(advisor, since)
    return PlainTextResponse(digest_markdown(digest), media_type="text/markdown; charset=utf-8")
