"""Chunk vectors in Chroma, through langchain-chroma: embedded on disk by default, or a Chroma server."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit

import chromadb
from chromadb.config import Settings as ChromaSettings
from langchain_chroma import Chroma
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from vectorstore.article import Article, Chunk


def chroma_client(folder: Path, url: str | None = None) -> chromadb.ClientAPI:
    """A persistent client in `folder`, or an HTTP client for `url`; telemetry off either way."""
    settings = ChromaSettings(anonymized_telemetry=False)
    if not url:
        return chromadb.PersistentClient(path=str(folder), settings=settings)
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if not parts.hostname:
        raise ValueError(f"Chroma URL {url!r} has no host (expected e.g. http://127.0.0.1:8000)")
    port = parts.port or (443 if parts.scheme == "https" else 8000)
    return chromadb.HttpClient(host=parts.hostname, port=port, ssl=parts.scheme == "https", settings=settings)


def day_number(iso: str | None) -> int:
    """YYYY-MM-DD as the integer YYYYMMDD (0 when unknown): Chroma range filters need numbers."""
    return int(iso[:10].replace("-", "")) if iso else 0


def chunk_metadata(article: Article, chunk: Chunk) -> dict:
    return {
        "article_id": article.id, "section": chunk.section, "index": chunk.index,
        "char_start": chunk.char_start, "char_end": chunk.char_end,
        "title": article.title, "url": article.url, "source": article.source,
        "published": article.published or "", "day": day_number(article.published),
    }


class ChromaIndex:
    """The vector side of the store. Writes are upserts keyed by chunk id, so a repeated write is a no-op."""

    def __init__(self, folder: Path, embeddings: Embeddings, collection: str, url: str | None = None) -> None:
        self.client = chroma_client(folder, url)
        self.vectors = Chroma(
            collection_name=collection,
            embedding_function=embeddings,
            client=self.client,
            collection_metadata={"hnsw:space": "cosine"},
        )

    def add(self, items: Iterable[tuple[Article, Chunk]]) -> None:
        items = list(items)
        if items:
            self.vectors.add_texts(
                [c.text for _, c in items], [chunk_metadata(a, c) for a, c in items], ids=[c.id for _, c in items]
            )

    def delete(self, ids: list[str]) -> None:
        if ids:
            self.vectors.delete(ids=ids)

    def search(self, vector: list[float], k: int, where: dict | None = None) -> list[tuple[Document, float]]:
        """The k nearest chunks as (document, cosine similarity)."""
        if not self.count():
            return []
        hits = self.vectors.similarity_search_by_vector_with_relevance_scores(vector, k=k, filter=where or None)
        return [(doc, 1.0 - distance) for doc, distance in hits]

    def nearest(self, vector: list[float], k: int, where: dict | None = None,
                among: list[str] | None = None) -> list[tuple[str, float]]:
        """The k nearest chunk ids with their cosine similarity, only among the ids `among` when given.

        Ids and distances only: the docstore holds the text and metadata, and reading them back from Chroma
        costs more than the search itself.
        """
        if among is not None and not among:
            return []
        hits = self.vectors._collection.query(query_embeddings=[vector], n_results=k, where=where or None, ids=among,
                                              include=["distances"])
        return [(cid, 1.0 - distance) for cid, distance in zip(hits["ids"][0], hits["distances"][0], strict=True)]

    def count(self) -> int:
        return self.vectors._collection.count()

    def ids(self) -> set[str]:
        return set(self.vectors.get(include=[])["ids"])
