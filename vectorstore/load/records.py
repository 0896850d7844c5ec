"""JSON Lines, JSON and CSV exports: one article per record, fields found under the names people give them."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any, BinaryIO
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
# One record is one article, and no article is this long: a longer line is junk, skipped in pieces, never held.
MAX_RECORD_BYTES = 32 * 1024 * 1024
_SKIP_BYTES = 1024 * 1024
TOO_LONG = f"line longer than {MAX_RECORD_BYTES // (1024 * 1024)} MB, not one record: skipped"
TOO_DEEP = "JSON nested too deeply"
TOO_BIG_NUMBER = "JSON number too long to read"
_AUTHOR_SEPARATORS = re.compile(r" ?[;,] ?| and ")


def load_jsonl(path: Path) -> Iterator[Article | LoadError]:
    """Line by line, so a large export never sits in memory and one bad line costs only itself."""
    with path.open("rb") as stream:
        for number, raw in enumerate(read_lines(stream), start=1):
            line = LoadError(str(path), TOO_LONG, number) if raw is None else _decode(raw, path, number, number == 1)
            if isinstance(line, LoadError):
                yield line
            elif line.strip():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield LoadError(str(path), f"malformed JSON: {exc.msg} (column {exc.colno})", number)
                except RecursionError:
                    yield LoadError(str(path), TOO_DEEP, number)
                except ValueError:  # Python refuses to read an integer of over 4,300 digits
                    yield LoadError(str(path), TOO_BIG_NUMBER, number)
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
    except RecursionError:
        yield LoadError(str(path), TOO_DEEP)
        return
    except ValueError:
        yield LoadError(str(path), TOO_BIG_NUMBER)
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
    A malformed row is reported and the reader goes on at the next line.
    """
    csv.field_size_limit(MAX_RECORD_BYTES)
    bad_lines: dict[int, LoadError] = {}
    header: list[str] | None = None
    end = 0
    with path.open("rb") as stream:
        reader = csv.reader(_decoded_lines(stream, path, bad_lines))
        while True:
            start = end + 1
            try:
                row = next(reader, None)
            except csv.Error as exc:
                row = LoadError(str(path), f"malformed CSV: {exc}", start)
            if row is None or reader.line_num == end:  # the end, or an error that read nothing further
                break
            end = reader.line_num
            errors = _take(bad_lines, end)
            if header is None:  # a garbled header: say so, and read on under what was read
                header = [] if isinstance(row, LoadError) else [name.strip() for name in row]
                yield from errors or ([row] if isinstance(row, LoadError) else [])
            elif errors or isinstance(row, LoadError):
                yield from errors or [row]
            elif any(cell.strip() for cell in row):
                yield from_record(dict(zip(header, row, strict=False)), str(path), start)


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
    url = valid_url(_string(pick(record, URL)))
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
    """Names from "A; B", "A and B", "A, B" or a list; a lone "Doe, Jane" cannot be told apart, and splits.

    Whitespace is collapsed first, so the separator pattern never backtracks over a long run of blanks.
    """
    if isinstance(value, str):
        value = _AUTHOR_SEPARATORS.split(" ".join(value.split()))
    elif not isinstance(value, list):
        return []
    return [name for name in (_string(item) for item in value) if name]


def valid_url(url: str) -> str:
    """The URL, or "" when it cannot be parsed (e.g. "http://[::1"): like a date that is no date, it is dropped,
    since the article's id and source are derived from it."""
    try:
        urlsplit(url)
    except ValueError:
        return ""
    return url


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


def read_lines(stream: BinaryIO) -> Iterator[bytes | None]:
    """The file's lines; None in place of one longer than MAX_RECORD_BYTES, which is skipped without being held."""
    while raw := stream.readline(MAX_RECORD_BYTES + 1):
        if len(raw) > MAX_RECORD_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = stream.readline(_SKIP_BYTES)
            yield None
        else:
            yield raw


def _decoded_lines(stream: BinaryIO, path: Path, bad_lines: dict[int, LoadError]) -> Iterator[str]:
    """Feeds the csv reader text; an undecodable or overlong line is noted so its row becomes a LoadError."""
    for number, raw in enumerate(read_lines(stream), start=1):
        line = LoadError(str(path), TOO_LONG, number) if raw is None else _decode(raw, path, number, number == 1)
        if isinstance(line, LoadError):
            bad_lines[number] = line
            line = "\n" if raw is None else raw.decode("utf-8", "replace")
        yield line
