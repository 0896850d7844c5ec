"""One archive for every process: real app processes (`archive-chat serve`) answer from what a CLI ingest, delete or
`doctor --fix` beside them changed, with no error, on the embedded store and on a Chroma server."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import SEED, free_port
from gradio_client import Client

CLI = str(Path(sys.executable).with_name("archive-chat"))
QUESTION = "How much did NASA pay for the lunar lander's science instruments?"
LANDER = {"title": "Lunar lander instruments", "date": "2024-02-01", "source": "NASA", "url": "https://nasa.gov/lander",
          "text": "NASA paid $118 million for the lunar lander's science instruments, the agency said on Thursday. "
                  "The instruments will study the ice near the lunar south pole."}
HARBOUR = "# Harbour reopens\n\nThe harbour at Porto Alto reopened on Monday after the storm.\n"


def cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    done = subprocess.run([CLI, *args], capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@contextmanager
def serving(store: Path, env: dict, log: Path) -> Iterator[Client]:
    """`archive-chat serve` on a free port, as a user starts it; its log is checked for tracebacks at the end."""
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen([CLI, "serve", "--store", str(store), "--port", str(port)], stdout=out,
                                stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 300  # a cold start loads the model and Gradio: seconds, not minutes
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except OSError:
                assert proc.poll() is None, log.read_text()
                assert time.monotonic() < deadline, f"not answering on port {port} after 300 s:\n{log.read_text()}"
                time.sleep(0.5)  # polling interval, bounded by the deadline above
        yield Client(f"http://127.0.0.1:{port}/", verbose=False)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
    text = log.read_text()
    assert "Traceback" not in text and "InternalError" not in text, text


def cited(client: Client) -> list[str]:
    answer = client.predict(QUESTION, "", api_name="/ask")
    return [c["title"] for c in answer["citations"]]


def environment(**extra: str) -> dict:
    return {**os.environ, "ANONYMIZED_TELEMETRY": "False", "GRADIO_ANALYTICS_ENABLED": "False", **extra}


def test_apps_on_the_embedded_store_see_cli_ingest_delete_and_doctor_at_once(tmp_path):
    store, env = tmp_path / "store", environment()
    (tmp_path / "harbour.md").write_text(HARBOUR)
    (tmp_path / "lander.jsonl").write_text(json.dumps(LANDER) + "\n")
    cli("ingest", str(tmp_path / "harbour.md"), "--store", str(store), "--quiet", env=env)
    with serving(store, env, tmp_path / "a.log") as first, serving(store, env, tmp_path / "b.log") as second:
        assert "Lunar lander instruments" not in cited(first)
        cli("ingest", str(tmp_path / "lander.jsonl"), "--store", str(store), "--quiet", env=env)
        assert cited(first)[0] == cited(second)[0] == "Lunar lander instruments"
        cli("doctor", "--store", str(store), "--fix", env=env)
        assert cited(second)[0] == "Lunar lander instruments"
        cli("delete", "--url", LANDER["url"], "--store", str(store), env=env)
        assert "Lunar lander instruments" not in cited(first) + cited(second)
        assert first.predict(api_name="/stats")["articles"] == 1


@pytest.mark.server
def test_replicas_with_empty_local_folders_serve_one_server_archive(chroma_server, tmp_path):
    env = environment(ARCHIVE_CHAT_CHROMA_URL=chroma_server, ARCHIVE_CHAT_COLLECTION=f"r{abs(hash(tmp_path)) % 10**9}")
    (tmp_path / "harbour.md").write_text(HARBOUR)
    (tmp_path / "lander.jsonl").write_text(json.dumps(LANDER) + "\n")
    cli("ingest", str(tmp_path / "harbour.md"), "--store", str(tmp_path / "cli"), "--quiet", env=env)
    with serving(tmp_path / "one", env, tmp_path / "a.log") as one, \
            serving(tmp_path / "two", env, tmp_path / "b.log") as two:
        cli("ingest", str(tmp_path / "lander.jsonl"), "--store", str(tmp_path / "cli"), "--quiet", env=env)
        assert cited(two)[0] == "Lunar lander instruments"  # ingested through another process, asked of this one
        assert one.predict(api_name="/stats")["articles"] == two.predict(api_name="/stats")["articles"] == 2
        cli("delete", "--url", LANDER["url"], "--store", str(tmp_path / "cli"), env=env)
        assert "Lunar lander instruments" not in cited(one) + cited(two)
    assert not (tmp_path / "one" / "chroma").exists()  # a replica's folder holds caches only


@pytest.mark.server
def test_migrate_copies_an_embedded_store_into_a_server_without_reembedding(chroma_server, tmp_path):
    store, server = tmp_path / "store", environment(ARCHIVE_CHAT_COLLECTION=f"m{abs(hash(tmp_path)) % 10**9}")
    (tmp_path / "lander.jsonl").write_text(json.dumps(LANDER) + "\n")
    cli("ingest", str(SEED), str(tmp_path / "lander.jsonl"), "--store", str(store), "--quiet", env=server)
    here = json.loads(cli("ask", QUESTION, "--store", str(store), "--json", env=server).stdout)
    moved = cli("migrate", "--store", str(store), "--to", chroma_server, "--quiet",
                env={**server, "ARCHIVE_CHAT_CHROMA_URL": chroma_server}).stdout  # the source stays the folder
    assert "2 articles" in moved and "copied to" in moved
    there = json.loads(cli("ask", QUESTION, "--store", str(tmp_path / "replica"), "--chroma-url", chroma_server,
                           "--json", env=server).stdout)
    assert there["answer"] == here["answer"] and there["citations"] == here["citations"]
    doctor = cli("doctor", "--store", str(tmp_path / "replica"), "--chroma-url", chroma_server, env=server)
    assert doctor.stdout.rstrip().endswith("healthy")


def test_an_ingest_takes_the_store_over_when_the_app_serving_it_is_killed(tmp_path):
    store, env = tmp_path / "store", environment()
    (tmp_path / "harbour.md").write_text(HARBOUR)
    words = ["harbour", "ferry", "storm", "quay", "pier", "tide", "crane", "cargo", "pilot", "beacon"]
    (tmp_path / "many.jsonl").write_text("".join(json.dumps({
        "title": f"Dock report {i}", "date": "2024-03-01", "url": f"https://example.org/dock/{i}",
        "text": " ".join(f"Dock {i} saw the {words[j % 10]} number {j} on shift {i * j}." for j in range(120))})
        + "\n" for i in range(120)))
    cli("ingest", str(tmp_path / "harbour.md"), "--store", str(store), "--quiet", env=env)
    port = free_port()
    with (tmp_path / "app.log").open("w") as out:
        app = subprocess.Popen([CLI, "serve", "--store", str(store), "--port", str(port)], stdout=out,
                               stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 300
        while not (store / "chroma.json").exists() or not _answers(port):
            assert app.poll() is None and time.monotonic() < deadline, (tmp_path / "app.log").read_text()
            time.sleep(0.5)
        ingest = subprocess.Popen([CLI, "ingest", str(tmp_path / "many.jsonl"), "--store", str(store)],
                                  stderr=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
        progress = _ProgressReader(ingest.stderr)
        # the first batch written through the app, the rest still to come: then the app dies
        assert progress.reaches(r"\b(\d+) stored", 1, deadline=time.monotonic() + 600), progress.text
    finally:
        app.kill()  # SIGKILL: no atexit, no goodbye; the kernel stops its Chroma server with it
        app.wait(timeout=60)
    assert ingest.wait(timeout=600) == 0, progress.text
    progress.join()
    assert "the app serving this store stopped; this ingest opened the store itself" in progress.text
    assert "Traceback" not in progress.text
    assert json.loads(cli("stats", "--store", str(store), "--json", env=env).stdout)["articles"] == 121
    assert cli("doctor", "--store", str(store), env=env).stdout.rstrip().endswith("healthy")


def _answers(port: int) -> bool:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
        return True
    except OSError:
        return False


class _ProgressReader(threading.Thread):
    """A child's stderr read as it comes (tqdm rewrites its line with \\r), so a test can act mid-run."""

    def __init__(self, stream) -> None:
        super().__init__(daemon=True)
        self.stream, self.text = stream, ""
        self.start()

    def run(self) -> None:
        while chunk := os.read(self.stream.fileno(), 4096):
            self.text += chunk.decode(errors="replace")

    def reaches(self, pattern: str, at_least: int, deadline: float) -> bool:
        while time.monotonic() < deadline and self.is_alive():
            if any(int(n) >= at_least for n in re.findall(pattern, self.text)):
                return True
            time.sleep(0.1)
        return False
