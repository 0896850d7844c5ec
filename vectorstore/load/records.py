"""JSON Lines, JSON and CSV exports: one article per record, fields found under the names people give them."""

from __future__ import annotations

import csv
import json
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from vectorstore.article import Article, LoadError
from vectorstore.dates import to_iso

TEXT = ("text", "body", "content", "article")
TITLE = ("title", "headline")
URL = ("url", "link")
DATE = ("date", "published", "publish_date", "published_at", "pubdate")
AUTHORS = ("author", "authors")
SOURCE = ("source", "site", "publisher", "site_name")

NO_TEXT = f"record has no text field (looked for {'/'.join(TEXT)})"
_AUTHOR_SEPARATORS = re.compile(r"\s*[;,]\s*|\s+and\s+")


def load_jsonl(path: Path) -> Iterator[Article | LoadError]:
    """Line by line, so a large export never sits in memory and one bad line costs only itself."""
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            line = _decode(raw, path, number, first=number == 1)
            if isinstance(line, LoadError):
                yield line
            elif line.strip():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield LoadError(str(path), f"malformed JSON: {exc.msg} (column {exc.colno})", number)
                else:
                    yield from_record(record, str(path), number)


def load_json(path: Path) -> Iterator[Article | LoadError]:
    """A list of records, or one record; a file of JSON Lines named .json is read as what it is."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        yield LoadError(str(path), f"not valid UTF-8 at byte {exc.start}")
        return
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            yield from load_jsonl(path)
        else:
            yield LoadError(str(path), f"malformed JSON: {exc.msg}", exc.lineno)
        return
    if isinstance(data, dict):
        yield from_record(data, str(path), None)
    elif isinstance(data, list):
        for index, record in enumerate(data, start=1):
            result = from_record(record, str(path), index)
            if isinstance(result, LoadError):
                result = LoadError(result.path, f"record {index}: {result.reason}", index)
            yield result
    else:
        yield LoadError(str(path), f"JSON top level is {type(data).__name__}, expected an object or a list")


def load_csv(path: Path) -> Iterator[Article | LoadError]:
    """Each row under the header is a record; `line` is where it starts, as a quoted field may span lines.

    csv.reader, not DictReader: DictReader skips blank rows unseen, which would shift the line numbers.
    """
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    bad_lines: dict[int, LoadError] = {}
    end = 0
    with path.open("rb") as raw_lines:
        reader = csv.reader(_decoded_lines(raw_lines, path, bad_lines))
        try:
            header = [name.strip() for name in next(reader, [])]
            end = reader.line_num
            yield from _take(bad_lines, end)  # a garbled header: say so, and read on under what was read
            for row in reader:
                start, end = end + 1, reader.line_num
                errors = _take(bad_lines, end)
                if errors:
                    yield from errors
                elif any(cell.strip() for cell in row):
                    yield from_record(dict(zip(header, row, strict=False)), str(path), start)
        except csv.Error as exc:
            yield LoadError(str(path), f"malformed CSV: {exc}", end + 1)


def from_record(record: Any, path: str, line: int | None) -> Article | LoadError:
    """An Article from one record, or why not (the record number is the caller's to add to the reason)."""
    if not isinstance(record, Mapping):
        return LoadError(path, f"record is {type(record).__name__}, not an object", line)
    text = pick(record, TEXT)
    if text is None:
        return LoadError(path, NO_TEXT, line)
    if not isinstance(text, str) or not text.strip():
        return LoadError(path, "record's text is empty or not a string", line)
    meta = metadata(record)
    return Article(text=text, path=path, line=line, **meta)


def metadata(record: Mapping[str, Any]) -> dict[str, Any]:
    """title/url/source/published/authors from a mapping; the source falls back to the URL's host."""
    url = _string(pick(record, URL))
    published = pick(record, DATE)
    return {
        "title": _string(pick(record, TITLE)),
        "url": url,
        "source": _string(pick(record, SOURCE)) or host(url),
        "published": to_iso(published) if isinstance(published, (str, date)) else None,
        "authors": split_authors(pick(record, AUTHORS)),
    }


def pick(record: Mapping[str, Any], names: Iterable[str]) -> Any:
    """The first non-empty value under any of `names`, keys matched case-insensitively."""
    by_name = {str(key).strip().lower(): value for key, value in record.items()}
    for name in names:
        value = by_name.get(name)
        if value not in (None, "", []):
            return value
    return None


def split_authors(value: Any) -> list[str]:
    """Names from "A; B", "A and B", "A, B" or a list; a lone "Doe, Jane" cannot be told apart, and splits."""
    if isinstance(value, str):
        value = _AUTHOR_SEPARATORS.split(value)
    elif not isinstance(value, list):
        return []
    return [name for name in (_string(item) for item in value) if name]


def host(url: str) -> str:
    """The site an http(s) URL belongs to, without "www."; "" for other schemes (e.g. squad2://)."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return ""
    return (parts.hostname or "").removeprefix("www.")


def _string(value: Any) -> str:
    return str(value).strip() if isinstance(value, (str, int, float)) else ""


def _decode(raw: bytes, path: Path, number: int, first: bool) -> str | LoadError:
    try:
        return raw.decode("utf-8-sig" if first else "utf-8")
    except UnicodeDecodeError as exc:
        return LoadError(str(path), f"not valid UTF-8 at byte {exc.start} of the line", number)


def _take(bad_lines: dict[int, LoadError], end: int) -> list[LoadError]:
    return [bad_lines.pop(n) for n in sorted(bad_lines) if n <= end]


def _decoded_lines(raw_lines: Iterable[bytes], path: Path, bad_lines: dict[int, LoadError]) -> Iterator[str]:
    """Feeds the csv reader text; an undecodable line is noted so the row holding it becomes a LoadError."""
    for number, raw in enumerate(raw_lines, start=1):
        line = _decode(raw, path, number, first=number == 1)
        if isinstance(line, LoadError):
            bad_lines[number] = line
            line = raw.decode("utf-8", "replace")
        yield line
