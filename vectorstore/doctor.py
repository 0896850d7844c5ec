"""`archive-chat doctor`: do the docstore, Chroma and BM25 agree on every chunk? `--fix` puts them back in step.

The docstore is the ledger (it holds every chunk's text): Chroma and BM25 are repaired to match it, never the
other way round, so a repair never loses an article.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from vectorstore.article import Chunk
from vectorstore.ingest import make_chunker
from vectorstore.lexical import LexicalIndex
from vectorstore.store import Archive

_PAGE = 500  # chunks compared per Chroma read

# Each discrepancy class, as the report names it.
PROBLEMS = {
    "orphan_vectors": "orphan vectors (in Chroma, not in the docstore)",
    "missing_vectors": "docstore chunks missing their vector",
    "stale_vectors": "vectors made from other text or metadata than the docstore holds",
    "chunks_without_article": "docstore chunks whose article row is gone",
    "articles_without_chunks": "articles with no chunks",
    "dangling_aliases": "duplicate records pointing at a missing article",
    "interrupted_writes": "chunk ids an interrupted writer left journaled",
}


@dataclass
class Report:
    """What one check found: sizes of each part, then the chunk (or article) ids of each discrepancy class."""

    store: str
    articles: int
    chunks: int
    vectors: int
    bm25: str  # ok | missing | unreadable | stale | out of date
    bm25_chunks: int
    orphan_vectors: list[str] = field(default_factory=list)
    missing_vectors: list[str] = field(default_factory=list)
    stale_vectors: list[str] = field(default_factory=list)
    chunks_without_article: list[str] = field(default_factory=list)
    articles_without_chunks: list[str] = field(default_factory=list)
    dangling_aliases: list[str] = field(default_factory=list)
    interrupted_writes: list[str] = field(default_factory=list)

    def problems(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in PROBLEMS}

    @property
    def healthy(self) -> bool:
        return self.bm25 == "ok" and not any(self.problems().values())

    def lines(self) -> list[str]:
        out = [f"{self.store}: {self.articles} articles, {self.chunks} chunks; Chroma {self.vectors} vectors; "
               f"BM25 {self.bm25_chunks} chunks ({self.bm25})"]
        for name, count in self.problems().items():
            if count:
                examples = ", ".join(getattr(self, name)[:3])
                out.append(f"  {PROBLEMS[name]}: {count} (e.g. {examples})")
        if self.bm25 != "ok":
            out.append(f"  BM25 index {self.bm25}")
        return out

    def to_json(self) -> dict:
        return {"store": self.store, "healthy": self.healthy, "articles": self.articles, "chunks": self.chunks,
                "vectors": self.vectors, "bm25": self.bm25, "bm25_chunks": self.bm25_chunks,
                "problems": self.problems(),
                "examples": {name: getattr(self, name)[:5] for name, n in self.problems().items() if n}}


@dataclass
class Repair:
    """What `fix` did."""

    dropped_chunks: int = 0
    dropped_aliases: int = 0
    rechunked_articles: int = 0
    reembedded: int = 0
    dropped_vectors: int = 0
    bm25_rebuilt: int | None = None  # chunks indexed, when BM25 was rebuilt

    def lines(self) -> list[str]:
        done = [
            (self.dropped_vectors, f"dropped {self.dropped_vectors} vectors of chunks not in the docstore"),
            (self.reembedded, f"re-embedded {self.reembedded} docstore chunks"),
            (self.dropped_chunks, f"dropped {self.dropped_chunks} docstore chunks without an article"),
            (self.rechunked_articles, f"re-chunked {self.rechunked_articles} articles that had no chunks"),
            (self.dropped_aliases, f"dropped {self.dropped_aliases} duplicate records of missing articles"),
            (self.bm25_rebuilt is not None, f"rebuilt BM25 over {self.bm25_rebuilt} chunks"),
        ]
        return [line for happened, line in done if happened] or ["nothing to repair"]

    def to_json(self) -> dict:
        return asdict(self)


def examine(archive: Archive, repair: bool) -> tuple[Report, Repair | None, Report | None]:
    """Check; with `repair`, fix what was found and check again, with no writer in between."""
    with archive.write_lock:
        report = check(archive)
        if not repair or report.healthy:
            return report, None, None
        done = fix(archive, report)
        return report, done, check(archive)


def check(archive: Archive) -> Report:
    """Compare the docstore, Chroma and BM25 chunk by chunk; changes nothing."""
    with archive.write_lock:  # no writer is halfway through while we look
        docstore = archive.docstore
        without_article = docstore.chunks_without_article()
        chunk_ids = docstore.all_chunk_ids() - set(without_article)
        vector_ids = archive.vectors.ids()
        bm25, bm25_chunks = _bm25_state(archive, chunk_ids)
        return Report(
            store=str(archive.folder), articles=docstore.stats()["articles"], chunks=len(chunk_ids),
            vectors=len(vector_ids), bm25=bm25, bm25_chunks=bm25_chunks,
            orphan_vectors=sorted(vector_ids - chunk_ids), missing_vectors=sorted(chunk_ids - vector_ids),
            stale_vectors=_stale(archive, chunk_ids & vector_ids), chunks_without_article=without_article,
            articles_without_chunks=docstore.articles_without_chunks(), dangling_aliases=docstore.dangling_aliases(),
            interrupted_writes=docstore.inflight(),
        )


def fix(archive: Archive, report: Report) -> Repair:
    """Repair what `report` found: the docstore's own loose ends first, then Chroma and BM25 to match it."""
    done = Repair()
    with archive.write_lock:
        docstore = archive.docstore
        changes_chunks = bool(report.chunks_without_article or report.articles_without_chunks)
        if changes_chunks or report.bm25 != "ok":
            archive.mark_lexical_stale()
        docstore.delete_chunks(report.chunks_without_article)
        docstore.delete_aliases(report.dangling_aliases)
        new_chunks = _rechunk(archive, report.articles_without_chunks)
        done.dropped_chunks, done.dropped_aliases = len(report.chunks_without_article), len(report.dangling_aliases)
        done.rechunked_articles = len({c.article_id for c in new_chunks})
        done.reembedded, done.dropped_vectors = archive.sync_vectors({
            *report.orphan_vectors, *report.missing_vectors, *report.stale_vectors, *report.interrupted_writes,
            *report.chunks_without_article, *(c.id for c in new_chunks),
        })
        if changes_chunks or report.bm25 != "ok":
            archive.refresh_lexical(force=True)
            done.bm25_rebuilt = len(archive.lexical.ids)
    return done


def _rechunk(archive: Archive, article_ids: list[str]) -> list[Chunk]:
    """Cut stored articles that lost their chunks again, from their stored text, as ingest would."""
    if not article_ids:
        return []
    chunker = make_chunker(archive)
    chunks: list[Chunk] = []
    for article_id in article_ids:
        article = archive.docstore.article(article_id)
        if article is None or article.id != article_id:  # left for the re-check to report
            continue
        pieces = chunker(article)
        archive.docstore.add_chunks(pieces)
        chunks += pieces
    return chunks


def _bm25_state(archive: Archive, chunk_ids: set[str]) -> tuple[str, int]:
    folder = archive.folder / "bm25"
    if not folder.exists():
        return "missing", 0
    try:
        index = LexicalIndex(folder)
        ids = index.ids
    except Exception:  # whatever stops it loading, the finding is the same: rebuild it
        return "unreadable", 0
    if archive.lexical_stale_marker.exists():
        return "stale", len(ids)
    if len(ids) != len(set(ids)) or set(ids) != chunk_ids or index.unstemmed:
        return "out of date", len(ids)
    return "ok", len(ids)


def _stale(archive: Archive, chunk_ids: set[str]) -> list[str]:
    """Chunks whose vector was made from other text, or filed under other metadata, than the docstore's."""
    stale = []
    ordered = sorted(chunk_ids)
    for i in range(0, len(ordered), _PAGE):
        batch = ordered[i : i + _PAGE]
        stored = archive.docstore.passages(batch)
        got = archive.vectors.vectors.get(ids=batch, include=["documents", "metadatas"])
        for cid, text, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
            row, meta = stored[cid], meta or {}
            expected = (row["text"], row["article_id"], row["section"], row["source"], row["published"] or "")
            if (text, *(meta.get(k) for k in ("article_id", "section", "source", "published"))) != expected:
                stale.append(cid)
    return sorted(stale)
