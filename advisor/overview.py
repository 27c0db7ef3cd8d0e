"""What the knowledge and data pages show around their main task: the organisation's tables and time range,
the values search can be filtered by, and the stored passages of an indexed file."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from advisor.service import Advisor
from knowledge.models import DOCUMENT_KINDS, DocumentKind
from metrics.errors import MetricsError


@dataclass(frozen=True)
class TableRows:
    table: str
    rows: int
    file: str


@dataclass(frozen=True)
class OrganisationOverview:
    """The served organisation: its folder, each canonical table with its rows, and the time it covers."""

    name: str
    data_dir: Path
    tables: list[TableRows]
    time_range: tuple[datetime, datetime] | None
    #: Why the folder could not be read, when it could not.
    problem: str | None = None


@dataclass(frozen=True)
class SearchFacets:
    """The values the knowledge search can be filtered by."""

    kinds: tuple[DocumentKind, ...]
    products: list[str]
    categories: list[str]
    audiences: list[str]


@dataclass(frozen=True)
class IndexedDocument:
    """A document as the index holds it (a file from an indexed folder has no other page)."""

    id: str
    title: str
    kind: str
    source: str
    #: Markdown, in order, without the title each passage repeats.
    passages: list[str]


def describe_organisation(advisor: Advisor) -> OrganisationOverview:
    """The advisor's data folder as the scorecard reads it."""
    data_dir = advisor.data_dir.resolve()
    name = advisor.organisation()
    if not data_dir.is_dir():
        return OrganisationOverview(
            name, data_dir, [], None, f"the data folder {data_dir} does not exist yet"
        )
    try:
        store = advisor.store()
        cursor = store.cursor()
        tables = []
        for table in sorted(store.tables):
            # table names come from the canonical schema, never from input
            row = cursor.execute(f'SELECT count(*) FROM "{table}"').fetchone()
            tables.append(TableRows(table, int(row[0]) if row else 0, store.sources[table].name))
        return OrganisationOverview(name, data_dir, tables, store.time_range())
    except MetricsError as error:
        return OrganisationOverview(name, data_dir, [], None, str(error))


def search_facets(advisor: Advisor) -> SearchFacets:
    """Kinds of document, the practices' categories, and the articles' products and audiences."""
    categories = sorted(
        {category for practice in advisor.practices.values() for category in practice.categories}
    )
    products: set[str] = set()
    audiences: set[str] = {"internal"} if advisor.practices else set()
    try:
        store = advisor.store() if advisor.data_dir.is_dir() else None
    except MetricsError:
        store = None
    if store is not None and "articles" in store.tables:
        cursor = store.cursor()
        for product, audience in cursor.execute("SELECT DISTINCT product, audience FROM articles").fetchall():
            if product:
                products.add(str(product))
            if audience:
                audiences.add(str(audience))
    return SearchFacets(DOCUMENT_KINDS, sorted(products), categories, sorted(audiences))


def indexed_document(advisor: Advisor, document_id: str) -> IndexedDocument | None:
    """The stored passages of an indexed document in order, or None when the index does not hold it."""
    passages = advisor.index.vectors.chunks_of([document_id])
    if not passages:
        return None
    passages.sort(key=lambda passage: _chunk_number(passage.chunk_id))
    metadata = passages[0].metadata
    title = str(metadata.get("title", document_id))
    return IndexedDocument(
        id=document_id,
        title=title,
        kind=str(metadata.get("kind", "document")),
        source=str(metadata.get("source", "")),
        # every passage repeats its document's title as a heading, so that it is found on its own
        passages=[passage.text.removeprefix(f"# {title}").lstrip("\n") for passage in passages],
    )


def _chunk_number(chunk_id: str) -> int:
    _, _, number = chunk_id.rpartition("#")
    return int(number) if number.isdigit() else 0
