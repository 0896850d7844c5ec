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
them are read from here, not from Chroma (at 200k chunks those reads cost 19 and 6 ms, bench/README.md). And an
int8 copy of each chunk's vector (`vectors.py`): dense search among the few chunks a narrow filter keeps.
"""

from __future__ import annotations

import json
import os
from functools import cached_property
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from vectorstore.article import BODY, COMMENTS
from vectorstore.bm25_files import STEMMER, Bm25Files
from vectorstore.filters import FilterColumns, Filters
from vectorstore.passage import Passage
from vectorstore.texts import Texts
from vectorstore.vectors import Vectors

_MASKS = 32  # filter masks kept per index (0.8 MB each at 200k chunks)


def _tokenize(texts: list[str], stemmer: Stemmer.Stemmer) -> bm25s.tokenization.Tokenized:
    return bm25s.tokenize(texts, stopwords="en", stemmer=stemmer, show_progress=False)


class Bm25Index:
    def __init__(self, folder: Path) -> None:
        self.files = files = Bm25Files(folder)
        self.retriever: bm25s.BM25 | None = None
        self.stemmer = Stemmer.Stemmer(STEMMER)
        self.token = files.token()
        self.built_at = files.read_version().get("at", 0.0)  # when the chunks it holds were read from the store
        self.catalogue: dict[str, dict] = {}  # article id → title, source, published, url: for browsing and stats
        rows: list[str] = []
        columns = {"day": [], "body": [], "source": [], "article": [], "place": [], "sources": [""], "articles": [""]}
        if self.token is not None:  # written in this format (an older index is rebuilt, as a stale one is)
            self.catalogue = json.loads(files.catalogue.read_text())
            rows = json.loads(files.ids.read_text())
            columns = dict(np.load(files.columns))
            if rows:  # read, not mapped: mapped, it costs a question 15-25 ms more CPU (0.54 GB more at 1M chunks)
                self.retriever = bm25s.BM25.load(str(folder))
        self.rows = np.array(rows, dtype=object)  # the chunk id of each row of the index, tombstoned ones included
        self.columns = FilterColumns(
            days=np.asarray(columns["day"], dtype=np.int64), body=np.asarray(columns["body"], dtype=bool),
            sources=np.asarray(columns["sources"], dtype=object)[np.asarray(columns["source"], dtype=np.int64)],
            article_ids=np.asarray(columns["articles"], dtype=object)[np.asarray(columns["article"], dtype=np.int64)])
        self.places = np.asarray(columns["place"], dtype=np.int64).reshape(-1, 3)
        self.texts = Texts(files.chunks) if rows else None
        self.vectors = Vectors(files.vectors) if rows else None
        self.sections: dict[tuple[str, str], int] = {}  # (article id, section) → its row in section_texts
        self.section_texts: Texts | None = None
        if self.token is not None and Texts.exist(files.sections):
            self.section_texts = Texts(files.sections)
            self.sections = {tuple(key): i for i, key in enumerate(json.loads(files.section_keys.read_text()))}
        self._masks: dict[Filters, np.ndarray | None] = {}
        self.live = np.ones(len(self.rows), dtype=bool)
        self.deleted = self._tombstones()
        self.live[self._positions(self.deleted)] = False

    @property
    def ids(self) -> list[str]:
        """The chunks BM25 holds: every row but the tombstoned ones."""
        return self.rows[self.live].tolist()

    @property
    def live_count(self) -> int:
        return int(self.live.sum())

    @cached_property
    def position(self) -> dict[str, int]:
        """Chunk id → its row in the index."""
        return {cid: i for i, cid in enumerate(self.rows)}

    def warm(self) -> Bm25Index:
        """Build the row lookup now, once, not in the first questions at the same time."""
        self.position  # noqa: B018
        return self

    def _positions(self, ids: set[str]) -> list[int]:
        return [self.position[cid] for cid in ids if cid in self.position] if ids else []

    def _tombstones(self) -> set[str]:
        path = self.files.deleted
        return set(json.loads(path.read_text())) if path.exists() else set()

    def passage(self, cid: str) -> Passage | None:
        """A chunk's passage as the index holds it; None when it does not hold the chunk, or holds no texts (an
        index built before it kept them)."""
        i = self.position.get(cid)
        if i is None or self.texts is None or not self.live[i] or self.places[i][0] < 0:
            return None
        article = self.catalogue.get(self.columns.article_ids[i])
        if article is None:
            return None
        index, start, end = (int(x) for x in self.places[i])
        section = BODY if self.columns.body[i] else COMMENTS
        meta = {"article_id": self.columns.article_ids[i], "section": section, "index": index, "char_start": start,
                "char_end": end, **article}
        return Passage.of_chunk(cid, self.texts[i], meta)

    def section(self, article_id: str, section: str) -> str | None:
        """The text of an article section as the index was built with it (None: not held)."""
        i = self.sections.get((article_id, section))
        return None if i is None or self.section_texts is None else self.section_texts[i]

    def delete(self, ids: list[str], articles: list[str], token: str | None = None) -> None:
        """Tombstone the chunks of deleted articles: they stop matching at once, and leave the index at its next
        rebuild; the articles leave the catalogue. `token`: the store version the index is current with after
        this delete (when it was current before it)."""
        fresh = set(ids) - self.deleted
        if not fresh or not self.files.folder.exists():
            return
        self.deleted |= fresh | self._tombstones()  # and those another handle on this store wrote
        self.live[self._positions(self.deleted)] = False
        for article_id in articles:
            self.catalogue.pop(article_id, None)
        _replace(self.files.catalogue, json.dumps(self.catalogue))
        _replace(self.files.deleted, json.dumps(sorted(self.deleted)))
        if token:
            self.files.version.write_text(json.dumps({**self.files.read_version(), "token": token}))
            self.token = token

    def mask(self, filters: Filters) -> np.ndarray | None:
        """`filters` over this index's columns, as bm25s's weight mask (shared: not to be written to). Kept, since
        the columns never change: a question computes it once for dense and BM25 search (4 ms at 200k chunks),
        and the next question under the same filter not at all."""
        if filters not in self._masks:
            if len(self._masks) >= _MASKS:
                self._masks.clear()
            self._masks[filters] = filters.mask(self.columns)
        return self._masks[filters]

    def allowed(self, mask: np.ndarray | None) -> np.ndarray:
        """Which chunks a filter mask (None: no filter) lets through, tombstones left out, as booleans."""
        return self.live if mask is None else self.live & (mask > 0)

    def shortlist(self, vector: list[float], allowed: np.ndarray, n: int) -> list[str]:
        """The (up to) n allowed chunks nearest to `vector` by the index's int8 copies of their vectors (an index
        of no chunks allows none, so is never asked)."""
        return self.rows[self.vectors.nearest(vector, np.flatnonzero(allowed), n)].tolist()

    def admitted(self, hits: list[tuple[str, float]], allowed: np.ndarray) -> list[tuple[str, float]]:
        """The hits (chunk id, score) of chunks this index holds and `allowed` lets through, in order."""
        position = self.position
        return [(cid, score) for cid, score in hits if cid in position and allowed[position[cid]]]

    def search(self, query: str, k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """Top-k (chunk id, BM25 score) among the chunks `filters` allows."""
        if self.retriever is None or not len(self.rows):
            return []
        tokens = _tokenize([query], self.stemmer)
        word = {i: w for w, i in tokens.vocab.items()}
        known = [word[i] for i in tokens.ids[0] if word[i] in self.retriever.vocab_dict] if tokens.ids else []
        if not known or k < 1:
            return []
        mask = self.mask(filters or Filters())
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


def _replace(path: Path, text: str) -> None:
    """Write a file whole or not at all (a reader never sees half of it)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
