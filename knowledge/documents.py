"""Turning practices, articles, resolved tickets' notes and files (Markdown, HTML, text) into Documents."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime
from pathlib import Path

import frontmatter
import yaml

from knowledge.errors import InvalidDocument
from knowledge.html import html_document_parts
from knowledge.models import DOCUMENT_KINDS, Document, MetadataValue, Practice

MARKDOWN_SUFFIXES: frozenset[str] = frozenset({".md", ".markdown"})
HTML_SUFFIXES: frozenset[str] = frozenset({".html", ".htm"})
TEXT_SUFFIXES: frozenset[str] = frozenset({".txt", *MARKDOWN_SUFFIXES, *HTML_SUFFIXES})
DEFAULT_MAX_BYTES = 5_000_000
#: Front-matter (or HTML <meta>) fields that become filterable metadata.
METADATA_FIELDS: tuple[str, ...] = ("product", "team", "date", "audience")


def practice_document(practice: Practice) -> Document:
    """A practice as a searchable document; its metric ids and categories become filterable metadata."""
    text = f"# {practice.title}\n\n{practice.body}"
    metadata: dict[str, MetadataValue] = {
        "metrics": ",".join(practice.metrics),
        "level": practice.level,
        "effort": practice.effort,
        "audience": "internal",
        **category_metadata(practice.categories),
    }
    return Document(
        id=practice.id,
        title=practice.title,
        kind="practice",
        text=text,
        source=f"practice:{practice.id}",
        metadata=metadata,
    )


def category_metadata(categories: Iterable[str]) -> dict[str, MetadataValue]:
    """`categories` as one comma-separated value plus a `category_<id>` flag each (Chroma filters flags)."""
    names = [str(category).strip() for category in categories if str(category).strip()]
    if not names:
        return {}
    return {"categories": ",".join(names), **{f"category_{name}": True for name in names}}


def article_document(article: Mapping[str, object]) -> Document:
    """A row of the organisation's `articles` table as a document."""
    title = str(article.get("title") or article["id"])
    body = str(article.get("body") or "")
    metadata: dict[str, MetadataValue] = {
        key: str(article[key]) for key in ("audience", "state", "product") if article.get(key)
    }
    known = article.get("first_known_at")
    if isinstance(known, date | datetime):
        metadata["date"] = known.date().isoformat() if isinstance(known, datetime) else known.isoformat()
    return Document(
        id=str(article["id"]),
        title=title,
        kind="article",
        text=f"# {title}\n\n{body}",
        source=f"article:{article['id']}",
        metadata=metadata,
    )


def case_document(ticket: Mapping[str, object]) -> Document | None:
    """A resolved ticket's resolution notes as a prior solution (kind "case", id `case:<ticket id>`); None
    when the ticket is not resolved or has no notes.

    The title is the ticket's subject, else its product. Only the title and the notes are embedded, so
    tickets sharing a subject and notes (templated closures) share one embedding; the ticket id, team and
    date are metadata.
    """
    notes = str(ticket.get("resolution") or "").strip()
    resolved = ticket.get("resolved_at")
    if not notes or resolved is None or resolved == "":
        return None
    subject = " ".join(str(ticket.get("subject") or "").split())
    product = str(ticket.get("product") or "").strip()
    title = subject or (f"{product} case" if product else "Resolved case")
    metadata: dict[str, MetadataValue] = {
        key: str(ticket[key]).strip() for key in ("product", "team") if str(ticket.get(key) or "").strip()
    }
    metadata["audience"] = "internal"
    if isinstance(resolved, datetime):
        metadata["date"] = resolved.date().isoformat()
    elif isinstance(resolved, date):
        metadata["date"] = resolved.isoformat()
    return Document(
        id=f"case:{ticket['id']}",
        title=title,
        kind="case",
        text=f"# {title}\n\n{notes}",
        source=f"ticket:{ticket['id']}",
        metadata=metadata,
    )


def folder_documents(
    folder: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, problems: list[InvalidDocument] | None = None
) -> Iterator[Document]:
    """Markdown, HTML and text files under `folder`; a file's id is its front-matter id, else its path.

    A file that cannot be used raises InvalidDocument, or, when `problems` is given, is appended to it
    and skipped, so one bad file does not stop a whole folder.
    """
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix.lower() in TEXT_SUFFIXES:
            try:
                yield file_document(path, folder, max_bytes=max_bytes)
            except InvalidDocument as problem:
                if problems is None:
                    raise
                problems.append(problem)


def read_text(path: Path, name: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """A file's text; binary, non-UTF-8 and oversized files are refused with their name."""
    size = path.stat().st_size
    if size > max_bytes:
        raise InvalidDocument(f"{name}: is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.1f} MB")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidDocument(f"{name}: is not UTF-8 text") from None
    if "\x00" in text:
        raise InvalidDocument(f"{name}: is binary, not text")
    return text


def read_front_matter(path: Path, name: str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> frontmatter.Post:
    """A Markdown file's front matter and body; errors say which file (as `name`) and which line."""
    return parse_front_matter(read_text(path, name, max_bytes=max_bytes), name)


def parse_front_matter(raw: str, name: str) -> frontmatter.Post:
    try:
        post = frontmatter.loads(raw)
    except yaml.YAMLError as error:
        mark = getattr(error, "context_mark", None) or getattr(error, "problem_mark", None)
        # Marks count from 0, starting on the opening '---' line (python-frontmatter keeps its newline).
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise InvalidDocument(f"{name}{where}: front matter is not valid YAML") from None
    if not isinstance(post.metadata, dict):
        raise InvalidDocument(f"{name}: front matter must be a mapping of keys to values")
    return post


def file_document(path: Path, root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Document:
    """One Markdown, HTML or text file under `root` as a document."""
    relative = path.relative_to(root).as_posix()
    raw = read_text(path, str(path), max_bytes=max_bytes)
    if path.suffix.lower() in HTML_SUFFIXES:
        parts = html_document_parts(raw)
        fields: dict[str, object] = dict(parts.meta)
        text = parts.markdown
        title = str(fields.get("title") or parts.title or _first_heading(text) or path.stem)
    else:
        post = parse_front_matter(raw, str(path))
        fields = dict(post.metadata)
        text = post.content
        title = str(fields.get("title") or _first_heading(text) or _first_line(text) or path.stem)
    if not text.strip():
        raise InvalidDocument(f"{path}: is empty")
    kind = str(fields.get("kind") or "document")
    if kind not in DOCUMENT_KINDS or kind == "practice":
        allowed = [name for name in DOCUMENT_KINDS if name != "practice"]
        raise InvalidDocument(f"{path}: kind {kind!r} is not one of {allowed}")
    metadata: dict[str, MetadataValue] = {"path": relative, "root": str(root.resolve())}
    metadata.update(_metadata_fields(fields, str(path)))
    return Document(
        id=str(fields.get("id") or relative),
        title=title,
        kind=kind,  # type: ignore[arg-type]
        text=text,
        source=relative,
        metadata=metadata,
    )


def _metadata_fields(fields: Mapping[str, object], name: str) -> dict[str, MetadataValue]:
    metadata: dict[str, MetadataValue] = {}
    for key in METADATA_FIELDS:
        value = fields.get(key)
        if isinstance(value, datetime):
            metadata[key] = value.date().isoformat()
        elif isinstance(value, date):
            metadata[key] = value.isoformat()
        elif isinstance(value, str | int | float) and str(value).strip():
            metadata[key] = str(value).strip()
        elif value is not None:
            raise InvalidDocument(f"{name}: {key} must be a single value, not {type(value).__name__}")
    categories = fields.get("categories", fields.get("category"))
    if isinstance(categories, str):
        categories = categories.split(",")
    if isinstance(categories, list):
        metadata.update(category_metadata(str(category) for category in categories))
    elif categories is not None:
        raise InvalidDocument(f"{name}: categories must be a list or a comma-separated text")
    return metadata


def _first_heading(text: str) -> str | None:
    for line in text.splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip() or None
    return None


def _first_line(text: str, limit: int = 120) -> str | None:
    for line in text.splitlines():
        if line.strip():
            line = " ".join(line.split())
            return line if len(line) <= limit else line[: limit - 1].rsplit(" ", 1)[0] + "…"
    return None


def unique_documents(documents: Iterable[Document]) -> list[Document]:
    """Documents with distinct ids; a repeated id is an error that names it."""
    seen: dict[str, Document] = {}
    for document in documents:
        if document.id in seen:
            raise InvalidDocument(
                f"two documents share the id {document.id!r} ({seen[document.id].source}, {document.source})"
            )
        seen[document.id] = document
    return list(seen.values())
