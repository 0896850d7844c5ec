"""The web app: the real Gradio app over HTTP (gradio_client and its REST API), the serve command, and a real
headless browser on a small dated archive."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

for _name, _value in {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
                      "DO_NOT_TRACK": "1"}.items():
    os.environ[_name] = _value

import dated  # noqa: E402
import gradio as gr  # noqa: E402
import httpx  # noqa: E402
import pytest  # noqa: E402
from click.testing import CliRunner  # noqa: E402
from conftest import free_port  # noqa: E402
from gradio_client import Client, handle_file  # noqa: E402

import app  # noqa: E402
from assistant import Answer, Assistant, uploads  # noqa: E402
from assistant.cli import main as cli  # noqa: E402
from assistant.ui import blocks  # noqa: E402
from assistant.ui.progress import articles_read  # noqa: E402
from vectorstore.ingest import Ingestor  # noqa: E402
from vectorstore.settings import Settings  # noqa: E402
from vectorstore.store import Archive  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SEED_QUESTION = "Who headed the Hamas delegation that met Hezbollah in Beirut?"
CHROMIUM = Path("/usr/bin/chromium")
DOCS = ROOT / "docs"
ARTIFACTS = ROOT / "test-artifacts"
HOSTILE = ("<script>window.__pwned='script'</script> <img src=x onerror=\"window.__pwned='img'\"> "
           "[click](javascript:window.__pwned='md') ![x](http://evil.example/x.png) "
           "<a href=\"javascript:alert('a')\">link</a> <svg onload=\"window.__pwned='svg'\"></svg> "
           "<iframe src=\"data:text/html,<script>parent.__pwned='iframe'</script>\"></iframe> "
           "${window.__pwned='template'} {{constructor.constructor('window.__pwned=1')()}}")
API_NAMES = {"respond", "new_chat", "any_date", "open_source", "rate", "export_markdown", "export_json", "ingest",
             "browse", "show_article", "ask_delete", "cancel_delete", "delete", "browse_after_delete", "refresh",
             "chat_sources", "ask", "stats"}


class ShortAssistant(Assistant):
    """The real assistant; until the answerers give short answers, the first cited sentence stands in for one."""

    def stream(self, *args, **kwargs) -> Iterator[str | Answer]:
        for piece in super().stream(*args, **kwargs):
            if isinstance(piece, Answer) and piece.short_answer is None and piece.citations:
                c = piece.citations[0]
                piece.short_answer = c.excerpt[c.highlight_start - c.char_start:c.highlight_end - c.char_start]
            yield piece


@contextmanager
def _serving(archive: Archive, assistant: type[Assistant] = Assistant) -> Iterator[str]:
    """The app on a free loopback port, launched the way `serve` launches it; yields its URL."""
    demo = blocks.build_app(assistant(archive))
    port = free_port()
    blocks.launch(demo, port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


def _client(url: str) -> Client:
    return Client(url, verbose=False, download_files=False)


def _respond(client: Client, question: str, since: str = "", until: str = "") -> tuple[str, str, str]:
    """One question through the chat's own event: (transcript, evidence panel, article panel)."""
    _, transcript, panel, article = client.predict(question, since, until, [], False, 5, api_name="/respond")
    return transcript, panel, article


# --- the running app --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(news_store):
    with _serving(news_store) as url:
        yield url


@pytest.fixture
def client(served):
    return _client(served)


def test_every_event_and_endpoint_is_named(news_store):
    names = {d["api_name"] for d in blocks.build_app(Assistant(news_store)).config["dependencies"]}
    assert names == API_NAMES


def test_ask_endpoint_answers_with_citations(client):
    result = client.predict(SEED_QUESTION, json.dumps({"k": 5}), api_name="/ask")
    result = json.loads(result) if isinstance(result, str) else result
    assert "Ahmed Abdel Hadi" in result["answer"] and not result["refused"]
    assert "Ahmed Abdel Hadi" in result["citations"][0]["excerpt"] and result["timeline"]


def test_ask_endpoint_reports_bad_questions(client):
    with pytest.raises(Exception, match="empty"):
        client.predict("   ", "", api_name="/ask")
    with pytest.raises(Exception, match="JSON object"):
        client.predict(SEED_QUESTION, "[1]", api_name="/ask")


def test_stats_endpoint_counts_articles(client, news_store):
    result = client.predict(api_name="/stats")
    result = json.loads(result) if isinstance(result, str) else result
    assert result["articles"] == news_store.stats()["articles"] >= 41 and result["by_month"]


def test_chat_shows_errors_as_messages(client):
    assert "question is empty" in _respond(client, "")[0]
    assert "not a date" in _respond(client, SEED_QUESTION, "not a date")[0]


def test_chat_answers_then_opens_the_cited_article(client):
    transcript, panel, _ = _respond(client, SEED_QUESTION)
    assert "Ahmed Abdel Hadi" in transcript and 'class="cite" data-turn="0" data-n="1"' in transcript
    assert 'id="source-1"' in panel and "<mark>" in panel and 'class="open-article"' in panel
    panel, article = client.predict("0", "1", api_name="/open_source")
    assert "source-card current" in panel and '<mark id="cited">' in article
    assert re.search(r"<mark>[^<]*Ahmed Abdel Hadi", article)
    with pytest.raises(Exception, match="not in this conversation"):
        client.predict("5", "1", api_name="/open_source")


def test_any_answer_is_rated_and_eval_reads_it(served, news_store):
    from assistant.evaluate import read_questions

    path = news_store.folder / "feedback.jsonl"
    path.unlink(missing_ok=True)
    client = _client(served)  # one session: the ratings are of its answers
    with pytest.raises(Exception, match="Nothing to rate yet"):
        client.predict("0", "up", "", api_name="/rate")
    _respond(client, SEED_QUESTION)
    _respond(client, "Where did the delegation meet?")
    assert client.predict("0", "up", "  exactly right ", api_name="/rate") == ""  # the note box is cleared
    line = json.loads(path.read_text().splitlines()[-1])
    assert line["rating"] == "up" and line["note"] == "exactly right" and line["question"] == SEED_QUESTION
    assert "Ahmed Abdel Hadi" in line["citations"][0]["excerpt"]
    client.predict("1", "down", "", api_name="/rate")
    assert json.loads(path.read_text().splitlines()[-1])["question"] == "Where did the delegation meet?"
    question, *_ = list(read_questions(path, warn=lambda _: None))
    assert question.question == SEED_QUESTION and any("Ahmed Abdel Hadi" in a for a in question.answers)


def test_exports_hold_the_session_conversation(served):
    client = _client(served)
    with pytest.raises(Exception, match="Nothing to export"):
        client.predict(api_name="/export_json")
    _respond(client, SEED_QUESTION)
    exported = client.predict(api_name="/export_json")
    assert json.loads(Path(exported["value"]["path"]).read_text())[0]["question"] == SEED_QUESTION
    markdown = client.predict(api_name="/export_markdown")
    assert "Ahmed Abdel Hadi" in Path(markdown["value"]["path"]).read_text()


def test_upload_is_ingested_and_its_html_escaped(tmp_path, embedder):
    record = {"title": "<script>alert(1)</script> Zorblax festival", "url": "javascript:alert(1)",
              "source": "<img src=x onerror=alert(1)>", "date": "2021-03-04",
              "text": "The Zorblax festival in Quenton was opened on 3 March 2021 by mayor Ilse Varga "
                      "<img src=x onerror=alert(1)>, who cut a ribbon of reeds. More than four thousand visitors "
                      "came to the festival in the valley, organisers said."}
    upload = tmp_path / "client" / "<b>x<b> ..%2f;rm -rf .jsonl"
    upload.parent.mkdir()
    upload.write_text(json.dumps(record) + "\n")
    archive = Archive(Settings(store=tmp_path / "store"), embedder)
    with _serving(archive) as url:
        client = _client(url)
        report, _, stats, *_ = client.predict([handle_file(upload)], api_name="/ingest")
        assert report["data"][0][1].startswith("added 1") and "<b>1</b> articles" in stats
        (saved,) = (tmp_path / "store" / "uploads").iterdir()
        assert re.fullmatch(r"[A-Za-z0-9_-]+-[0-9a-f]{12}\.jsonl", saved.name), saved.name
        transcript, panel, _ = _respond(client, "Who opened the Zorblax festival?")
    assert "Ilse Varga" in transcript and 'data-n="1"' in transcript
    for out in (transcript, panel, stats):
        assert "<script" not in out and "<img" not in out and 'href="javascript' not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Zorblax festival" in panel
    assert "&lt;img src=x onerror=alert(1)&gt;" in stats  # the source, per source


def test_ingest_reports_each_article_to_the_app(tmp_path, embedder):
    (tmp_path / "news.jsonl").write_text("".join(
        json.dumps({"title": f"Flood {i}", "text": f"The river flooded the town of Ambry{i} in May."}) + "\n"
        for i in range(3)) + "not json\n")
    seen: list[int] = []
    summary = Ingestor(Archive(Settings(store=tmp_path / "store"), embedder), report=lambda line: None).run(
        [tmp_path / "news.jsonl"], progress=lambda s: seen.append(articles_read(s)))
    assert seen == [1, 2, 3] and summary.added == 3 and summary.failed == 1


def test_cli_ingest_bar_counts_files_against_a_total(tmp_path):
    news = tmp_path / "news"
    news.mkdir()
    for i in range(3):
        (news / f"flood-{i}.md").write_text(f"# Flood {i}\n\nThe river flooded the town of Ambry{i} in May.\n")
    result = CliRunner().invoke(cli, ["ingest", str(news), "--store", str(tmp_path / "store")])
    assert result.exit_code == 0, result.output
    assert re.search(r"ingest: 100%.*\b3/3 \[.*files/s, 3 articles stored\]", result.stderr), result.stderr


def test_ingest_streams_progress_with_files_done_of_the_total(tmp_path, embedder):
    folder = tmp_path / "client"
    folder.mkdir()
    files = [folder / "notes.docx"]
    files[0].write_bytes(b"PK not an article")
    for i, town in enumerate(["Ambry", "Brill", "Cobb"]):
        files.append(folder / f"flood-{i}.md")
        files[-1].write_text(f"# Flood in {town}\n\nThe river flooded the town of {town} on {i + 1} May 2021.\n")
    with _serving(Archive(Settings(store=tmp_path / "store"), embedder)) as url:
        job = _client(url).submit([handle_file(f) for f in files], api_name="/ingest")
        final = job.result(timeout=300)
        outputs = job.outputs()
    reports, statuses = [o[0]["data"] for o in outputs], [o[1] for o in outputs]
    lines = [len(r) for r in reports]
    assert lines == sorted(lines) and set(lines) == {1, 2, 3, 4}  # the refused file at once, a line as each file ends
    assert reports[0] == [["notes.docx", "rejected", "unsupported file type '.docx'"]]
    assert all(row[1].startswith("added 1, updated 0") for row in reports[-1][1:])
    assert statuses[0].startswith("0 of 3 files done · time left: estimating · now flood-0-")
    assert re.match(r"1 of 3 files done · time left: about \d+ s · now flood-1-", statuses[lines.index(2)])
    assert final[1] == statuses[-1] and final[1].startswith("3 of 3 files done · 3 articles read (3 added, 0 updated")
    assert "holds 3 articles" in final[1] and "<b>3</b> articles" in final[2]  # the stats only at the end


def _upload(url: str, name: str, body: bytes) -> httpx.Response:
    """A raw multipart upload: the file name is whatever the sender says it is."""
    return httpx.post(f"{url}gradio_api/upload", files=[("files", (name, body, "application/octet-stream"))])


def _call(url: str, api: str, *data) -> tuple[str, list]:
    """One call of a named endpoint over Gradio's REST API: its last event ("complete" or "error") and data."""
    event_id = httpx.post(f"{url}gradio_api/call/{api}", json={"data": list(data)}).json()["event_id"]
    stream = httpx.get(f"{url}gradio_api/call/{api}/{event_id}", timeout=300).text
    event, payload = stream.strip().split("\n\n")[-1].splitlines()[:2]
    return event.removeprefix("event: "), json.loads(payload.removeprefix("data: "))


def test_upload_names_never_become_paths_and_limits_hold(tmp_path, embedder, monkeypatch):
    monkeypatch.setattr(blocks, "MAX_UPLOAD_MB", 2)  # Gradio turns away anything larger at the door...
    monkeypatch.setattr(uploads, "MAX_UPLOAD_MB", 1)  # ...and the app refuses what is larger than its own limit
    body = json.dumps({"title": "Quill flood", "text": "The Quill river flooded the town of Ambry in May."}).encode()
    names = ["../../escape.jsonl", "/etc/absolute.jsonl", "nul\x00name.jsonl", 'odd<>|:*?"\\name.jsonl',
             "tool.exe", "big.txt"]
    store = tmp_path / "store"
    with _serving(Archive(Settings(store=store), embedder)) as url:
        responses = [_upload(url, name, b"a" * (1536 * 1024) if name == "big.txt" else body) for name in names]
        assert [r.status_code for r in responses] == [200] * len(names)
        too_big = _upload(url, "huge.txt", b"a" * (3 * 1024 * 1024))
        on_server = [r.json()[0] for r in responses]
        event, (report, status, *_) = _call(url, "ingest", [
            {"path": path, "orig_name": name, "meta": {"_type": "gradio.FileData"}}
            for path, name in zip(on_server, names, strict=True)])
        refused = [_call(url, "ingest", [{"path": path, "meta": {"_type": "gradio.FileData"}}])[0]
                   for path in ("/etc/hostname", str(store / "docstore.sqlite3"))]
    assert too_big.status_code == 413 and refused == ["error", "error"]  # only what a user uploaded is read
    assert event == "complete", report
    rows = {row[0]: row[1:] for row in report["data"]}
    assert rows["tool.exe"] == ["rejected", "unsupported file type '.exe'"]
    assert rows["big.txt"] == ["rejected", "larger than 1 MB"]
    stored = sorted(p.name for p in (store / "uploads").iterdir())
    assert [name.split("-")[0] for name in stored] == ["absolute", "escape", "nul_00name", "odd_22name"], stored
    assert all(re.fullmatch(r"[A-Za-z0-9_-]+-[0-9a-f]{12}\.jsonl", name) for name in stored)
    assert sorted(rows[name][0].split(",")[0] for name in stored) == ["added 0"] * 3 + ["added 1"]  # same text
    assert "4 of 4 files done" in status and not list(tmp_path.glob("**/escape.jsonl"))
    assert not Path("/etc/absolute.jsonl").exists()


def test_serve_ingests_the_samples_into_an_empty_store(tmp_path, monkeypatch, embedder):
    samples = tmp_path / "samples"
    samples.mkdir()
    dated.write(samples / "news.jsonl")
    launched = {}
    monkeypatch.setattr(app, "SAMPLES", samples)
    monkeypatch.setattr(app, "Archive", lambda settings: Archive(settings, embedder))
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: launched.update(kw))
    monkeypatch.setenv("ARCHIVE_CHAT_PORT", "7999")
    result = CliRunner().invoke(cli, ["serve", "--store", str(tmp_path / "store"), "--auth", "ann:s3cret"])
    assert result.exit_code == 0, result.output
    assert "ingesting the samples" in result.output
    assert Archive(Settings(store=tmp_path / "store"), embedder).stats()["articles"] == 11
    assert launched["auth"] == ("ann", "s3cret") and launched["server_port"] == 7999
    assert launched["server_name"] == "127.0.0.1" and launched["share"] is False
    bad = CliRunner().invoke(cli, ["serve", "--store", str(tmp_path / "store"), "--auth", "no-colon"])
    assert bad.exit_code == 2 and "USER:PASS" in bad.output
    shown = CliRunner().invoke(cli, ["serve", "--help"]).output
    assert all(f"ARCHIVE_CHAT_{name}" in shown for name in ("STORE", "HOST", "PORT", "AUTH"))


def test_delete_removes_an_article(tmp_path, embedder):
    archive = Archive(Settings(store=tmp_path / "store"), embedder)
    (tmp_path / "a.md").write_text("# Ferry strike\n\nThe Lisbon ferry crews struck on Friday over pay.\n")
    Ingestor(archive, report=lambda line: None).run([tmp_path / "a.md"], progress=False)
    (row,) = archive.articles()
    with _serving(archive) as url:
        client = _client(url)
        with pytest.raises(Exception, match="Pick an article"):
            client.predict("", api_name="/delete")
        client.predict(row["id"], api_name="/delete")
        assert "Ferry strike" not in str(client.predict("", [], "", "", api_name="/browse"))
    assert archive.article(row["id"]) is None and archive.stats()["articles"] == 0
