"""BM25 over every chunk (bm25s), derived from the chunks in Chroma, cached in the local folder, never built per
question. It records the store version it was built from (`token`) and a catalogue of the articles it covers.

Names, places and numbers are where dense search alone misses; BM25 catches them. The index also holds each
chunk's filter columns (date, section, source, article), so a filter is a few array operations at any size.
A deleted chunk is only marked (a tombstone, persisted in deleted.json) and masked out at query time: removing
it from the index would mean re-indexing every chunk. The next rebuild drops it for good.
Words are stemmed (PyStemmer's Snowball English: "resigned" finds "resign"); an index built before stemming
records no stemmer in its tokenizer.json and keeps being queried unstemmed until it is rebuilt.

Beside the index lie the texts it was built from (each chunk's, and each article section's), with each chunk's
place in its article: while the index is current with the store, a question's candidates and the windows around
them are read from here, not from Chroma (at 200k chunks those reads cost 19 and 6 ms, bench/README.md).
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterable, Iterator
from functools import cached_property
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from vectorstore.article import BODY, COMMENTS
from vectorstore.chroma import day_number
from vectorstore.texts import Texts, write_texts

_DELETED = "deleted.json"
_TOKENIZER = "tokenizer.json"
_VERSION = "version.json"
_STEMMER = "english"
_CHUNKS, _SECTIONS, _SECTION_KEYS = "chunks.txt", "sections.txt", "sections.json"
_PLACE = ("index", "char_start", "char_end")  # a chunk's place in its article section


def _tokenize(texts: list[str], stemmer: Stemmer.Stemmer | None) -> bm25s.tokenization.Tokenized:
    return bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False)


class LexicalIndex:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.retriever: bm25s.BM25 | None = None
        rows: list[str] = []
        meta: list[dict] = []
        self.stemmer: Stemmer.Stemmer | None = None
        self.token = self.token_at(folder)
        self.built_at = self._version().get("at", 0.0)  # when the chunks it holds were read from the store
        self.catalogue: dict[str, dict] = {}  # article id → title, source, published, url: for browsing and stats
        if (folder / "catalogue.json").exists():
            self.catalogue = json.loads((folder / "catalogue.json").read_text())
        if (folder / "ids.json").exists():
            self.retriever = bm25s.BM25.load(str(folder))
            if (folder / _TOKENIZER).exists():
                self.stemmer = Stemmer.Stemmer(json.loads((folder / _TOKENIZER).read_text())["stemmer"])
            rows = json.loads((folder / "ids.json").read_text())
            meta = json.loads((folder / "meta.json").read_text())
        self.rows = np.array(rows, dtype=object)  # the chunk id of each row of the index, tombstoned ones included
        # Column arrays so a filter over 200k chunks is a few vector operations, not a Python loop.
        day = {published: day_number(published) for published in {m["published"] for m in meta}}
        self.days = np.array([day[m["published"]] for m in meta], dtype=np.int64)
        self.body = np.array([m["section"] == BODY for m in meta], dtype=bool)
        self.sources = np.array([m["source"] for m in meta], dtype=object)
        self.article_ids = np.array([m["article_id"] for m in meta], dtype=object)
        self.places = np.array([[m.get(f, -1) for f in _PLACE] for m in meta], dtype=np.int64).reshape(-1, 3)
        self.texts = Texts(folder / _CHUNKS) if Texts.exist(folder / _CHUNKS) else None  # None: built before
        self.sections: dict[tuple[str, str], int] = {}  # (article id, section) → its row in section_texts
        self.section_texts: Texts | None = None
        if Texts.exist(folder / _SECTIONS):
            self.section_texts = Texts(folder / _SECTIONS)
            self.sections = {tuple(key): i for i, key in enumerate(json.loads((folder / _SECTION_KEYS).read_text()))}
        self.masks: dict = {}  # Filters → its mask over these columns (vectorstore/filters.py)
        self.live = np.ones(len(self.rows), dtype=bool)
        self.deleted = self._tombstones()
        self.live[self._positions(self.deleted)] = False

    @property
    def unstemmed(self) -> bool:
        """Built before BM25 stemmed words: it works, queried as built, but a rebuild would match word forms."""
        return self.retriever is not None and self.stemmer is None

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
        """The store version the index in `folder` was built from (None: no index, or one from before tokens)."""
        try:
            return json.loads((folder / _VERSION).read_text())["token"]
        except (OSError, ValueError, KeyError):
            return None

    def _version(self) -> dict:
        try:
            return json.loads((self.folder / _VERSION).read_text())
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
    def rebuild(cls, chunks: Iterable[tuple[str, str, dict]], folder: Path, token: str,
                sections: Iterable[tuple[str, str, str]] = ()) -> LexicalIndex:
        """Index (chunk id, text, chunk metadata) rows, keep (article id, section, text) beside them (`sections`
        is read first), and swap the new index in atomically."""
        started = time.time()
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        keys: list[tuple[str, str]] = []

        def section_texts() -> Iterator[str]:  # streamed to disk: a million chunks' articles never sit in memory
            for article_id, section, text in sections:
                keys.append((article_id, section))
                yield text

        write_texts(tmp / _SECTIONS, section_texts())
        (tmp / _SECTION_KEYS).write_text(json.dumps(keys))
        ids, texts, meta, catalogue = [], [], [], {}
        for cid, text, m in chunks:
            ids.append(cid)
            texts.append(text)
            meta.append({k: m[k] for k in ("article_id", "section", "source", *_PLACE)}
                        | {"published": m["published"] or None})
            catalogue.setdefault(m["article_id"], {"title": m["title"], "source": m["source"], "url": m["url"],
                                                   "published": m["published"] or None})
        write_texts(tmp / _CHUNKS, texts)
        if ids:
            retriever = bm25s.BM25()
            retriever.index(_tokenize(texts, Stemmer.Stemmer(_STEMMER)), show_progress=False)
            retriever.save(str(tmp))
            (tmp / _TOKENIZER).write_text(json.dumps({"stemmer": _STEMMER}))
            (tmp / "ids.json").write_text(json.dumps(ids))
            (tmp / "meta.json").write_text(json.dumps(meta))
        (tmp / "catalogue.json").write_text(json.dumps(catalogue))
        (tmp / _VERSION).write_text(json.dumps({"token": token, "at": started}))
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
        os.replace(self.folder / "catalogue.json.tmp", self.folder / "catalogue.json")
        tmp = self.folder / (_DELETED + ".tmp")
        tmp.write_text(json.dumps(sorted(self.deleted)))
        os.replace(tmp, self.folder / _DELETED)
        if token:
            (self.folder / _VERSION).write_text(json.dumps({**self._version(), "token": token}))
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
