"""Knowledge articles published through the app, written into an organisation's data folder.

The article rows (`articles`) and the tickets' `article_created` / `article_linked` events (`ticket_events`)
are upserted, so K1, K2 and K3 count them like exported ones. The folder changes the way an import changes it:
a new folder is built beside it and swapped in at once, and what it replaced is kept as a version
(`versions/`, undone like an import). Writing the same rows again changes nothing, so the caller may always
pass every article it has published (a write lost to a concurrent import is repaired by the next one).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import duckdb

from metrics.errors import InvalidInputData
from metrics.importers.merging import TableChange
from metrics.importers.sql import ident, lit
from metrics.importers.versions import Version, keep_version, new_version_id
from metrics.importers.writing import (
    carry_over,
    folder_lock,
    link_or_copy,
    replaced_names,
    swap,
    work_folder,
)
from metrics.plausible import DateWindow
from metrics.schema import DUCKDB_TYPES, TABLES
from metrics.store import find_table_files, open_store

#: The `mapping` a version written here names in its manifest.
VERSION_SOURCE = "published articles"
ArticleEventKind = Literal["article_created", "article_linked"]


@dataclass(frozen=True)
class ArticleRow:
    """One row of the canonical `articles` table."""

    id: str
    title: str
    body: str
    audience: str
    state: str
    product: str | None
    first_known_at: datetime
    published_external_at: datetime | None


@dataclass(frozen=True)
class ArticleEvent:
    """A ticket's `article_created` or `article_linked` event; one per (ticket, kind, article)."""

    ticket_id: str
    kind: ArticleEventKind
    article_id: str
    at: datetime
    team: str | None = None


@dataclass(frozen=True)
class WrittenArticles:
    """What `write_published_articles` changed: the version it kept (None: nothing changed)."""

    version: str | None
    articles_added: int
    articles_updated: int
    events_added: int


def write_published_articles(
    data_dir: Path,
    articles: Sequence[ArticleRow],
    events: Sequence[ArticleEvent],
    *,
    by: str,
    window: DateWindow | None = None,
) -> WrittenArticles:
    """Upsert `articles` (by id) and `events` (by ticket, kind and article) into the folder `data_dir`;
    `by` names who published, for the version's manifest. `window` must be the one the organisation's data
    is read with: rows outside it are hidden on reading, so a narrower one would drop them on rewriting."""
    into = data_dir.absolute()
    if not into.is_dir():
        raise InvalidInputData(f"data folder {into} does not exist")
    with folder_lock(into):  # the one writer lock of a data folder, shared with imports
        work = work_folder(into)
        connection = duckdb.connect(":memory:")
        try:
            connection.execute("SET TimeZone = 'UTC'")
            return _write(connection, into, work, articles, events, by, window)
        finally:
            connection.close()
            shutil.rmtree(work, ignore_errors=True)


def _write(
    connection: duckdb.DuckDBPyConnection,
    into: Path,
    work: Path,
    articles: Sequence[ArticleRow],
    events: Sequence[ArticleEvent],
    by: str,
    window: DateWindow | None,
) -> WrittenArticles:
    existing = _load_existing(connection, into, work, window)
    _new_rows(connection, "articles", [_article_values(row) for row in articles])
    _new_rows(connection, "ticket_events", [_event_values(event) for event in events])
    changes = [
        _upsert(connection, "articles", existing.get("articles", 0), "id"),
        _upsert(connection, "ticket_events", existing.get("ticket_events", 0), "ticket_id, kind, article_id"),
    ]
    written = [change for change in changes if change.added or change.updated]
    result = WrittenArticles(
        version=None,
        articles_added=changes[0].added,
        articles_updated=changes[0].updated,
        events_added=changes[1].added,
    )
    if not written:
        return result
    new = work / "new"
    new.mkdir()
    for change in written:
        columns = ", ".join(ident(column) for column in TABLES[change.table].column_names)
        order = 'ticket_id, "at", kind' if change.table == "ticket_events" else "id"
        target = lit(str(new / f"{change.table}.parquet"))
        connection.execute(
            f"COPY (SELECT {columns} FROM out_{change.table} ORDER BY {order}) TO {target} (FORMAT parquet)"
        )
    open_store(new, window=window).close()  # what was written must load as the scorecard will load it
    tables = [change.table for change in written]
    carry_over(into, new, replaced_names(tables) - {"rejects.csv"})
    at = datetime.now(UTC)  # the version's time orders it among the imports' versions
    version = Version(id=new_version_id(at), at=at, by=by, mapping=VERSION_SOURCE, tables=changes)
    keep_version(into, new, version, tables)
    swap(new, into, work / "old")
    return WrittenArticles(
        version=version.id,
        articles_added=result.articles_added,
        articles_updated=result.articles_updated,
        events_added=result.events_added,
    )


def _load_existing(
    connection: duckdb.DuckDBPyConnection, into: Path, work: Path, window: DateWindow | None
) -> dict[str, int]:
    """`old_articles` and `old_ticket_events` from the folder (empty when it has none); rows per table.

    Only these two tables are loaded (checked as the scorecard loads them): their files are linked into a
    folder of their own, so a large tickets export is not read for nothing."""
    existing = work / "existing"
    existing.mkdir()
    for table, path in find_table_files(into).items():
        if table in ("articles", "ticket_events"):
            link_or_copy(str(path), str(existing / path.name))
    store = open_store(existing, window=window)
    counts: dict[str, int] = {}
    try:
        cursor = store.cursor()
        for name in ("articles", "ticket_events"):
            columns = ", ".join(ident(column) for column in TABLES[name].column_names)
            if name in store.tables:
                target = work / f"old_{name}.parquet"
                cursor.execute(f"COPY (SELECT {columns} FROM {name}) TO {lit(str(target))} (FORMAT parquet)")
                connection.execute(
                    f"CREATE TEMP TABLE old_{name} AS SELECT * FROM read_parquet(?)", [str(target)]
                )
            else:
                connection.execute(f"CREATE TEMP TABLE old_{name} ({_column_types(name)})")
            row = connection.execute(f"SELECT count(*) FROM old_{name}").fetchone()
            counts[name] = int(row[0]) if row else 0
    finally:
        store.close()
    return counts


def _column_types(name: str) -> str:
    return ", ".join(f"{ident(column.name)} {DUCKDB_TYPES[column.type]}" for column in TABLES[name].columns)


def _new_rows(connection: duckdb.DuckDBPyConnection, name: str, rows: list[tuple[object, ...]]) -> None:
    connection.execute(f"CREATE TEMP TABLE new_{name} ({_column_types(name)})")
    if rows:
        marks = ", ".join("?" for _ in TABLES[name].columns)
        connection.executemany(f"INSERT INTO new_{name} VALUES ({marks})", rows)


def _upsert(connection: duckdb.DuckDBPyConnection, name: str, before: int, key: str) -> TableChange:
    """`out_<name>`: the old rows whose key the new rows do not hold, and the new rows."""
    keys = [part.strip() for part in key.split(",")]
    match = " AND ".join(f"o.{ident(part)} IS NOT DISTINCT FROM n.{ident(part)}" for part in keys)
    kept = f"SELECT * FROM old_{name} o WHERE NOT EXISTS (SELECT 1 FROM new_{name} n WHERE {match})"
    connection.execute(f"CREATE TEMP TABLE out_{name} AS {kept} UNION ALL BY NAME SELECT * FROM new_{name}")
    imported = _count(connection, f"new_{name}")
    matched = before - _count(connection, f"({kept})")
    unchanged = _count(connection, f"(SELECT * FROM new_{name} INTERSECT ALL SELECT * FROM old_{name})")
    added, updated = imported - matched, matched - unchanged
    return TableChange(
        table=name,
        before=before,
        after=_count(connection, f"out_{name}"),
        imported=imported,
        added=added,
        updated=updated,
        unchanged=unchanged,
        action="merged" if added or updated else "kept",
    )


def _count(connection: duckdb.DuckDBPyConnection, relation: str) -> int:
    row = connection.execute(f"SELECT count(*) FROM {relation}").fetchone()
    return int(row[0]) if row else 0


def _article_values(row: ArticleRow) -> tuple[object, ...]:
    values = {
        "id": row.id,
        "title": row.title,
        "body": row.body,
        "audience": row.audience,
        "state": row.state,
        "product": row.product,
        "first_known_at": row.first_known_at,
        "published_external_at": row.published_external_at,
    }
    return tuple(values.get(column) for column in TABLES["articles"].column_names)


def _event_values(event: ArticleEvent) -> tuple[object, ...]:
    values = {
        "ticket_id": event.ticket_id,
        "at": event.at,
        "kind": event.kind,
        "team": event.team,
        "article_id": event.article_id,
    }
    return tuple(values.get(column) for column in TABLES["ticket_events"].column_names)
