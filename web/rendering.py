"""Jinja2 templates (autoescaped) and the Markdown renderer whose output is sanitised before display."""

from __future__ import annotations

from pathlib import Path

import nh3
from fastapi import Request
from fastapi.templating import Jinja2Templates
from markdown_it import MarkdownIt
from markupsafe import Markup

from advisor.outcome_reading import read_outcome
from advisor.reading import reading_label
from prompts import format_number, format_value
from web.error_pages import error_help
from web.navigation import nav_links

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

# Raw HTML in Markdown is not rendered at all; nh3 then removes anything unsafe that links could carry.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False})


def markdown_html(text: str) -> Markup:
    """Markdown as safe HTML: raw HTML is escaped, the result sanitised by nh3."""
    return Markup(nh3.clean(_markdown.render(text)))  # noqa: S704 - nh3 has sanitised it


def csrf_token(request: Request) -> str:
    """The CSRF token of this browser (the CSRF middleware sets its cookie when a page asks for it)."""
    token = request.scope.get("csrftoken")
    return str(token()) if callable(token) else ""


def csrf_field(request: Request) -> Markup:
    """The hidden field every form carries; it must come first in a multipart form (before any file)."""
    return Markup('<input type="hidden" name="csrftoken" value="{}">').format(csrf_token(request))


def _page_context(request: Request) -> dict[str, object]:
    """What every page may use: the principal the request acts for (set by `web.security`)."""
    return {"principal": getattr(request.state, "principal", None)}


def build_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR), context_processors=[_page_context])
    templates.env.filters["markdown"] = markdown_html
    templates.env.filters["number"] = format_number
    templates.env.filters["metric_value"] = format_value
    templates.env.filters["reading"] = reading_label
    templates.env.globals["csrf_field"] = csrf_field
    templates.env.globals["csrf_token"] = csrf_token
    templates.env.globals["read_outcome"] = read_outcome
    templates.env.globals["nav_links"] = nav_links
    templates.env.globals["error_help"] = error_help
    return templates
