"""Strings stored end to end in one file and read by position through mmap: the local copy of the chunk and
article texts a question reads, so answering needs no Chroma read while the cache is current.

A read touches only the pages of the strings it asks for, so a million chunks cost disk, not resident memory.
"""

from __future__ import annotations

import mmap
from collections.abc import Iterable
from pathlib import Path

import numpy as np


def write_texts(path: Path, texts: Iterable[str]) -> int:
    """Write the strings to `path` (UTF-8, end to end) and their offsets beside it; returns how many."""
    offsets = [0]
    with path.open("wb") as out:
        for text in texts:
            offsets.append(offsets[-1] + out.write(text.encode("utf-8", "surrogatepass")))
    np.save(_offsets(path), np.array(offsets, dtype=np.int64))
    return len(offsets) - 1


def _offsets(path: Path) -> Path:
    return path.with_name(path.name + ".offsets.npy")


class Texts:
    """The strings `write_texts` wrote, by position."""

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
