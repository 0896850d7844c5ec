"""Uploads into the store: copied under names of our making (a zip unpacked member by member), then ingested.

An upload's name comes from a browser or a script: it is never used as a path (no folders, no `../`, no
absolute path, no odd characters survive). Only supported types are kept, each within the size limit, and a
zip's declared sizes are not trusted: members are read with a cap. No Gradio import: the app calls `accept`
and streams `ingest_files`.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import re
import shutil
import threading
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path

from vectorstore.ingest import Ingestor, Summary
from vectorstore.load import SUPPORTED, suffix
from vectorstore.store import Archive

UPLOAD_TYPES = [".txt", ".md", ".html", ".htm", ".jsonl", ".json", ".csv", ".pdf", ".warc", ".gz", ".zip"]
MAX_UPLOAD_MB = 50
MAX_ZIP_MEMBERS = 10_000
MAX_UNZIPPED_MB = 1024
_MiB = 1024 * 1024
log = logging.getLogger("archive-chat")


def file_kind(name: str) -> str:
    """The format suffix of a name whose folders, if any, are ignored (either slash)."""
    return suffix(Path(re.split(r"[\\/]", name)[-1] or "upload"))


def stored_name(name: str, digest: str, kind: str) -> str:
    """`stem-digest.kind`: the stem only letters, digits, `_` and `-`, at most 60 of them."""
    base = re.split(r"[\\/]", name)[-1]
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", base[: len(base) - len(kind)]).strip("_-")[:60] or "upload"
    return f"{stem}-{digest[:12]}{kind}"


def save_upload(src: Path, folder: Path) -> Path:
    """Copy one uploaded (non-zip) file into `folder`; ValueError when its type or size is refused."""
    kind = file_kind(src.name)
    if kind not in SUPPORTED:
        raise ValueError(f"unsupported file type {kind or '(none)'!r}")
    if src.stat().st_size > MAX_UPLOAD_MB * _MiB:
        raise ValueError(f"larger than {MAX_UPLOAD_MB} MB")
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    folder.mkdir(parents=True, exist_ok=True)
    dest = folder / stored_name(src.name, digest, kind)
    shutil.copyfile(src, dest)
    return dest


def unzip(src: Path, folder: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """The zip's supported members written into `folder`, and (name, reason) for each member refused."""
    saved: list[Path] = []
    refused: list[tuple[str, str]] = []
    budget = MAX_UNZIPPED_MB * _MiB
    with zipfile.ZipFile(src) as archive:
        members = [m for m in archive.infolist() if not m.is_dir() and not _junk(m.filename)]
        if len(members) > MAX_ZIP_MEMBERS:
            raise ValueError(f"holds {len(members):,} files; the limit is {MAX_ZIP_MEMBERS:,}")
        for member in members:
            label = f"{src.name}: {member.filename}"
            kind = file_kind(member.filename)
            if kind not in SUPPORTED:
                refused.append((label, f"unsupported file type {kind or '(none)'!r}"))
                continue
            try:
                with archive.open(member) as stream:  # the declared size may lie: read at most the limit + 1
                    data = stream.read(min(MAX_UPLOAD_MB * _MiB, budget) + 1)
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, OSError, EOFError) as exc:
                refused.append((label, f"cannot unpack: {exc}"))
                continue
            if len(data) > budget:
                refused.append((label, f"the zip unpacks to more than {MAX_UNZIPPED_MB} MB"))
                break
            if len(data) > MAX_UPLOAD_MB * _MiB:
                refused.append((label, f"larger than {MAX_UPLOAD_MB} MB"))
                continue
            budget -= len(data)
            folder.mkdir(parents=True, exist_ok=True)
            dest = folder / stored_name(member.filename, hashlib.sha256(data).hexdigest(), kind)
            dest.write_bytes(data)
            saved.append(dest)
    return saved, refused


def accept(paths: Iterable[Path], folder: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """Every upload copied (zips unpacked) into `folder`; (name, reason) for each file or member refused."""
    saved: list[Path] = []
    refused: list[tuple[str, str]] = []
    for src in paths:
        try:
            if file_kind(src.name) == ".zip":
                more, why = unzip(src, folder)
                saved += more
                refused += why
            else:
                saved.append(save_upload(src, folder))
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            refused.append((src.name, str(exc)))
    return saved, refused


def ingest_files(writer: Archive, paths: list[Path], lock: threading.Lock,
                 after_file: Callable[[], None] | None = None, every: float = 0.25,
                 ) -> Iterator[tuple[Path, Summary, bool]]:
    """Ingest `paths` one by one, yielding (file, its summary so far, finished?): running counts at most every
    `every` seconds, each file's final summary always.

    The work runs in a thread of its own, holding `lock`, so its counts can be shown while it goes on, and it
    finishes (each file's `after_file` included) even when nobody reads this any more.
    """
    events: queue.Queue[tuple[Path, Summary, bool] | None] = queue.Queue()

    def work() -> None:
        try:
            with lock:
                ingestor: Ingestor | None = None
                for path in paths:
                    try:
                        ingestor = ingestor or Ingestor(writer, report=lambda line: None)
                        summary = ingestor.run([path], progress=lambda s, p=path: events.put((p, replace(s), False)))
                    except Exception as exc:  # one broken file never stops the batch: its line says what went wrong
                        log.exception("ingesting %s failed", path)
                        summary = Summary(failed=1, errors=[f"{path.name}: {exc}"])
                    if after_file:
                        after_file()
                    events.put((path, summary, True))
        finally:
            events.put(None)

    threading.Thread(target=work, name="archive-chat-ingest", daemon=True).start()
    shown = 0.0
    while (event := events.get()) is not None:
        if event[2] or time.monotonic() - shown >= every:
            shown = time.monotonic()
            yield event


def _junk(name: str) -> bool:
    """Hidden files and macOS resource forks that zips made on a Mac carry along."""
    return name.startswith("__MACOSX/") or re.split(r"[\\/]", name)[-1].startswith(".")
