"""Models that cross the knowledge package's boundary: Practice, Document, Chunk, Hit."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

DocumentKind = Literal["practice", "article", "solution", "document"]
MetadataValue = str | int | float | bool


class Practice(BaseModel):
    """One practice of the library: a step an organisation can take, the metrics it moves, and why."""

    id: str
    title: str
    categories: list[str]
    metrics: list[str]
    level: Literal["executive", "manager", "agent"]
    effort: Literal["S", "M", "L"]
    time_to_impact: str
    prerequisites: list[str] = Field(default_factory=list)
    sources: list[str]
    body: str

    def section(self, heading: str) -> str:
        """The text under a level-2 heading of the body, or '' when there is none."""
        lines = self.body.splitlines()
        collected: list[str] = []
        inside = False
        for line in lines:
            if line.startswith("## "):
                inside = line[3:].strip().lower() == heading.lower()
                continue
            if inside:
                collected.append(line)
        return "\n".join(collected).strip()


class Document(BaseModel):
    """Something worth finding again: a practice, a knowledge article, a resolved case, a file."""

    id: str
    title: str
    kind: DocumentKind
    text: str
    source: str
    metadata: dict[str, MetadataValue] = Field(default_factory=dict)


class Chunk(BaseModel):
    """A passage of a document, small enough to embed, that keeps its heading."""

    id: str
    document_id: str
    title: str
    kind: DocumentKind
    text: str
    source: str
    metadata: dict[str, MetadataValue] = Field(default_factory=dict)


class Hit(BaseModel):
    """A document that matched a query, with the passage that matched best."""

    id: str
    title: str
    kind: DocumentKind
    score: float
    snippet: str
    source: str
    metadata: dict[str, MetadataValue] = Field(default_factory=dict)
