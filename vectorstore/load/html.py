"""Saved web pages: trafilatura finds the article in the page, its metadata, and the reader comments apart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import trafilatura
from trafilatura.settings import set_date_params

from vectorstore.article import Article, LoadError
from vectorstore.dates import to_iso
from vectorstore.load.records import host, valid_url

NO_TEXT = "no article text found in HTML"
# Far above any article page (their median is ~30 KB), far below what trafilatura copes with: its time and memory
# grow with the page (measured: ~120 MB and several seconds per MB of paragraphs), so 200 MB would exhaust memory.
MAX_PAGE_BYTES = 8 * 1024 * 1024
TOO_BIG = f"HTML page over {MAX_PAGE_BYTES // (1024 * 1024)} MB, too big to be one article"
# Extensive search would take a footer's "Copyright 2015" for a publication date of 2015-01-01; meta tags,
# JSON-LD, <time> elements, bylines and dates in the URL are all still found without it.
_DATES = set_date_params(extensive=False)


def load(path: Path) -> Iterator[Article | LoadError]:
    if path.stat().st_size > MAX_PAGE_BYTES:
        yield LoadError(str(path), TOO_BIG)
        return
    # Bytes, not text: trafilatura reads the page's own charset declaration.
    yield from_html(path.read_bytes(), str(path))


def from_html(html: str | bytes, path: str, url: str = "") -> Article | LoadError:
    """One page → one Article; `url` (e.g. a WARC target) stands in when the page names no canonical URL."""
    try:
        doc = trafilatura.bare_extraction(
            html, url=url or None, include_comments=True, with_metadata=True, date_extraction_params=_DATES
        )
    except Exception as exc:  # odd markup trips trafilatura, htmldate or lxml in assorted ways (AssertionError...)
        return LoadError(path, f"unreadable HTML: {type(exc).__name__}: {exc}".rstrip(": "))
    text = (doc.text or "") if doc else ""
    if not text.strip():
        return LoadError(path, NO_TEXT)
    title = (doc.title or "").strip()
    page_url = valid_url(doc.url or "") or valid_url(url)
    return Article(
        text=_without_title(text, title),
        title=title,
        url=page_url,
        source=(doc.sitename or "").strip() or host(page_url),
        published=to_iso(doc.date),
        authors=[name.strip() for name in (doc.author or "").split(";") if name.strip()],
        comments=doc.comments or "",
        path=path,
    )


def _without_title(text: str, title: str) -> str:
    """trafilatura keeps the page's <h1> as the first line of the text; the title is kept apart already."""
    first, _, rest = text.partition("\n")
    return rest if title and first.strip() == title and rest.strip() else text
