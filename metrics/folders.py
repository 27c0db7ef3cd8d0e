"""Replacing an organisation's data folder all at once, safely across crashes.

A writer (an import, an undo, published articles) builds the new folder in a work folder beside the old one
(`.<name>.import-*`, same file system), then swaps them with two renames: the old folder to `<work>/old`,
the new one into its place. A process killed between the two renames leaves no data folder, only
`<work>/old`; `recover` puts it back (the write did not happen), and removes the work folders killed writers
left. Writers hold `folder_lock`, which recovers on entry; a reader that finds no folder recovers too
(`wait_for_folder`), so the previous data is never lost and never read half-swapped.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: What the work folders of a data folder `<name>` are called: `.<name>` + this + a random part.
WORK_MARK = ".import-"


@contextmanager
def folder_lock(into: Path) -> Iterator[list[str]]:
    """One writer at a time for the data folder `into`, across processes; yields what `recover` repaired.

    The lock is taken on the folder's parent directory (no lock file is left beside the data), and is
    released by the system when its process dies.
    """
    into.parent.mkdir(parents=True, exist_ok=True)
    handle = os.open(into.parent, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield recover(into)
    finally:
        os.close(handle)  # closing releases the lock


def work_folder(into: Path) -> Path:
    """A fresh hidden folder beside `into`, for everything a writer writes before the swap."""
    into.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{into.name}{WORK_MARK}", dir=into.parent))


def work_folders(into: Path) -> list[Path]:
    """The work folders of `into` that exist now (a live writer's, or ones a killed writer left)."""
    if not into.parent.is_dir():
        return []
    prefix = f".{into.name}{WORK_MARK}"
    return sorted(
        entry for entry in into.parent.iterdir() if entry.name.startswith(prefix) and entry.is_dir()
    )


def recover(into: Path) -> list[str]:
    """Undo what killed writers left (call it holding `folder_lock`): a swap cut between its renames gets
    its old folder back; every work folder is removed. Returns what was done, in words."""
    done: list[str] = []
    restored = recover_only_swap(into)
    if restored is not None:
        done.append(f"restored {into.name} from an interrupted write ({restored})")
    for folder in work_folders(into):
        shutil.rmtree(folder, ignore_errors=True)
        done.append(f"removed the work folder {folder.name} of an interrupted write")
    return done


def swap(new: Path, into: Path, graveyard: Path) -> None:
    """Put folder `new` in the place of `into`; the old folder moves to `graveyard`, which must be `old` in
    the writer's work folder (so that `recover` finds it) and is removed by the caller."""
    if graveyard.name != "old" or not graveyard.parent.name.startswith(f".{into.name}{WORK_MARK}"):
        raise ValueError(f"{graveyard} is not the old folder of a work folder of {into}")
    if not into.exists():
        os.replace(new, into)
        return
    os.replace(into, graveyard)
    try:
        os.replace(new, into)
    except OSError:
        os.replace(graveyard, into)
        raise


def wait_for_folder(into: Path, timeout: float = 2.0) -> bool:
    """Whether the data folder `into` exists, after repairing an interrupted write when it does not (a
    reader may meet a writer between its two renames: it waits for the writer, up to `timeout` seconds)."""
    deadline = time.monotonic() + timeout
    while not into.is_dir():
        if not work_folders(into) or not into.parent.is_dir():
            return False
        handle = os.open(into.parent, os.O_RDONLY)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            if time.monotonic() > deadline:
                return into.is_dir()
            time.sleep(0.05)
            continue
        try:
            recover_only_swap(into)
        finally:
            os.close(handle)
        return into.is_dir()
    return True


def recover_only_swap(into: Path) -> str | None:
    """Put back the old folder of a swap cut between its renames (the newest, should killed writers have
    left several), leaving the work folders to the next writer; returns the work folder it came from."""
    if into.exists():
        return None
    olds = [folder / "old" for folder in work_folders(into) if (folder / "old").is_dir()]
    if not olds:
        return None
    previous = max(olds, key=lambda path: path.stat().st_mtime_ns)
    os.replace(previous, into)
    return previous.parent.name
