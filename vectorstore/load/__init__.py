"""Loaders: any supported file → Articles, and a LoadError for each file or record that cannot be one.

`load` never raises for bad input, so one broken file in a folder of thousands is a line in the report,
not the end of the run.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from vectorstore.article import Article, LoadError
from vectorstore.load import html, pdf, records, text, warc

MiB = 1024 * 1024
DEFAULT_MAX_BYTES = 256 * MiB
MAX_REASON = 300  # a library's message may quote the bad input itself (a whole 64 KB "first line")
NOTHING = "no articles in file"

Loader = Callable[[Path], Iterator[Article | LoadError]]
LOADERS: dict[str, Loader] = {
    ".txt": text.load,
    ".md": text.load,
    ".html": html.load,
    ".htm": html.load,
    ".jsonl": records.load_jsonl,
    ".json": records.load_json,
    ".csv": records.load_csv,
    ".pdf": pdf.load,
    ".warc": warc.load,
    ".warc.gz": warc.load,
}
SUPPORTED: frozenset[str] = frozenset(LOADERS)


def suffix(path: Path) -> str:
    """The format suffix, lower-cased; ".warc.gz" is one suffix."""
    name = path.name.lower()
    return ".warc.gz" if name.endswith(".warc.gz") else path.suffix.lower()


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Folders walked (sorted, hidden entries skipped, supported files only); anything else as given.

    A named file is yielded even when unsupported or missing, so `load` reports it rather than it
    vanishing silently from the run.
    """
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        for folder, subfolders, files in os.walk(path):
            subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
            for name in sorted(files):
                file = Path(folder, name)
                if not name.startswith(".") and suffix(file) in SUPPORTED:
                    yield file


def expected(path: Path) -> int:
    """About how many articles a file holds, counted cheaply before it is read, so progress has a total and a time
    left: a JSONL's non-blank lines, a CSV's rows less its header, a WARC's HTML pages (record headers only); one
    for every other file (a JSON array's count would cost a full parse). A wrong guess only makes the bar jump at
    the file's end."""
    if suffix(path) in (".warc", ".warc.gz"):
        return warc.count(path)  # never raises
    try:
        if suffix(path) == ".jsonl":
            with path.open("rb") as stream:
                return max(1, sum(1 for line in stream if line.strip()))
        if suffix(path) == ".csv":
            with path.open("rb") as stream:
                return max(1, sum(1 for line in stream if line.strip()) - 1)  # multi-line cells: a little high
    except OSError:
        pass  # `load` reports what is wrong with the file
    return 1


def load(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Article | LoadError]:
    """Articles from one file, with a LoadError in place of each one that cannot be read."""
    kind = suffix(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        yield LoadError(str(path), "no such file")
        return
    except OSError as exc:
        yield LoadError(str(path), f"cannot read: {exc.strerror or exc}")
        return
    loader = LOADERS.get(kind)
    if loader is None:
        yield LoadError(
            str(path), f"unsupported file type '{kind}' (supported: {', '.join(sorted(SUPPORTED))})"
        )
        return
    problem = _problem(path, size, max_bytes)
    if problem:
        yield LoadError(str(path), problem)
        return
    found = False
    try:
        for item in loader(path):
            found = True
            yield _one_line(item) if isinstance(item, LoadError) else item
    except Exception as exc:  # a loader bug or a library choking on odd input: report it, keep the run going
        found = True
        yield _one_line(LoadError(str(path), f"could not load {kind} file: {type(exc).__name__}: {exc}"))
    if not found:  # e.g. a CSV with only a header, or a WARC of images: say so rather than pass it over
        yield LoadError(str(path), NOTHING)


def _one_line(error: LoadError) -> LoadError:
    """The reason on one short printable line, whatever text the failing library put in it."""
    reason = " ".join("".join(ch if ch.isprintable() else " " for ch in error.reason[: MAX_REASON * 4]).split())
    if len(reason) > MAX_REASON:
        reason = reason[: MAX_REASON - 1] + "…"
    return error if reason == error.reason else dataclasses.replace(error, reason=reason)


def _problem(path: Path, size: int, max_bytes: int) -> str | None:
    if not path.is_file():
        return "not a file"
    if size == 0:
        return "empty file"
    if size > max_bytes:
        return f"file too large ({_mb(size)} MB > {_mb(max_bytes)} MB limit)"
    return None


def _mb(size: int) -> str:
    return f"{round(size / MiB, 1):g}"
