"""The rows of one mapping source as a DuckDB view: the columns a table or log needs, found by name or alias,
with the source's missing-value tokens (`?`, `NULL`, `N/A`, ...) turned into empty values."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb

from metrics.importers.files import FileProblem, SourceFile
from metrics.importers.readers import RawTable
from metrics.importers.specs import Condition, ValueSpec
from metrics.importers.sql import ident, in_list

Record = Callable[[FileProblem, str], None]


@dataclass(frozen=True)
class SourceView:
    """A view over a source's files; `columns` gives each wanted column's name in it (None: in no file)."""

    name: str
    columns: dict[str, str | None]


def references(spec: ValueSpec | None) -> set[str]:
    """The source columns a value spec reads."""
    if spec is None:
        return set()
    return ({spec.column} if spec.column is not None else set()) | set(spec.when or {})


def condition_columns(*conditions: Condition | None) -> set[str]:
    return {name for condition in conditions for name in (condition or {})}


def source_view(
    connection: duckdb.DuckDBPyConnection,
    raws: Sequence[tuple[SourceFile, RawTable]],
    name: str,
    *,
    table: str,
    purpose: str,
    required: set[str],
    optional: set[str],
    missing_values: list[str],
    aliases: dict[str, list[str]],
    record: Record,
    notices: list[str],
) -> SourceView | None:
    """A view over the files that have every required column (by name or alias); None when no file has.

    Each wanted column appears under the name the mapping uses; a file without an optional column gives
    empty values there (and a notice).
    """
    wanted = sorted(required | optional)
    selects = []
    present: set[str] = set()
    for file, raw in raws:
        resolved = resolve(raw.columns, wanted, aliases)
        missing = sorted(column for column in required if resolved[column] is None)
        for column in missing:
            record(
                FileProblem(
                    file.name,
                    f"column {_named(column, aliases)} is missing (needed for {purpose}); the file has: "
                    + ", ".join(raw.columns[:12])
                    + (", ..." if len(raw.columns) > 12 else ""),
                    1 if file.format == "csv" else None,
                    column,
                ),
                table,
            )
        if missing:
            continue
        absent = sorted(column for column in optional if resolved[column] is None)
        if absent:
            notices.append(f"{file.name}: no column {', '.join(map(repr, absent))}: left empty in {purpose}")
        present |= {column for column in wanted if resolved[column] is not None}
        values = [
            f"{_cleaned(actual, missing_values)} AS {ident(column)}"
            if (actual := resolved[column]) is not None
            else f"NULL::VARCHAR AS {ident(column)}"
            for column in wanted
        ]
        selects.append(f"SELECT __src, __line{''.join(', ' + value for value in values)} FROM {raw.table}")
    if not selects:
        return None
    connection.execute(f"CREATE TEMP VIEW {name} AS " + " UNION ALL ".join(selects))
    return SourceView(name, {column: column if column in present else None for column in wanted})


def _named(column: str, aliases: dict[str, list[str]]) -> str:
    others = aliases.get(column, [])
    return repr(column) + (f" (or {' or '.join(map(repr, others))})" if others else "")


def _cleaned(column: str, missing_values: list[str]) -> str:
    """The column as text, a missing-value token (compared ignoring case and spaces) as an empty value."""
    text = f"CAST({ident(column)} AS VARCHAR)"
    tokens = [token.strip() for token in missing_values if token.strip()]
    if not tokens:
        return text
    return f"CASE WHEN lower(trim({text})) IN {in_list(tokens)} THEN NULL ELSE {text} END"


def resolve(
    columns: list[str], wanted: Sequence[str], aliases: dict[str, list[str]]
) -> dict[str, str | None]:
    """Each wanted column's name in the source: the same name, else the only one equal ignoring case and
    spaces; failing both, the first of its aliases found the same way."""
    folded: dict[str, list[str]] = {}
    for column in columns:
        folded.setdefault(column.strip().casefold(), []).append(column)

    def find(name: str) -> str | None:
        if name in columns:
            return name
        candidates = folded.get(name.strip().casefold(), [])
        return candidates[0] if len(candidates) == 1 else None

    resolved: dict[str, str | None] = {}
    for name in wanted:
        found = find(name)
        for alias in aliases.get(name, []):
            found = found or find(alias)
        resolved[name] = found
    return resolved
