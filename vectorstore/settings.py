"""One typed settings object for ingest, ask, eval and the app: defaults here, ARCHIVE_CHAT_* in the env."""

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


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ARCHIVE_CHAT_", extra="ignore")

    store: Path = default_store()
    chroma_url: str | None = None
    collection: str = "articles"
    model: Path | None = None
    chunk_tokens: int = 240
    embed_batch: int = 64
    embed_backend: Literal["onnx-int8", "torch"] = "onnx-int8"  # a store keeps the one it was built with
    device: str | None = None  # the torch backend's torch device (cpu, cuda, cuda:1, mps); unset: default_device()
    near_duplicate: float = 0.9
    max_file_mb: int = 256
    k: int = 5
    passage_chars: int = 1000  # a chunk is handed on widened to whole sentences, the tutorial's chunk size
    answerer: str = "extractive"
    llm: str | None = None
    llm_base_url: str | None = None
    min_evidence: float = 0.49  # the most refusals with at most 15% of answerable squad2 questions refused
    max_question_chars: int = 2000
    host: str = Field("127.0.0.1", description="Interface the chat UI listens on (0.0.0.0: every interface).")
    port: int = Field(7860, description="Port the chat UI listens on.")
    auth: str | None = Field(None, description="USER:PASS required to open the chat UI (none: no password).")
