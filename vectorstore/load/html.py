"""Saved web pages: trafilatura finds the article in the page, its metadata, and the reader comments apart."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import trafilatura
from trafilatura.settings import set_date_params

from vectorstore.article import Article, LoadError
from vectorstore.dates import to_iso
from vectorstore.load.records import host

NO_TEXT = "no article text found in HTML"
# Extensive search would take a footer's "Copyright 2015" for a publication date of 2015-01-01; meta tags,
# JSON-LD, <time> elements, bylines and dates in the URL are all still found without it.
_DATES = set_date_params(extensive=False)


def load(path: Path) -> Iterator[Article | LoadError]:
    # Bytes, not text: trafilatura reads the page's own charset declaration.
    yield from_html(path.read_bytes(), str(path))


def from_html(html: str | bytes, path: str, url: str = "") -> Article | LoadError:
    """One page → one Article; `url` (e.g. a WARC target) stands in when the page names no canonical URL."""
    doc = trafilatura.bare_extraction(
        html, url=url or None, include_comments=True, with_metadata=True, date_extraction_params=_DATES
    )
    text = (doc.text or "") if doc else ""
    if not text.strip():
        return LoadError(path, NO_TEXT)
    title = (doc.title or "").strip()
    page_url = doc.url or url
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
