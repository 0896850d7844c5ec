"""`chroma run` on an embedded store's folder, for the process that owns it: started on a free loopback port,
advertised in `STORE/chroma.json`, stopped when its owner exits (even by SIGKILL)."""

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

from vectorstore.chroma import http_client
from vectorstore.errors import StoreGone

_START_SECONDS = 60


def die_with_parent() -> None:
    """In a helper process (the Chroma server, a BM25 rebuild), before it runs: the kernel ends it when the thread
    that started it ends, its process's SIGKILL included."""
    with contextlib.suppress(OSError):  # not Linux: atexit still stops it on an ordinary exit
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def advertised(folder: Path) -> chromadb.ClientAPI | None:
    """A client of the server the folder's owner advertises, if it answers."""
    try:
        url = json.loads((folder / "chroma.json").read_text())["url"]
        client = http_client(url)
        client.heartbeat()
        return client
    except Exception:  # no file, a stale one, or a server still starting: not (yet) an owner to talk to
        return None


def server_pid(folder: Path) -> int:
    """The pid of the server the folder's owner started (0: none advertised)."""
    try:
        return int(json.loads((folder / "chroma.json").read_text()).get("server_pid") or 0)
    except (OSError, ValueError):
        return 0


def start(folder: Path) -> chromadb.ClientAPI:
    """Run `chroma run` on the folder and advertise it; stop it when this process exits."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
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
    with contextlib.suppress(OSError, ValueError):
        if json.loads((folder / "chroma.json").read_text()).get("server_pid") == server.pid:
            (folder / "chroma.json").unlink()
    server.terminate()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()
