"""Web archives (WARC, as crawlers and archive.org write them): every archived HTML page is an article."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import DecompressingBufferedReader
from warcio.recordloader import ArcWarcRecord

from vectorstore.article import Article, LoadError
from vectorstore.load.html import MAX_PAGE_BYTES, TOO_BIG, from_html

MAX_HEADER_LINE = 64 * 1024


class _Reader(DecompressingBufferedReader):
    """warcio's reader, with header lines cut at MAX_HEADER_LINE: its readline grows a line by concatenating
    16 KB blocks, so a 200 MB run of garbage without a newline would take hours (and all its bytes in memory)."""

    def readline(self, length: int | None = None) -> bytes:
        return super().readline(MAX_HEADER_LINE if length is None else min(length, MAX_HEADER_LINE))


class _Records(ArchiveIterator):
    INC_RECORD = ""  # warcio's multi-line stderr warning on a wrong Content-Length; the next record's error is ours

    def __init__(self, stream) -> None:
        super().__init__(stream)
        self.reader = _Reader(self.fh, block_size=self.reader.block_size)


def load(path: Path) -> Iterator[Article | LoadError]:
    """`line` is the record's ordinal in the file; a broken record ends the file, keeping what came before.

    warcio reads a truncated file (an interrupted crawl or download) without complaint, so the record
    lengths and the end offset are checked here.
    """
    number = 1  # the record being read
    with path.open("rb") as stream:
        records = _Records(stream)
        try:
            for record in records:
                result = _page(record, str(path))
                records.read_to_end()
                if record.raw_stream.limit:  # bytes the record header promised but the file lacks
                    yield _cut_short(path, number)
                    return
                if result is not None:
                    yield dataclasses.replace(result, line=number)
                number += 1
        except Exception as exc:  # warcio fails on damaged input in assorted ways, AttributeError included
            yield LoadError(str(path), f"broken WARC record {number}: {str(exc) or type(exc).__name__}", number)
            return
        if records.offset < os.fstat(stream.fileno()).st_size:  # a record began but never parsed
            yield _cut_short(path, number)


def _cut_short(path: Path, number: int) -> LoadError:
    return LoadError(str(path), f"WARC record {number} is cut short (truncated file?)", number)


def count(path: Path) -> int:
    """The records `load` would make articles of (at least 1), from their headers alone, so an ingest's progress
    has a total: payloads are left unread (warcio skips them) and no HTML is parsed. Never raises: a damaged or
    truncated file gives what was counted before the damage, and `load` reports the rest."""
    found = 0
    try:
        with path.open("rb") as stream:
            for record in _Records(stream):
                found += 1 if _is_page(record) else 0
    except Exception:  # the assorted warcio failures `load` reports as errors; a count is only a guess
        pass
    return max(1, found)


def _is_page(record: ArcWarcRecord) -> bool:
    """A successful HTML response, the only kind of record that becomes an article (requests, images, 404s don't)."""
    if record.rec_type != "response" or record.http_headers is None:
        return False
    status = record.http_headers.get_statuscode() or ""
    content_type = record.http_headers.get_header("Content-Type") or ""
    return status.startswith("2") and "html" in content_type.lower()


def _page(record: ArcWarcRecord, path: str) -> Article | LoadError | None:
    """An article from a successful HTML response; other records (requests, images, 404s...) give None."""
    if not _is_page(record):
        return None
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    page = record.content_stream().read(MAX_PAGE_BYTES + 1)
    return LoadError(path, TOO_BIG) if len(page) > MAX_PAGE_BYTES else from_html(page, path, url=url)
