"""Storage failures as one line a user can act on, instead of the chained tracebacks Chroma and SQLite raise."""

from __future__ import annotations

import errno

_FULL = ("no space left", "disk is full", "database or disk is full", "failed to apply logs")
_READ_ONLY = ("read-only", "readonly", "permission denied")
_LOCKED = ("database is locked",)
LOCKED = "the store is locked by another program"
_GONE = ("connecterror", "connection refused", "connection reset", "remoteprotocolerror",
         "all connection attempts failed", "server disconnected")


class ArchiveError(OSError):
    """The archive cannot do what was asked, for a reason outside the program (no store, a busy or stopped one, a
    full disk): one line a user can act on. An OSError, so every command's one-line error handling covers it."""


class NoArchive(ArchiveError, FileNotFoundError):
    """Nothing has been stored here yet."""


class StoreBusy(ArchiveError):
    """Another program holds the store (a database lock)."""


class StoreGone(ArchiveError, ConnectionError):
    """The Chroma server, or the process serving an embedded store, did not start or stopped answering."""


class RebuildFailed(ArchiveError):
    """The BM25 cache could not be rebuilt from the store (the store itself is untouched)."""


class StorageError(ArchiveError):
    """A write the store's disk refused. Nothing stored before it is lost: an article is stored whole or not."""


def explain(exc: BaseException) -> str | None:
    """What the user should know of a storage failure (None when `exc` is not one)."""
    code = getattr(exc, "errno", None)
    text = " ".join(str(e).lower() for e in _chain(exc))
    if code == errno.ENOSPC or any(s in text for s in _FULL):
        return "the disk is full"
    if code in (errno.EROFS, errno.EACCES) or any(s in text for s in _READ_ONLY):
        return "the store cannot be written (a read-only folder, or no permission)"
    if any(s in text for s in _LOCKED):
        return LOCKED
    return None


def connection_lost(exc: BaseException) -> bool:
    """A Chroma server that stopped answering mid-request (refused, reset, gone)."""
    text = " ".join(f"{type(e).__name__} {e}".lower() for e in _chain(exc))
    return any(s in text for s in _GONE)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    while exc is not None and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return seen
