"""Connecting to an archive's Chroma, in one of two configurations behind one seam (`Location`):

- `EmbeddedFolder`: Chroma in the store's own folder. It must not be opened by two processes (the first one's
  next query fails with "Error finding id" after the second writes), so exactly one process opens it. A
  long-running process (the app, `archive-chat serve`: `serve=True`) that finds the folder free owns it by running
  Chroma's own server on it (`chroma_server`) and says where in `STORE/chroma.json`; every other process, a CLI
  ingest or a second app, talks to that server. A one-shot command that finds no owner opens the folder itself,
  holding the folder's lock meanwhile; another process arriving then waits for it, saying so.
- `ChromaServer`: a Chroma server every process and machine names by URL; the folder holds local caches only.

`Connection` holds the archive's collections through either, opened on first use and found again after the owner
of an embedded folder died.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Protocol

import chromadb
from chromadb.config import Settings as ChromaSettings
from filelock import FileLock, Timeout

from vectorstore import chroma_server, state
from vectorstore.chroma import Collections, http_client
from vectorstore.migrate import upgrade_legacy

_OPEN: dict[str, chromadb.ClientAPI] = {}  # one client per folder in a process: Chroma allows no second
_HELD: dict[str, FileLock] = {}  # the folder locks this process holds, for as long as it uses the folder
_SERVED: set[str] = set()  # the folders this process serves (until it exits)
_WAIT_NOTICE = "{folder} is in use by another archive-chat process (pid {pid}); waiting for it to finish…"


class Location(Protocol):
    """Where an archive's Chroma lives; `folder` holds this machine's caches in both configurations."""

    folder: Path
    serve: bool  # a long-running process: it serves an embedded folder, and refreshes caches in the background

    @property
    def name(self) -> str: ...  # how reports name the store
    def client(self) -> chromadb.ClientAPI: ...
    def exists(self, collection: str) -> bool: ...
    def release(self) -> None: ...
    def owner_gone(self) -> bool: ...
    def upgrade(self, parts: Collections) -> bool: ...
    def legacy_backend(self) -> str | None: ...
    def shared(self) -> bool: ...


@dataclass(frozen=True)
class ChromaServer:
    url: str
    folder: Path
    serve: bool = False

    @property
    def name(self) -> str:
        return self.url

    def client(self) -> chromadb.ClientAPI:
        return http_client(self.url)

    def exists(self, collection: str) -> bool:
        return collection in {getattr(c, "name", c) for c in self.client().list_collections()}

    def release(self) -> None:
        """Nothing to let go: the server is shared."""

    def owner_gone(self) -> bool:
        """A server has no owner here to take over from."""
        return False

    def upgrade(self, parts: Collections) -> bool:
        """A server never held the layout from before Chroma held the articles."""
        return False

    def legacy_backend(self) -> str | None:
        return None

    def shared(self) -> bool:
        """Other processes reach it too: a server always."""
        return True


@dataclass(frozen=True)
class EmbeddedFolder:
    folder: Path
    serve: bool = False

    @property
    def name(self) -> str:
        return str(self.folder)

    @property
    def _key(self) -> str:
        return str(self.folder.resolve())

    def client(self) -> chromadb.ClientAPI:
        if self._key not in _OPEN:
            _OPEN[self._key] = self._open()
        return _OPEN[self._key]

    def exists(self, collection: str) -> bool:
        """Has anything been stored here (without creating the store by looking)?"""
        return (self.folder / "chroma").is_dir()

    def release(self) -> None:
        """Close the folder if this process opened it itself, so that another process may: its in-process Chroma
        is closed and the folder's lock released. A folder this process serves stays served until it exits."""
        if self._key in _HELD and self._key in _OPEN and self._key not in _SERVED:
            _OPEN.pop(self._key).close()
            _HELD.pop(self._key).release(force=True)

    def owner_gone(self) -> bool:
        """After the process serving the folder died: wait (up to 30 s) for the Chroma server it ran to end too (the
        kernel stops it with its parent), so that whoever opens the folder next is alone in it; then forget it.
        False when the server still answers: the owner is not gone, only unreachable for a moment."""
        if chroma_server.advertised(self.folder) is not None:
            return False
        pid, deadline = chroma_server.server_pid(self.folder), time.monotonic() + 30.0
        while pid and time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except (ProcessLookupError, PermissionError):  # gone, or another user's process of that number
                break
            time.sleep(0.2)
        if self._key not in _HELD:
            _OPEN.pop(self._key, None)
        return True

    def upgrade(self, parts: Collections) -> bool:
        """Move a store written before Chroma held the articles into today's layout, once."""
        return upgrade_legacy(self.folder, parts)

    def legacy_backend(self) -> str | None:
        """The embedding backend a store from before Chroma held everything recorded beside it."""
        legacy = self.folder / "embedding.json"
        return json.loads(legacy.read_text())["backend"] if legacy.exists() else None

    def shared(self) -> bool:
        """Can another process (a BM25 rebuild child) reach the folder now? Not while this process has it open
        in-process, as a one-shot command does."""
        return self._key in _SERVED or self._key not in _HELD

    def _open(self) -> chromadb.ClientAPI:
        self.folder.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self.folder / "chroma.lock")
        noticed = False
        while True:
            try:
                lock.acquire(timeout=0)
                break
            except Timeout:
                if (client := chroma_server.advertised(self.folder)) is not None:
                    return client
                if not noticed:
                    print(_WAIT_NOTICE.format(folder=self.folder, pid=self._owner_pid()), file=sys.stderr, flush=True)
                    noticed = True
                time.sleep(0.25)
        _HELD[self._key] = lock
        (self.folder / "chroma.owner").write_text(str(os.getpid()))
        if self.serve:
            _SERVED.add(self._key)
            return chroma_server.start(self.folder)
        return chromadb.PersistentClient(path=str(self.folder / "chroma"),
                                         settings=ChromaSettings(anonymized_telemetry=False))

    def _owner_pid(self) -> str:
        try:
            return (self.folder / "chroma.owner").read_text().strip() or "?"
        except OSError:
            return "?"


def locate(folder: Path, url: str | None, serve: bool = False) -> Location:
    """The configuration a store's settings name: a Chroma server by URL, else the folder itself."""
    return ChromaServer(url, folder, serve) if url else EmbeddedFolder(folder, serve)


class Connection:
    """The archive's collections through its location, opened on first use."""

    def __init__(self, location: Location, collection: str) -> None:
        self.location = location
        self.collection = collection

    @cached_property
    def parts(self) -> Collections:
        parts = Collections.open(self.location.client(), self.collection)
        if self.location.upgrade(parts):
            state.bump(parts)
        return parts

    def close(self) -> None:
        """Let go of the collections, and of an embedded folder this process opened itself (the next use opens
        it again)."""
        self.__dict__.pop("parts", None)
        self.location.release()

    def take_over(self) -> bool:
        """After the process serving an embedded store died: forget its server, so that the next use finds the new
        owner or becomes it (nothing stored is lost: Chroma's folder is the record). False when there is nothing
        to take over (a Chroma server, or an owner that still answers)."""
        if not self.location.owner_gone():
            return False
        self.__dict__.pop("parts", None)
        return True
