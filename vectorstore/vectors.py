"""An int8 copy of each chunk's vector beside the BM25 index: dense search among the few chunks a filter keeps.

When a filter keeps a few percent of a large archive (one week of news among a year's), both of Chroma's ways
are slow: its HNSW graph must be read 4 × k × (all / kept) neighbours deep, or searched among the kept ids, which
it looks up one by one (at 1M chunks, a week's 27,863 ids cost 34 ms of CPU, 5,742 neighbours 27 ms). Scanning
those rows' int8 copies here costs about 0.2 µs a row (5.5 ms); the best few by that approximate similarity are
then scored by Chroma among their ids, so the k chosen and their scores are Chroma's own exact ones.

Each row is scaled by its own largest component (to ±127); the file is written as the rows come and mapped when
read, so a million chunks (384 MB) cost disk and page cache, not the rebuild's or the reader's heap.
"""

from __future__ import annotations

from array import array
from pathlib import Path

import numpy as np

_BLOCK = 512  # rows converted to float at a time: a block stays in cache (a whole week at once: 14 against 5.5 ms)


def _scales(path: Path) -> Path:
    return path.with_name(path.name + ".scales.npy")


class VectorWriter:
    """Appends rows of vectors to `path` as int8; `close` writes each row's scale beside it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._out = path.open("wb")
        self._scales = array("f")

    def add(self, vectors: np.ndarray) -> None:
        rows = np.asarray(vectors, dtype=np.float32).reshape(len(vectors), -1)
        scales = np.abs(rows).max(axis=1) / 127.0
        scales[scales == 0] = 1.0
        self._out.write(np.rint(rows / scales[:, None]).astype(np.int8).tobytes())
        self._scales.extend(scales.tolist())

    def close(self) -> None:
        self._out.close()
        np.save(_scales(self.path), np.frombuffer(self._scales, dtype=np.float32))


class Vectors:
    """The rows a VectorWriter wrote (at least one: an empty file cannot be mapped), mapped read-only."""

    def __init__(self, path: Path) -> None:
        self.scales = np.load(_scales(path))
        self.rows = np.memmap(path, dtype=np.int8, mode="r").reshape(len(self.scales), -1)

    def nearest(self, vector: list[float], among: np.ndarray, n: int) -> np.ndarray:
        """The (up to) n rows of `among` (row numbers) most similar to `vector` by their int8 copies."""
        if len(among) <= n:
            return among
        query = np.asarray(vector, dtype=np.float32)
        scores = np.empty(len(among), dtype=np.float32)
        block = np.empty((_BLOCK, self.rows.shape[1]), dtype=np.float32)
        for start in range(0, len(among), _BLOCK):
            rows = among[start : start + _BLOCK]
            part = block[: len(rows)]
            np.copyto(part, self.rows[rows], casting="unsafe")
            scores[start : start + len(rows)] = part @ query
        scores *= self.scales[among]
        return among[np.argpartition(-scores, n - 1)[:n]]
