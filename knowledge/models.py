"""Models that cross the knowledge package's boundary: Practice, Document, Chunk, Hit, SearchFilters."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

DocumentKind = Literal["practice", "article", "solution", "case", "document"]
DOCUMENT_KINDS: tuple[DocumentKind, ...] = ("practice", "article", "solution", "case", "document")
MetadataValue = str | int | float | bool
FeedbackKind = Literal["helpful", "solved"]
#: "hybrid" fuses by normalised scores (the default); "hybrid-rrf" by reciprocal rank fusion, for comparison.
SearchMode = Literal["hybrid", "dense", "keyword", "hybrid-rrf"]


class Practice(BaseModel):
    """One practice of the library: a step an organisation can take, the metrics it moves, and why."""

    id: str
    title: str
    categories: list[str]
    metrics: list[str]
    #: Metrics whose data the practice works from (a CSAT follow-up needs CSAT answers): it is only
    #: recommended to an organisation that has data for each of them.
    requires: list[str] = Field(default_factory=list)
    #: Metrics it starts measuring (gives them data or a baseline): it is offered for these when they have none.
    measures: list[str] = Field(default_factory=list)
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
    """Something worth finding again: a practice, a knowledge article, a resolved case, a file.

    Metadata keys the index knows: `product`, `team`, `date` (ISO), `audience`, `categories` (comma
    separated, with one `category_<id>: True` flag each, so they can be filtered).
    """

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
    """A document that matched a query, with the passage that matched best.

    `score` is the fused score in [0, 1] (1.0: first for every retriever), in the order of the hits.
    `reuse_count` is how often people marked the document helpful or as what solved their case (the KCS
    reuse measure). `similarity` (cosine similarity of the query and the snippet's
    passage, None when only the keyword search found it) is for relevance floors and not part of the JSON.
    """

    id: str
    title: str
    kind: DocumentKind
    score: float
    snippet: str
    source: str
    metadata: dict[str, MetadataValue] = Field(default_factory=dict)
    reuse_count: int = 0
    similarity: float | None = Field(default=None, exclude=True)
    #: Share of the query's term weight the hit's best keyword passage holds (0: no keyword match).
    coverage: float = Field(default=0.0, exclude=True)
    #: Other documents that say the same (copies and near-duplicates folded into this hit, knowledge.dedupe)
    #: and up to `DUPLICATE_IDS_SHOWN` of their ids.
    duplicates: int = 0
    duplicate_ids: list[str] = Field(default_factory=list)
    #: Teams whose documents in this hit's group name one (most documents first).
    teams: list[str] = Field(default_factory=list)
    #: Documents of the group by kind ("case": 37): "Seen in 37 cases".
    kind_counts: dict[str, int] = Field(default_factory=dict)
    #: How often people marked a document of the group as what solved their case.
    solved_count: int = 0
    #: "good" when the hit reaches the calibrated relevance floor (knowledge.relevance); "weak": only
    #: possibly related.
    match: Literal["good", "weak"] = "good"
    #: The passage as sanitised HTML (headings and lists kept, knowledge.rendering); "" in keyword-only tests.
    snippet_html: str = ""
    #: The passage as tidy Markdown (title line dropped, headings demoted), for composed chat answers.
    snippet_markdown: str = Field(default="", exclude=True)


class SearchFilters(BaseModel):
    """Metadata filters: a document must match one value of every field that is given."""

    kinds: list[DocumentKind] = Field(default_factory=list)
    products: list[str] = Field(default_factory=list)
    categories: list[str] = Field(default_factory=list)
    audiences: list[str] = Field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.kinds or self.products or self.categories or self.audiences)
