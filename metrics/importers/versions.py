"""Every import is kept as a version: `DIR/versions/<id>/` holds the files the import replaced (hard links, so
a version costs no copy) and `manifest.json` (when, who, which export files, rows per table before and after).
`undo_import` puts the latest version's files back, with the same atomic swap an import uses."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from metrics.errors import InvalidInputData
from metrics.importers.merging import TableChange
from metrics.importers.writing import (
    carry_over,
    companions,
    folder_lock,
    link_or_copy,
    replaced_names,
    swap,
    work_folder,
)
from metrics.store import SUFFIXES

#: The folder (inside the data folder) that keeps the versions.
VERSIONS = "versions"
MANIFEST = "manifest.json"
#: Versions kept; older ones are dropped when an import adds one.
KEEP_VERSIONS = 10


class Version(BaseModel):
    """One import, as kept: what it changed, and the files it replaced (saved in its folder)."""

    id: str
    at: datetime
    by: str = ""
    mapping: str = ""
    sources: list[str] = Field(default_factory=list)
    #: Rows per table before and after the import.
    tables: list[TableChange] = Field(default_factory=list)
    #: The folder's files the import replaced (saved in the version's folder) and the ones it created.
    saved: list[str] = Field(default_factory=list)
    created: list[str] = Field(default_factory=list)


class UndoReport(BaseModel):
    """What `undo_import` restored."""

    into: Path
    undone: Version
    restored: list[str]
    removed: list[str]
    versions_left: int


def new_version_id(at: datetime) -> str:
    return at.strftime("%Y%m%dT%H%M%S%fZ")


def list_versions(into: Path) -> list[Version]:
    """The kept versions of a data folder, newest first (unreadable manifests are skipped)."""
    folder = into / VERSIONS
    if not folder.is_dir():
        return []
    found = []
    for entry in folder.iterdir():
        manifest = entry / MANIFEST
        if manifest.is_file():
            try:
                found.append(Version.model_validate_json(manifest.read_text(encoding="utf-8")))
            except ValueError:
                continue
    return sorted(found, key=lambda version: version.id, reverse=True)


def keep_version(old: Path, new: Path, version: Version, written: list[str]) -> None:
    """In the new folder `new`, save the files of `old` that the import replaces, with the manifest; drop the
    oldest versions beyond KEEP_VERSIONS. Call it after the old folder's other files were carried over."""
    target = new / VERSIONS / version.id
    target.mkdir(parents=True)
    replaced = replaced_names(written)
    saved = []
    for name in sorted(replaced):
        source = old / name
        if source.is_file():
            link_or_copy(str(source), str(target / name))
            saved.append(name)
    for name in companions(old, set(saved)):  # the store's caches of those files, restored with them
        link_or_copy(str(old / name), str(target / name))
    previous = {entry.name for entry in old.iterdir()} if old.is_dir() else set()
    created = sorted(name for name in replaced if (new / name).is_file() and name not in previous)
    final = version.model_copy(update={"saved": saved, "created": created})
    (target / MANIFEST).write_text(final.model_dump_json(indent=2), encoding="utf-8")
    kept = sorted(entry.name for entry in (new / VERSIONS).iterdir() if entry.is_dir())
    for name in kept[: max(0, len(kept) - KEEP_VERSIONS)]:
        shutil.rmtree(new / VERSIONS / name, ignore_errors=True)


def undo_import(into: Path) -> UndoReport:
    """Restore the data folder as it was before its latest import (whose version is then dropped).

    The restored folder is built beside the old one and swapped in at once: when anything fails, the folder
    stays as it was.
    """
    into = into.absolute()
    with folder_lock(into):
        return _undo(into)


def _undo(into: Path) -> UndoReport:
    versions = list_versions(into)
    if not versions:
        raise InvalidInputData(f"{into} holds no import to undo (no {VERSIONS}/ with a {MANIFEST})")
    latest = versions[0]
    saved_in = into / VERSIONS / latest.id
    touched = {
        f"{change.table}{suffix}"
        for change in latest.tables
        if change.action != "kept"
        for suffix in SUFFIXES
    }
    touched |= set(latest.created) | set(latest.saved) | {"rejects.csv"}
    work = work_folder(into)
    try:
        new = work / "new"
        new.mkdir()
        for name in [*latest.saved, *companions(saved_in, set(latest.saved))]:
            link_or_copy(str(saved_in / name), str(new / name))
        carry_over(into, new, touched | {VERSIONS})
        others = [entry for entry in (into / VERSIONS).iterdir() if entry.name != latest.id]
        if others:  # no empty versions folder is left behind
            (new / VERSIONS).mkdir()
            carry_over(into / VERSIONS, new / VERSIONS, {latest.id})
        removed = sorted(name for name in touched if (into / name).is_file() and not (new / name).exists())
        swap(new, into, work / "old")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return UndoReport(
        into=into, undone=latest, restored=latest.saved, removed=removed, versions_left=len(versions) - 1
    )


def now() -> datetime:
    return datetime.now(UTC)


def author() -> str:
    """Who runs the import on this machine (for the manifest), or '' when it cannot be told."""
    for variable in ("USER", "USERNAME", "LOGNAME"):
        if os.environ.get(variable):
            return os.environ[variable]
    return ""
