"""Whether the knowledge index is complete: a build records that it is under way before it changes anything
and that it finished after the last passage is stored, so a build killed midway is seen at the next open.

The state lives in the Chroma collection's metadata, beside the generation (one SQLite transaction per
write, so it is never half-written, and every process using the collection, a Chroma server's included,
sees the same). An index with no state at all was written before states were kept, or is new and empty:
it counts as complete.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from typing import Protocol

#: The collection metadata keys; knowledge.dedupe's markers and the generation sit beside them.
STATE = "build_state"
EXPECTED = "build_expected"
ROOTS = "build_roots"
OWNER = "build_owner"
BUILDING = "building"
COMPLETE = "complete"


class Marked(Protocol):
    """What of the vector store the state needs (knowledge.vector_store.ChromaVectorStore)."""

    def markers(self) -> dict[str, str]: ...

    def mark(self, **values: str) -> None: ...


@dataclass(frozen=True)
class BuildState:
    """`complete` unless a build started and has not finished; `expected` is the documents it was to hold,
    `roots` the folders it read (a resume reads them again), `owner` "host:pid" of the process building."""

    complete: bool
    expected: int = 0
    roots: tuple[str, ...] = ()
    owner: str = ""

    @property
    def alive(self) -> bool:
        """Whether another process that is building still runs (on this host; another host's cannot be told).
        This process's own mark is a build that raised, or a pid reused after a kill: not alive."""
        host, _, pid = self.owner.rpartition(":")
        if self.complete or not pid.isdigit() or (host == socket.gethostname() and int(pid) == os.getpid()):
            return False
        if host != socket.gethostname():
            return True
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True

    def describe(self) -> str:
        """Why the index is not complete, for /healthz and the CLI."""
        if self.complete:
            return "complete"
        who = f"is being built by {self.owner}" if self.alive else "build stopped before it finished"
        return (
            f"the knowledge index is incomplete: a {who} ({self.expected} documents expected); "
            "`advisor index` or the next start completes it, and search answers from what is there meanwhile"
        )


def read_state(vectors: Marked) -> BuildState:
    markers = vectors.markers()
    if markers.get(STATE, COMPLETE) != BUILDING:
        return BuildState(complete=True)
    try:
        roots = tuple(str(root) for root in json.loads(markers.get(ROOTS, "[]")))
    except ValueError:
        roots = ()
    expected = markers.get(EXPECTED, "0")
    return BuildState(
        complete=False,
        expected=int(expected) if expected.isdigit() else 0,
        roots=roots,
        owner=markers.get(OWNER, ""),
    )


def mark_building(vectors: Marked, expected: int, roots: tuple[str, ...] = ()) -> BuildState:
    """Record a build under way (before anything is deleted or added); returns the state it replaces.

    A build that follows an unfinished one keeps the earlier one's roots, so that completing it reads them.
    """
    before = read_state(vectors)
    kept = tuple(dict.fromkeys(before.roots + roots)) if not before.complete else roots
    vectors.mark(
        **{
            STATE: BUILDING,
            EXPECTED: str(max(expected, before.expected)),
            ROOTS: json.dumps(list(kept)),
            OWNER: f"{socket.gethostname()}:{os.getpid()}",
        }
    )
    return before


def building_markers(vectors: Marked) -> dict[str, str]:
    """The state's markers as they are, to put back after a new generation replaces the metadata."""
    markers = vectors.markers()
    return {key: markers[key] for key in (STATE, EXPECTED, ROOTS, OWNER) if key in markers}


def mark_finished(vectors: Marked, before: BuildState, *, whole: bool) -> None:
    """After a build: complete when it was a whole one (it brought the index in step with every source)
    or the index was complete before it; else the unfinished state it found is put back (a one-document
    build after a stopped whole one does not make the index complete), unless another process has marked
    the index since (its own build under way, or finished)."""
    if whole or before.complete:
        vectors.mark(**{STATE: COMPLETE, EXPECTED: "0", ROOTS: "[]", OWNER: ""})
        return
    if vectors.markers().get(OWNER, "") != f"{socket.gethostname()}:{os.getpid()}":
        return
    vectors.mark(
        **{
            STATE: BUILDING,
            EXPECTED: str(before.expected),
            ROOTS: json.dumps(list(before.roots)),
            OWNER: before.owner,
        }
    )
