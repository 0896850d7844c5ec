"""Reading the archive: what retrieval, the UI, the CLI, doctor and evaluation may ask of it.

Chroma is the record; while this machine's BM25 index is current with the store, it holds a copy of every
committed chunk's passage, each article section's text and the article catalogue, and those reads come from it
(at 200k chunks, a question's candidates and windows cost 19 and 6 ms from Chroma, bench/README.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence

from vectorstore.article import BODY, COMMENTS, StoredArticle
from vectorstore.bm25 import Bm25Index
from vectorstore.bm25_cache import Bm25Cache
from vectorstore.chroma import Collections, get, stored_article, walk
from vectorstore.connect import Connection
from vectorstore.dense import nearest_allowed
from vectorstore.filters import Filters
from vectorstore.passage import Passage

_CLOCK_SLACK = 300.0  # seconds by which replicas' clocks may disagree about when a chunk was written


class Reader:
    def __init__(self, connection: Connection, cache: Bm25Cache, version: Callable[[], str]) -> None:
        self.connection = connection
        self.cache = cache
        self.version = version  # the store's version token, read now

    @property
    def parts(self) -> Collections:
        return self.connection.parts

    def dense_search(self, vector: list[float], k: int, filters: Filters | None = None,
                     index: Bm25Index | None = None) -> list[tuple[str, float]]:
        """The k nearest chunks allowed by `filters`, as (chunk id, cosine similarity). `index`: the BM25 index
        this question already looked up (one version read a question)."""
        index = index or self.cache.current()
        behind = None if self.cache.fresh(index) else index.built_at - _CLOCK_SLACK
        return nearest_allowed(self.parts.chunks, index, vector, k, filters or Filters(), behind)

    def bm25_search(self, query: str, k: int, filters: Filters | None = None,
                    index: Bm25Index | None = None) -> list[tuple[str, float]]:
        """The top-k chunks for `query` by BM25 allowed by `filters`, as (chunk id, score)."""
        return (index or self.cache.current()).search(query, k, filters)

    def passages(self, ids: list[str]) -> dict[str, Passage]:
        """The passage of each chunk whose article version is committed (a chunk written by an ingest still in
        flight, or left by one that died, is not read): from BM25's copy while it is current, else from Chroma."""
        index = self.cache.held()
        if self.cache.fresh(index):
            found = {cid: p for cid in ids if (p := index.passage(cid)) is not None}
            if len(found) == len(set(ids)):
                return found
        # A chunk the index lacks was written since the version was read: all are read from Chroma then, so one
        # read sees one version of each article (mixing the index's passages with newer ones could show two).
        return self._chroma_passages(ids) if ids else {}

    def _chroma_passages(self, ids: list[str]) -> dict[str, Passage]:
        got = get(self.parts.chunks, ["documents", "metadatas"], ids)
        versions = self._versions({m["article_id"] for _, _, m in got})
        return {cid: Passage.of_chunk(cid, text, m) for cid, text, m in got
                if versions.get(m["article_id"]) == m.get("version")}

    def _versions(self, article_ids: Iterable[str]) -> dict[str, str]:
        """The committed version (content hash) of each of these articles that is stored."""
        if not (ids := sorted(article_ids)):
            return {}
        return {i: m["content_hash"] for i, m in get(self.parts.articles, ["metadatas"], ids)}

    def section_texts(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
        """The cleaned text of each (article id, section): what a chunk's char offsets point into."""
        keys = set(keys)
        index = self.cache.held()
        cached = {}
        if self.cache.fresh(index):
            cached = {key: text for key in keys if (text := index.section(*key)) is not None}
        out = dict.fromkeys(keys, "") | cached
        for section, part in ((BODY, self.parts.articles), (COMMENTS, self.parts.comments)):
            if ids := sorted({a for a, s in keys - cached.keys() if s == section}):
                out.update({(a, section): text for a, text in get(part, ["documents"], ids)})
        return out

    def article(self, article_id: str) -> StoredArticle | None:
        return next((article for article, _ in self.stored([article_id])), None)

    def stored(self, article_ids: list[str]) -> list[tuple[StoredArticle, dict]]:
        """These articles as stored, with their comments, beside their records (those not stored are left out)."""
        got = get(self.parts.articles, ["documents", "metadatas"], article_ids)
        comments = dict(get(self.parts.comments, ["documents"], [i for i, _, _ in got]))
        return [(stored_article(i, m, text, comments.get(i, "")), m) for i, text, m in got]

    def articles(self, query: str = "", sources: Sequence[str] = (), since: str | None = None,
                 until: str | None = None, limit: int = 200) -> list[dict]:
        """Articles for browsing (id, title, source, published, url), newest first: a substring of title, source
        or URL, any of `sources`, published within [since, until] (YYYY-MM-DD)."""
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
        index = self.cache.current()
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

    def comment_ids(self) -> list[str]:
        """The article id of every stored comments record."""
        return [i for i, in get(self.parts.comments, [])]

    def aliases(self) -> dict[str, str]:
        """Duplicate article id → the stored article it repeats."""
        return {i: m["article_id"] for page in walk(self.parts.aliases, ["metadatas"]) for i, m in page}
