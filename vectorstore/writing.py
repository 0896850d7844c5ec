"""Writing the archive so that a reader never sees half a write, and a write done twice is stored once.

An article's record is the commit of its chunks: chunks (keyed by content: a new version gets new ids) are
written first, then the record, then the store's version token moves, then the old version's chunks go.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable

from vectorstore import state
from vectorstore.article import Article, Chunk
from vectorstore.bm25_cache import Bm25Cache
from vectorstore.chroma import NO_VECTOR, PAGE, Collections, article_record, chunk_ids, chunk_record, get
from vectorstore.connect import Connection
from vectorstore.embed import Embedder


class Writer:
    def __init__(self, connection: Connection, cache: Bm25Cache, embedder: Callable[[], Embedder],
                 version: Callable[[], str]) -> None:
        self.connection = connection
        self.cache = cache
        self.embedder = embedder  # the store's own model, opened on the first write
        self.version = version

    @property
    def parts(self) -> Collections:
        return self.connection.parts

    def bump(self) -> str:
        return state.bump(self.parts)

    def put(self, batch: list[tuple[Article, list[Chunk], bytes]], old: dict[str, dict]) -> dict[str, dict]:
        """Store articles with their chunks. A reader sees the old version or the new one, whole; a batch written
        twice (a re-run after a crash) is stored once. `old`: the records these articles replace, if any.
        Returns the records written."""
        if not batch:
            return {}
        embedder = self.embedder()
        if state.backend(self.parts) is None:  # the first vectors: every later reader embeds questions alike
            state.record_backend(self.parts, embedder.backend)
        items = [(a, c) for a, chunks, _ in batch for c in chunks]
        for i in range(0, len(items), PAGE):
            part = items[i : i + PAGE]
            texts = [c.text for _, c in part]
            self.parts.chunks.upsert(ids=[c.id for _, c in part], embeddings=embedder.embed_documents(texts),
                                     documents=texts, metadatas=[chunk_record(a, c) for a, c in part])
        with_comments = [a for a, _, _ in batch if a.comments]
        if with_comments:
            self.parts.comments.upsert(ids=[a.id for a in with_comments], embeddings=[NO_VECTOR] * len(with_comments),
                                       documents=[a.comments for a in with_comments])
        now = time.time()
        records = {a.id: article_record(a, c, m, _also(old.get(a.id)), now) for a, c, m in batch}
        self.parts.articles.upsert(ids=list(records), embeddings=[NO_VECTOR] * len(records),
                                   documents=[a.text for a, _, _ in batch], metadatas=list(records.values()))
        self.bump()  # readers whose BM25 predates this write now also search what was written since
        replaced = [cid for a, chunks, _ in batch if a.id in old
                    for cid in set(chunk_ids(a.id, old[a.id])) - {c.id for c in chunks}]
        dropped = [a.id for a, _, _ in batch if not a.comments and old.get(a.id, {}).get("comments")]
        if replaced or dropped:
            self.delete_chunks(replaced)
            self.delete_comments(dropped)
            self.bump()
        return records

    def add_alias(self, canonical_id: str, duplicate: Article) -> bool:
        """Record that `duplicate` is the same story as a stored article; False if it is already known."""
        if get(self.parts.aliases, [], [duplicate.id]):
            return False
        got = get(self.parts.articles, ["metadatas"], [canonical_id])
        if not got:
            return False
        meta = got[0][1]
        entry = {"url": duplicate.url, "source": duplicate.source, "title": duplicate.title,
                 "published": duplicate.published, "path": duplicate.path}
        self.parts.aliases.upsert(ids=[duplicate.id], embeddings=[NO_VECTOR],
                                  metadatas=[{"article_id": canonical_id, "path": duplicate.path}])
        self.parts.articles.update(ids=[canonical_id], metadatas=[{**meta, "also": json.dumps([*_also(meta), entry])}])
        self.bump()
        return True

    def delete_articles(self, article_ids: Iterable[str]) -> list[str]:
        """Drop articles, their chunks, comments and duplicates; returns their chunk ids. The article record
        goes first (it is the commit), so an interrupted delete leaves only chunks no reader takes."""
        ids = sorted(set(article_ids))
        if not ids:
            return []
        before = self.version()
        records = get(self.parts.articles, ["metadatas"], ids)
        if not records:
            return []
        found = [i for i, _ in records]
        removed = [cid for i, m in records for cid in chunk_ids(i, m)]
        self.parts.articles.delete(ids=found)
        self.delete_chunks(removed)
        self.delete_comments(found)
        self.parts.aliases.delete(where={"article_id": {"$in": found}})
        token = self.bump()
        index = self.cache.held()  # tombstones: they stop matching at once, where re-indexing costs seconds
        index.delete(removed, found, token if index.token == before else None)
        return removed

    def delete_chunks(self, ids: list[str]) -> None:
        for i in range(0, len(ids), PAGE):
            self.parts.chunks.delete(ids=ids[i : i + PAGE])

    def delete_comments(self, article_ids: list[str]) -> None:
        if article_ids:
            self.parts.comments.delete(ids=article_ids)

    def delete_aliases(self, ids: list[str]) -> None:
        if ids:
            self.parts.aliases.delete(ids=ids)


def _also(meta: dict | None) -> list[dict]:
    return json.loads((meta or {}).get("also") or "[]")
