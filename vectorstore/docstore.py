"""SQLite beside Chroma: the cleaned full articles, their chunks, and which files they came from.

It is the ledger of the archive. An article row is committed only after its chunks are in Chroma, and every
chunk id whose vector is being written or deleted is journaled here first (`inflight`), so after a writer dies
the next one knows exactly which vectors may disagree with this ledger and puts them right.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from vectorstore.article import COMMENTS, Article, Chunk

_SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY, content_hash TEXT NOT NULL, title TEXT, url TEXT, source TEXT, published TEXT,
    authors TEXT, path TEXT, line INTEGER, ingested_at REAL, text TEXT, comments TEXT,
    also TEXT NOT NULL DEFAULT '[]', minhash BLOB
);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY, article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    section TEXT, idx INTEGER, char_start INTEGER, char_end INTEGER, text TEXT
);
CREATE INDEX IF NOT EXISTS chunks_article ON chunks(article_id);
CREATE INDEX IF NOT EXISTS articles_path ON articles(path);
CREATE TABLE IF NOT EXISTS aliases (id TEXT PRIMARY KEY, article_id TEXT NOT NULL, path TEXT);
CREATE TABLE IF NOT EXISTS inflight (id TEXT PRIMARY KEY);
"""
_BATCH = 500  # ids per `IN (...)` query, well under SQLite's limit on bound variables


@dataclass(frozen=True)
class StoredArticle:
    """An article as the docstore holds it, with every other place the same story was found."""

    id: str
    title: str
    url: str
    source: str
    published: str | None
    authors: list[str]
    path: str
    text: str
    comments: str
    also: list[dict]
    ingested_at: float

    @property
    def sources(self) -> list[str]:
        """Every site that published this story, the first one first."""
        return [s for s in dict.fromkeys([self.source, *(a.get("source", "") for a in self.also)]) if s]


class DocStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def content_hash(self, article_id: str) -> str | None:
        row = self.db.execute("SELECT content_hash FROM articles WHERE id=?", (article_id,)).fetchone()
        return row[0] if row else None

    def chunk_ids(self, article_id: str) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM chunks WHERE article_id=?", (article_id,))]

    def put(self, article: Article, chunks: Iterable[Chunk], minhash: bytes | None) -> None:
        """Replace one article and its chunks in a single transaction."""
        with self._tx():
            old = self.db.execute("SELECT also FROM articles WHERE id=?", (article.id,)).fetchone()
            self.db.execute("DELETE FROM chunks WHERE article_id=?", (article.id,))
            self.db.execute(
                "INSERT OR REPLACE INTO articles VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    article.id, article.content_hash, article.title, article.url, article.source,
                    article.published, json.dumps(article.authors), article.path, article.line, time.time(),
                    article.text, article.comments, old[0] if old else "[]", minhash,
                ),
            )
            self.db.executemany(
                "INSERT INTO chunks VALUES (?,?,?,?,?,?,?)",
                [(c.id, c.article_id, c.section, c.index, c.char_start, c.char_end, c.text) for c in chunks],
            )

    def add_alias(self, canonical_id: str, duplicate: Article) -> bool:
        """Record that `duplicate` is the same story as a stored article; False if already known."""
        with self._tx():
            if self.db.execute("SELECT 1 FROM aliases WHERE id=?", (duplicate.id,)).fetchone():
                return False
            self.db.execute("INSERT INTO aliases VALUES (?,?,?)", (duplicate.id, canonical_id, duplicate.path))
            (also,) = self.db.execute("SELECT also FROM articles WHERE id=?", (canonical_id,)).fetchone()
            entry = {"url": duplicate.url, "source": duplicate.source, "title": duplicate.title,
                     "published": duplicate.published, "path": duplicate.path}
            self.db.execute(
                "UPDATE articles SET also=? WHERE id=?", (json.dumps([*json.loads(also), entry]), canonical_id)
            )
        return True

    def is_alias(self, article_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM aliases WHERE id=?", (article_id,)).fetchone() is not None

    def delete(self, article_id: str) -> list[str]:
        """Drop an article; returns its chunk ids so the caller removes them from the vector store too."""
        ids = self.chunk_ids(article_id)
        with self._tx():
            self.db.execute("DELETE FROM chunks WHERE article_id=?", (article_id,))
            self.db.execute("DELETE FROM articles WHERE id=?", (article_id,))
            self.db.execute("DELETE FROM aliases WHERE article_id=?", (article_id,))
        return ids

    def ids_by_path(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for article_id, path in self.db.execute("SELECT id, path FROM articles"):
            out.setdefault(path, []).append(article_id)
        return out

    def minhashes(self) -> Iterator[tuple[str, bytes]]:
        yield from self.db.execute("SELECT id, minhash FROM articles WHERE minhash IS NOT NULL")

    def get(self, article_id: str) -> StoredArticle | None:
        row = self.db.execute(
            "SELECT id, title, url, source, published, authors, path, text, comments, also, ingested_at "
            "FROM articles WHERE id=?",
            (article_id,),
        ).fetchone()
        if row is None:
            return None
        return StoredArticle(
            *row[:5], json.loads(row[5]), row[6], row[7], row[8], json.loads(row[9]), row[10]
        )

    def chunks(self) -> Iterator[tuple[str, str, dict]]:
        """(chunk id, text, metadata) for every chunk, in a stable order: what the lexical index is built from."""
        query = (
            "SELECT c.id, c.text, c.article_id, c.section, a.source, a.published FROM chunks c "
            "JOIN articles a ON a.id = c.article_id ORDER BY c.article_id, c.section, c.idx"
        )
        for cid, text, aid, section, source, published in self.db.execute(query):
            yield cid, text, {"article_id": aid, "section": section, "source": source, "published": published}

    def chunk(self, chunk_id: str) -> tuple[str, int, int, str, str] | None:
        """(article_id, char_start, char_end, section, text) of one chunk."""
        return self.db.execute(
            "SELECT article_id, char_start, char_end, section, text FROM chunks WHERE id=?", (chunk_id,)
        ).fetchone()

    def passages(self, chunk_ids: list[str]) -> dict[str, dict]:
        """Chunk text, span and article metadata for each id, in one query."""
        if not chunk_ids:
            return {}
        marks = ",".join("?" * len(chunk_ids))
        rows = self.db.execute(
            "SELECT c.id, c.article_id, c.section, c.idx, c.char_start, c.char_end, c.text, a.title, a.url, "
            "a.source, a.published FROM chunks c JOIN articles a ON a.id = c.article_id "
            f"WHERE c.id IN ({marks})",
            chunk_ids,
        )
        keys = ("chunk_id", "article_id", "section", "index", "char_start", "char_end", "text", "title", "url",
                "source", "published")
        return {row[0]: dict(zip(keys, row, strict=True)) for row in rows}

    def section_text(self, article_id: str, section: str) -> str:
        """The cleaned text of an article's body or comments: what a chunk's char offsets point into."""
        column = "comments" if section == COMMENTS else "text"
        row = self.db.execute(f"SELECT {column} FROM articles WHERE id=?", (article_id,)).fetchone()
        return (row[0] or "") if row else ""

    def all_chunk_ids(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT id FROM chunks")}

    def article(self, article_id: str) -> Article | None:
        """The stored article as an Article again (same id, same content hash): re-chunking needs it."""
        row = self.db.execute(
            "SELECT text, title, url, source, published, authors, comments, path, line FROM articles WHERE id=?",
            (article_id,),
        ).fetchone()
        if row is None:
            return None
        text, title, url, source, published, authors, comments, path, line = row
        return Article(text, title or "", url or "", source or "", published, json.loads(authors or "[]"),
                       comments or "", path or "", line)

    def records(self, chunk_ids: Iterable[str]) -> list[tuple[Article, Chunk]]:
        """The chunks among `chunk_ids` that belong to a stored article, with it: what re-embedding needs."""
        articles: dict[str, Article | None] = {}
        out = []
        for batch in _batches(list(chunk_ids)):
            rows = self.db.execute(
                "SELECT article_id, section, idx, char_start, char_end, text FROM chunks "
                f"WHERE id IN ({','.join('?' * len(batch))}) ORDER BY article_id, section, idx",
                batch,
            ).fetchall()
            for article_id, *fields in rows:
                if article_id not in articles:
                    articles[article_id] = self.article(article_id)
                if articles[article_id] is not None:
                    out.append((articles[article_id], Chunk(article_id, *fields)))
        return out

    def add_chunks(self, chunks: Iterable[Chunk]) -> None:
        with self._tx():
            self.db.executemany(
                "INSERT INTO chunks VALUES (?,?,?,?,?,?,?)",
                [(c.id, c.article_id, c.section, c.index, c.char_start, c.char_end, c.text) for c in chunks],
            )

    def mark_inflight(self, chunk_ids: Iterable[str]) -> None:
        """Journal chunk ids before their vectors are written or deleted (see the module docstring)."""
        self._each("INSERT OR IGNORE INTO inflight VALUES (?)", chunk_ids)

    def clear_inflight(self, chunk_ids: Iterable[str]) -> None:
        """Chroma and this docstore agree on these ids again."""
        self._each("DELETE FROM inflight WHERE id=?", chunk_ids)

    def inflight(self) -> list[str]:
        """Chunk ids a writer was changing in Chroma when it stopped: empty unless one died (or is at work)."""
        return [r[0] for r in self.db.execute("SELECT id FROM inflight ORDER BY id")]

    def chunks_without_article(self) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT c.id FROM chunks c LEFT JOIN articles a ON a.id = c.article_id WHERE a.id IS NULL ORDER BY c.id")]

    def articles_without_chunks(self) -> list[str]:
        return [r[0] for r in self.db.execute(
            "SELECT a.id FROM articles a WHERE NOT EXISTS (SELECT 1 FROM chunks c WHERE c.article_id = a.id) "
            "ORDER BY a.id")]

    def dangling_aliases(self) -> list[str]:
        """Duplicates recorded against an article that is gone: ingest would skip them as already stored."""
        return [r[0] for r in self.db.execute(
            "SELECT id FROM aliases WHERE article_id NOT IN (SELECT id FROM articles) ORDER BY id")]

    def delete_chunks(self, chunk_ids: Iterable[str]) -> None:
        self._each("DELETE FROM chunks WHERE id=?", chunk_ids)

    def delete_aliases(self, alias_ids: Iterable[str]) -> None:
        self._each("DELETE FROM aliases WHERE id=?", alias_ids)

    def _each(self, sql: str, ids: Iterable[str]) -> None:
        """One statement per id, in one transaction."""
        with self._tx():
            self.db.executemany(sql, [(i,) for i in ids])

    def stats(self) -> dict:
        articles, first, last = self.db.execute(
            "SELECT COUNT(*), MIN(published), MAX(published) FROM articles"
        ).fetchone()
        (chunks,) = self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()
        by_source = dict(self.db.execute(
            "SELECT source, COUNT(*) FROM articles WHERE source != '' GROUP BY source ORDER BY source"))
        by_month = dict(self.db.execute(
            "SELECT substr(published, 1, 7) m, COUNT(*) FROM articles WHERE published IS NOT NULL AND published != '' "
            "GROUP BY m ORDER BY m"))
        return {"articles": articles, "chunks": chunks, "sources": list(by_source),
                "first_published": first, "last_published": last, "by_month": by_month, "by_source": by_source}

    def list(self, query: str = "", sources: Sequence[str] = (), since: str | None = None, until: str | None = None,
             limit: int = 200) -> list[dict]:
        """Articles for browsing, newest first, filtered by a substring of title, source or URL."""
        like = f"%{query}%"
        sql = "SELECT id, title, source, published, url FROM articles WHERE (title LIKE ? OR source LIKE ? OR url LIKE ?)"
        args: list = [like, like, like]
        if sources:
            sql += f" AND source IN ({','.join('?' * len(sources))})"
            args += list(sources)
        if since:
            sql += " AND published >= ?"
            args.append(since)
        if until:
            sql += " AND substr(published, 1, 10) <= ?"
            args.append(until)
        rows = self.db.execute(sql + " ORDER BY published DESC, title LIMIT ?", (*args, limit))
        return [dict(zip(("id", "title", "source", "published", "url"), r, strict=True)) for r in rows]

    @contextmanager
    def _tx(self) -> Iterator[None]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")


def _batches(items: list[str]) -> Iterator[list[str]]:
    for i in range(0, len(items), _BATCH):
        yield items[i : i + _BATCH]
