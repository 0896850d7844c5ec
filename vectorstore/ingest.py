"""The ingest pipeline: files → articles → clean → dedupe → chunk → embed → Chroma (chunks, then the article
record as its commit) → BM25."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from tqdm import tqdm

from vectorstore.article import Article, Chunk, LoadError
from vectorstore.chroma import minhash_of
from vectorstore.chunk import Chunker
from vectorstore.clean import clean
from vectorstore.dedup import Deduplicator, signature
from vectorstore.embed_ahead import EmbedAhead
from vectorstore.errors import LOCKED, StorageError, StoreBusy, connection_lost, explain
from vectorstore.load import expected, iter_files, load
from vectorstore.store import Archive

_FLUSH_CHUNKS = 256
T = TypeVar("T")


@dataclass
class Summary:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: int = 0
    failed: int = 0
    pruned: int = 0
    errors: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (
            f"added {self.added}, updated {self.updated}, unchanged {self.unchanged}, "
            f"duplicates {self.duplicates}, failed {self.failed}" + (f", pruned {self.pruned}" if self.pruned else "")
        )


def make_chunker(archive: Archive) -> Chunker:
    """Chunks sized in the archive's own model tokens (what ingest and `doctor --fix` both cut with)."""
    embedder = archive.embedder
    max_tokens = min(archive.settings.chunk_tokens, embedder.max_tokens)
    return Chunker(embedder.count_tokens, embedder.split_tokens, max_tokens)


class Ingestor:
    """Runs files into an Archive. Safe to re-run: unchanged articles are skipped, changed ones replaced."""

    def __init__(self, archive: Archive, report: Callable[[str], None] | None = None) -> None:
        self.archive = archive
        self.report = report or (lambda line: print(line, file=sys.stderr))
        self.chunker = make_chunker(archive)
        self.stored = dict(archive.records())  # what the store holds at the start: a dict look-up per article
        self.aliases = archive.aliases()
        self.dedup = Deduplicator(((i, minhash_of(m)) for i, m in self.stored.items()),
                                  archive.settings.near_duplicate)
        self.pending: list[tuple[Article, list[Chunk], bytes]] = []
        self.committed = 0  # articles stored (added or replaced) by this run so far
        self.ahead: EmbedAhead | None = None  # chunk vectors computed while the run goes on, during `run`

    def run(self, paths: Iterable[Path], prune: bool = False,
            progress: bool | Callable[[Summary], None] = True) -> Summary:
        """`progress`: a tqdm bar on stderr, or a function given the running Summary after each article (the app)."""
        summary = Summary()
        seen: dict[str, set[str]] = {}
        max_bytes = self.archive.settings.max_file_mb * 1024 * 1024
        files = list(iter_files(paths))  # listed and counted first: the bar has a total, and so a time left
        bar = tqdm(total=sum(expected(f) for f in files) if progress is True else 0, unit=" articles", desc="ingest",
                   disable=progress is not True, dynamic_ncols=True)
        self.ahead = EmbedAhead(self.archive.embedder, self.archive.settings.ingest_workers)
        try:
            self._run(files, summary, seen, bar, progress, max_bytes)
            bar.set_postfix_str(f"{self.committed} stored")
            bar.close()  # done reading: one finished bar, not a second one after the index is built
            if prune:
                summary.pruned = self._prune(seen)
            self._flush()
            if not self.archive.url:  # embedded: BM25 is current when ingest returns; replicas rebuild their own
                self._written(self.archive.refresh_bm25, False, True)
        except Exception as exc:
            if (reason := explain(exc)) is None:
                raise
            failure = StoreBusy if reason == LOCKED else StorageError
            raise failure(f"{self.archive.url or self.archive.folder}: {reason}; {self.committed} articles were"
                               " stored in this run before it. Fix that and run the same command again: what is"
                               " stored stays, the rest is added.") from exc
        finally:
            bar.close()
            self.ahead.close()
            self.ahead = None
        return summary

    def _run(self, files: list[Path], summary: Summary, seen: dict[str, set[str]], bar: tqdm,
             progress: bool | Callable[[Summary], None], max_bytes: int) -> None:
        try:
            for path in files:
                ids = seen.setdefault(str(path), set())
                left = expected(path) if bar.total else 0
                for item in load(path, max_bytes=max_bytes):
                    if isinstance(item, LoadError):
                        self._fail(summary, str(item))
                    else:
                        ids.add(self._ingest(item, summary))
                        if callable(progress):
                            progress(summary)
                    if left == 0 and bar.total:  # more than counted (a WARC, a JSON array): the total grows
                        bar.total += 1
                    left = max(0, left - 1)
                    bar.set_postfix_str(f"{self.committed} stored", refresh=False)  # embedded and written
                    bar.update()  # shown at most every tenth of a second
                bar.update(left)  # fewer than counted: the file is done
        finally:
            self._flush()  # what was read before an interruption is stored

    def _fail(self, summary: Summary, line: str) -> None:
        summary.failed += 1
        summary.errors.append(line)
        self.report(line)

    def _ingest(self, raw: Article, summary: Summary) -> str:
        """Store one article (or note it unchanged / a duplicate); returns its id."""
        try:
            article = clean(raw)
            if not article.text.strip():
                raise ValueError("no article text left after removing boilerplate")
        except ValueError as exc:
            self._fail(summary, f"{raw.origin}: {exc}")
            return ""
        old = self.stored.get(article.id)
        if article.id in self.aliases or (old and old["content_hash"] == article.content_hash):
            summary.unchanged += 1
            return article.id
        sig = signature(article.text)
        original = self.dedup.duplicate_of(article.id, sig)
        if original and old is None:
            self._flush()  # the original may still be pending: it must be stored before an alias points at it
            if self._written(self.archive.add_alias, original, article):
                self.aliases[article.id] = original
                summary.duplicates += 1
            else:
                summary.unchanged += 1
            return article.id
        self.dedup.remember(article.id, sig)
        chunks = self.chunker(article)
        if self.ahead:
            self.ahead.submit([c.text for c in chunks])
        self.pending.append((article, chunks, self.dedup.blob(sig)))
        if old:
            summary.updated += 1
        else:
            summary.added += 1
        if sum(len(chunks) for _, chunks, _ in self.pending) >= _FLUSH_CHUNKS:
            self._flush()
        return article.id

    def _flush(self) -> None:
        """Chunks, then the article records (their commit): a crash anywhere in here leaves at most chunks that
        no reader takes, which a re-run overwrites (same ids) and `doctor --fix` drops."""
        if not self.pending:
            return
        if self.ahead:
            self.ahead.settle()
        old = {a.id: self.stored[a.id] for a, _, _ in self.pending if a.id in self.stored}
        self.stored.update(self._written(self.archive.put, self.pending, old))  # later copies: seen as stored
        self.committed += len(self.pending)
        self.pending = []

    def _written(self, write: Callable[..., T], *args: Any) -> T:
        """A write (or the closing BM25 rebuild) that survives the death of the app serving the embedded store: the
        folder is then free, so this ingest takes it over and does it again (every write is an upsert: writing twice
        stores once)."""
        try:
            return write(*args)
        except Exception as exc:
            if not connection_lost(exc) or not self.archive.take_over():
                raise
        self.report(f"{self.archive.folder}: the app serving this store stopped; this ingest opened the store "
                    f"itself and goes on ({self.committed} articles stored so far)")
        return write(*args)

    def _prune(self, seen: dict[str, set[str]]) -> int:
        """Drop articles whose file is gone, or that a re-read file no longer holds."""
        gone = []
        by_path: dict[str, set[str]] = {}
        for article_id, meta in self.stored.items():
            by_path.setdefault(meta.get("path", ""), set()).add(article_id)
        for path, ids in by_path.items():
            gone += sorted(ids if not Path(path).exists() else ids - seen.get(path, ids))
        if gone:
            self.archive.delete_articles(gone)
            for article_id in gone:
                self.dedup.forget(article_id)
                self.stored.pop(article_id, None)
        return len(gone)

