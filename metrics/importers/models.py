"""What an import reports back: rows per canonical table, rows and rejects per file, and notices."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from metrics.importers.merging import TableChange


class TableCount(BaseModel):
    """Rows written for one canonical table."""

    table: str
    rows: int


class FileCount(BaseModel):
    """What became of one source file's rows."""

    file: str
    source: str
    rows: int
    rejected: int
    skipped: int = 0


class ImportReport(BaseModel):
    """The outcome of `import_sources`: what was written where, and what was left out and why."""

    into: Path
    mapping: str
    tables: list[TableCount]
    files: list[FileCount]
    #: Problems that left a row (or a file) out, and values of optional columns that were emptied instead.
    rejects: int
    warnings: int = 0
    #: Tickets whose every row was rejected (each named in rejects.csv when they came from a state log).
    tickets_without_rows: int = 0
    rejects_path: Path
    notices: list[str]
    #: Rows per table of the folder before and after the import (merged, replaced, new or kept).
    changes: list[TableChange] = Field(default_factory=list)
    #: A preview: nothing was written.
    dry_run: bool = False
    #: The version this import is kept as (`versions/<id>/`), to undo it.
    version: str | None = None
