"""An upload's ingest as it goes: articles done of the total counted before the ingest began, the rate and the
time left from them, files done, the file at work, and a line per finished file. No Gradio import."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from assistant.uploads import accept, ingest_files
from vectorstore.ingest import Summary
from vectorstore.load import expected
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


def per_second(rate: float) -> str:
    """A rate with one decimal, or two significant digits when that would show a slow rate as 0.0."""
    return f"{rate:,.1f}" if rate >= 0.1 else f"{rate:.2g}"


@dataclass
class Progress:
    """Where an upload's ingest stands; `rows` are (file, result, errors), refused files first; `expected` is the
    articles counted in each accepted file before it is read (`vectorstore.load.expected`), in ingest order."""

    files: int
    rows: list[list[str]] = field(default_factory=list)
    done: list[Summary] = field(default_factory=list)
    current: str = ""
    running: Summary | None = None
    seconds_left: float | None = None
    finished: bool = False
    expected: list[int] = field(default_factory=list)
    rate: float | None = None  # articles a second so far

    def articles(self) -> tuple[int, int]:
        """(articles done, articles in all): a finished file counts what it gave, the others what was counted in
        them, or what they gave so far when that is more; so a wrong count makes the total jump, as the CLI's bar
        does, and the finished line's total is what was read."""
        read = sum(map(articles_read, self.done))
        now = articles_read(self.running) if self.running is not None else 0
        rest = [self.expected[i] if i < len(self.expected) else 1 for i in range(len(self.done), self.files)]
        if rest:
            rest[0] = max(rest[0], now)
        return read + now, read + sum(rest)

    def tick(self, elapsed: float) -> None:
        """The rate and the time left from the articles done in `elapsed` seconds; none done yet: still estimating."""
        done, total = self.articles()
        if done and elapsed > 0:
            self.rate = done / elapsed
            self.seconds_left = (total - done) / self.rate

    def line(self, stats: dict) -> str:
        """One plain-text line (never HTML): articles done of the total, the rate, the time left, files done, the
        file at work, articles by outcome, the archive's size."""
        if not self.files:
            return "No files to ingest."
        done, total = self.articles()
        parts = [f"{done:,} of {total:,} articles"]
        if self.rate is not None:
            parts.append(f"{per_second(self.rate)} articles/s")
        if not self.finished:
            parts.append(f"about {clock(self.seconds_left)} left" if self.seconds_left is not None
                         else "time left: estimating")
        parts.append(f"{len(self.done)} of {self.files} files done")
        if self.current:
            so_far = f" ({articles_read(self.running):,} articles so far)" if self.running is not None else ""
            parts.append(f"now {self.current}{so_far}")
        seen = [*self.done, self.running] if self.running is not None else self.done
        parts.append(", ".join(f"{sum(getattr(s, k) for s in seen):,} {k}" for k in OUTCOMES))
        parts.append(f"the archive holds {stats.get('articles', 0):,} articles in {stats.get('chunks', 0):,} chunks")
        return " · ".join(parts)


def upload(writer: Archive, files: list[Path], folder: Path, lock: threading.Lock) -> Iterator[Progress]:
    """Accept the uploads into `folder` (refusing what `assistant.uploads` refuses), count their articles so the
    line has a total, and ingest them one by one, yielding the progress after the refusals, while each file goes
    in, and as each ends."""
    saved, refused = accept(files, folder)
    state = Progress(len(saved), [[name, "rejected", why] for name, why in refused],
                     expected=[expected(path) for path in saved])
    state.current = saved[0].name if saved else ""
    yield state
    started = time.monotonic()
    for path, summary, finished in ingest_files(writer, saved, lock):
        if finished:
            state.done.append(summary)
            state.rows.append([path.name, str(summary), "; ".join(summary.errors)])
        following = saved[len(state.done)].name if len(state.done) < len(saved) else ""
        state.current, state.running = (following, None) if finished else (path.name, summary)
        state.tick(time.monotonic() - started)
        yield state
    state.finished, state.current, state.running = True, "", None
    yield state
