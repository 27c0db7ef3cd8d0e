"""Replacing an organisation's data folder all at once, so that a failed import leaves the old data as it was.

The new folder is built beside the old one (same file system): new tables written there, the old folder's
other files hard-linked (or copied) in. Then two renames swap them, and the old folder is removed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from metrics.store import SUFFIXES


def work_folder(into: Path) -> Path:
    """A fresh hidden folder beside `into`, for everything the import writes before the swap."""
    into.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{into.name}.import-", dir=into.parent))


def replaced_names(tables: list[str]) -> set[str]:
    """File names in the old folder that the new tables (and the new rejects file) replace."""
    names = {f"{table}{suffix}" for table in tables for suffix in SUFFIXES}
    return names | {"rejects.csv"}


def carry_over(old: Path, new: Path, replaced: set[str]) -> None:
    """Link every entry of `old` that the import does not replace into `new` (copy where links fail)."""
    if not old.is_dir():
        return
    for entry in sorted(old.iterdir()):
        if entry.name in replaced or (new / entry.name).exists():
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.copytree(entry, new / entry.name, symlinks=True, copy_function=link_or_copy)
        else:
            link_or_copy(str(entry), str(new / entry.name))


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


def swap(new: Path, into: Path, graveyard: Path) -> None:
    """Put folder `new` in the place of `into`; the old folder moves to `graveyard` (removed by the caller)."""
    if not into.exists():
        os.replace(new, into)
        return
    os.replace(into, graveyard)
    try:
        os.replace(new, into)
    except OSError:
        os.replace(graveyard, into)
        raise
