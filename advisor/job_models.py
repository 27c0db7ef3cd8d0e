"""What a background job of the data page is (an import, its preview, its undo, an index rebuild): the model
kept in the application database and shown by every worker."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from advisor.errors import AdvisorError
from metrics.importers import FileCount, TableChange

JobKind = Literal["import", "rebuild", "undo"]
JobState = Literal["queued", "running", "done", "failed"]
ACTIVE_STATES: tuple[JobState, ...] = ("queued", "running")


class JobBusy(AdvisorError):
    """A job was asked for while another import or rebuild is still queued or running (in any worker)."""


class RejectedRow(BaseModel):
    """One line of an import's rejects.csv."""

    file: str
    line: str
    column: str
    table: str
    reason: str
    #: "rejected" (the row was left out) or "warning" (a value of an optional column was left empty).
    severity: str = "rejected"


class Job(BaseModel):
    """An import or index rebuild: where it stands, and what it did."""

    id: str
    kind: JobKind
    state: JobState = "queued"
    #: What the job is doing now, in words ("Importing 2 files", "Rebuilding the knowledge index").
    stage: str = "Waiting to start"
    #: Progress of the current stage; `total` 0 means the stage cannot say how far it is.
    done: int = 0
    total: int = 0
    message: str = ""
    created: datetime
    started: datetime | None = None
    finished: datetime | None = None
    #: Import: the uploaded files, the mapping used, rows written per table, per-file counts, rejects.
    sources: list[str] = Field(default_factory=list)
    mapping: str = ""
    tables: dict[str, int] = Field(default_factory=dict)
    files: list[FileCount] = Field(default_factory=list)
    rejects: int = 0
    #: Values of optional columns left empty (listed in rejects.csv as warnings), tickets with no usable row.
    warnings: int = 0
    tickets_without_rows: int = 0
    rejects_preview: list[RejectedRow] = Field(default_factory=list)
    notices: list[str] = Field(default_factory=list)
    #: Rows per table of the organisation before and after (merged, replaced, new or kept).
    changes: list[TableChange] = Field(default_factory=list)
    #: A preview (dry run): nothing written; `replace` the choice made on the form; `imported_by` the job that
    #: imported it once confirmed; `version` the version an import is kept as.
    preview: bool = False
    replace: bool = False
    imported_by: str | None = None
    version: str | None = None
    #: The index rebuild: documents added, updated, unchanged and removed, and passages embedded.
    index: dict[str, int] = Field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.state in ACTIVE_STATES


KIND_WORDS: dict[str, str] = {"import": "import", "rebuild": "index rebuild", "undo": "undo of an import"}
