"""The archive's records as Chroma holds them: one collection of chunk vectors, and beside it collections for the
articles (full cleaned text and metadata), their reader comments, the duplicates found of them, and the store's
state (its version token and embedding backend). Chroma is the system of record in both setups, embedded and
server: everything a question needs is read from it, and nothing but rebuildable caches lives elsewhere.

Collections that hold no vectors of ours still need one per record: a constant 1-d vector.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import chromadb
from chromadb.config import Settings as ChromaSettings

from vectorstore.article import BODY, COMMENTS, Article, Chunk, StoredArticle
from vectorstore.dates import day_number

PAGE = 1000  # records per Chroma read or write when walking a whole collection
NO_VECTOR = [1.0]
PARTS = ("articles", "comments", "aliases", "state")


def http_client(url: str) -> chromadb.ClientAPI:
    """A client of the Chroma server at `url`; telemetry off."""
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if not parts.hostname:
        raise ValueError(f"Chroma URL {url!r} has no host (expected e.g. http://127.0.0.1:8000)")
    port = parts.port or (443 if parts.scheme == "https" else 8000)
    return chromadb.HttpClient(host=parts.hostname, port=port, ssl=parts.scheme == "https",
                               settings=ChromaSettings(anonymized_telemetry=False))


@dataclass
class Collections:
    """The store's collections in one client: `chunks` is named by the collection setting, the others after it."""

    chunks: chromadb.Collection
    articles: chromadb.Collection
    comments: chromadb.Collection
    aliases: chromadb.Collection
    state: chromadb.Collection

    @classmethod
    def open(cls, client: chromadb.ClientAPI, name: str) -> Collections:
        chunks = client.get_or_create_collection(name, metadata={"hnsw:space": "cosine"})
        return cls(chunks, *(client.get_or_create_collection(f"{name}.{part}") for part in PARTS))

    def all(self) -> dict[str, chromadb.Collection]:
        return {"chunks": self.chunks, **{part: getattr(self, part) for part in PARTS}}


def chunk_record(article: Article, chunk: Chunk) -> dict:
    """A chunk's metadata: its place in the article, the article's fields that filters and cards need, and the
    article version (content hash) it was cut from, which readers check against the committed article."""
    return {
        "article_id": article.id, "section": chunk.section, "index": chunk.index,
        "char_start": chunk.char_start, "char_end": chunk.char_end,
        "title": article.title, "url": article.url, "source": article.source,
        "published": article.published or "", "day": day_number(article.published),
        "version": article.content_hash, "written": time.time(),
    }


def article_record(article: Article, chunks: list[Chunk], minhash: bytes, also: list[dict],
                   ingested_at: float) -> dict:
    meta = {
        "title": article.title, "url": article.url, "source": article.source, "published": article.published or "",
        "day": day_number(article.published), "authors": json.dumps(article.authors), "path": article.path,
        "content_hash": article.content_hash, "ingested_at": ingested_at, "also": json.dumps(also),
        "minhash": base64.b64encode(minhash).decode(), "comments": bool(article.comments),
        "n_body": sum(c.section != COMMENTS for c in chunks), "n_comments": sum(c.section == COMMENTS for c in chunks),
    }
    if article.line is not None:
        meta["line"] = article.line
    return meta


def chunk_ids(article_id: str, meta: dict) -> list[str]:
    """The ids of the chunks a committed article record says it has."""
    return [Chunk(article_id, section, i, 0, 0, "", meta.get("content_hash", "")).id
            for section, n in (("body", meta.get("n_body", 0)), (COMMENTS, meta.get("n_comments", 0)))
            for i in range(n)]


def stored_article(article_id: str, meta: dict, text: str, comments: str) -> StoredArticle:
    return StoredArticle(
        id=article_id, title=meta.get("title", ""), url=meta.get("url", ""), source=meta.get("source", ""),
        published=meta.get("published") or None, authors=json.loads(meta.get("authors") or "[]"),
        path=meta.get("path", ""), text=text, comments=comments, also=json.loads(meta.get("also") or "[]"),
        ingested_at=float(meta.get("ingested_at", 0.0)),
    )


def as_article(stored: StoredArticle, line: int | None = None) -> Article:
    """The stored article as an Article again (same id, same content hash): re-chunking needs it."""
    return Article(stored.text, stored.title, stored.url, stored.source, stored.published, stored.authors,
                   stored.comments, stored.path, line)


def minhash_of(meta: dict) -> bytes:
    return base64.b64decode(meta.get("minhash") or "")


def present(ids: list[str], columns: list[list]) -> list[tuple]:
    """(id, *fields) of each record whose fields are all there. Chroma reads a query or get in two steps (the ids
    from its index, then the fields from its record store); a record deleted in between, as a re-ingest deletes the
    chunks of the version it replaces, comes back with None for its fields: it is absent, not an error."""
    return [row for row in zip(ids, *columns, strict=True) if all(field is not None for field in row[1:])]


def get(collection: chromadb.Collection, include: list[str], ids: list[str] | None = None,
        where: dict | None = None) -> list[tuple]:
    """(id, *included fields) of the records asked for that exist now; ids are read PAGE at a time (93k records
    read at once failed: "too many SQL variables")."""
    if ids is None:
        got = collection.get(include=include, where=where)
        return present(got["ids"], [got[name] for name in include])
    rows: list[tuple] = []
    for start in range(0, len(ids), PAGE):
        got = collection.get(ids=ids[start : start + PAGE], include=include, where=where)
        rows += present(got["ids"], [got[name] for name in include])
    return rows


def query(collection: chromadb.Collection, vector: list[float], n: int, include: list[str],
          where: dict | None = None, ids: list[str] | None = None) -> list[tuple]:
    """(id, *included fields) of the n nearest records to `vector` that still exist, nearest first."""
    hits = collection.query(query_embeddings=[vector], n_results=n, where=where or None, ids=ids, include=include)
    return present(hits["ids"][0], [hits[name][0] for name in include])


def walk(collection: chromadb.Collection, include: list[str], where: dict | None = None) -> Iterator[list[tuple]]:
    """Every record of a collection as (id, *included fields), a page at a time (bounded memory at any size)."""
    offset = 0
    while True:
        page = collection.get(include=include, limit=PAGE, offset=offset, where=where)
        if not page["ids"]:
            return
        yield present(page["ids"], [page[name] for name in include])
        offset += len(page["ids"])


Indexed = tuple[StoredArticle, dict[str, str], list[tuple]]  # article, section texts, (id, text, meta, vector) rows


def articles_with_chunks(parts: Collections) -> Iterator[Indexed]:
    """Every stored article with its section texts and its committed chunks, in order (what BM25 is rebuilt
    from): a page of article records, then their comments and chunks by id (the ids follow from each record).
    Paging chunks by offset instead costs Chroma a scan to the offset: 2 s a page at 1M chunks against 0.2 s by id."""
    seen: set[str] = set()  # a write during the walk can shift a page: an article is indexed once
    for page in walk(parts.articles, ["documents", "metadatas"]):
        records = [(i, text, m) for i, text, m in page if i not in seen]
        seen.update(i for i, _, _ in records)
        comments = dict(get(parts.comments, ["documents"], [i for i, _, m in records if m.get("n_comments")]))
        ids = [cid for i, _, m in records for cid in chunk_ids(i, m)]
        read = get(parts.chunks, ["documents", "metadatas"], ids)
        # The vectors in a read of their own: over HTTP they arrive as millions of Python floats, freed before the
        # next page's texts and ids are kept, so they do not fragment the heap the index is built in
        vectors = dict(get(parts.chunks, ["embeddings"], [cid for cid, _, _ in read]))
        chunks: dict[str, list[tuple]] = {}
        for cid, text, m in read:
            if cid in vectors:  # else deleted between the two reads: the version moved, the next rebuild sees it
                chunks.setdefault(m["article_id"], []).append((cid, text, m, vectors[cid]))
        for i, text, m in records:
            sections = {BODY: text} | ({COMMENTS: comments[i]} if i in comments else {})
            rows = sorted(chunks.get(i, ()), key=lambda row: (row[2]["section"] != BODY, row[2]["index"]))
            yield stored_article(i, m, text, comments.get(i, "")), sections, rows
