"""The web app: the real Gradio app over HTTP (gradio_client and its REST API), the serve command, and a real
headless browser on a small dated archive."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
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

from assistant import Answer, Assistant, uploads  # noqa: E402
from assistant import serve as serve_module  # noqa: E402
from assistant.cli import main as cli  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.ui import blocks  # noqa: E402
from assistant.ui.progress import articles_read  # noqa: E402
from vectorstore.ingest import Ingestor  # noqa: E402
from vectorstore.store import Archive  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SEED_QUESTION = "Who headed the Hamas delegation that met Hezbollah in Beirut?"
CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(os.environ.get("AXE_CORE_DIR", Path.home() / ".cache" / "archive-chat" / "axe"))  # npm axe-core@4 here
HOSTILE = ("<script>window.__pwned='script'</script> <img src=x onerror=\"window.__pwned='img'\"> "
           "[click](javascript:window.__pwned='md') ![x](http://evil.example/x.png) "
           "<a href=\"javascript:alert('a')\">link</a> <svg onload=\"window.__pwned='svg'\"></svg> "
           "<iframe src=\"data:text/html,<script>parent.__pwned='iframe'</script>\"></iframe> "
           "${window.__pwned='template'} {{constructor.constructor('window.__pwned=1')()}}")
API_NAMES = {"respond", "new_chat", "any_date", "open_source", "rate", "export_markdown", "export_json", "cite",
             "cite_answer", "ingest", "browse", "show_article", "ask_delete", "cancel_delete", "delete",
             "browse_after_delete", "refresh", "chat_sources", "ask", "stats", "export_markdown_download",
             "export_json_download", "cite_download", "cite_answer_download"}


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
    assert "Ahmed Abdel Hadi" in result["citations"][0]["excerpt"]
    assert len(result["timeline"]) != 1  # the chart counts the articles about the question: none of one alone


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
    from assistant.eval.questions import read_questions

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


def test_cite_writes_the_cited_articles_as_references(served):
    client = _client(served)
    _respond(client, SEED_QUESTION)
    bib = Path(client.predict("BibTeX", api_name="/cite")["value"]["path"])
    assert bib.suffix == ".bib" and bib.read_text().lstrip().startswith("@")
    ris = Path(client.predict("RIS", api_name="/cite")["value"]["path"]).read_text()
    assert ris.lstrip().startswith("TY  - ") and "ER  - " in ris


@pytest.mark.browser
def test_browser_export_and_cite_are_one_click_downloads(dated_url):
    url, _ = dated_url
    with _browser(url) as (page, dialogs, _):
        _ask(page, "Who opened the Varnholm bridge?")
        page.get_by_role("button", name="Rate and export").click()
        with page.expect_download(timeout=30_000) as got:
            page.get_by_role("button", name="Export Markdown").click()
        text = Path(got.value.path()).read_text()
        assert got.value.suggested_filename.endswith(".md") and "## References" in text
        page.get_by_label("RIS").check()
        with page.expect_download(timeout=30_000) as got:
            page.get_by_role("button", name="Cite sources").click()
        assert got.value.suggested_filename.endswith(".ris") and "TY  - " in Path(got.value.path()).read_text()
        with page.expect_download(timeout=30_000) as got:  # one answer's sources, from the button under it
            page.locator("#chat .turn").nth(0).get_by_role("button", name="Cite the sources of answer 1").click()
        assert got.value.suggested_filename.endswith(".ris") and "Varnholm" in Path(got.value.path()).read_text()


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


def test_cli_ingest_bar_counts_articles_against_a_total(tmp_path):
    news = tmp_path / "news"
    news.mkdir()
    for i in range(3):
        (news / f"flood-{i}.md").write_text(f"# Flood {i}\n\nThe river flooded the town of Ambry{i} in May.\n")
    result = CliRunner().invoke(cli, ["ingest", str(news), "--store", str(tmp_path / "store")])
    assert result.exit_code == 0, result.output
    assert re.search(r"ingest: 100%.*\b3/3 \[.*articles/s, 3 stored\]", result.stderr), result.stderr


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
    assert statuses[0].startswith("0 of 3 articles · time left: estimating · 0 of 3 files done · now flood-0-")
    assert re.match(r"1 of 3 articles · [\d.]+ articles/s · about \d+ s left · 1 of 3 files done · now flood-1-",
                    statuses[lines.index(2)])
    assert final[1] == statuses[-1] and re.match(r"3 of 3 articles · [\d.]+ articles/s · 3 of 3 files done · "
                                                 r"3 added, 0 updated", final[1])
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
                   for path in ("/etc/hostname", str(store / "chroma" / "chroma.sqlite3"))]
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
    monkeypatch.setattr(serve_module, "SAMPLES", samples)
    # the session's model, and no Chroma server left running for the rest of pytest
    monkeypatch.setattr(serve_module, "Archive", lambda settings, serving: Archive(settings, embedder))
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
    assert archive.parts.chunks.count() == 0 and archive.bm25_index().ids == []  # gone from every index


# --- a real browser ---------------------------------------------------------------------------------------------


@contextmanager
def _browser(url: str) -> Iterator[tuple[object, list[str], list[str]]]:
    """A headless Debian chromium on the app: (page, dialogs opened, requests to anywhere but the app)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    dialogs: list[str] = []
    elsewhere: list[str] = []

    def route(route) -> None:  # fonts and the like from the internet: not reachable, not waited for
        if route.request.url.startswith(url):
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.route("**/*", route)
            page.goto(url)
            yield page, dialogs, elsewhere
        finally:
            browser.close()


def _ask(page, question: str, turns: int = 1) -> None:
    box = page.locator("#question textarea")
    box.wait_for(timeout=30_000)
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('#chat .turn .turn-tools').length >= {turns}",
                           timeout=60_000)


def _value(page, elem_id: str) -> str:
    return page.locator(f"#{elem_id} textarea, #{elem_id} input").first.input_value()


# Is the element on screen: inside the window and inside every scrolling box around it?
_IN_VIEW = """(el) => {
  const r = el.getBoundingClientRect();
  if (r.height === 0 || r.top < 0 || r.bottom > innerHeight) return false;
  for (let p = el.parentElement; p; p = p.parentElement) {
    const s = getComputedStyle(p);
    if (!/(auto|scroll)/.test(s.overflowY)) continue;
    const b = p.getBoundingClientRect();
    if (r.top < b.top - 1 || r.bottom > b.bottom + 1) return false;
  }
  return true;
}"""


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Path:
    """Where the browser tests leave their screenshots: a temporary folder, never the source tree."""
    return tmp_path_factory.mktemp("screenshots")


# The bridge's opening as a second outlet carried it, a day earlier: stored once, as the Varnholm gazette's story.
WIRE_COPY = {**dated.records()[5], "url": "https://elm-valley-post.example/opening", "source": "Elm valley post",
             "date": "2022-05-11"}


@pytest.fixture(scope="module")
def dated_url(tmp_path_factory, embedder):
    folder = tmp_path_factory.mktemp("dated-app")
    archive = Archive(Settings(store=folder / "store"), embedder)
    Ingestor(archive, report=lambda line: None).run([dated.write(folder / "news.jsonl", [WIRE_COPY])],
                                                     progress=False)
    with _serving(archive, ShortAssistant) as url:
        yield url, archive


@pytest.mark.browser
def test_browser_answer_first_and_a_click_on_1_opens_the_article_at_the_highlight(dated_url, shots):
    url, _ = dated_url
    with _browser(url) as (page, dialogs, _):
        _ask(page, "Who opened the Varnholm bridge in May 2022?")
        short = page.locator("#chat .turn .short-answer strong").first
        assert short.is_visible() and "Ilse Varga" in short.inner_text()
        assert int(short.evaluate("e => getComputedStyle(e).fontWeight")) >= 600
        assert page.locator("#chat .turn svg.chart .bar").count() >= 1  # the chart beside the answer
        page.locator("#chat button.cite", has_text="[1]").first.click()
        mark = page.locator("#article mark#cited")
        mark.wait_for(timeout=20_000)
        page.wait_for_function(f"({_IN_VIEW})(document.querySelector('#article mark#cited'))", timeout=10_000)
        assert "Mayor opens the Varnholm bridge" in page.locator("#article h3").inner_text()
        assert "Ilse Varga" in page.locator("#article").locator("mark").all_inner_texts()[0] + page.locator(
            "#article mark").last.inner_text()
        assert "current" in page.locator("#sources #source-1").get_attribute("class")
        page.screenshot(path=str(shots / "answer.png"))
    assert not dialogs


@pytest.mark.browser
def test_browser_chart_range_sets_the_dates_and_any_answer_is_rated(dated_url):
    url, archive = dated_url
    path = archive.folder / "feedback.jsonl"
    path.unlink(missing_ok=True)
    with _browser(url) as (page, dialogs, _):
        _ask(page, "What happened to the Varnholm bridge?")
        bars = page.locator("#chat .turn svg.chart .bar")
        labels = [bars.nth(i).get_attribute("data-label") for i in range(bars.count())]
        assert labels[0] == "2021-09" and labels[-1] == "2022-08" and len(labels) == 12  # by month, gaps included
        assert page.locator("#chat svg.chart rect.cited").count() >= 1  # the cited ones marked
        bars.nth(labels.index("2022-03")).click()
        assert (_value(page, "chat-since"), _value(page, "chat-until")) == ("2022-03-01", "2022-03-31")
        first, last = (bars.nth(labels.index(m)).bounding_box() for m in ("2021-10", "2021-12"))
        page.mouse.move(first["x"] + first["width"] / 2, first["y"] + first["height"] - 2)
        page.mouse.down()
        page.mouse.move(last["x"] + last["width"] / 2, last["y"] + last["height"] - 2, steps=5)
        page.mouse.up()
        assert (_value(page, "chat-since"), _value(page, "chat-until")) == ("2021-10-01", "2021-12-31")
        _ask(page, "What happened to the Varnholm bridge?", turns=2)
        second = page.locator("#chat .turn").nth(1)
        spans = [(b.get_attribute("data-since"), b.get_attribute("data-until"))
                 for b in second.locator("svg.chart .bar").all()]
        assert spans and spans[0][1] >= "2021-10-01" and spans[-1][0] <= "2021-12-31", spans  # searched in the range
        dates = [d.strip() for d in page.locator("#sources .source-meta").all_text_contents()]
        assert dates and all("2021-10-01" <= d.split(" · ")[1] <= "2021-12-31" for d in dates), dates
        page.get_by_role("button", name="Rate and export").click()
        page.locator("#note textarea").fill("dates were off")
        page.locator("#chat .turn").nth(0).locator("button.rate[data-rate='down']").click()
        page.wait_for_function("document.querySelector('#note textarea').value === ''", timeout=10_000)
        toast = page.locator(".toast-body").filter(has_text="rated bad")
        toast.wait_for(timeout=10_000)
        assert "answer 1 rated bad" in toast.inner_text()
        assert "feedback" not in toast.inner_text() and str(archive.folder) not in toast.inner_text()  # no paths
    assert not dialogs
    line = json.loads(path.read_text().splitlines()[-1])
    assert line["rating"] == "down" and line["question"] == "What happened to the Varnholm bridge?"


@pytest.mark.browser
def test_browser_archive_tab_charts_browses_and_deletes_after_confirming(tmp_path, embedder, shots):
    archive = Archive(Settings(store=tmp_path / "store"), embedder)
    Ingestor(archive, report=lambda line: None).run([dated.write(tmp_path / "news.jsonl")], progress=False)
    with _serving(archive) as url, _browser(url) as (page, dialogs, _):
        page.get_by_role("tab", name="Archive").click()
        page.wait_for_selector("#stats svg.chart .bar", timeout=30_000)
        assert "11 articles" in page.locator("#stats").inner_text()
        assert "published 2021-09-14 to 2022-08-30" in page.locator("#stats").inner_text()
        assert page.locator("#stats .by-source tr").all_inner_texts()[0].split("\t")[0] == "Varnholm gazette"
        page.screenshot(path=str(shots / "archive.png"))
        page.locator("#stats svg.chart .bar[data-label='2022-05']").click()
        page.wait_for_function("document.querySelector('#articles').innerText.includes('Crowds cross')")
        page.wait_for_function("!document.querySelector('#articles').innerText.includes('Frost halts')")
        page.locator("#articles").get_by_text("Crowds cross the new Varnholm bridge").last.click()
        page.wait_for_selector("#shown article", timeout=20_000)
        page.locator("#delete").click()
        page.wait_for_selector("#confirm-text .confirm", timeout=10_000)
        assert archive.stats()["articles"] == 11  # nothing goes before the confirmation
        assert "Crowds cross the new Varnholm bridge" in page.locator("#confirm-text").inner_text()
        page.locator("#confirm-delete").click()
        page.wait_for_function("!document.querySelector('#articles').innerText.includes('Crowds cross')",
                               timeout=20_000)
    assert not dialogs and archive.stats()["articles"] == 10


# What a page must not hold once hostile articles are on screen: anything that runs code or loads from elsewhere,
# anywhere on the page, and in the parts that show the archive no image at all and only links of ours.
_LIVE_DOM = """() => {
  const archive = '#chat, #sources, #article, #articles, #shown, #stats';
  const scheme = /^\\s*(javascript|vbscript|data):/i;
  return {
    pwned: window.__pwned === undefined ? null : String(window.__pwned),
    scriptUrls: [...document.querySelectorAll('[href],[src],[action],[formaction]')]
      .flatMap(e => ['href', 'src', 'action', 'formaction'].map(a => e.getAttribute(a) || ''))
      .filter(v => /^\\s*(javascript|vbscript):/i.test(v) || /evil|pwned/i.test(v)),
    handlers: [...document.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.name))
      .filter(n => /^on/i.test(n)),
    payloadNodes: [...document.querySelectorAll('script, iframe, object, embed, svg:not(.chart)')]
      .filter(e => e.outerHTML.includes('pwned')).length,
    images: document.querySelectorAll(archive.split(', ').map(s => s + ' img').join(', ')).length,
    links: [...document.querySelectorAll(archive.split(', ').map(s => s + ' a').join(', '))]
      .map(a => a.getAttribute('href') || '').filter(h => scheme.test(h) || !/^https:\\/\\//.test(h)),
  };
}"""


@pytest.mark.browser
def test_browser_hostile_articles_stay_inert(tmp_path, embedder, shots):
    """Issue 7: script, event handlers, javascript:/data: URLs, Markdown links and template syntax in titles, text,
    sources and URLs, shown in the answer, its chart, the cards, the article and the Archive tab."""
    records = [
        {"title": f"Pwnfest {HOSTILE}", "url": "javascript:window.__pwned='url'", "date": "2021-05-01",
         "source": "<img src=x onerror=\"window.__pwned='source'\">",
         "text": f"The Pwnfest harvest fair in Quillby was opened by mayor Odile Fenn {HOSTILE} on 1 May 2021.\n\n"
                 f"More than 900 people came to the Pwnfest fair in Quillby, organisers said {HOSTILE}."},
        {"title": "[Quillby ferry](javascript:alert('md-title')) ![x](http://evil.example/t.png)",
         "url": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "source": "[s](javascript:alert(2))",
         "date": "2021-05-02",
         "text": f"The Quillby ferry to the Pwnfest fair was run by captain Arno Weil {HOSTILE}."},
        {"title": "Quillby market", "url": "https://example.org/q\" onmouseover=\"window.__pwned='attr'",
         "source": "example.org", "date": "2021-05-03",
         "text": f"The Quillby market next to the Pwnfest harvest fair sold apples {HOSTILE}."},
    ]
    (tmp_path / "hostile.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    archive = Archive(Settings(store=tmp_path / "store"), embedder)
    assert Ingestor(archive, report=lambda line: None).run([tmp_path / "hostile.jsonl"], progress=False).added == 3
    with _serving(archive, ShortAssistant) as url, _browser(url) as (page, dialogs, elsewhere):
        _ask(page, "Who opened the Pwnfest harvest fair in Quillby?")
        page.wait_for_selector("#sources .source-card", timeout=60_000)
        chat, cards = page.locator("#chat").inner_text(), page.locator("#sources").inner_text()
        tooltips = "\n".join(page.locator("#chat svg.chart title").all_text_contents())
        page.locator("#sources .related-item summary").first.click()
        related = page.locator("#sources").inner_text()
        page.locator("#sources .open-article").first.click()
        page.wait_for_selector("#article mark#cited", timeout=20_000)
        article = page.locator("#article").inner_text()
        page.get_by_role("tab", name="Archive").click()
        page.locator("#articles").get_by_text("Quillby market").last.click()
        page.wait_for_selector("#shown article", timeout=20_000)
        table, shown = page.locator("#articles").inner_text(), page.locator("#shown").inner_text()
        stats = page.locator("#stats").inner_text()
        page.get_by_role("tab", name="Chat").click()
        page.wait_for_function("document.readyState === 'complete' && [...document.images].every(i => i.complete)",
                               timeout=20_000)  # every image has loaded or failed: its handlers have run
        live = page.evaluate(_LIVE_DOM)
        page.screenshot(path=str(shots / "hostile.png"), full_page=True)
    assert live == {"pwned": None, "scriptUrls": [], "handlers": [], "payloadNodes": 0, "images": 0, "links": []}
    assert not dialogs and not [u for u in elsewhere if "evil" in u], (dialogs, elsewhere)
    literal = ["<script>window.__pwned='script'</script>", "[click](javascript:window.__pwned='md')",
               "![x](http://evil.example/x.png)", "<img src=x onerror=\"window.__pwned='img'\">",
               "${window.__pwned='template'}", "{{constructor.constructor('window.__pwned=1')()}}"]
    for shown_text in (chat, cards, article, shown, tooltips):  # the payload is there, as text a reader can see
        assert all(p in shown_text for p in literal), shown_text
    assert "Odile Fenn" in chat and "[Quillby ferry](javascript:alert('md-title'))" in related + table
    assert "<img src=x onerror=\"window.__pwned='source'\">" in stats and "onmouseover" in shown


# --- the researcher's desk: first page, reader, numbers, outlets, filters, timeline, accessibility ---------------


def _settled(page) -> None:
    """Wait until no component is waiting on the server (Gradio fades them meanwhile) and no fade is still running
    (axe measures the colours of text half faded back in as too light)."""
    page.wait_for_function("!document.querySelector('.pending, .generating')", timeout=30_000)
    page.wait_for_function("document.getAnimations().every((a) => a.playState !== 'running')", timeout=30_000)


@pytest.mark.browser
def test_browser_first_page_shows_the_archive_and_asks_an_example(dated_url, shots):
    url, _ = dated_url
    with _browser(url) as (page, dialogs, _):
        intro = page.locator("#chat .intro")
        intro.wait_for(timeout=30_000)
        _settled(page)
        text = intro.inner_text()
        assert "11 articles from Varnholm gazette, River news" in text and "2021-09-14 to 2022-08-30" in text
        assert intro.locator("svg.chart .bar").count() == 12  # coverage by month, Sep 2021 to Aug 2022
        examples = intro.locator("button.example")
        asked = examples.all_inner_texts()
        assert len(asked) >= 3 and all("Varnholm" in q or "bridge" in q for q in asked), asked
        heights = {round(page.locator(f"#{b}").bounding_box()["height"]) for b in ("ask", "new-chat", "any-date")}
        assert max(heights) - min(heights) <= 2 and min(heights) >= 36, heights  # one size of button
        page.screenshot(path=str(shots / "first-page.png"))
        examples.first.click()
        page.wait_for_function("document.querySelectorAll('#chat .turn .turn-tools').length >= 1", timeout=60_000)
        assert page.locator("#chat .turn .question").inner_text() == asked[0]
        assert page.locator("#chat .intro").count() == 0
        page.locator("#new-chat").click()
        intro.wait_for(timeout=20_000)  # a new chat starts from the first page again
    assert not dialogs


_PLATFORM_FONTS = "CSS.getPlatformFontsForNode"


def _fonts(page, selector: str) -> list[str]:
    """The font files that really drew an element's text (Chromium's DevTools protocol)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    node = cdp.send("DOM.querySelector", {"nodeId": cdp.send("DOM.getDocument")["root"]["nodeId"],
                                          "selector": selector})
    return [f["familyName"] for f in cdp.send(_PLATFORM_FONTS, {"nodeId": node["nodeId"]})["fonts"]]


@pytest.mark.browser
def test_browser_reader_opens_beside_the_chat_with_distinct_numbers_and_filters(dated_url, shots):
    url, _ = dated_url
    with _browser(url) as (page, dialogs, _):
        page.locator("#chat-since input, #chat-since textarea").first.fill("2021-01-01")
        _ask(page, "Who opened the Varnholm bridge?")
        turn = page.locator("#chat .turn").first
        chips = turn.locator(".filters-applied .filter-chip").all_inner_texts()
        assert "since 2021-01-01" in chips, chips  # the UI's filter, said under the answer
        assert turn.locator(".filters-applied").is_visible()
        fonts = _fonts(page, "#chat .turn .short-answer strong")  # bold text in one font: no "Mary ʙarra"
        assert fonts and not [f for f in fonts if "DejaVu" in f], fonts
        cards = page.locator("#sources .source-card")
        numbers = [c.get_attribute("id") for c in cards.all()]
        assert len(numbers) == len(set(numbers)), numbers  # a related item never takes a citation's number
        cited = page.locator("#sources > .evidence > .source-card .source-head a").all_inner_texts()
        related = page.locator("#sources .related-item summary").all_inner_texts()
        assert not {r.split("] ", 1)[1] for r in related} & set(cited), (cited, related)
        quote = page.locator("#sources blockquote.excerpt").first.inner_text()
        assert len(quote) <= 400, quote  # about 300 characters around the highlight
        card = page.locator("#sources #source-1")
        assert "also carried by 1 outlet (Elm valley post), first published 2022-05-11" in card.inner_text()
        cite = page.locator("#chat button.cite", has_text="[1]").first
        cite.focus()
        page.keyboard.press("Enter")  # keyboard alone opens the source...
        page.locator("#article mark#cited").wait_for(timeout=20_000)
        page.wait_for_function(f"({_IN_VIEW})(document.querySelector('#article mark#cited'))", timeout=10_000)
        assert cite.evaluate(_IN_VIEW)  # ...beside the chat, which has not scrolled away
        assert page.evaluate("document.activeElement.id") == "article-title"
        reader = page.locator("#side").inner_text()
        assert "Mayor opens the Varnholm bridge" in reader and "Varnholm gazette · 2022-05-12" in reader
        assert "https://varnholm-gazette.example/" in reader and "also carried by 1 outlet" in reader
        assert reader.count("by cutting a ribbon of reeds") == 1 and not page.locator("#sources").is_visible()
        page.screenshot(path=str(shots / "reader.png"))
        page.keyboard.press("Escape")  # ...and closes it
        page.locator("#sources .source-card").first.wait_for(timeout=20_000)
        assert page.locator("#article article").count() == 0
        page.wait_for_function("document.activeElement.classList.contains('cite')", timeout=10_000)
    assert not dialogs


@pytest.mark.browser
def test_browser_chronology_is_a_dated_timeline_beside_readable_charts(dated_url, shots):
    url, _ = dated_url
    with _browser(url) as (page, dialogs, _):
        _ask(page, "How did coverage of the Varnholm bridge change over time?")
        items = page.locator("#chat ol.timeline li")
        assert items.count() >= 3
        dates = [t.get_attribute("datetime") for t in page.locator("#chat ol.timeline time").all()]
        assert dates == sorted(dates), dates
        boxes = [li.bounding_box() for li in items.all()]
        pairs = zip(boxes, boxes[1:], strict=False)
        assert all(b["y"] > a["y"] and abs(b["x"] - a["x"]) < 1 for a, b in pairs), boxes  # one above the other
        timeline, chart = (page.locator(f"#chat .turn {s}").first.bounding_box() for s in ("ol.timeline", "svg.chart"))
        assert chart["x"] >= timeline["x"] + timeline["width"] and chart["y"] < timeline["y"] + timeline["height"]
        axis = page.locator("#chat .turn svg.chart text.axis").all_text_contents()
        assert len(axis) >= 5 and "0" in axis, axis  # counts up the side, dates along the bottom
        page.screenshot(path=str(shots / "timeline.png"))
        page.get_by_role("tab", name="Archive").click()
        page.wait_for_selector("#stats svg.chart .bar", timeout=30_000)
        axis = page.locator("#stats svg.chart text.axis").all_text_contents()
        assert len([a for a in axis if re.fullmatch(r"\d{4}-\d\d", a)]) >= 4 and len(axis) >= 7, axis
        body_font = page.locator("#stats").evaluate("e => getComputedStyle(e).fontFamily")
        cell = page.locator("#articles").get_by_text("Crowds cross the new Varnholm bridge").last
        assert cell.evaluate("e => getComputedStyle(e).fontFamily") == body_font  # the page's font, not mono
        cell.dblclick()
        page.keyboard.type("edited")
        page.keyboard.press("Enter")
        assert page.locator("#articles input:visible, #articles textarea:visible").count() == 0  # no editor opened
        assert "edited" not in page.locator("#articles").inner_text()
    assert not dialogs


def _axe_script() -> Path:
    """axe-core's browser script, installed with npm into a cache folder outside the tree the first time."""
    script = AXE / "node_modules" / "axe-core" / "axe.min.js"
    if not script.exists():
        npm = shutil.which("npm")
        if npm is None:
            pytest.skip("npm is not installed: no axe-core")
        done = subprocess.run([npm, "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(AXE),
                               "axe-core@4"], capture_output=True, text=True, timeout=300)
        if done.returncode or not script.exists():
            pytest.skip(f"npm could not install axe-core: {done.stderr[-300:]}")
    return script


_AXE_RUN = """async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa']})).violations
  .filter(v => ['serious', 'critical'].includes(v.impact))
  .map(v => `${v.id} (${v.impact}): ${v.nodes.map(n => n.target.join(' ')).slice(0, 5).join(', ')}`)"""


@pytest.mark.browser
def test_browser_pages_pass_axe_wcag_aa(dated_url, shots):
    script = _axe_script()
    url, _ = dated_url
    with _browser(url) as (page, dialogs, _):
        page.locator("#chat .intro").wait_for(timeout=30_000)
        _settled(page)
        page.add_script_tag(path=str(script))
        assert page.evaluate(_AXE_RUN) == [], "first page"
        _ask(page, "Who opened the Varnholm bridge in May 2022?")
        _settled(page)
        assert page.evaluate(_AXE_RUN) == [], "after an answer"
        page.locator("#chat button.cite").first.click()
        page.locator("#article mark#cited").wait_for(timeout=20_000)
        _settled(page)
        assert page.evaluate(_AXE_RUN) == [], "with the reader open"
        page.get_by_role("tab", name="Archive").click()
        page.wait_for_selector("#stats svg.chart .bar", timeout=30_000)
        _settled(page)
        assert page.evaluate(_AXE_RUN) == [], "Archive tab"
        page.screenshot(path=str(shots / "axe-archive.png"))
    assert not dialogs
