"""Chunk vectors computed while ingest goes on reading, cleaning and writing (issue 26).

Why: embedding is most of ingest. With one worker (the default) the archive's own encoder runs in a background
thread (onnxruntime releases the GIL), so loading, cleaning, chunking and Chroma writes overlap with it. With
N > 1, N processes each run their own encoder with one thread and only compute vectors: the parent alone
cleans, dedupes and writes, so every guarantee of the ingest (a bad file never stops a batch, nothing lost,
the progress bar, duplicate detection) stays where it was. A vector that is not ready when its chunks are
written, or whose worker failed, is computed by the writer itself (`Embedder.embed_documents`).
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

from vectorstore.embed import Embedder

_GROUP = 64  # chunks sent to an encoder at once: enough to sort by length and cut padding

_worker: Embedder | None = None  # the encoder of a worker process


def _start_worker(model: Path, batch_size: int, backend: str, cache: Path | None, device: str | None) -> None:
    """A worker's own encoder, one thread: N processes share the cores instead of fighting over them."""
    global _worker
    _worker = Embedder(model, batch_size, backend, cache, device)  # type: ignore[arg-type]
    _worker.threads = 1
    if backend == "torch":
        import torch

        torch.set_num_threads(1)


def _compute(texts: list[str]) -> list[list[float]]:
    assert _worker is not None, "worker not started"
    return _worker.compute(texts)


class EmbedAhead:
    """Sends chunk texts to encoders as they are chunked; `settle` hands the vectors to the embedder that writes."""

    def __init__(self, embedder: Embedder, workers: int = 1) -> None:
        self.embedder = embedder
        self.executor: Executor
        if workers > 1:
            self.executor = ProcessPoolExecutor(
                workers, mp_context=multiprocessing.get_context("spawn"), initializer=_start_worker,
                initargs=(embedder.path, embedder.batch_size, embedder.backend, embedder.cache, embedder.device))
            self.compute = _compute
        else:
            self.executor = ThreadPoolExecutor(1, thread_name_prefix="embed-ahead")
            self.compute = embedder.compute
        self.waiting: list[str] = []
        self.sent: list[tuple[list[str], Future]] = []

    def submit(self, texts: list[str]) -> None:
        """Queue texts; they go out in groups of `_GROUP`."""
        self.waiting += texts
        if len(self.waiting) >= _GROUP:
            self._send()

    def _send(self) -> None:
        if self.waiting:
            self.sent.append((self.waiting, self.executor.submit(self.compute, self.waiting)))
            self.waiting = []

    def settle(self) -> None:
        """Wait for every text sent so far; their vectors replace those of the last batch in `embedder.ready`."""
        self._send()
        self.embedder.ready.clear()
        for texts, future in self.sent:
            try:
                self.embedder.ready.update(zip(texts, future.result(), strict=True))
            except Exception:  # noqa: BLE001 - a dead worker: the writer computes these itself
                continue
        self.sent = []

    def close(self) -> None:
        """Stop the encoders; vectors not yet written are dropped with them."""
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.embedder.ready.clear()
        self.waiting, self.sent = [], []
