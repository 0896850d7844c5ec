"""Writing a BM25 index folder from a stream of stored articles and their chunks, as they come.

At a million chunks, holding every chunk's text and metadata in Python lists while bm25s tokenises them all took
over 8 GB (bench/README.md). Here texts go straight to disk (`TextWriter`), each article's chunks are tokenised
on arrival into compact arrays of token ids (bm25s's own Tokenizer, one vocabulary for the whole stream), and the
filter columns are packed arrays; what stays in memory is the token ids, about 4 bytes a word.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from array import array
from collections.abc import Iterable
from pathlib import Path

import bm25s
import numpy as np
import Stemmer

from vectorstore.article import BODY, StoredArticle
from vectorstore.bm25_files import FORMAT, STEMMER, Bm25Files
from vectorstore.chroma import Indexed
from vectorstore.dates import day_number
from vectorstore.texts import TextWriter
from vectorstore.vectors import VectorWriter

PLACE = ("index", "char_start", "char_end")  # a chunk's place in its article section


def catalogue_entry(article: StoredArticle) -> dict:
    return {"title": article.title, "source": article.source, "url": article.url, "published": article.published}


class Bm25Writer:
    """Collects articles and their (chunk id, text, chunk metadata) rows into a new index folder."""

    def __init__(self, folder: Path) -> None:
        self.files = Bm25Files(folder)
        self.chunk_texts, self.section_texts = TextWriter(self.files.chunks), TextWriter(self.files.sections)
        self.vectors = VectorWriter(self.files.vectors)
        self.tokenizer = bm25s.tokenization.Tokenizer(stopwords="en", stemmer=Stemmer.Stemmer(STEMMER))
        self.tokens: list[array] = []
        self.ids: list[str] = []
        self.section_keys: list[tuple[str, str]] = []
        self.catalogue: dict[str, dict] = {}
        self.codes: dict[str, dict[str, int]] = {"source": {}, "article": {}}  # value → its code in the columns
        self.columns = {"day": array("i"), "body": array("b"), "source": array("i"), "article": array("i"),
                        "place": array("q")}

    def add(self, article: StoredArticle, sections: dict[str, str],
            chunks: list[tuple[str, str, dict, np.ndarray]]) -> None:
        """One article: its section texts (what chunk offsets point into) and its chunks, in order."""
        for section, text in sections.items():
            self.section_keys.append((article.id, section))
            self.section_texts.add(text)
        if not chunks:
            return
        self.catalogue[article.id] = catalogue_entry(article)
        day = day_number(article.published)
        source = self.codes["source"].setdefault(article.source, len(self.codes["source"]))
        code = self.codes["article"].setdefault(article.id, len(self.codes["article"]))
        for cid, text, meta, _ in chunks:
            self.ids.append(cid)
            self.chunk_texts.add(text)
            for name, value in (("day", day), ("body", meta["section"] == BODY), ("source", source),
                                ("article", code)):
                self.columns[name].append(value)
            self.columns["place"].extend(meta.get(f, -1) for f in PLACE)
        self.vectors.add(np.stack([vector for *_, vector in chunks]))
        texts = [text for _, text, _, _ in chunks]
        self.tokens.extend(array("i", ids) for ids in self.tokenizer.streaming_tokenize(texts))

    def finish(self, version: dict) -> None:
        """Index the tokens and write everything beside the texts."""
        self.chunk_texts.close()
        self.section_texts.close()
        self.vectors.close()
        self.files.section_keys.write_text(json.dumps(self.section_keys))
        if self.ids:
            vocab = self.tokenizer.get_vocab_dict()
            self.tokenizer = None  # its word maps (a million words at 1M chunks) are not needed to index
            # scipy's CSC build takes the least memory: numpy's sorts 64-bit keys (3.7 against 3 GB at 1M chunks)
            retriever = bm25s.BM25(csc_backend="scipy")
            retriever.index(bm25s.tokenization.Tokenized(self.tokens, vocab), show_progress=False)
            self.tokens.clear()
            retriever.save(str(self.files.folder))
        self.files.ids.write_text(json.dumps(self.ids))
        np.savez(self.files.columns, **{name: np.frombuffer(values, dtype=values.typecode)
                                            for name, values in self.columns.items()},
                 sources=np.array(list(self.codes["source"]) or [""]),
                 articles=np.array(list(self.codes["article"]) or [""]))
        self.files.catalogue.write_text(json.dumps(self.catalogue))
        self.files.version.write_text(json.dumps({**version, "format": FORMAT}))


def rebuild(articles: Iterable[Indexed], folder: Path, token: str) -> None:
    """Index each article's (chunk id, text, chunk metadata, vector) rows, keep its section texts beside them, and swap
    the new index folder in atomically. Streamed: a million chunks never sit in memory."""
    started = time.time()
    tmp = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    writer = Bm25Writer(tmp)
    for article, sections, chunks in articles:
        writer.add(article, sections, chunks)
    writer.finish({"token": token, "at": started})
    old = folder.with_name(folder.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        os.replace(folder, old)
    os.replace(tmp, folder)
    shutil.rmtree(old, ignore_errors=True)
