"""An upload's ingest as it goes: files done of the total, the file at work and its articles so far, the time
left (from the bytes of the files done), and a line per finished file. No Gradio import."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from assistant.uploads import accept, ingest_files
from vectorstore.ingest import Summary
from vectorstore.store import Archive

OUTCOMES = ("added", "updated", "unchanged", "duplicates", "failed")


def articles_read(summary: Summary) -> int:
    """Articles an ingest Summary has seen so far, whatever became of them."""
    return sum(getattr(summary, k) for k in OUTCOMES)


def clock(seconds: float) -> str:
    """A duration as a person reads it: 8 s, 2 min 5 s, 1 h 3 min."""
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


@dataclass
class Progress:
    """Where an upload's ingest stands; `rows` are (file, result, errors), refused files first."""

    files: int
    rows: list[list[str]] = field(default_factory=list)
    done: list[Summary] = field(default_factory=list)
    current: str = ""
    running: Summary | None = None
    seconds_left: float | None = None
    finished: bool = False

    def line(self, stats: dict) -> str:
        """One plain-text line (never HTML): files done of the total, time left, the file at work, articles by
        outcome, the archive's size."""
        if not self.files:
            return "No files to ingest."
        seen = [*self.done, self.running] if self.running is not None else self.done
        counts = ", ".join(f"{sum(getattr(s, k) for s in seen):,} {k}" for k in OUTCOMES)
        where = f"{len(self.done)} of {self.files} files done"
        if not self.finished:
            where += " · time left: " + (f"about {clock(self.seconds_left)}" if self.seconds_left is not None
                                         else "estimating")
        if self.current:
            where += f" · now {self.current}"
            if self.running is not None:
                where += f" ({articles_read(self.running):,} articles so far)"
        return (f"{where} · {sum(map(articles_read, seen)):,} articles read ({counts}) · the archive holds "
                f"{stats.get('articles', 0):,} articles in {stats.get('chunks', 0):,} chunks")


def upload(writer: Archive, files: list[Path], folder: Path, lock: threading.Lock) -> Iterator[Progress]:
    """Accept the uploads into `folder` (refusing what `assistant.uploads` refuses) and ingest them one by one,
    yielding the progress after the refusals, while each file goes in, and as each ends."""
    saved, refused = accept(files, folder)
    state = Progress(len(saved), [[name, "rejected", why] for name, why in refused])
    state.current = saved[0].name if saved else ""
    yield state
    sizes = {path: max(path.stat().st_size, 1) for path in saved}
    started, bytes_done = time.monotonic(), 0
    for path, summary, finished in ingest_files(writer, saved, lock):
        if finished:
            state.done.append(summary)
            state.rows.append([path.name, str(summary), "; ".join(summary.errors)])
            bytes_done += sizes[path]
            rate = bytes_done / max(time.monotonic() - started, 1e-6)
            state.seconds_left = (sum(sizes.values()) - bytes_done) / rate
        following = saved[len(state.done)].name if len(state.done) < len(saved) else ""
        state.current, state.running = (following, None) if finished else (path.name, summary)
        yield state
    state.finished, state.current, state.running = True, "", None
    yield state
