"""The archive on disk: docstore (articles, chunks), Chroma (vectors) and BM25, opened together.

Writers take the store's write lock (threads and processes alike; the OS drops it when a writer dies), so a
journal entry (`DocStore.mark_inflight`) found by a lock holder was left by a writer that is gone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property
from pathlib import Path

from filelock import FileLock

from vectorstore.chroma import ChromaIndex
from vectorstore.docstore import DocStore, StoredArticle
from vectorstore.embed import Embedder, store_backend
from vectorstore.lexical import LexicalIndex
from vectorstore.settings import Settings

_EMBED_BATCH = 256  # chunks per Chroma write when re-embedding: bounded memory, steady progress


class Archive:
    """One store folder. Heavy parts (the model, Chroma, BM25) open on first use."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.folder = Path(settings.store).expanduser()
        self._embedder = embedder
        self._lexical: tuple[tuple[int, int] | None, LexicalIndex] | None = None

    @cached_property
    def docstore(self) -> DocStore:
        return DocStore(self.folder / "docstore.sqlite3")

    @cached_property
    def embedder(self) -> Embedder:
        wanted = self._embedder.backend if self._embedder else self.settings.embed_backend
        backend = store_backend(self.folder, wanted)  # a store keeps the backend its vectors came from
        return self._embedder or Embedder(self.settings.model, self.settings.embed_batch, backend)

    @cached_property
    def vectors(self) -> ChromaIndex:
        return ChromaIndex(self.folder / "chroma", self.embedder, self.settings.collection, self.settings.chroma_url)

    @property
    def lexical(self) -> LexicalIndex:
        """BM25 as it is on disk now: an index that another handle or process rebuilt or tombstoned since the last
        question is picked up by the next one (a stat per question; rebuilds swap the folder, tombstones write in it).
        """
        folder = self.folder / "bm25"
        try:
            stat = folder.stat()
            key = (stat.st_ino, stat.st_mtime_ns)
        except FileNotFoundError:
            key = None
        if self._lexical is None or key != self._lexical[0]:
            self._lexical = (key, LexicalIndex(folder))
        return self._lexical[1]

    @cached_property
    def write_lock(self) -> FileLock:
        """Held while Chroma, the docstore or BM25 change; re-entrant within a thread."""
        self.folder.mkdir(parents=True, exist_ok=True)
        return FileLock(self.folder / "write.lock")

    @property
    def lexical_stale_marker(self) -> Path:
        return self.folder / "bm25.stale"

    def mark_lexical_stale(self) -> None:
        """Set before the docstore changes, cleared after the rebuild: a crash in between leaves it set."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.lexical_stale_marker.touch()

    def refresh_lexical(self, force: bool = False) -> None:
        """Rebuild BM25 from the docstore if an ingest changed anything (or died before it could)."""
        with self.write_lock:
            if force or self.lexical_stale_marker.exists() or (
                not (self.folder / "bm25").exists() and self.exists()
            ):
                LexicalIndex.rebuild(self.docstore, self.folder / "bm25")
                self.lexical_stale_marker.unlink(missing_ok=True)

    # The reading side of the store: what retrieval, the UI, the CLI and evaluation may ask of it.

    def article(self, article_id: str) -> StoredArticle | None:
        return self.docstore.get(article_id)

    def articles(self, query: str = "", sources: Sequence[str] = (), since: str | None = None,
                 until: str | None = None, limit: int = 200) -> list[dict]:
        """Articles for browsing (id, title, source, published, url), newest first: a substring of title, source
        or URL, any of `sources`, published within [since, until] (YYYY-MM-DD)."""
        return self.docstore.list(query, sources, since, until, limit)

    def stats(self) -> dict:
        """Counts, sources, date range, and articles per month (YYYY-MM) and per source."""
        return self.docstore.stats()

    def exists(self) -> bool:
        return (self.folder / "docstore.sqlite3").exists()

    def sync_vectors(self, chunk_ids: Iterable[str]) -> tuple[int, int]:
        """Make Chroma agree with the docstore on these chunk ids: re-embed the ones the docstore holds (from its
        text) and drop the rest. Returns (re-embedded, dropped)."""
        ids = sorted(set(chunk_ids))
        if not ids:
            return 0, 0
        with self.write_lock:
            self.docstore.mark_inflight(ids)
            records = self.docstore.records(ids)
            held = {chunk.id for _, chunk in records}
            gone = [i for i in ids if i not in held]
            present = self.vectors.vectors.get(ids=gone, include=[])["ids"] if gone else []
            self.vectors.delete(present)
            for i in range(0, len(records), _EMBED_BATCH):
                self.vectors.add(records[i : i + _EMBED_BATCH])
            self.docstore.clear_inflight(ids)
        return len(records), len(present)

    def recover(self) -> int:
        """Put right the vectors a dead writer was changing (its journal); returns how many chunk ids."""
        with self.write_lock:
            if not self.exists():
                return 0
            ids = self.docstore.inflight()
            if ids:
                self.mark_lexical_stale()
                self.sync_vectors(ids)
        return len(ids)

    def delete_articles(self, article_ids: Iterable[str]) -> list[str]:
        """Drop articles from the docstore, Chroma and BM25; returns their chunk ids."""
        removed: list[str] = []
        with self.write_lock:
            rebuild = self.lexical_stale_marker.exists()  # an earlier writer left BM25 to be rebuilt
            self.mark_lexical_stale()
            for article_id in article_ids:
                ids = self.docstore.chunk_ids(article_id)
                self.docstore.mark_inflight(ids)
                self.docstore.delete(article_id)
                self.vectors.delete(ids)
                self.docstore.clear_inflight(ids)
                removed += ids
            if rebuild:
                self.refresh_lexical()
            else:  # tombstones, not a re-index of every chunk; the next rebuild drops them
                self.lexical.delete(removed)
                self.lexical_stale_marker.unlink()
        return removed

    def delete_article(self, article_id: str) -> bool:
        return bool(self.delete_articles([article_id]))
