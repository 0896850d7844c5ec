"""BM25 over every chunk (bm25s), persisted beside the store and rebuilt by ingest, never per question.

Names, places and numbers are where dense search alone misses; BM25 catches them.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import bm25s
import numpy as np

from vectorstore.article import BODY
from vectorstore.chroma import day_number
from vectorstore.docstore import DocStore


class LexicalIndex:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.retriever: bm25s.BM25 | None = None
        self.ids: list[str] = []
        self.meta: list[dict] = []
        if (folder / "ids.json").exists():
            self.retriever = bm25s.BM25.load(str(folder))
            self.ids = json.loads((folder / "ids.json").read_text())
            self.meta = json.loads((folder / "meta.json").read_text())
        # Column arrays so a filter over 200k chunks is a few vector operations, not a Python loop.
        self.days = np.array([day_number(m["published"]) for m in self.meta], dtype=np.int64)
        self.body = np.array([m["section"] == BODY for m in self.meta], dtype=bool)
        self.sources = np.array([m["source"] for m in self.meta], dtype=object)
        self.article_ids = np.array([m["article_id"] for m in self.meta], dtype=object)

    @classmethod
    def rebuild(cls, docstore: DocStore, folder: Path) -> LexicalIndex:
        """Index every chunk in the docstore and swap the new index in atomically."""
        ids, texts, meta = [], [], []
        for cid, text, m in docstore.chunks():
            ids.append(cid)
            texts.append(text)
            meta.append(m)
        tmp = folder.with_name(folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        if ids:
            retriever = bm25s.BM25()
            retriever.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
            retriever.save(str(tmp))
            (tmp / "ids.json").write_text(json.dumps(ids))
            (tmp / "meta.json").write_text(json.dumps(meta))
        old = folder.with_name(folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if folder.exists():
            os.replace(folder, old)
        os.replace(tmp, folder)
        shutil.rmtree(old, ignore_errors=True)
        return cls(folder)

    def search(self, query: str, k: int, mask: np.ndarray | None = None) -> list[tuple[str, float]]:
        """Top-k (chunk id, BM25 score) among the chunks `mask` allows."""
        if self.retriever is None or not self.ids:
            return []
        tokens = bm25s.tokenize([query], stopwords="en", show_progress=False)
        if not tokens.vocab:
            return []
        k = min(k, len(self.ids))
        docs, scores = self.retriever.retrieve(tokens, k=k, weight_mask=mask, show_progress=False, n_threads=1)
        return [(self.ids[d], float(s)) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]
