"""Sentence vectors from an ONNX copy of the model, computed as sentence-transformers computes them.

Why not sentence-transformers' own ONNX backend: it needs optimum, whose pins break this environment. The
steps are few: word pieces (the model's own tokenizer.json), the transformer in onnxruntime, mean pooling over
real tokens, unit length. Texts are run in batches of similar token length, so little work goes to padding.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

_BATCH_TOKENS = 2048  # padded tokens per onnxruntime call


class OnnxEncoder:
    """One onnxruntime session; `encode` may be called from several threads at once (sessions and tokenizers
    allow concurrent calls), as the chat app does."""

    def __init__(self, model_file: Path, tokenizer: Tokenizer, max_length: int, threads: int = 0) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads  # 0: one per physical core
        options.inter_op_num_threads = 1
        # Idle threads sleep instead of spinning: spinning burnt a core between calls, which the other askers,
        # the chat app and Chroma need (a question's embedding: 11.4 -> 5.3 ms on a busy 2-core machine; a batch
        # of 256 passages 11.6 -> 10.5 s).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_str(tokenizer.to_str())  # own copy: truncation is tokenizer state
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(max_length)

    def encode(self, texts: list[str], batch_size: int) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, in the order given."""
        pieces = [e.ids for e in self.tokenizer.encode_batch(texts)]
        lengths = np.array([len(p) for p in pieces])
        order = np.argsort(lengths, kind="stable")
        out: np.ndarray | None = None
        for rows in _batches(order, lengths, batch_size):
            ids = np.zeros((len(rows), lengths[rows].max()), dtype=np.int64)
            for r, i in enumerate(rows):
                ids[r, : lengths[i]] = pieces[i]
            mask = (np.arange(ids.shape[1]) < lengths[rows, None]).astype(np.int64)
            feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            hidden = self.session.run(None, {k: v for k, v in feed.items() if k in self.inputs})[0]
            vectors = mean_pool(hidden, mask)
            if out is None:
                out = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            out[rows] = vectors
        return out if out is not None else np.empty((0, 0), dtype=np.float32)


def _batches(order: np.ndarray, lengths: np.ndarray, most: int) -> list[np.ndarray]:
    """Consecutive runs of `order` (shortest text first) of at most `most` texts and _BATCH_TOKENS padded tokens.

    Why a token budget: onnxruntime's working memory grows with batch × length² (attention), so 64 full-length
    chunks at once peak at 800 MB, while 8 of them take 280 MB and run as fast on a CPU."""
    batches, start = [], 0
    while start < len(order):
        end = start + 1
        while end < len(order) and end - start < most and (end - start + 1) * lengths[order[end]] <= _BATCH_TOKENS:
            end += 1
        batches.append(order[start:end])
        start = end
    return batches


def mean_pool(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Average of the real tokens' hidden states, scaled to unit length (sentence-transformers' Pooling +
    Normalize)."""
    weights = mask.astype(hidden.dtype)
    summed = np.einsum("bsh,bs->bh", hidden, weights)
    means = summed / np.maximum(weights.sum(axis=1, keepdims=True), 1e-9)
    return means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)
