"""What an import reports back: rows per canonical table, rows and rejects per file, and notices."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel


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
    rejects: int
    rejects_path: Path
    notices: list[str]
