"""The ingest pipeline: files → articles → clean → dedupe → chunk → embed → Chroma + docstore + BM25."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from vectorstore.article import Article, Chunk, LoadError
from vectorstore.chunk import Chunker
from vectorstore.clean import clean
from vectorstore.dedup import Deduplicator, signature
from vectorstore.load import iter_files, load
from vectorstore.store import Archive

_FLUSH_CHUNKS = 256


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


@dataclass
class _Pending:
    article: Article
    chunks: list[Chunk]
    minhash: bytes
    replaces: list[str]


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
        self.dedup = Deduplicator(archive.docstore, archive.settings.near_duplicate)
        self.pending: list[_Pending] = []

    def run(self, paths: Iterable[Path], prune: bool = False,
            progress: bool | Callable[[Summary], None] = True) -> Summary:
        """`progress`: a tqdm bar on stderr, or a function given the running Summary after each article (the app)."""
        summary = Summary()
        seen: dict[str, set[str]] = {}
        max_bytes = self.archive.settings.max_file_mb * 1024 * 1024
        self.archive.recover()  # vectors a killed run left out of step with the docstore
        files = list(iter_files(paths))  # listed first: the bar has a total, and so a time left
        bar = tqdm(total=len(files), unit=" files", desc="ingest", disable=progress is not True, dynamic_ncols=True)
        try:
            for path in files:
                ids = seen.setdefault(str(path), set())
                for item in load(path, max_bytes=max_bytes):
                    if isinstance(item, LoadError):
                        self._fail(summary, str(item))
                        continue
                    ids.add(self._ingest(item, summary))
                    bar.set_postfix_str(f"{summary.added + summary.updated} articles stored", refresh=False)
                    if callable(progress):
                        progress(summary)
                bar.update()
            self._flush()
            if prune:
                summary.pruned = self._prune(seen)
        finally:
            bar.close()
            self._flush()
            self.archive.refresh_lexical()
        return summary

    def _fail(self, summary: Summary, line: str) -> None:
        summary.failed += 1
        summary.errors.append(line)
        self.report(line)

    def _ingest(self, raw: Article, summary: Summary) -> str:
        """Store one article (or note it unchanged / a duplicate); returns its id."""
        docstore = self.archive.docstore
        try:
            article = clean(raw)
            if not article.text.strip():
                raise ValueError("no article text left after removing boilerplate")
        except ValueError as exc:
            self._fail(summary, f"{raw.origin}: {exc}")
            return ""
        if docstore.is_alias(article.id) or (old_hash := docstore.content_hash(article.id)) == article.content_hash:
            summary.unchanged += 1
            return article.id
        sig = signature(article.text)
        original = self.dedup.duplicate_of(article.id, sig)
        if original and old_hash is None:
            self._flush()  # the original may still be pending: it must be stored before an alias points at it
            if docstore.add_alias(original, article):
                summary.duplicates += 1
            else:
                summary.unchanged += 1
            return article.id
        self.dedup.remember(article.id, sig)
        replaces = docstore.chunk_ids(article.id) if old_hash else []
        self.pending.append(_Pending(article, self.chunker(article), self.dedup.blob(sig), replaces))
        if old_hash:
            summary.updated += 1
        else:
            summary.added += 1
        if sum(len(p.chunks) for p in self.pending) >= _FLUSH_CHUNKS:
            self._flush()
        return article.id

    def _flush(self) -> None:
        """Journal, vectors, then the docstore rows: after a crash anywhere in here, `Archive.recover` finds the
        journaled ids and makes Chroma match the docstore again."""
        if not self.pending:
            return
        archive = self.archive
        ids = sorted({c.id for p in self.pending for c in p.chunks} | {i for p in self.pending for i in p.replaces})
        with archive.write_lock:
            archive.mark_lexical_stale()
            archive.docstore.mark_inflight(ids)
            for p in self.pending:
                archive.vectors.delete(sorted(set(p.replaces) - {c.id for c in p.chunks}))
            archive.vectors.add((p.article, c) for p in self.pending for c in p.chunks)
            for p in self.pending:
                archive.docstore.put(p.article, p.chunks, p.minhash)
            archive.docstore.clear_inflight(ids)
        self.pending = []

    def _prune(self, seen: dict[str, set[str]]) -> int:
        """Drop articles whose file is gone, or that a re-read file no longer holds."""
        gone = []
        for path, ids in self.archive.docstore.ids_by_path().items():
            gone += sorted(set(ids) if not Path(path).exists() else set(ids) - seen.get(path, set(ids)))
        if gone:
            self.archive.delete_articles(gone)
            for article_id in gone:
                self.dedup.forget(article_id)
        return len(gone)

