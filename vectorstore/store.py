"""The archive behind one seam: `Store`, what retrieval, ingest, doctor and the UI need of it, and `Archive`, the
one implementation, assembled from a module per job:

| job | module |
| --- | --- |
| where Chroma lives (an embedded folder or a server) and opening it | `connect` (`chroma_server` runs `chroma run`) |
| the records as Chroma holds them | `chroma` |
| the store's version token and embedding backend | `state` |
| reading (search, passages, articles, browsing) | `reading` (dense search under filters: `dense`) |
| writing (put, aliases, deletes) | `writing` |
| keeping this machine's BM25 index current | `bm25_cache` (the index: `bm25`, written by `bm25_write`) |

Embedded and server are two configurations of `connect.Location`, not branches here. Chroma is the system of
record in both; the local folder holds only what can be rebuilt from it (the BM25 index and its catalogue).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path
from typing import Protocol

from vectorstore import state
from vectorstore.article import Article, Chunk, StoredArticle
from vectorstore.bm25 import Bm25Index
from vectorstore.bm25_cache import Bm25Cache
from vectorstore.bm25_write import rebuild
from vectorstore.chroma import Collections, articles_with_chunks
from vectorstore.connect import Connection, locate
from vectorstore.embed import Embedder
from vectorstore.filters import Filters
from vectorstore.migrate import copy_store
from vectorstore.passage import Passage
from vectorstore.reading import Reader
from vectorstore.settings import StoreSettings
from vectorstore.writing import Writer


class Store(Protocol):
    """What the rest of archive-chat asks of an archive (`Archive` is the implementation; a test double or
    another backend provides the same)."""

    settings: StoreSettings
    folder: Path

    @property
    def embedder(self) -> Embedder: ...
    def version(self) -> str: ...
    def bm25_index(self) -> Bm25Index: ...
    def dense_search(self, vector: list[float], k: int, filters: Filters | None = None,
                     index: Bm25Index | None = None) -> list[tuple[str, float]]: ...
    def bm25_search(self, query: str, k: int, filters: Filters | None = None,
                    index: Bm25Index | None = None) -> list[tuple[str, float]]: ...
    def passages(self, ids: list[str]) -> dict[str, Passage]: ...
    def section_texts(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]: ...
    def article(self, article_id: str) -> StoredArticle | None: ...
    def articles(self, query: str = "", sources: Sequence[str] = (), since: str | None = None,
                 until: str | None = None, limit: int = 200) -> list[dict]: ...
    def stats(self) -> dict: ...
    def records(self) -> Iterator[tuple[str, dict]]: ...
    def put(self, batch: list[tuple[Article, list[Chunk], bytes]], old: dict[str, dict]) -> dict[str, dict]: ...
    def add_alias(self, canonical_id: str, duplicate: Article) -> bool: ...
    def delete_articles(self, article_ids: Iterable[str]) -> list[str]: ...


class Archive:
    """One archive. Heavy parts (the model, Chroma, BM25) open on first use. `serving`: this is a long-running
    process (the app): it serves an embedded folder to other processes, and rebuilds BM25 in the background."""

    def __init__(self, settings: StoreSettings, embedder: Embedder | None = None, serving: bool = False) -> None:
        self.settings = settings
        self.folder = Path(settings.store).expanduser()
        self.url = settings.chroma_url
        self._embedder = embedder
        self.location = locate(self.folder, self.url, serving)
        self.connection = Connection(self.location, settings.collection)
        self.cache = Bm25Cache(settings, self.folder, self.version, self.build_bm25, background=serving,
                               apart=self.location.shared)
        self.read = Reader(self.connection, self.cache, self.version)
        self.write = Writer(self.connection, self.cache, lambda: self.embedder, self.version)

    # ---- the store itself -------------------------------------------------------------------------------------

    @property
    def parts(self) -> Collections:
        """Chroma's collections themselves: for migration, benchmarks and tests that break a store on purpose."""
        return self.connection.parts

    @property
    def name(self) -> str:
        return self.location.name

    def exists(self) -> bool:
        """Has anything been stored here (without creating the store by looking)?"""
        return self.location.exists(self.settings.collection)

    def close(self) -> None:
        """Let go of an embedded folder this process opened itself, so another process may open it."""
        self.connection.close()

    def take_over(self) -> bool:
        return self.connection.take_over()

    def version(self) -> str:
        """The store's version token: it changes with every write, from any process or machine."""
        try:
            return state.version(self.parts)
        except Exception:  # the embedded store's serving process went away: find or become its owner again
            if not self.take_over():
                raise
            return state.version(self.parts)

    def bump(self) -> str:
        return self.write.bump()

    @cached_property
    def embedder(self) -> Embedder:
        """The model of the store's vectors: the backend it was built with, recorded in Chroma, so a replica on
        another machine embeds questions as the stored chunks were."""
        wanted = self._embedder.backend if self._embedder else self.settings.embed_backend
        backend = state.backend(self.parts) or self._legacy_backend() or wanted
        if self._embedder and self._embedder.backend == backend:
            return self._embedder
        return Embedder(self.settings.model, self.settings.embed_batch, backend, device=self.settings.device)

    def _legacy_backend(self) -> str | None:
        """A store with vectors from before backends were recorded in Chroma: its location may say which; before
        that, there was only torch."""
        return self.location.legacy_backend() or ("torch" if self.parts.chunks.count() else None)

    # ---- BM25 -------------------------------------------------------------------------------------------------

    def bm25_index(self) -> Bm25Index:
        """BM25 current with the store (a small Chroma read; may start a rebuild, see `bm25_cache`)."""
        return self.cache.current()

    def refresh_bm25(self, force: bool = False, wait: bool = False) -> bool:
        return self.cache.refresh(force, wait)

    def settle(self) -> None:
        self.cache.settle()

    def build_bm25(self, token: str) -> Bm25Index:
        """Rebuild BM25 from Chroma's committed chunks, as of the store version `token` (read before the walk)."""
        rebuild(articles_with_chunks(self.parts), self.folder / "bm25", token)
        return Bm25Index(self.folder / "bm25")

    # ---- reading (vectorstore/reading.py) ---------------------------------------------------------------------

    def dense_search(self, vector: list[float], k: int, filters: Filters | None = None,
                     index: Bm25Index | None = None) -> list[tuple[str, float]]:
        return self.read.dense_search(vector, k, filters, index)

    def bm25_search(self, query: str, k: int, filters: Filters | None = None,
                    index: Bm25Index | None = None) -> list[tuple[str, float]]:
        return self.read.bm25_search(query, k, filters, index)

    def passages(self, ids: list[str]) -> dict[str, Passage]:
        return self.read.passages(ids)

    def section_texts(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        return self.read.section_texts(keys)

    def article(self, article_id: str) -> StoredArticle | None:
        return self.read.article(article_id)

    def articles(self, query: str = "", sources: Sequence[str] = (), since: str | None = None,
                 until: str | None = None, limit: int = 200) -> list[dict]:
        return self.read.articles(query, sources, since, until, limit)

    def stats(self) -> dict:
        return self.read.stats()

    def records(self) -> Iterator[tuple[str, dict]]:
        return self.read.records()

    def aliases(self) -> dict[str, str]:
        return self.read.aliases()

    # ---- writing (vectorstore/writing.py) ---------------------------------------------------------------------

    def put(self, batch: list[tuple[Article, list[Chunk], bytes]], old: dict[str, dict]) -> dict[str, dict]:
        return self.write.put(batch, old)

    def add_alias(self, canonical_id: str, duplicate: Article) -> bool:
        return self.write.add_alias(canonical_id, duplicate)

    def delete_articles(self, article_ids: Iterable[str]) -> list[str]:
        return self.write.delete_articles(article_ids)

    def delete_article(self, article_id: str) -> bool:
        return bool(self.write.delete_articles([article_id]))

    def copy_into(self, target: Archive, progress: bool = True) -> dict[str, int]:
        """Copy this archive, vectors and all, into another (`archive-chat migrate`); records per collection."""
        copied = copy_store(self.parts, target.parts, progress)
        target.bump()
        return copied
