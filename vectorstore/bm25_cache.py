"""Keeping this machine's BM25 index current with the store it is derived from.

Every write ends by changing the store's version token; each reader compares it with the token its index was
built from (one small read per question) and, when they differ, rebuilds: in the background in a long-running
process, which answers from the index it has meanwhile (dense search already sees the new chunks), before
answering in a one-shot command. One builder per local folder at a time (a file lock); a serving process builds
in a child process (`bm25_child`), apart from its heap and its GIL, when the store is one a child can reach.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from filelock import FileLock, Timeout

from vectorstore.bm25 import Bm25Index
from vectorstore.bm25_files import Bm25Files
from vectorstore.chroma_server import die_with_parent
from vectorstore.errors import RebuildFailed
from vectorstore.settings import StoreSettings


class Bm25Cache:
    """The BM25 index in `folder`, following the store whose version `version()` reads."""

    def __init__(self, settings: StoreSettings, folder: Path, version: Callable[[], str],
                 build: Callable[[str], Bm25Index], background: bool, apart: Callable[[], bool]) -> None:
        self.settings = settings
        self.folder = folder
        self.path = folder / "bm25"
        self._version = version
        self._build = build  # rebuilds the index from the store as of a version token, here in this process
        self.background = background
        self._apart = apart  # whether a child process could reach the store now
        self._held: tuple[tuple[int, int] | None, Bm25Index] | None = None
        self._building = threading.Lock()
        self._loading = threading.Lock()
        self.seen_version = ""  # the store version the last question read
        self._rebuilder: threading.Thread | None = None  # the last background rebuild started

    def current(self) -> Bm25Index:
        """The index, rebuilt when the store's version moved past the one it was built from: in the background
        in a long-running process (answering from the index held meanwhile), before answering otherwise."""
        index = self.held()
        self.seen_version = self._version()
        if index.token == self.seen_version:
            return index
        if not self.background:
            self.refresh(wait=True)
            return self.held()
        if not self._building.locked():
            self._rebuilder = threading.Thread(target=self.refresh, daemon=True, name="bm25-rebuild")
            self._rebuilder.start()
        return index

    def fresh(self, index: Bm25Index) -> bool:
        """Is `index` current with the version the last question read (so it may stand in for Chroma's reads)?"""
        return bool(index.token) and index.token == self.seen_version

    def held(self) -> Bm25Index:
        """The index as on disk now: another process may have rebuilt or tombstoned it (a stat per question). One
        thread loads a changed index (seconds at 200k chunks); the others answer from the one held meanwhile."""
        key = self._key()
        held = self._held
        if held is not None and held[0] == key:
            return held[1]
        if not self._loading.acquire(blocking=held is None):
            return held[1]
        try:
            if self._held is None or self._held[0] != key:
                self._held = (key, Bm25Index(self.path).warm())
            return self._held[1]
        finally:
            self._loading.release()

    def _key(self) -> tuple[int, int] | None:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return None
        return stat.st_ino, stat.st_mtime_ns

    def settle(self) -> None:
        """Wait for a rebuild this process runs in the background to end (before closing, or in a test)."""
        if self._rebuilder is not None:
            self._rebuilder.join()
        with self._building:
            pass

    def refresh(self, force: bool = False, wait: bool = False) -> bool:
        """Rebuild if the store changed since the index was built; True if rebuilt. Without `wait`, a build
        already running elsewhere on this folder is left to finish."""
        self.folder.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self.folder / "bm25.lock")
        with self._building:
            try:
                lock.acquire(timeout=-1 if wait else 0)
            except Timeout:
                return False
            try:
                token = self._version()  # read before the chunks: a write during the walk moves it on again
                if not force and Bm25Files(self.path).token() == token:
                    return False
                if self.background and self._apart():
                    self._rebuild_apart(token)
                    index = Bm25Index(self.path)
                else:
                    index = self._build(token)
                self._held = (self._key(), index.warm())  # loaded once, not again by the next question
                return True
            finally:
                lock.release()

    def _rebuild_apart(self, token: str) -> None:
        """The rebuild in a process of its own, the settings on its stdin (they may hold a password)."""
        child = subprocess.run([sys.executable, "-m", "vectorstore.bm25_child", token],
                               input=self.settings.model_dump_json(), text=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, preexec_fn=die_with_parent)  # a stopped app leaves no writer
        if child.returncode:
            raise RebuildFailed(f"BM25 rebuild of {self.settings.store} failed: "
                                f"{child.stderr.strip().splitlines()[-1:]}")
