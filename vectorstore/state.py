"""The store's state records, kept in Chroma beside the archive so every process and machine reads the same:
its version token (changed by every write) and the embedding backend its vectors were made with."""

from __future__ import annotations

import time
import uuid

from vectorstore.chroma import NO_VECTOR, Collections, get

_VERSION, _EMBEDDING = "version", "embedding"


def version(parts: Collections) -> str:
    """The store's version token ("" before the first write)."""
    got = get(parts.state, ["metadatas"], [_VERSION])
    return got[0][1]["token"] if got else ""


def bump(parts: Collections) -> str:
    """Give the store a new version token (the last step of every write); returns it."""
    token = uuid.uuid4().hex
    parts.state.upsert(ids=[_VERSION], embeddings=[NO_VECTOR], metadatas=[{"token": token, "at": time.time()}])
    return token


def backend(parts: Collections) -> str | None:
    """The embedding backend the store's vectors were made with, as recorded (None: not recorded)."""
    got = get(parts.state, ["metadatas"], [_EMBEDDING])
    return got[0][1]["backend"] if got else None


def record_backend(parts: Collections, name: str) -> None:
    parts.state.upsert(ids=[_EMBEDDING], embeddings=[NO_VECTOR], metadatas=[{"backend": name}])
