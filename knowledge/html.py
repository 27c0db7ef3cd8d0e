"""HTML pages as Markdown (BeautifulSoup and markdownify), so headings survive into chunking."""

from __future__ import annotations

from dataclasses import dataclass, field

from bs4 import BeautifulSoup
from bs4.element import Tag
from markdownify import markdownify

#: Elements whose text is not content: code, styling, navigation and side bars.
NOISE: tuple[str, ...] = ("script", "style", "noscript", "template", "nav", "aside")
META_NAMES: tuple[str, ...] = ("id", "title", "kind", "product", "team", "date", "audience", "categories")


@dataclass(frozen=True)
class HtmlParts:
    title: str | None
    markdown: str
    meta: dict[str, str] = field(default_factory=dict)


def html_document_parts(html: str) -> HtmlParts:
    """The page title, its main content as Markdown, and `<meta name=...>` values the index knows."""
    soup = BeautifulSoup(html, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title else None
    meta: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        if isinstance(tag, Tag):
            name = str(tag.get("name") or "").strip().lower()
            content = str(tag.get("content") or "").strip()
            if name in META_NAMES and content:
                meta[name] = content
    for tag in soup.find_all(NOISE):
        if isinstance(tag, Tag):
            tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    markdown = markdownify(str(root), heading_style="ATX", strip=["img"])
    # markdownify keeps the blank lines of the source layout; three or more newlines say nothing more.
    lines = [line.rstrip() for line in markdown.splitlines()]
    text = "\n".join(lines)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    return HtmlParts(title=title or None, markdown=text.strip(), meta=meta)
