"""Shared fixtures: the real packaged model, real Chroma (embedded and a `chroma run` server), no network."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistant.settings import Settings
from vectorstore.embed import Embedder
from vectorstore.store import Archive

DATA = Path(__file__).resolve().parent / "data"  # vendored subsets: a plain clone has no ../shared
SEED = DATA / "000_9ac7acf72945896c.txt"
REALTIMEQA = DATA / "realtimeqa"
SQUAD = DATA / "squad2"
SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "archive"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    """No test touches the user's data folder or reaches past loopback."""
    monkeypatch.setenv("ARCHIVE_CHAT_STORE", str(tmp_path / "default-store"))
    monkeypatch.setenv("ARCHIVE_CHAT_DEBUG", "")
    real_connect = socket.socket.connect

    def loopback_only(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "::1", "localhost") and not host.startswith("/"):
            raise OSError(f"network access to {host} is blocked in tests")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", loopback_only)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """A real Chroma server (`chroma run` from the chromadb package) on a free loopback port."""
    port = free_port()
    folder = tmp_path_factory.mktemp("chroma-server")
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent)) or "chroma"
    env = {**os.environ, "ANONYMIZED_TELEMETRY": "False"}
    proc = subprocess.Popen([chroma, "run", "--path", str(folder), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
            break
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("chroma run did not start")
            time.sleep(0.3)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(params=["embedded", pytest.param("server", marks=pytest.mark.server)])
def archive(request, tmp_path, embedder) -> Archive:
    """An empty archive, once on the embedded store and once on a Chroma server (own collection per test)."""
    url = request.getfixturevalue("chroma_server") if request.param == "server" else None
    settings = Settings(store=tmp_path / "store", chroma_url=url, collection=f"t{abs(hash(tmp_path)) % 10**9}")
    return Archive(settings, embedder)


MODES = ("embedded", pytest.param("server", marks=pytest.mark.server))
"""The store's two configurations, for a suite run in both as a class:
`@pytest.mark.parametrize("archive", MODES, indirect=True)` (the `archive` fixture builds each)."""


def another_handle(archive: Archive, embedder: Embedder) -> Archive:
    """Another process's handle on `archive`, made as its mode makes one: embedded, the same settings (the same
    folder); on a Chroma server, the same URL and collection but a local folder of its own (a replica on another
    machine, with its own BM25 cache)."""
    settings = archive.settings
    if settings.chroma_url:
        replica = Path(tempfile.mkdtemp(prefix="replica-", dir=archive.folder.parent)) / "store"
        settings = settings.model_copy(update={"store": replica})
    return Archive(settings, embedder)


def realtimeqa_subset(path: Path, n: int) -> Path:
    """The first n RealTimeQA articles as a JSONL file of their own."""
    with (REALTIMEQA / "articles.jsonl").open() as src:
        path.write_text("".join(next(src) for _ in range(n)))
    return path


@pytest.fixture(scope="session")
def news_store(tmp_path_factory, embedder) -> Archive:
    """The seed article among 20 other news articles and 40 Wikipedia passages (all of tests/data): the assistant's
    test archive."""
    from vectorstore.ingest import Ingestor

    archive = fresh_archive(tmp_path_factory.mktemp("news"), embedder)
    summary = Ingestor(archive).run([SEED, REALTIMEQA / "articles.jsonl", SQUAD / "articles.jsonl"], progress=False)
    assert summary.failed == 0, summary.errors
    return archive


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def by_path(archive: Archive) -> dict[str, list[str]]:
    """Article ids by the file they came from."""
    out: dict[str, list[str]] = {}
    for article_id, meta in archive.records():
        out.setdefault(meta["path"], []).append(article_id)
    return out


def consistent(archive: Archive) -> set[str]:
    """Every committed article has its chunks, every chunk is of a committed article, and BM25 holds exactly
    them (`doctor`'s check, no grace for recent writes); returns the chunk ids."""
    from vectorstore.doctor import check

    report = check(archive, grace=0)
    assert report.healthy, report.lines()
    ids = {cid for cid, _, _ in archive.read.chunk_rows()}
    assert set(archive.bm25_index().ids) == ids
    return ids


def chunk(archive: Archive, chunk_id: str) -> dict:
    """A committed chunk's row (text, section, span, article metadata)."""
    return archive.passages([chunk_id])[chunk_id]


def fresh_archive(folder: Path, embedder: Embedder, **settings) -> Archive:
    """An archive in `folder`/store on the session's model (so no test loads its own), settings overridden."""
    return Archive(Settings(store=folder / "store", **settings), embedder)


@pytest.fixture(scope="session")
def sample_assistant(tmp_path_factory, embedder):
    """The assistant over the shipped sample archive (samples/archive), as a new user meets it: built once."""
    from assistant import Assistant
    from vectorstore.ingest import Ingestor

    archive = fresh_archive(tmp_path_factory.mktemp("sample"), embedder)
    assert Ingestor(archive).run([SAMPLES], progress=False).added > 100
    return Assistant(archive)


@dataclass
class ChatStub:
    """An OpenAI-compatible chat endpoint on loopback (a hosted API cannot run here): streams `reply` word by word,
    or `piece_chars` characters at a time (so markers arrive split), and records each request's body."""

    url: str = ""
    reply: str = ""
    piece_chars: int = 0
    requests: list[dict] = field(default_factory=list)

    def pieces(self) -> list[str]:
        if self.piece_chars:
            return [self.reply[i : i + self.piece_chars] for i in range(0, len(self.reply), self.piece_chars)]
        return [word + " " for word in self.reply.split(" ")]


@pytest.fixture
def chat_stub() -> Iterator[ChatStub]:
    stub = ChatStub()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            stub.requests.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            for piece in stub.pieces():
                chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "stub",
                         "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    stub.url = f"http://127.0.0.1:{server.server_port}/v1"
    yield stub
    server.shutdown()
    server.server_close()
