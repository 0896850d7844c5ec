"""The archive on disk: docstore (articles, chunks), Chroma (vectors) and BM25, opened together."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

from vectorstore.chroma import ChromaIndex
from vectorstore.docstore import DocStore
from vectorstore.embed import Embedder
from vectorstore.lexical import LexicalIndex
from vectorstore.settings import Settings


class Archive:
    """One store folder. Heavy parts (the model, Chroma, BM25) open on first use."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.folder = Path(settings.store).expanduser()
        self._embedder = embedder

    @cached_property
    def docstore(self) -> DocStore:
        return DocStore(self.folder / "docstore.sqlite3")

    @cached_property
    def embedder(self) -> Embedder:
        return self._embedder or Embedder(self.settings.model, self.settings.embed_batch)

    @cached_property
    def vectors(self) -> ChromaIndex:
        return ChromaIndex(self.folder / "chroma", self.embedder, self.settings.collection, self.settings.chroma_url)

    @cached_property
    def lexical(self) -> LexicalIndex:
        return LexicalIndex(self.folder / "bm25")

    @property
    def lexical_stale_marker(self) -> Path:
        return self.folder / "bm25.stale"

    def refresh_lexical(self) -> None:
        """Rebuild BM25 from the docstore if an ingest changed anything (or died before it could)."""
        if self.lexical_stale_marker.exists() or (not (self.folder / "bm25").exists() and self.exists()):
            self.__dict__["lexical"] = LexicalIndex.rebuild(self.docstore, self.folder / "bm25")
            self.lexical_stale_marker.unlink(missing_ok=True)

    def exists(self) -> bool:
        return (self.folder / "docstore.sqlite3").exists()

    def delete_article(self, article_id: str) -> bool:
        ids = self.docstore.delete(article_id)
        self.vectors.delete(ids)
        self.lexical_stale_marker.touch()
        self.refresh_lexical()
        return bool(ids)
