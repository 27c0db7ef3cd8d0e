"""Jinja2 templates (autoescaped) and the Markdown renderer whose output is sanitised before display."""

from __future__ import annotations

from pathlib import Path

import nh3
from fastapi.templating import Jinja2Templates
from markdown_it import MarkdownIt
from markupsafe import Markup

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"

# Raw HTML in Markdown is not rendered at all; nh3 then removes anything unsafe that links could carry.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False})


def markdown_html(text: str) -> Markup:
    """Markdown as safe HTML: raw HTML is escaped, the result sanitised by nh3."""
    return Markup(nh3.clean(_markdown.render(text)))  # noqa: S704 - nh3 has sanitised it


def build_templates() -> Jinja2Templates:
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    templates.env.filters["markdown"] = markdown_html
    return templates
