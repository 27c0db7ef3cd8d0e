"""Passages as people read them: tidy Markdown (no repeated title, headings demoted) and sanitised HTML."""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt

#: Characters of a passage shown as a snippet (cut at a line or sentence end before it).
SNIPPET_CHARS = 600
#: Heading level a passage's headings start at, below the result's own title.
HEADING_LEVEL = 4
# Raw HTML in a passage is shown as text, never rendered; nh3 then removes anything unsafe links carry.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False})
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


def passage_markdown(text: str, title: str, *, limit: int = SNIPPET_CHARS) -> str:
    """The passage as Markdown for a result: its first line dropped when it only repeats the title,
    headings demoted to level 4 and below, cut at a line (else a sentence, else a word) before `limit`."""
    lines = text.strip().splitlines()
    while lines and (not lines[0].strip() or _repeats_title(lines[0], title)):
        lines.pop(0)
    kept: list[str] = []
    size = 0
    for line in lines:
        heading = _HEADING.match(line.strip())
        if heading:
            level = min(6, HEADING_LEVEL + max(0, len(heading.group(1)) - 2))
            line = "#" * level + " " + heading.group(2).strip()
        if size + len(line) > limit:
            room = limit - size
            if room > 80 and not heading:
                cut = line.rfind(". ", 0, room)
                kept.append(line[: cut + 1] if cut > room // 3 else line[:room].rsplit(" ", 1)[0] + " …")
            elif kept:
                kept[-1] = kept[-1].rstrip() + " …" if not _HEADING.match(kept[-1]) else kept[-1]
            break
        kept.append(line)
        size += len(line) + 1
    while kept and _HEADING.match(kept[-1].strip()):
        kept.pop()  # a heading with nothing under it says nothing
    return "\n".join(kept).strip()


def markdown_to_html(markdown: str) -> str:
    """Markdown as sanitised HTML (raw HTML escaped, then cleaned by nh3)."""
    return nh3.clean(_MARKDOWN.render(markdown))


def _repeats_title(line: str, title: str) -> bool:
    plain = line.strip().lstrip("#").strip()
    return bool(plain) and plain == title.strip()
