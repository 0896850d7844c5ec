"""Strings stored end to end in one file and read by position through mmap: the local copy of the chunk and
article texts a question reads, so answering needs no Chroma read while the cache is current.

A read touches only the pages of the strings it asks for, so a million chunks cost disk, not resident memory;
and they are written as they come, so building the file never holds them either.
"""

from __future__ import annotations

import mmap
from array import array
from pathlib import Path

import numpy as np


class TextWriter:
    """Appends strings to `path` (UTF-8, end to end); `close` writes their offsets beside it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._out = path.open("wb")
        self._offsets = array("q", [0])

    def add(self, text: str) -> int:
        """Append one string; returns its position."""
        self._offsets.append(self._offsets[-1] + self._out.write(text.encode("utf-8", "surrogatepass")))
        return len(self._offsets) - 2

    def close(self) -> None:
        self._out.close()
        np.save(_offsets(self.path), np.frombuffer(self._offsets, dtype=np.int64))


def _offsets(path: Path) -> Path:
    return path.with_name(path.name + ".offsets.npy")


class Texts:
    """The strings a TextWriter wrote, by position."""

    def __init__(self, path: Path) -> None:
        self.offsets = np.load(_offsets(path))
        self._map: mmap.mmap | bytes = b""
        if self.offsets[-1]:
            with path.open("rb") as f:  # the map outlives the file object, and the file (a rebuild replaces it)
                self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> str:
        return self._map[self.offsets[i] : self.offsets[i + 1]].decode("utf-8", "surrogatepass")

    @staticmethod
    def exist(path: Path) -> bool:
        return path.exists() and _offsets(path).exists()
