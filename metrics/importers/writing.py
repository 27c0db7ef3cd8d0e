"""Replacing an organisation's data folder all at once, so that a failed import leaves the old data as it was.

The new folder is built beside the old one (same file system): new tables written there, the old folder's
other files hard-linked (or copied) in. Then two renames swap them, and the old folder is removed; a crash
between the renames is repaired by the next writer or reader (metrics.folders).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from metrics.folders import folder_lock, recover, swap, work_folder
from metrics.store import SUFFIXES

__all__ = [
    "carry_over",
    "companions",
    "folder_lock",
    "link_or_copy",
    "recover",
    "replaced_names",
    "swap",
    "work_folder",
]


def replaced_names(tables: list[str]) -> set[str]:
    """File names in the old folder that the new tables (and the new rejects file) replace."""
    names = {f"{table}{suffix}" for table in tables for suffix in SUFFIXES}
    return names | {"rejects.csv"}


def carry_over(old: Path, new: Path, replaced: set[str]) -> None:
    """Link every entry of `old` that the import does not replace into `new` (copy where links fail)."""
    if not old.is_dir():
        return
    for entry in sorted(old.iterdir()):
        if _replaced(entry.name, replaced) or (new / entry.name).exists():
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, new / entry.name, symlinks=True, copy_function=link_or_copy)
        else:
            link_or_copy(str(entry), str(new / entry.name))


def companions(folder: Path, names: set[str]) -> set[str]:
    """The hidden companions in `folder` of the files `names` (caches the store keeps beside a file, such as
    `.tickets.parquet.keys`): they go, and come back with an undo, together with their file."""
    if not folder.is_dir():
        return set()
    return {
        entry.name for entry in folder.iterdir() if _replaced(entry.name, names) and entry.name not in names
    }


def _replaced(name: str, replaced: set[str]) -> bool:
    """Whether `name` is replaced: one of `replaced`, or a hidden companion of one (`.tickets.parquet.keys`,
    a cache the store keeps beside a file), which must not outlive its file."""
    if name in replaced:
        return True
    return name.startswith(".") and any(name.startswith(f".{file}.") for file in replaced)


def link_or_copy(source: str, target: str) -> str:
    """Hard-link `source` at `target` (a symbolic link is recreated), or copy it where links fail."""
    if os.path.islink(source):
        os.symlink(os.readlink(source), target)
        return target
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)
    return target
