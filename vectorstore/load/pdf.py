"""PDF articles: the text layer of every page, with the title and date the document's metadata gives."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from pypdf import DocumentInformation, PdfReader
from pypdf.errors import DependencyError, PyPdfError

from vectorstore.article import Article, LoadError
from vectorstore.dates import to_iso
from vectorstore.load.records import split_authors

MAX_TITLE = 200
# Readers accept a header anywhere in the first KB; without one pypdf would scan the whole file for objects.
HEADER_PROBE = 1024
# pypdf logs recoverable damage ("EOF marker not found") as warnings: stray lines in a one-line-per-file report.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def load(path: Path) -> Iterator[Article | LoadError]:
    with path.open("rb") as stream:
        if b"%PDF-" not in stream.read(HEADER_PROBE):
            yield LoadError(str(path), "not a PDF (no %PDF- header)")
            return
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            yield LoadError(str(path), "encrypted PDF (needs a password)")
            return
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except DependencyError as exc:  # AES-encrypted files need the optional `cryptography` package
        yield LoadError(str(path), f"cannot decrypt PDF: {exc}")
        return
    except (PyPdfError, ValueError, KeyError, OSError) as exc:
        yield LoadError(str(path), f"unreadable PDF: {str(exc) or type(exc).__name__}")
        return
    text = "\n\n".join(page.strip() for page in pages if page.strip())
    if not text:
        yield LoadError(str(path), "no text layer in PDF (a scan needs OCR first)")
        return
    title = ((info.title if info else None) or "").strip()
    if not title:
        first, _, rest = text.partition("\n")
        if len(first.strip()) <= MAX_TITLE and rest.strip():
            title, text = first.strip(), rest.lstrip("\n")
    yield Article(
        text=text,
        title=title or path.stem,
        published=to_iso(_creation_date(info)),
        authors=split_authors(info.author if info else None),
        path=str(path),
    )


def _creation_date(info: DocumentInformation | None) -> datetime | None:
    """pypdf raises on a malformed date string; a bad date is no reason to lose the article."""
    try:
        return info.creation_date if info else None
    except ValueError:
        return None
