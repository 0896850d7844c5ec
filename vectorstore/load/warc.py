"""Web archives (WARC, as crawlers and archive.org write them): every archived HTML page is an article."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from vectorstore.article import Article, LoadError
from vectorstore.load.html import from_html


def load(path: Path) -> Iterator[Article | LoadError]:
    """`line` is the record's ordinal in the file; a broken record ends the file, keeping what came before.

    warcio reads a truncated file (an interrupted crawl or download) without complaint, so the record
    lengths and the end offset are checked here.
    """
    number = 1  # the record being read
    with path.open("rb") as stream:
        records = ArchiveIterator(stream)
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
            yield LoadError(str(path), f"broken WARC record {number}: {exc or type(exc).__name__}", number)
            return
        if records.offset < os.fstat(stream.fileno()).st_size:  # a record began but never parsed
            yield _cut_short(path, number)


def _cut_short(path: Path, number: int) -> LoadError:
    return LoadError(str(path), f"WARC record {number} is cut short (truncated file?)", number)


def _page(record: ArcWarcRecord, path: str) -> Article | LoadError | None:
    """An article from a successful HTML response; other records (requests, images, 404s...) give None."""
    if record.rec_type != "response" or record.http_headers is None:
        return None
    status = record.http_headers.get_statuscode() or ""
    content_type = record.http_headers.get_header("Content-Type") or ""
    if not status.startswith("2") or "html" not in content_type.lower():
        return None
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    return from_html(record.content_stream().read(), path, url=url)
