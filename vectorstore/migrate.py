"""Move an archive without re-embedding: an embedded store into a Chroma server (`archive-chat migrate --to URL`),
and a store written by archive-chat before Chroma held the articles (a SQLite docstore beside its vectors) into
the layout of today, once, when it is first opened.
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

from tqdm import tqdm

from vectorstore.article import Article, Chunk
from vectorstore.chroma import NO_VECTOR, PAGE, Collections, article_record, get, walk

_LEGACY = "docstore.sqlite3"


def copy_store(source: Collections, target: Collections, progress: bool = True) -> dict[str, int]:
    """Copy every record of every collection, vectors included, page by page; returns records per collection.
    Upserts, so an interrupted copy run again ends with each record once. The chunks go first and the state
    (version) last, so a replica watching the target sees one change when it is done."""
    copied: dict[str, int] = {}
    for name, collection in source.all().items():
        into = target.all()[name]
        bar = tqdm(total=collection.count(), desc=f"copy {name}", unit=" records", disable=not progress)
        copied[name] = 0
        for page in walk(collection, ["embeddings", "documents", "metadatas"]):
            if not page:
                continue
            ids, embeddings, documents, metadatas = (list(column) for column in zip(*page, strict=True))
            into.upsert(ids=ids, embeddings=embeddings, documents=documents, metadatas=metadatas)
            copied[name] += len(ids)
            bar.update(len(ids))
        bar.close()
    return copied


def upgrade_legacy(folder: Path, parts: Collections) -> int:
    """Bring an older store's articles from its SQLite docstore into Chroma, beside the vectors it already holds;
    the docstore is then renamed aside. Returns the articles moved (0 when there is nothing to do)."""
    path = folder / _LEGACY
    if not path.exists() or parts.articles.count():
        return 0
    print(f"{folder}: moving the articles of an older archive-chat store into Chroma (once)…", file=sys.stderr)
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        chunks: dict[str, list[Chunk]] = {}
        for row in db.execute("SELECT article_id, section, idx, char_start, char_end, '' FROM chunks"):
            chunks.setdefault(row[0], []).append(Chunk(*row))
        rows = db.execute("SELECT text, title, url, source, published, authors, comments, path, line, "
                          "minhash, also, ingested_at FROM articles").fetchall()
        aliases = db.execute("SELECT id, article_id, path FROM aliases").fetchall()
    for i in range(0, len(rows), PAGE):
        _move(parts, rows[i : i + PAGE], chunks)
    if aliases:
        parts.aliases.upsert(ids=[a[0] for a in aliases], embeddings=[NO_VECTOR] * len(aliases),
                             metadatas=[{"article_id": a[1], "path": a[2] or ""} for a in aliases])
    os.replace(path, folder / (_LEGACY + ".moved"))
    return len(rows)


def _move(parts: Collections, rows: list[tuple], chunks: dict[str, list[Chunk]]) -> None:
    articles = [(Article(r[0], r[1] or "", r[2] or "", r[3] or "", r[4], json.loads(r[5] or "[]"), r[6] or "",
                         r[7] or "", r[8]), r) for r in rows]
    records = {a.id: article_record(a, chunks.get(a.id, []), r[9] or b"", json.loads(r[10] or "[]"), r[11] or 0.0)
               for a, r in articles}
    parts.articles.upsert(ids=list(records), embeddings=[NO_VECTOR] * len(records),
                          documents=[a.text for a, _ in articles], metadatas=list(records.values()))
    with_comments = [a for a, _ in articles if a.comments]
    if with_comments:
        parts.comments.upsert(ids=[a.id for a in with_comments], embeddings=[NO_VECTOR] * len(with_comments),
                              documents=[a.comments for a in with_comments])
    ids = [c.id for a, _ in articles for c in chunks.get(a.id, [])]  # as older stores keyed them: no version
    for i in range(0, len(ids), PAGE):  # keyed by content now: the same vectors under their versioned ids
        got = get(parts.chunks, ["embeddings", "documents", "metadatas"], ids[i : i + PAGE])
        if not got:
            continue
        metas = [{**m, "version": records[m["article_id"]]["content_hash"]} for _, _, _, m in got]
        parts.chunks.upsert(ids=[f"{cid}@{m['version']}" for (cid, *_), m in zip(got, metas, strict=True)],
                            embeddings=[e for _, e, _, _ in got], documents=[d for _, _, d, _ in got], metadatas=metas)
        parts.chunks.delete(ids=[cid for cid, *_ in got])

