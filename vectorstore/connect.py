"""Who opens an embedded store's Chroma folder: exactly one process at a time, the others through it.

An embedded Chroma folder must not be opened by two processes (the first one's next query fails with "Error
finding id" after the second writes). So a long-running process (the app, `archive-chat serve`) that finds the
folder free owns it by running Chroma's own server on it (`chroma run` on a free loopback port, stopped when the
owner exits, even by SIGKILL) and says where in `STORE/chroma.json`; every other process, a CLI ingest or a
second app, reads that file and talks to the same server. A one-shot command that finds no owner opens the folder
itself, holding the folder's lock meanwhile; another process arriving then waits for it, saying so.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import chromadb
from chromadb.api.client import SharedSystemClient
from chromadb.config import Settings as ChromaSettings
from filelock import FileLock, Timeout

from vectorstore.chroma import http_client
from vectorstore.errors import StoreGone

_SERVE = {"on": False}
_OPEN: dict[str, chromadb.ClientAPI] = {}
_HELD: dict[str, FileLock] = {}  # the folder locks this process holds, for as long as it uses the folder
_START_SECONDS = 60
_WAIT_NOTICE = "{folder} is in use by another archive-chat process (pid {pid}); waiting for it to finish…"


def serve_embedded() -> None:
    """Make this process the one that serves its embedded stores to other processes (call it at start-up, in the
    main thread: the server is tied to the thread that starts it)."""
    _SERVE["on"] = True


def serving() -> bool:
    """Is this a long-running process (the app)? It refreshes caches in the background; a one-shot command waits
    for them instead, since it would exit before a background refresh ended."""
    return _SERVE["on"]


def connect(folder: Path, url: str | None = None) -> chromadb.ClientAPI:
    """A Chroma client for the store: the server at `url`, or the store's own folder by whoever owns it."""
    if url:
        return http_client(url)
    key = str(folder.resolve())
    if key not in _OPEN:
        _OPEN[key] = _open_embedded(folder)
    return _OPEN[key]


def forget(folder: Path) -> None:
    """Drop a client of another process's server that went away, so that the next `connect` finds (or becomes)
    the owner again. A folder this process holds itself is kept: there is no one else to find."""
    key = str(folder.resolve())
    if key not in _HELD:
        _OPEN.pop(key, None)


def owner_gone(folder: Path, wait: float = 30.0) -> bool:
    """After the process serving an embedded folder died: wait (up to `wait` s) for the Chroma server it ran to
    end too (the kernel stops it with its parent), so that whoever opens the folder next is alone in it. False
    when the server still answers: then the owner is not gone, only unreachable for a moment."""
    if _owner_client(folder) is not None:
        return False
    try:
        pid = int(json.loads((folder / "chroma.json").read_text()).get("server_pid") or 0)
    except (OSError, ValueError):
        pid = 0
    deadline = time.monotonic() + wait
    while pid and time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        except PermissionError:  # another user's process of that number: not the server
            break
        time.sleep(0.2)
    forget(folder)
    return True


def release(folder: Path) -> None:
    """Close a folder this process opened itself, so that another process may: its in-process Chroma is let go
    and the folder's lock released. (A served folder stays served until this process exits.)"""
    key = str(folder.resolve())
    if key in _HELD and key in _OPEN and not _SERVE["on"]:
        _OPEN.pop(key)
        systems = SharedSystemClient._identifier_to_system  # Chroma keeps one system per folder in a process
        if (system := systems.pop(str(folder / "chroma"), None)) is not None:
            system.stop()
        _HELD.pop(key).release(force=True)


def _open_embedded(folder: Path) -> chromadb.ClientAPI:
    folder.mkdir(parents=True, exist_ok=True)
    lock = FileLock(folder / "chroma.lock")
    noticed = False
    while True:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if (client := _owner_client(folder)) is not None:
                return client
            if not noticed:
                print(_WAIT_NOTICE.format(folder=folder, pid=_owner_pid(folder)), file=sys.stderr, flush=True)
                noticed = True
            time.sleep(0.25)
            continue
        _HELD[str(folder.resolve())] = lock
        (folder / "chroma.owner").write_text(str(os.getpid()))
        if not _SERVE["on"]:
            return chromadb.PersistentClient(path=str(folder / "chroma"),
                                             settings=ChromaSettings(anonymized_telemetry=False))
        return _serve(folder)


def _owner_pid(folder: Path) -> str:
    try:
        return (folder / "chroma.owner").read_text().strip() or "?"
    except OSError:
        return "?"


def _owner_client(folder: Path) -> chromadb.ClientAPI | None:
    """A client of the server the owner advertises, if it answers."""
    try:
        url = json.loads((folder / "chroma.json").read_text())["url"]
        client = http_client(url)
        client.heartbeat()
        return client
    except Exception:  # no file, a stale one, or a server still starting: not (yet) an owner to talk to
        return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent() -> None:
    """In a helper process (the Chroma server, a BM25 rebuild), before it runs: the kernel ends it when the thread
    that started it ends, its process's SIGKILL included."""
    with contextlib.suppress(OSError):  # not Linux: atexit still stops it on an ordinary exit
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _serve(folder: Path) -> chromadb.ClientAPI:
    """Run `chroma run` on the folder and advertise it; stop it when this process exits."""
    port = _free_port()
    log = open(folder / "chroma.log", "ab")  # noqa: SIM115 - the server writes to it for its whole life
    server = subprocess.Popen(
        [sys.executable, "-c", "from chromadb.cli.cli import app; app()", "run", "--path", str(folder / "chroma"),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"}, preexec_fn=die_with_parent,
    )
    atexit.register(_stop, server, folder)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + _START_SECONDS
    while True:
        try:
            client = http_client(url)
            client.heartbeat()
            break
        except Exception:
            if server.poll() is not None or time.monotonic() > deadline:
                raise StoreGone(f"{folder}: Chroma server did not start (see {folder / 'chroma.log'})") from None
            time.sleep(0.1)
    tmp = folder / "chroma.json.tmp"
    tmp.write_text(json.dumps({"url": url, "pid": os.getpid(), "server_pid": server.pid}))
    os.replace(tmp, folder / "chroma.json")
    return client


def _stop(server: subprocess.Popen, folder: Path) -> None:
    try:
        info = json.loads((folder / "chroma.json").read_text())
        if info.get("server_pid") == server.pid:
            (folder / "chroma.json").unlink()
    except (OSError, ValueError):
        pass
    server.terminate()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()
