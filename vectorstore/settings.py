"""The settings the store reads (where the archive is, how it is cut and embedded): ARCHIVE_CHAT_* in the env.
The app's whole settings object (`assistant.settings.Settings`) adds those of answering and of the UI."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_store() -> Path:
    """The user's data folder, never the code's folder: $XDG_DATA_HOME/archive-chat."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "archive-chat"


def default_device() -> str:
    """Where the torch backend embeds when `device` is unset: on the GPU when torch sees one. Asked only when that
    backend loads its model: importing torch takes seconds, and the default onnx-int8 backend never needs it."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


class StoreSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ARCHIVE_CHAT_", extra="ignore")

    store: Path = Field(default_factory=default_store, description="The store folder: the embedded Chroma store, "
                        "or with `chroma_url` the local caches only.")
    chroma_url: str | None = Field(None, description="A Chroma server holding the archive (every process and "
                                   "machine that uses it names the same URL).")
    collection: str = Field("articles", description="Name of the archive's chunk collection; the others are named "
                            "after it.")
    model: Path | None = Field(None, description="A local sentence-transformers model folder (default: the "
                               "packaged all-MiniLM-L6-v2).")
    chunk_tokens: int = Field(240, ge=16, description="Most model word pieces in a chunk (the model reads 256).")
    embed_batch: int = Field(64, ge=1, description="Chunks embedded at once.")
    ingest_workers: int = Field(1, ge=1, description="Processes that embed chunks during ingest, one encoder "
                                "each (1: the ingest's own encoder, in a thread beside reading and writing).")
    embed_backend: Literal["onnx-int8", "torch"] = Field("onnx-int8", description="How chunks are embedded; a "
                                                         "store keeps the one it was built with.")
    device: str | None = Field(None, description="The torch backend's device (cpu, cuda, cuda:1, mps); unset: "
                               "the GPU when torch sees one.")
    near_duplicate: float = Field(0.9, gt=0, le=1, description="Estimated Jaccard similarity at which two stories "
                                  "are one (stored once, with every source).")
    max_file_mb: int = Field(256, ge=1, description="Files larger than this are refused by ingest.")
