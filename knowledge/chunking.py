"""Splitting documents into passages that keep their headings (LangChain's Markdown and recursive splitters)."""

from __future__ import annotations

from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

from knowledge.models import Chunk, Document

HEADERS: list[tuple[str, str]] = [("#", "h1"), ("##", "h2"), ("###", "h3")]


def chunk_document(document: Document, *, chunk_size: int = 1000, overlap: int = 100) -> list[Chunk]:
    """Split by headings first, then by size; each passage starts with its title and section heading."""
    sections = MarkdownHeaderTextSplitter(HEADERS, strip_headers=False).split_text(document.text)
    splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=overlap)
    chunks: list[Chunk] = []
    for section in sections:
        heading = section.metadata.get("h2") or section.metadata.get("h1") or ""
        for number, piece in enumerate(splitter.split_text(section.page_content)):
            # Every passage carries its document's title (and its heading when split further), so a
            # passage such as "## Steps" still says what it is about.
            text = piece if number == 0 or not heading else f"## {heading}\n{piece}"
            if not text.lstrip("# ").startswith(document.title):
                text = f"# {document.title}\n{text}"
            chunks.append(
                Chunk(
                    id=f"{document.id}#{len(chunks)}",
                    document_id=document.id,
                    title=document.title,
                    kind=document.kind,
                    text=text,
                    source=document.source,
                    metadata={**document.metadata, "section": heading},
                )
            )
    return chunks
