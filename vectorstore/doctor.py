"""`archive-chat doctor`: does every committed article have its chunks, is every chunk of a committed article
version, and does BM25 index exactly those chunks? `--fix` puts them back in step, in either setup.

BM25 is this machine's cache: doctor first brings it up to date with the store, as any reader would, and then
compares it.

An article's record is the commit of its chunks: chunks are repaired to match the committed articles (re-cut from
their stored text and re-embedded), never the other way round, so a repair never loses an article.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

from vectorstore.bm25 import Bm25Index
from vectorstore.chroma import as_article, chunk_ids, minhash_of
from vectorstore.ingest import make_chunker
from vectorstore.store import Archive

GRACE_SECONDS = 600  # uncommitted chunks younger than this may belong to an ingest still at work: left alone

# Each discrepancy class, as the report names it.
PROBLEMS = {
    "uncommitted_chunks": "chunks of no committed article version (an ingest died, or one is at work)",
    "articles_missing_chunks": "articles missing some of their chunks",
    "dangling_aliases": "duplicate records pointing at a missing article",
    "orphan_comments": "reader comments of a missing article",
}


@dataclass
class Report:
    """What one check found: sizes of each part, then the ids of each discrepancy class."""

    store: str
    articles: int
    chunks: int
    bm25: str  # ok | missing | unreadable | out of date
    bm25_chunks: int
    uncommitted_chunks: list[str] = field(default_factory=list)
    articles_missing_chunks: list[str] = field(default_factory=list)
    dangling_aliases: list[str] = field(default_factory=list)
    orphan_comments: list[str] = field(default_factory=list)
    in_flight: list[str] = field(default_factory=list)  # uncommitted chunks within the grace period

    def problems(self) -> dict[str, int]:
        return {name: len(getattr(self, name)) for name in PROBLEMS}

    @property
    def healthy(self) -> bool:
        return self.bm25 == "ok" and not any(self.problems().values())

    def lines(self) -> list[str]:
        out = [f"{self.store}: {self.articles} articles, {self.chunks} chunks in Chroma; "
               f"BM25 {self.bm25_chunks} chunks ({self.bm25})"]
        for name, count in self.problems().items():
            if count:
                out.append(f"  {PROBLEMS[name]}: {count} (e.g. {', '.join(getattr(self, name)[:3])})")
        if self.in_flight:
            out.append(f"  of which {len(self.in_flight)} written in the last {GRACE_SECONDS // 60} minutes: left "
                       "for the ingest that may still be writing them")
        if self.bm25 != "ok":
            out.append(f"  BM25 index {self.bm25}")
        return out

    def to_json(self) -> dict:
        return {"store": self.store, "healthy": self.healthy, "articles": self.articles, "chunks": self.chunks,
                "bm25": self.bm25, "bm25_chunks": self.bm25_chunks, "problems": self.problems(),
                "in_flight": len(self.in_flight),
                "examples": {name: getattr(self, name)[:5] for name, n in self.problems().items() if n}}


@dataclass
class Repair:
    """What `fix` did."""

    dropped_chunks: int = 0
    rechunked_articles: int = 0
    dropped_aliases: int = 0
    dropped_comments: int = 0
    bm25_rebuilt: int | None = None  # chunks indexed, when BM25 was rebuilt

    def lines(self) -> list[str]:
        done = [
            (self.dropped_chunks, f"dropped {self.dropped_chunks} chunks of no committed article"),
            (self.rechunked_articles, f"re-cut and re-embedded {self.rechunked_articles} articles from their text"),
            (self.dropped_aliases, f"dropped {self.dropped_aliases} duplicate records of missing articles"),
            (self.dropped_comments, f"dropped {self.dropped_comments} comments of missing articles"),
            (self.bm25_rebuilt is not None, f"rebuilt BM25 over {self.bm25_rebuilt} chunks"),
        ]
        return [line for happened, line in done if happened] or ["nothing to repair"]

    def to_json(self) -> dict:
        return asdict(self)


def examine(archive: Archive, repair: bool, grace: float = GRACE_SECONDS) -> tuple[Report, Repair | None,
                                                                                 Report | None]:
    """Check; with `repair`, fix what was found and check again."""
    report = check(archive, grace)
    if not repair or report.healthy:
        return report, None, None
    done = fix(archive, report)
    return report, done, check(archive, grace)


def check(archive: Archive, grace: float = GRACE_SECONDS) -> Report:
    """Compare chunks with the committed articles, and BM25 with both; changes nothing but the local BM25 cache."""
    archive.refresh_bm25(wait=True)
    token = archive.version()
    articles = dict(archive.records())
    named = {cid for a, m in articles.items() for cid in chunk_ids(a, m)}  # what the committed records own
    stored = archive.read.all_chunk_ids()
    committed = named.intersection(stored)
    uncommitted, young = [], []
    for cid, meta in archive.read.chunk_metadata([cid for cid in stored if cid not in named]):
        uncommitted.append(cid)
        if meta.get("written", 0) > time.time() - grace:
            young.append(cid)
    missing = sorted(a for a, m in articles.items() if not set(chunk_ids(a, m)) <= committed)
    comments = archive.read.comment_ids()
    bm25, bm25_chunks = _bm25_state(archive, committed, token)
    return Report(
        store=archive.name, articles=len(articles), chunks=len(committed) + len(uncommitted),
        bm25=bm25, bm25_chunks=bm25_chunks, uncommitted_chunks=sorted(set(uncommitted) - set(young)),
        articles_missing_chunks=missing,
        dangling_aliases=sorted(i for i, a in archive.aliases().items() if a not in articles),
        orphan_comments=sorted(set(comments) - set(articles)), in_flight=sorted(young),
    )


def fix(archive: Archive, report: Report) -> Repair:
    """Repair what `report` found: drop what no committed article owns, re-cut what committed articles lack."""
    done = Repair(dropped_chunks=len(report.uncommitted_chunks), dropped_aliases=len(report.dangling_aliases),
                  dropped_comments=len(report.orphan_comments))
    archive.write.delete_chunks(report.uncommitted_chunks)
    archive.write.delete_aliases(report.dangling_aliases)
    archive.write.delete_comments(report.orphan_comments)
    done.rechunked_articles = _rechunk(archive, report.articles_missing_chunks)
    if any(report.problems().values()):
        archive.bump()
    if any(report.problems().values()) or report.bm25 != "ok":
        archive.refresh_bm25(force=True, wait=True)
        done.bm25_rebuilt = len(archive.bm25_index().ids)
    return done


def _rechunk(archive: Archive, article_ids: list[str]) -> int:
    """Cut committed articles that lack chunks again, from their stored text, and store them as ingest would."""
    if not article_ids:
        return 0
    chunker = make_chunker(archive)
    batch, old = [], {}
    for stored, meta in archive.read.stored(article_ids):
        article = as_article(stored, meta.get("line"))
        if article.id != stored.id:  # left for the re-check to report
            continue
        batch.append((article, chunker(article), minhash_of(meta)))
        old[stored.id] = meta
    archive.put(batch, old)
    return len(batch)


def _bm25_state(archive: Archive, committed: set[str], token: str) -> tuple[str, int]:
    folder = archive.folder / "bm25"
    if not folder.exists():
        return "missing", 0
    try:
        index = Bm25Index(folder)
        ids = index.ids
    except Exception:  # whatever stops it loading, the finding is the same: rebuild it
        return "unreadable", 0
    if index.token != token or len(ids) != len(set(ids)) or set(ids) != committed:
        return "out of date", len(ids)
    return "ok", len(ids)
