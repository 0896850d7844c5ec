"""Plain text and Markdown: one article per file, its title and dateline found the way a reader finds them."""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import yaml

from vectorstore.article import Article, LoadError
from vectorstore.dates import to_iso
from vectorstore.load.records import MAX_RECORD_BYTES, metadata

BINARY_PROBE = 8192
MAX_TITLE = 200
MAX_DATELINE = 80
DATELINE_LINES = 5

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n---[ \t]*(?:\n|\Z)", re.S)
_HEADING = re.compile(r"#{1,6}\s+(.+?)\s*#*")
_CLOSERS = "\"'”’)]"
TOO_LONG = f"over {MAX_RECORD_BYTES // (1024 * 1024)} MB of text: too long for one article (split it into several)"
_DATELINE = re.compile(r"(?:(?:published|updated|posted|date)(?:\s+on)?\s*:?\s*)?(.+)", re.I)


def load(path: Path) -> Iterator[Article | LoadError]:
    if is_binary(path):  # looked at before reading: a 200 MB disk image named .txt costs one small read
        yield LoadError(str(path), "binary file, not text")
        return
    if path.stat().st_size > MAX_RECORD_BYTES:
        yield LoadError(str(path), TOO_LONG)
        return
    text = decode(path.read_bytes(), str(path))
    if isinstance(text, LoadError):
        yield text
        return
    front, body = _front_matter(text.replace("\r\n", "\n"))
    meta = metadata(front)
    title, body = _title(body, heading_only=bool(meta["title"]))
    title = meta["title"] or title
    if not body.strip():
        yield LoadError(str(path), "no text in file")
        return
    meta.update(title=title or path.stem, published=meta["published"] or _dateline(body))
    yield Article(text=body, path=str(path), **meta)


def is_binary(path: Path) -> bool:
    """A NUL byte near the start: no text file in UTF-8 has one."""
    with path.open("rb") as stream:
        return b"\x00" in stream.read(BINARY_PROBE)


def decode(data: bytes, path: str) -> str | LoadError:
    """Strict UTF-8 (BOM allowed): a wrong guess at an encoding would index garbage silently."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        at = exc.start + (len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0)
        return LoadError(path, f"not valid UTF-8 at byte {at}", data.count(b"\n", 0, at) + 1)


def _front_matter(text: str) -> tuple[dict[str, Any], str]:
    """`---` key: value lines `---` at the top, as static-site and note tools write them; else none."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    try:
        front = yaml.safe_load(match.group(1))
    except (yaml.YAMLError, RecursionError, ValueError):  # thousands of nested `- - - x`, a 5,000-digit number
        return {}, text
    return (front, text[match.end() :]) if isinstance(front, dict) else ({}, text)


def _title(body: str, heading_only: bool = False) -> tuple[str, str]:
    """A short `# heading`, or a short first line that is not a sentence, is the headline: it leaves the text
    (with `heading_only`, when front matter names the title, only a `# heading` does: markup is never article
    text an answer should quote).

    Only a short line is matched: the heading pattern backtracks quadratically over a long one.
    """
    first, _, rest = body.lstrip().partition("\n")
    first = first.strip()
    heading = _HEADING.fullmatch(first) if len(first) <= MAX_TITLE else None
    if heading:
        return heading.group(1), rest.lstrip("\n")
    if not heading_only and len(first) <= MAX_TITLE and not first.rstrip(_CLOSERS).endswith(".") and rest.strip():
        return first, rest.lstrip("\n")
    return "", body


def _dateline(body: str) -> str | None:
    """A short line near the top that is only a date, or "Published: <date>" / "Updated <date>"."""
    lines = (line.strip() for line in io.StringIO(body) if line.strip())
    for line in islice(lines, DATELINE_LINES):
        match = _DATELINE.fullmatch(line)
        if len(line) <= MAX_DATELINE and match and (day := to_iso(match.group(1))):
            return day
    return None
