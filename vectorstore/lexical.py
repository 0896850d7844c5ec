"""BM25 over every chunk (bm25s), derived from the chunks in Chroma, cached in the local folder, never built per
question. It records the store version it was built from (`token`) and a catalogue of the articles it covers.

Names, places and numbers are where dense search alone misses; BM25 catches them. The index also holds each
chunk's filter columns (date, section, source, article), so a filter is a few array operations at any size.
A deleted chunk is only marked (a tombstone, persisted in deleted.json) and masked out at query time: removing
it from the index would mean re-indexing every chunk. The next rebuild drops it for good.
Words are stemmed (PyStemmer's Snowball English: "resigned" finds "resign"). An index written in an older
format (before stemming, before packed columns) reads as stale, so every reader rebuilds it.

Beside the index lie the texts it was built from (each chunk's, and each article section's), with each chunk's
place in its article: while the index is current with the store, a question's candidates and the windows around
them are read from here, not from Chroma (at 200k chunks those reads cost 19 and 6 ms, bench/README.md).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterable
from functools import cached_property
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from vectorstore.article import BODY, COMMENTS, StoredArticle
from vectorstore.lexical_build import (
    CATALOGUE,
    CHUNKS,
    COLUMNS,
    FORMAT,
    IDS,
    SECTION_KEYS,
    SECTIONS,
    STEMMER,
    VERSION,
    IndexWriter,
)
from vectorstore.texts import Texts

_DELETED = "deleted.json"


def _tokenize(texts: list[str], stemmer: Stemmer.Stemmer) -> bm25s.tokenization.Tokenized:
    return bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False)


class LexicalIndex:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.retriever: bm25s.BM25 | None = None
        self.stemmer = Stemmer.Stemmer(STEMMER)
        self.token = self.token_at(folder)
        self.built_at = self._version().get("at", 0.0)  # when the chunks it holds were read from the store
        self.catalogue: dict[str, dict] = {}  # article id → title, source, published, url: for browsing and stats
        rows: list[str] = []
        columns = {"day": [], "body": [], "source": [], "article": [], "place": [], "sources": [""], "articles": [""]}
        if self.token is not None:  # written in this format (an older index is rebuilt, as a stale one is)
            self.catalogue = json.loads((folder / CATALOGUE).read_text())
            rows = json.loads((folder / IDS).read_text())
            columns = dict(np.load(folder / COLUMNS))
            if rows:  # read, not mapped: mapped, it costs a question 15-25 ms more CPU (0.54 GB more at 1M chunks)
                self.retriever = bm25s.BM25.load(str(folder))
        self.rows = np.array(rows, dtype=object)  # the chunk id of each row of the index, tombstoned ones included
        # Column arrays so a filter over a million chunks is a few vector operations, not a Python loop.
        self.days = np.asarray(columns["day"], dtype=np.int64)
        self.body = np.asarray(columns["body"], dtype=bool)
        self.sources = np.asarray(columns["sources"], dtype=object)[np.asarray(columns["source"], dtype=np.int64)]
        self.article_ids = np.asarray(columns["articles"], dtype=object)[np.asarray(columns["article"], dtype=np.int64)]
        self.places = np.asarray(columns["place"], dtype=np.int64).reshape(-1, 3)
        self.texts = Texts(folder / CHUNKS) if rows else None
        self.sections: dict[tuple[str, str], int] = {}  # (article id, section) → its row in section_texts
        self.section_texts: Texts | None = None
        if self.token is not None and Texts.exist(folder / SECTIONS):
            self.section_texts = Texts(folder / SECTIONS)
            self.sections = {tuple(key): i for i, key in enumerate(json.loads((folder / SECTION_KEYS).read_text()))}
        self.masks: dict = {}  # Filters → its mask over these columns (vectorstore/filters.py)
        self.live = np.ones(len(self.rows), dtype=bool)
        self.deleted = self._tombstones()
        self.live[self._positions(self.deleted)] = False

    @property
    def ids(self) -> list[str]:
        """The chunks BM25 holds: every row but the tombstoned ones."""
        return self.rows[self.live].tolist()

    @cached_property
    def position(self) -> dict[str, int]:
        """Chunk id → its row in the index."""
        return {cid: i for i, cid in enumerate(self.rows)}

    def _positions(self, ids: set[str]) -> list[int]:
        return [self.position[cid] for cid in ids if cid in self.position] if ids else []

    def _tombstones(self) -> set[str]:
        path = self.folder / _DELETED
        return set(json.loads(path.read_text())) if path.exists() else set()

    @staticmethod
    def token_at(folder: Path) -> str | None:
        """The store version the index in `folder` was built from (None: no index, or one in an older format)."""
        try:
            version = json.loads((folder / VERSION).read_text())
        except (OSError, ValueError):
            return None
        return version.get("token") if version.get("format") == FORMAT else None

    def _version(self) -> dict:
        try:
            return json.loads((self.folder / VERSION).read_text())
        except (OSError, ValueError):
            return {}

    def row(self, cid: str) -> dict | None:
        """A chunk's passage fields (text, place, article metadata) as the index holds them; None when it does
        not hold the chunk, or holds no texts (an index built before it kept them)."""
        i = self.position.get(cid)
        if i is None or self.texts is None or not self.live[i] or self.places[i][0] < 0:
            return None
        article = self.catalogue.get(self.article_ids[i])
        if article is None:
            return None
        index, start, end = (int(x) for x in self.places[i])
        return {"chunk_id": cid, "article_id": self.article_ids[i], "section": BODY if self.body[i] else COMMENTS,
                "index": index, "char_start": start, "char_end": end, "text": self.texts[i], **article}

    def section(self, article_id: str, section: str) -> str | None:
        """The text of an article section as the index was built with it (None: not held)."""
        i = self.sections.get((article_id, section))
        return None if i is None or self.section_texts is None else self.section_texts[i]

    @classmethod
    def rebuild(cls, articles: Iterable[tuple[StoredArticle, dict[str, str], list[tuple[str, str, dict]]]],
                folder: Path, token: str) -> LexicalIndex:
        """Index each article's (chunk id, text, chunk metadata) rows, keep its section texts beside them, and
        swap the new index in atomically. Streamed (`IndexWriter`): a million chunks never sit in memory."""
        started = time.time()
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        writer = IndexWriter(tmp)
        for article, sections, chunks in articles:
            writer.add(article, sections, chunks)
        writer.finish({"token": token, "at": started})
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            os.replace(folder, old)
        os.replace(tmp, folder)
        shutil.rmtree(old, ignore_errors=True)
        return cls(folder)

    def delete(self, ids: list[str], articles: list[str], token: str | None = None) -> None:
        """Tombstone the chunks of deleted articles: they stop matching at once, and leave the index at its next
        rebuild; the articles leave the catalogue. `token`: the store version the index is current with after
        this delete (when it was current before it)."""
        fresh = set(ids) - self.deleted
        if not fresh or not self.folder.exists():
            return
        self.deleted |= fresh | self._tombstones()  # and those another handle on this store wrote
        self.live[self._positions(self.deleted)] = False
        for article_id in articles:
            self.catalogue.pop(article_id, None)
        (self.folder / "catalogue.json.tmp").write_text(json.dumps(self.catalogue))
        os.replace(self.folder / "catalogue.json.tmp", self.folder / CATALOGUE)
        tmp = self.folder / (_DELETED + ".tmp")
        tmp.write_text(json.dumps(sorted(self.deleted)))
        os.replace(tmp, self.folder / _DELETED)
        if token:
            (self.folder / VERSION).write_text(json.dumps({**self._version(), "token": token}))
            self.token = token

    def allowed(self, mask: np.ndarray | None) -> np.ndarray:
        """Which chunks a filter mask (None: no filter) lets through, tombstones left out, as booleans."""
        return self.live if mask is None else self.live & (mask > 0)

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[str, float]]:
        """Top-k (chunk id, BM25 score) among the chunks `mask` allows."""
        if self.retriever is None or not len(self.rows):
            return []
        tokens = _tokenize([query], self.stemmer)
        word = {i: w for w, i in tokens.vocab.items()}
        known = [word[i] for i in tokens.ids[0] if word[i] in self.retriever.vocab_dict] if tokens.ids else []
        if not known or k < 1:
            return []
        if self.deleted:
            mask = self.allowed(mask).astype(np.float32)
        # bm25s scores every chunk, then its top-k partitions all of them (11 ms at 200k chunks); only the chunks
        # holding a query word score above zero, so the top k is taken among those (2 ms), best first, ties by row
        scores = self.retriever.get_scores(known, weight_mask=mask)
        hits = np.flatnonzero(scores > 0)
        if len(hits) > k:
            hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        hits = hits[np.lexsort((hits, -scores[hits]))]
        return [(self.rows[d], float(scores[d])) for d in hits]
