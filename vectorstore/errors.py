"""Storage failures as one line a user can act on, instead of the chained tracebacks Chroma and SQLite raise."""

from __future__ import annotations

import errno

_FULL = ("no space left", "disk is full", "database or disk is full", "failed to apply logs")
_READ_ONLY = ("read-only", "readonly", "permission denied")
_LOCKED = ("database is locked",)
_GONE = ("connecterror", "connection refused", "connection reset", "remoteprotocolerror",
         "all connection attempts failed", "server disconnected")


class StorageError(OSError):
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
        return "the store is locked by another program"
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
