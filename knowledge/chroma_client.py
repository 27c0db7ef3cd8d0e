"""Opening Chroma: a folder that several processes share safely (embedded), or a Chroma server.

Embedded Chroma keeps each collection's vector index in the memory of the process that opened it and is not
safe across processes: after another process (a CLI command beside `advisor serve`, a second worker) writes
the folder, this one answers "Error finding id" until it is restarted (issue 16). So, in embedded mode:
- every write takes the folder's lock (`chroma.lock`: one writer at a time, across processes) and leaves a
  new stamp file (`chroma.stamp`) behind;
- every use of the collection first compares the stamp (one `stat`) with the one this process last saw, and
  reopens its client when another process has written since, so a reader sees the change before its next
  query; a read that fails all the same (the write landed between the check and the read) reopens and is
  tried once more. Each opening has a chromadb system of its own (taken out of chromadb's per-folder cache,
  a private detail of chromadb 1.x, tested in tests/deploy/test_chroma_shared_folder.py), stopped once a
  newer opening replaced it and no call uses it, so reopening frees the old in-memory index.
A Chroma server (`chroma run`) is one process for every client: none of this is needed there.
"""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import chromadb
from chromadb.api import ClientAPI
from chromadb.api.collection_configuration import CreateCollectionConfiguration, CreateHNSWConfiguration
from chromadb.api.shared_system_client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings
from chromadb.config import System
from chromadb.errors import ChromaError, InvalidArgumentError
from filelock import FileLock

from knowledge.errors import IndexUnavailable

STAMP = "chroma.stamp"
LOCK = "chroma.lock"
#: A writer holds the lock for one Chroma call (a batch of passages): seconds, not minutes.
LOCK_TIMEOUT = 300.0
#: Cosine distance for every collection the index makes.
CONFIGURATION = CreateCollectionConfiguration(hnsw=CreateHNSWConfiguration(space="cosine"))

Stamp = tuple[int, int, int] | None


def embedded_client(path: Path) -> ClientAPI:
    """Embedded Chroma kept in `path` (made when missing)."""
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=ChromaSettings(anonymized_telemetry=False))


def server_client(url: str) -> ClientAPI:
    """A Chroma server (`chroma run`) at `url`, such as http://127.0.0.1:8001; IndexUnavailable when the URL
    is not one or the server does not answer."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise IndexUnavailable(f"{url!r} is not a Chroma server URL such as http://127.0.0.1:8001")
    port = parts.port or (443 if parts.scheme == "https" else 8000)
    try:
        return chromadb.HttpClient(
            host=parts.hostname,
            port=port,
            ssl=parts.scheme == "https",
            settings=ChromaSettings(anonymized_telemetry=False),
        )
    except Exception as error:  # chromadb raises plain exceptions for connection failures
        raise IndexUnavailable(f"cannot reach the Chroma server at {url}: {error}") from None


_OPENING = threading.Lock()


def _private_embedded_client(path: Path) -> tuple[ClientAPI, System]:
    """A client of `path` with a system (and in-memory vector index) of its own. chromadb shares one system
    between every client of a folder in a process, so a new client alone would still be stale, and stopping
    a shared one would break the others; this one is taken out of that cache and stopped by its owner."""
    with _OPENING:
        SharedSystemClient._identifier_to_system.pop(str(path), None)
        SharedSystemClient._identifier_to_refcount.pop(str(path), None)
        client = embedded_client(path)
        system = SharedSystemClient._identifier_to_system.pop(str(path))
        SharedSystemClient._identifier_to_refcount.pop(str(path), None)
    return client, system


@dataclass
class _Opened:
    """One opening of the collection; an embedded one's system is stopped (its memory freed) once a newer
    opening replaced it and the calls still using it have returned."""

    client: ClientAPI
    collection: Any
    system: System | None = None
    users: int = 0
    retired: bool = False


class SharedCollection:
    """One Chroma collection with the methods the vector store uses; in an embedded folder, writes are
    serialised across processes and every call sees the writes of other processes (module docstring)."""

    def __init__(self, name: str, *, folder: Path | None = None, url: str | None = None) -> None:
        if (folder is None) == (url is None):
            raise ValueError("a Chroma collection lives in a folder or on a server, one of them")
        self.name = name
        self._folder = folder
        self._lock = FileLock(folder / LOCK, timeout=LOCK_TIMEOUT) if folder is not None else None
        # taken before the file lock, never after: a write and a reopen in this process wait for each other
        self._guard = threading.RLock()
        self._counting = threading.Lock()
        self._seen = self._stamp()
        if folder is not None:
            client, system = _private_embedded_client(folder)
            self._opened = _Opened(client, self._collection_of(client), system)
            return
        assert url is not None
        client = server_client(url)
        try:
            self._opened = _Opened(client, self._collection_of(client))
        except Exception as error:  # connection failures come as plain exceptions
            raise IndexUnavailable(f"cannot reach the Chroma server at {url}: {error}") from None

    @property
    def client(self) -> ClientAPI:
        return self._opened.client

    def _collection_of(self, client: ClientAPI) -> Any:
        return client.get_or_create_collection(
            self.name, embedding_function=None, configuration=CONFIGURATION
        )

    # -- keeping in step with other processes --------------------------------------------------------------
    def _stamp(self) -> Stamp:
        if self._folder is None:
            return None
        try:
            found = os.stat(self._folder / STAMP)
        except FileNotFoundError:
            return None
        return (found.st_ino, found.st_mtime_ns, found.st_size)

    def _use(self) -> _Opened:
        """The current opening, reopened first when another process has written the folder since."""
        if self._folder is not None and self._stamp() != self._seen:
            self._reopen()
        with self._counting:
            opened = self._opened
            opened.users += 1
        return opened

    def _done(self, opened: _Opened) -> None:
        with self._counting:
            opened.users -= 1
            finished = opened.retired and opened.users == 0
        if finished and opened.system is not None:
            opened.system.stop()

    def _reopen(self, *, always: bool = False) -> None:
        assert self._folder is not None and self._lock is not None
        with self._guard:
            if not always and self._stamp() == self._seen:
                return  # another thread reopened meanwhile
            with self._lock:  # never while another process is half-way through a write
                stamp = self._stamp()
                client, system = _private_embedded_client(self._folder)
                fresh = _Opened(client, self._collection_of(client), system)
            with self._counting:
                old, self._opened, self._seen = self._opened, fresh, stamp
                old.retired = True
                finished = old.users == 0
            if finished and old.system is not None:
                old.system.stop()

    def _call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        return self._read_with(lambda collection: getattr(collection, method)(*args, **kwargs))

    def _read_with(self, call: Callable[[Any], Any]) -> Any:
        opened = self._use()
        try:
            return call(opened.collection)
        except InvalidArgumentError:
            raise
        except ChromaError:
            if self._folder is None:
                raise
        finally:
            self._done(opened)
        # another process wrote between the stamp check and this read: read again, reopened
        self._reopen(always=True)
        opened = self._use()
        try:
            return call(opened.collection)
        finally:
            self._done(opened)

    def _write(self, method: str, *args: Any, **kwargs: Any) -> Any:
        if self._folder is None or self._lock is None:
            return self._call(method, *args, **kwargs)
        with self._guard, self._lock:
            opened = self._use()
            try:
                result = getattr(opened.collection, method)(*args, **kwargs)
            finally:
                self._done(opened)
            # a new file each time (os.replace): its inode changes even where mtimes are coarse
            temporary = self._folder / f".{STAMP}.{uuid.uuid4().hex}"
            temporary.write_text(uuid.uuid4().hex, encoding="ascii")
            os.replace(temporary, self._folder / STAMP)
            self._seen = self._stamp()
            return result

    # -- the collection's methods --------------------------------------------------------------------------
    @property
    def metadata(self) -> dict[str, Any]:
        """The collection's metadata as stored now (another process may have changed it)."""
        return dict(self._read_with(lambda _: self.client.get_collection(self.name)).metadata or {})

    def count(self) -> int:
        return int(self._call("count"))

    def get(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("get", *args, **kwargs)

    def query(self, *args: Any, **kwargs: Any) -> Any:
        return self._call("query", *args, **kwargs)

    def upsert(self, *args: Any, **kwargs: Any) -> None:
        self._write("upsert", *args, **kwargs)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._write("update", *args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> None:
        self._write("delete", *args, **kwargs)

    def modify(self, *args: Any, **kwargs: Any) -> None:
        self._write("modify", *args, **kwargs)
