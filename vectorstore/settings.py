"""One typed settings object for ingest, ask, eval and the app: defaults here, ARCHIVE_CHAT_* in the env."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

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
    embed_backend: Literal["onnx-int8", "torch"] = Field("onnx-int8", description="How chunks are embedded; a "
                                                         "store keeps the one it was built with.")
    device: str | None = Field(None, description="The torch backend's device (cpu, cuda, cuda:1, mps); unset: "
                               "the GPU when torch sees one.")
    near_duplicate: float = Field(0.9, gt=0, le=1, description="Estimated Jaccard similarity at which two stories "
                                  "are one (stored once, with every source).")
    max_file_mb: int = Field(256, ge=1, description="Files larger than this are refused by ingest.")
    k: int = Field(5, ge=1, le=50, description="Passages an answer draws on.")
    passage_chars: int = Field(1000, ge=0, description="A chunk is handed on widened to whole sentences of at "
                               "least this many characters (the LangChain tutorial's chunk size).")
    answerer: str = Field("extractive", description="Who writes the answer: extractive (offline), or a chat model "
                          "as PROVIDER:MODEL (openai:gpt-4o-mini, ollama:llama3.2, local:smollm2); `--llm` sets it.")
    llm_base_url: str | None = Field(None, description="Base URL of an OpenAI-compatible or Ollama server.")
    min_evidence: float = Field(0.895, ge=0, le=2, description="Evidence (plus the typed-phrase weight when a phrase "
                                "of the asked type was found) below which the answer is a refusal; chosen by 5-fold "
                                "cross-validation over both dev sets (bench/tune.py).")
    max_question_chars: int = Field(2000, ge=1, description="Longest question accepted.")
    host: str = Field("127.0.0.1", description="Interface the chat UI listens on (0.0.0.0: every interface).")
    port: int = Field(7860, ge=1, le=65535, description="Port the chat UI listens on.")
    auth: str | None = Field(None, description="USER:PASS required to open the chat UI (none: no password).")


def default(name: str) -> Any:
    """A setting's default, for a parameter that stands for it (a CLI option, a keyword argument), so the default
    is written once, above."""
    return Settings.model_fields[name].default


def settings_table() -> str:
    """README's settings table, made from the fields above (a test keeps the README equal to it)."""
    rows = ["| setting | default | what |", "| --- | --- | --- |"]
    for name, field in Settings.model_fields.items():
        default = "user data folder" if name == "store" else field.default
        rows.append(f"| `ARCHIVE_CHAT_{name.upper()}` | {'–' if default is None else f'`{default}`'} | "
                    f"{field.description} |")
    return "\n".join(rows)
