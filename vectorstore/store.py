"""The archive: Chroma as the system of record (articles, chunks, vectors), and a BM25 cache derived from it.

One implementation serves both setups: an embedded store (`STORE/chroma`, opened by one process at a time and
served to the others by it, see `connect`) and a Chroma server (`--chroma-url`), since they are the same
engine. The local folder holds only what can be rebuilt from Chroma: the BM25 index and its article catalogue.

Every write ends by changing the store's version token; each reader compares it with the token its BM25 index
was built from (one small read per question) and rebuilds in the background when they differ, answering from
the index it has meanwhile (dense search already sees the new chunks).
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from functools import cached_property
from pathlib import Path

from filelock import FileLock, Timeout

from vectorstore import connect
from vectorstore.article import BODY, COMMENTS, Article, Chunk, StoredArticle
from vectorstore.chroma import (
    NO_VECTOR,
    PAGE,
    Collections,
    article_record,
    chunk_ids,
    chunk_record,
    get,
    stored_article,
    walk,
)
from vectorstore.dense import nearest_allowed
from vectorstore.embed import Embedder
from vectorstore.errors import RebuildFailed
from vectorstore.filters import Filters
from vectorstore.lexical import LexicalIndex
from vectorstore.migrate import copy_store, upgrade_legacy
from vectorstore.settings import Settings

_VERSION, _EMBEDDING = "version", "embedding"  # the state collection's records
_CLOCK_SLACK = 300.0  # seconds by which replicas' clocks may disagree about when a chunk was written


class Archive:
    """One archive. Heavy parts (the model, Chroma, BM25) open on first use."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self.folder = Path(settings.store).expanduser()
        self.url = settings.chroma_url
        self._embedder = embedder
        self._lexical: tuple[tuple[int, int] | None, LexicalIndex] | None = None
        self._building = threading.Lock()
        self._loading = threading.Lock()
        self._seen_version = ""
        self._rebuilder: threading.Thread | None = None  # the last background BM25 rebuild started

    # ---- connection -------------------------------------------------------------------------------------------

    @cached_property
    def parts(self) -> Collections:
        parts = Collections.open(connect.connect(self.folder, self.url), self.settings.collection)
        if not self.url and upgrade_legacy(self.folder, parts):
            self.__dict__["parts"] = parts
            self.bump()
        return parts

    def close(self) -> None:
        """Let go of an embedded folder this process opened itself, so another process may open it (the next use
        opens it again)."""
        self.__dict__.pop("parts", None)
        if not self.url:
            connect.release(self.folder)

    def exists(self) -> bool:
        """Has anything been stored here (without creating the store by looking)?"""
        if self.url:
            names = {getattr(c, "name", c) for c in connect.connect(self.folder, self.url).list_collections()}
            return self.settings.collection in names
        return (self.folder / "chroma").is_dir()

    def version(self) -> str:
        """The store's version token: it changes with every write, from any process or machine."""
        try:
            got = get(self.parts.state, ["metadatas"], [_VERSION])
        except Exception:  # the embedded store's serving process went away: find or become its owner again
            if not self.take_over():
                raise
            got = get(self.parts.state, ["metadatas"], [_VERSION])
        return got[0][1]["token"] if got else ""

    def take_over(self) -> bool:
        """After the process serving this embedded store died: let go of its server, so that the next use finds
        the new owner or becomes it (nothing stored is lost: Chroma's folder is the record). False for a Chroma
        server, or an owner that still answers: nothing to take over."""
        if self.url or not connect.owner_gone(self.folder):
            return False
        self.__dict__.pop("parts", None)
        return True

    def bump(self) -> str:
        """Give the store a new version token (the last step of every write); returns it."""
        token = uuid.uuid4().hex
        self.parts.state.upsert(ids=[_VERSION], embeddings=[NO_VECTOR], metadatas=[{"token": token, "at": time.time()}])
        return token

    @cached_property
    def embedder(self) -> Embedder:
        """The model of the store's vectors: the backend it was built with, recorded in Chroma, so a replica on
        another machine embeds questions as the stored chunks were."""
        wanted = self._embedder.backend if self._embedder else self.settings.embed_backend
        got = get(self.parts.state, ["metadatas"], [_EMBEDDING])
        legacy = self.folder / "embedding.json"  # where stores from before Chroma held everything recorded it
        if got:
            backend = got[0][1]["backend"]
        elif not self.url and legacy.exists():
            backend = json.loads(legacy.read_text())["backend"]
        else:
            backend = "torch" if self.parts.chunks.count() else wanted  # vectors from before backends existed
            self.parts.state.upsert(ids=[_EMBEDDING], embeddings=[NO_VECTOR], metadatas=[{"backend": backend}])
        if self._embedder and self._embedder.backend == backend:
            return self._embedder
        return Embedder(self.settings.model, self.settings.embed_batch, backend, device=self.settings.device)

    # ---- reading: what retrieval, the UI, the CLI and evaluation may ask --------------------------------------

    def dense(self, vector: list[float], k: int, filters: Filters | None = None,
              index: LexicalIndex | None = None) -> list[tuple[str, float]]:
        """The k nearest chunks allowed by `filters`, as (chunk id, cosine similarity). `index`: the BM25 index
        this question already looked up (one version read a question)."""
        filters = filters or Filters()
        index = index or self.bm25
        behind = None if index.token == self._seen_version else index.built_at - _CLOCK_SLACK
        return nearest_allowed(self.parts.chunks, index, vector, k, filters, behind)

    def lexical(self, query: str, k: int, filters: Filters | None = None,
                index: LexicalIndex | None = None) -> list[tuple[str, float]]:
        """The top-k chunks for `query` by BM25 allowed by `filters`, as (chunk id, score)."""
        index = index or self.bm25
        return index.search(query, k, (filters or Filters()).mask(index))

    def passages(self, ids: list[str]) -> dict[str, dict]:
        """Text, span and article metadata of each chunk whose article version is committed (a chunk written by
        an ingest still in flight, or left by one that died, is not read). While BM25 is current with the store
        it holds these fields for every committed chunk, and Chroma is read only when a chunk was written since."""
        index = self._local_bm25()
        if index.token and index.token == self._seen_version:
            rows = {cid: row for cid in ids if (row := index.row(cid)) is not None}
            if len(rows) == len(set(ids)):
                return rows
        # A chunk the index lacks was written since the version was read: all are read from Chroma then, so one
        # read sees one version of each article (mixing the index's rows with newer ones could show two).
        return self._chroma_passages(ids) if ids else {}

    def _chroma_passages(self, ids: list[str]) -> dict[str, dict]:
        got = get(self.parts.chunks, ["documents", "metadatas"], ids)
        versions = self._versions({m["article_id"] for _, _, m in got})
        rows = {}
        for cid, text, m in got:
            if versions.get(m["article_id"]) == m.get("version"):
                rows[cid] = {"chunk_id": cid, "article_id": m["article_id"], "section": m["section"],
                             "index": m["index"], "char_start": m["char_start"], "char_end": m["char_end"],
                             "text": text, "title": m["title"], "url": m["url"], "source": m["source"],
                             "published": m["published"] or None}
        return rows

    def _versions(self, article_ids: Iterable[str]) -> dict[str, str]:
        """The committed version (content hash) of each of these articles that is stored."""
        if not (ids := sorted(article_ids)):
            return {}
        return {i: m["content_hash"] for i, m in get(self.parts.articles, ["metadatas"], ids)}

    def section_texts(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The cleaned text of each (article id, section): what a chunk's char offsets point into. From BM25's
        copy while it is current with the store, else from Chroma."""
        keys = set(keys)
        index = self._local_bm25()
        cached = {}
        if index.token and index.token == self._seen_version:
            cached = {key: text for key in keys if (text := index.section(*key)) is not None}
        out = dict.fromkeys(keys, "") | cached
        for section, part in ((BODY, self.parts.articles), (COMMENTS, self.parts.comments)):
            if ids := sorted({a for a, s in keys - cached.keys() if s == section}):
                out.update({(a, section): text for a, text in get(part, ["documents"], ids)})
        return out

    def article(self, article_id: str) -> StoredArticle | None:
        got = get(self.parts.articles, ["documents", "metadatas"], [article_id])
        if not got:
            return None
        [(_, text, meta)] = got
        comments = get(self.parts.comments, ["documents"], [article_id])
        return stored_article(article_id, meta, text, comments[0][1] if comments else "")

    def articles(self, query: str = "", sources: Sequence[str] = (), since: str | None = None,
                 until: str | None = None, limit: int = 200) -> list[dict]:
        """Articles for browsing (id, title, source, published, url), newest first: a substring of title, source
        or URL, any of `sources`, published within [since, until] (YYYY-MM-DD). From the BM25 catalogue."""
        needle = query.lower()
        rows = [
            {"id": i, **a} for i, a in self._catalogue().items()
            if (not needle or any(needle in (a[f] or "").lower() for f in ("title", "source", "url")))
            and (not sources or a["source"] in sources) and (not since or (a["published"] or "") >= since)
            and (not until or (a["published"] or "9")[:10] <= until)
        ]
        rows.sort(key=lambda r: (r["published"] or "", r["title"]), reverse=True)
        return rows[:limit]

    def stats(self) -> dict:
        """Counts, sources, date range, and articles per month (YYYY-MM) and per source."""
        catalogue = self._catalogue().values()
        dates = sorted(a["published"] for a in catalogue if a["published"])
        by_source: dict[str, int] = {}
        by_month: dict[str, int] = {}
        for a in catalogue:
            if a["source"]:
                by_source[a["source"]] = by_source.get(a["source"], 0) + 1
            if a["published"]:
                by_month[a["published"][:7]] = by_month.get(a["published"][:7], 0) + 1
        return {"articles": self.parts.articles.count(), "chunks": self.parts.chunks.count(),
                "sources": sorted(by_source), "first_published": dates[0] if dates else None,
                "last_published": dates[-1] if dates else None, "by_month": dict(sorted(by_month.items())),
                "by_source": dict(sorted(by_source.items()))}

    def _catalogue(self) -> dict[str, dict]:
        """Article id → title, source, published, url: BM25's catalogue while it is current, else read from the
        article records (what a replica that has not built its index yet, or is rebuilding it, answers with)."""
        index = self.bm25
        if index.token == self.version():
            return index.catalogue
        return {i: {"title": m["title"], "source": m["source"], "url": m["url"], "published": m["published"] or None}
                for i, m in self.records()}

    def records(self) -> Iterator[tuple[str, dict]]:
        """(article id, record metadata) of every stored article: what ingest, prune and doctor walk."""
        for page in walk(self.parts.articles, ["metadatas"]):
            yield from page

    def chunk_rows(self) -> Iterator[tuple[str, str, dict]]:
        """(chunk id, text, metadata) of every chunk in Chroma, committed or not."""
        for page in walk(self.parts.chunks, ["documents", "metadatas"]):
            yield from page

    def all_chunk_ids(self) -> list[str]:
        """Every chunk id in Chroma, in one read of ids alone: a whole-store check needs the metadata only of the
        chunks no committed article names (paging records by offset costs Chroma a scan to each offset)."""
        return [cid for cid, in get(self.parts.chunks, [])]

    def chunk_metadata(self, ids: list[str]) -> Iterator[tuple[str, dict]]:
        """(chunk id, metadata) of these chunks, a page of ids at a time."""
        yield from get(self.parts.chunks, ["metadatas"], ids)

    def aliases(self) -> dict[str, str]:
        """Duplicate article id → the stored article it repeats."""
        return {i: m["article_id"] for page in walk(self.parts.aliases, ["metadatas"]) for i, m in page}

    # ---- BM25, derived from Chroma and following it -----------------------------------------------------------

    @property
    def bm25(self) -> LexicalIndex:
        """BM25 as on disk now, rebuilt when the store's version moved past the one it was built from (a small
        Chroma read per question): in the background in the app, which answers from the index it has meanwhile;
        before answering in a one-shot command."""
        index = self._local_bm25()
        self._seen_version = self.version()
        if index.token == self._seen_version:
            return index
        if not connect.serving():
            self.refresh_lexical(wait=True)
            return self._local_bm25()
        if not self._building.locked():
            self._rebuilder = threading.Thread(target=self.refresh_lexical, daemon=True, name="bm25-rebuild")
            self._rebuilder.start()
        return index

    def _local_bm25(self) -> LexicalIndex:
        """BM25 as on disk now: another process may have rebuilt or tombstoned it (a stat per question). One
        thread loads a changed index (seconds at 200k chunks); the others answer from the one held meanwhile."""
        key = self._bm25_key()
        held = self._lexical
        if held is not None and held[0] == key:
            return held[1]
        if not self._loading.acquire(blocking=held is None):
            return held[1]
        try:
            if self._lexical is None or self._lexical[0] != key:
                self._hold(LexicalIndex(self.folder / "bm25"), key)
            return self._lexical[1]
        finally:
            self._loading.release()

    def _bm25_key(self) -> tuple[int, int] | None:
        try:
            stat = (self.folder / "bm25").stat()
        except FileNotFoundError:
            return None
        return stat.st_ino, stat.st_mtime_ns

    def _hold(self, index: LexicalIndex, key: tuple[int, int] | None) -> None:
        index.position  # noqa: B018 - built here, once, not by the first questions at the same time
        self._lexical = (key, index)

    def settle(self) -> None:
        """Wait for a BM25 rebuild this process runs in the background to end (before closing, or in a test)."""
        if self._rebuilder is not None:
            self._rebuilder.join()
        with self._building:
            pass

    def refresh_lexical(self, force: bool = False, wait: bool = False) -> bool:
        """Rebuild BM25 from Chroma's chunks if the store changed since it was built; True if rebuilt. One builder
        per local folder at a time: without `wait`, a build already running elsewhere is left to finish."""
        self.folder.mkdir(parents=True, exist_ok=True)
        lock = FileLock(self.folder / "bm25.lock")
        with self._building:
            try:
                lock.acquire(timeout=-1 if wait else 0)
            except Timeout:
                return False
            try:
                token = self.version()  # read before the chunks: a write during the walk moves it on again
                if not force and LexicalIndex.token_at(self.folder / "bm25") == token:
                    return False
                if connect.serving():  # a serving process: apart from its heap and its GIL (bm25_child.py)
                    _rebuild_apart(self.settings, token)
                    index = LexicalIndex(self.folder / "bm25")
                else:
                    index = self.build_lexical(token)
                self._hold(index, self._bm25_key())  # the new index, loaded once, not again by the next question
                return True
            finally:
                lock.release()

    def build_lexical(self, token: str) -> LexicalIndex:
        """Rebuild BM25 from Chroma's committed chunks, as of the store version `token` (read before the walk)."""
        return LexicalIndex.rebuild(self._indexed(), self.folder / "bm25", token)

    def _indexed(self) -> Iterator[tuple[StoredArticle, dict[str, str], list[tuple[str, str, dict]]]]:
        """Every stored article with its section texts and its committed chunks, in order: a page of article
        records, then their comments and chunks by id (the ids follow from each record). Paging chunks by offset
        instead costs Chroma a scan to the offset: 2 s a page at 1M chunks against 0.2 s by id."""
        seen: set[str] = set()  # a write during the walk can shift a page: an article is indexed once
        for page in walk(self.parts.articles, ["documents", "metadatas"]):
            records = [(i, text, m) for i, text, m in page if i not in seen]
            seen.update(i for i, _, _ in records)
            wanted = [i for i, _, m in records if m.get("n_comments")]
            comments = dict(get(self.parts.comments, ["documents"], wanted))
            ids = [cid for i, _, m in records for cid in chunk_ids(i, m)]
            chunks: dict[str, list[tuple[str, str, dict]]] = {}
            for cid, text, m in get(self.parts.chunks, ["documents", "metadatas"], ids):
                chunks.setdefault(m["article_id"], []).append((cid, text, m))
            for i, text, m in records:
                sections = {BODY: text} | ({COMMENTS: comments[i]} if i in comments else {})
                rows = sorted(chunks.get(i, ()), key=lambda row: (row[2]["section"] != BODY, row[2]["index"]))
                yield stored_article(i, m, text, comments.get(i, "")), sections, rows

    # ---- writing ----------------------------------------------------------------------------------------------

    def put(self, batch: list[tuple[Article, list[Chunk], bytes]], old: dict[str, dict]) -> dict[str, dict]:
        """Store articles with their chunks: the chunks (keyed by content: new ids for a new version), then each
        article's record as their commit, then the version token moves, then the old version's chunks go.
        A reader sees the old version or the new one, whole; a batch written twice (a re-run after a crash) is
        stored once. `old`: the records these articles replace, if any. Returns the records written."""
        if not batch:
            return {}
        embedder = self.embedder
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
            if dropped:
                self.parts.comments.delete(ids=dropped)
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
        self.parts.comments.delete(ids=found)
        self.parts.aliases.delete(where={"article_id": {"$in": found}})
        token = self.bump()
        index = self._local_bm25()  # tombstones: they stop matching at once, where re-indexing costs seconds
        index.delete(removed, found, token if index.token == before else None)
        return removed

    def delete_article(self, article_id: str) -> bool:
        return bool(self.delete_articles([article_id]))

    def delete_chunks(self, ids: list[str]) -> None:
        for i in range(0, len(ids), PAGE):
            self.parts.chunks.delete(ids=ids[i : i + PAGE])

    def copy_into(self, target: Archive, progress: bool = True) -> dict[str, int]:
        """Copy this archive, vectors and all, into another (`archive-chat migrate`); records per collection."""
        copied = copy_store(self.parts, target.parts, progress)
        target.bump()
        return copied

    def delete_aliases(self, ids: list[str]) -> None:
        if ids:
            self.parts.aliases.delete(ids=ids)


def _rebuild_apart(settings: Settings, token: str) -> None:
    """`build_lexical` in a process of its own, the settings on its stdin (they may hold a password)."""
    child = subprocess.run([sys.executable, "-m", "vectorstore.bm25_child", token], input=settings.model_dump_json(),
                           text=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           preexec_fn=connect.die_with_parent)  # a stopped app leaves no writer in its folder
    if child.returncode:
        raise RebuildFailed(f"BM25 rebuild of {settings.store} failed: {child.stderr.strip().splitlines()[-1:]}")


def _also(meta: dict | None) -> list[dict]:
    return json.loads((meta or {}).get("also") or "[]")
