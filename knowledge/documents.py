"""Turning practices, knowledge articles and folders of files into Documents to index."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import frontmatter
import yaml

from knowledge.errors import InvalidDocument
from knowledge.models import Document, Practice

TEXT_SUFFIXES: frozenset[str] = frozenset({".md", ".markdown", ".txt"})


def practice_document(practice: Practice) -> Document:
    """A practice as a searchable document; its metric ids and categories become filterable metadata."""
    text = f"# {practice.title}\n\n{practice.body}"
    metadata: dict[str, str | int | float | bool] = {
        "categories": ",".join(practice.categories),
        "metrics": ",".join(practice.metrics),
        "level": practice.level,
        "effort": practice.effort,
        "audience": "internal",
    }
    for category in practice.categories:
        metadata[f"category_{category}"] = True
    return Document(
        id=practice.id,
        title=practice.title,
        kind="practice",
        text=text,
        source=f"practice:{practice.id}",
        metadata=metadata,
    )


def article_document(article: Mapping[str, object]) -> Document:
    """A row of the organisation's `articles` table as a document."""
    title = str(article.get("title") or article["id"])
    body = str(article.get("body") or "")
    metadata: dict[str, str | int | float | bool] = {
        key: str(article[key]) for key in ("audience", "state", "product") if article.get(key)
    }
    return Document(
        id=str(article["id"]),
        title=title,
        kind="article",
        text=f"# {title}\n\n{body}",
        source=f"article:{article['id']}",
        metadata=metadata,
    )


def folder_documents(folder: Path) -> Iterator[Document]:
    """Markdown and text files under `folder`; a file's id is its front-matter id, else its relative path."""
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix.lower() in TEXT_SUFFIXES:
            yield file_document(path, folder)


def read_front_matter(path: Path, name: str) -> frontmatter.Post:
    """A Markdown file's front matter and body; errors say which file (as `name`) and which line."""
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InvalidDocument(f"{name}: is not UTF-8 text") from None
    try:
        return frontmatter.loads(raw)
    except yaml.YAMLError as error:
        mark = getattr(error, "context_mark", None) or getattr(error, "problem_mark", None)
        # Marks count from 0, starting on the opening '---' line (python-frontmatter keeps its newline).
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise InvalidDocument(f"{name}{where}: front matter is not valid YAML") from None


def file_document(path: Path, root: Path) -> Document:
    post = read_front_matter(path, str(path))
    relative = path.relative_to(root).as_posix()
    document_id = str(post.metadata.get("id") or relative)
    title = str(post.metadata.get("title") or _first_heading(post.content) or path.stem)
    if not post.content.strip():
        raise InvalidDocument(f"{path}: is empty")
    return Document(
        id=document_id,
        title=title,
        kind="document",
        text=post.content,
        source=relative,
        metadata={"path": relative},
    )


def _first_heading(text: str) -> str | None:
    for line in text.splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip() or None
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
