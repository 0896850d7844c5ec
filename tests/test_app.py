"""The web app: render.py's escaping, the real Gradio app through gradio_client, and a real headless browser."""

from __future__ import annotations

import json
import os
import re
import socket
from pathlib import Path

for _name, _value in {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
                      "DO_NOT_TRACK": "1"}.items():
    os.environ[_name] = _value

import gradio as gr  # noqa: E402
import pytest  # noqa: E402
from gradio_client import Client, handle_file  # noqa: E402

import app  # noqa: E402
from assistant import Assistant, render  # noqa: E402
from assistant.answer import NO_ANSWER  # noqa: E402
from vectorstore.ingest import Ingestor  # noqa: E402
from vectorstore.settings import Settings  # noqa: E402
from vectorstore.store import Archive  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SEED_QUESTION = "Who headed the Hamas delegation that met Hezbollah in Beirut?"
CHROMIUM = Path("/usr/bin/chromium")
XSS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)"]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _citation(n: int = 1, **fields) -> dict:
    excerpt = fields.pop("excerpt", "Before. The supporting sentence. After.")
    base = {"n": n, "article_id": "a1", "title": "A title", "url": "https://example.org/a", "source": "example.org",
            "published": "2015-01-02", "section": "body", "excerpt": excerpt, "char_start": 100,
            "char_end": 100 + len(excerpt), "highlight_start": 108, "highlight_end": 132, "score": 0.5}
    return {**base, **fields}


def _answer(**fields) -> dict:
    base = {"question": "q?", "answer": "The supporting sentence. [1]", "refused": False,
            "citations": [_citation()], "related": [], "filters_applied": []}
    return {**base, **fields}


class _Article:
    title, url, source, published, authors = "Title", "https://example.org/a", "example.org", "2015-01-02", []
    sources = ["example.org"]
    text = "First sentence. Cited sentence here. Last sentence."
    comments = ""


# --- render.py ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", XSS)
def test_archive_fields_are_escaped_everywhere(payload):
    cite = _citation(title=payload, source=payload, url=payload, excerpt=f"Text {payload} more text to mark here.")
    answer = _answer(answer=f"An answer {payload} [1]", citations=[cite], related=[_citation(2, title=payload)])
    article = type("Bad", (_Article,), {"title": payload, "url": payload, "text": payload, "sources": [payload]})
    for out in (render.answer_html(answer), render.sources_html(answer), render.article_html(article, (0, 5)),
                render.sources_html({**answer, "refused": True, "citations": []})):
        assert "<script" not in out and "<img" not in out
        assert 'href="javascript' not in out.lower() and "href='javascript" not in out.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in render.sources_html(_answer(citations=[_citation(title=XSS[0])]))


def test_only_http_urls_become_links():
    assert render.link("https://example.org/a?b=1&c=2") == (
        '<a href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer" target="_blank">'
        "https://example.org/a?b=1&amp;c=2</a>")
    for bad in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>", " javascript:x", "//evil"):
        assert "<a " not in render.link(bad), bad
    assert '" onmouseover' not in render.link('https://x.org/" onmouseover="alert(1)')


def test_markers_become_links_to_their_cards():
    out = render.answer_html(_answer(answer="One [1] and a stray [7].", citations=[_citation(1)]))
    assert '<a href="#source-1" class="cite">[1]</a>' in out
    assert "[7]" in out and "#source-7" not in out
    panel = render.sources_html(_answer())
    assert 'id="source-1"' in panel and "<mark>The supporting sentence.</mark>" in panel
    assert 'rel="noopener noreferrer" target="_blank"' in panel


def test_refusal_is_shown_as_refusal_with_related_reading():
    answer = _answer(answer=NO_ANSWER, refused=True, citations=[], related=[_citation(1, title="Nearby story")])
    assert "The archive has no passage that answers this" in render.answer_html(answer)
    panel = render.sources_html(answer)
    assert "The archive has no passage that answers this" in panel
    assert "Related reading" in panel and "Nearby story" in panel and "<mark>" not in panel


def test_article_html_marks_the_cited_passage():
    out = render.article_html(_Article, (16, 36))
    assert '<mark id="cited">Cited sentence here.</mark>' in out
    assert render.article_html(None).startswith('<div class="article-missing">')


def test_markdown_export_spells_out_citations():
    md = render.to_markdown([_answer(question="Who?"), _answer(question="Why?", refused=True, citations=[])])
    assert "## 1. Who?" in md and "[1] A title — example.org, 2015-01-02 <https://example.org/a>" in md
    assert "> Before. The supporting sentence. After." in md and NO_ANSWER in md


def test_uploads_are_copied_under_names_of_our_making(tmp_path, monkeypatch):
    src = tmp_path / "in" / "..%2f..%2fevil name;rm -rf.TXT"
    src.parent.mkdir()
    src.write_text("hello")
    dest = app.save_upload(src, tmp_path / "uploads")
    assert dest.parent == tmp_path / "uploads" and dest.suffix == ".txt" and dest.read_text() == "hello"
    assert set(dest.name) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.")
    bad = tmp_path / "in" / "x.exe"
    bad.write_text("x")
    with pytest.raises(ValueError, match="unsupported"):
        app.save_upload(bad, tmp_path / "uploads")
    monkeypatch.setattr(app, "MAX_UPLOAD_MB", 0)
    with pytest.raises(ValueError, match="larger"):
        app.save_upload(src, tmp_path / "uploads")


# --- the running app --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(news_store):
    demo = app.build_app(Assistant(news_store))
    port = _port()
    demo.queue().launch(prevent_thread_lock=True, server_port=port, server_name="127.0.0.1", quiet=True)
    yield f"http://127.0.0.1:{port}/"
    demo.close()


@pytest.fixture
def client(served):
    return Client(served, verbose=False, download_files=False)


def test_ask_endpoint_answers_with_citations(client):
    result = client.predict(SEED_QUESTION, json.dumps({"k": 5}), api_name="/ask")
    result = json.loads(result) if isinstance(result, str) else result
    assert "Ahmed Abdel Hadi" in result["answer"] and not result["refused"]
    assert "Ahmed Abdel Hadi" in result["citations"][0]["excerpt"]


def test_ask_endpoint_reports_bad_questions(client):
    with pytest.raises(Exception, match="empty"):
        client.predict("   ", "", api_name="/ask")


def test_stats_endpoint_counts_articles(client, news_store):
    result = client.predict(api_name="/stats")
    result = json.loads(result) if isinstance(result, str) else result
    assert result["articles"] == news_store.docstore.stats()["articles"] >= 41


def test_chat_shows_errors_as_messages(client):
    _, chat, *_ = client.predict("", [], "", "", [], False, 5, api_name="/respond")
    assert "question is empty" in str(chat[-1]["content"])
    _, chat, *_ = client.predict(SEED_QUESTION, [], "not a date", "", [], False, 5, api_name="/respond")
    assert "not a date" in str(chat[-1]["content"])


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
    demo = app.build_app(Assistant(archive))
    port = _port()
    demo.queue().launch(prevent_thread_lock=True, server_port=port, server_name="127.0.0.1", quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False, download_files=False)
        report, stats, *_ = client.predict([handle_file(upload)], api_name="/ingest")
        assert report["data"][0][1].startswith("added 1") and "<b>1</b> articles" in stats
        (saved,) = (tmp_path / "store" / "uploads").iterdir()
        assert re.fullmatch(r"[A-Za-z0-9_-]+-[0-9a-f]{12}\.jsonl", saved.name), saved.name
        _, chat, panel, _ = client.predict("Who opened the Zorblax festival?", [], "", "", [], False, 5,
                                           api_name="/respond")
    finally:
        demo.close()
    bubble = str(chat[-1]["content"])
    assert "Ilse Varga" in bubble and '<a href="#source-1" class="cite">[1]</a>' in bubble
    for out in (bubble, panel):
        assert "<script" not in out and "<img" not in out and 'href="javascript' not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Zorblax festival" in panel and "javascript:alert(1)" in panel


def test_main_ingests_the_samples_into_an_empty_store(tmp_path, monkeypatch, embedder, capsys):
    samples = tmp_path / "samples"
    samples.mkdir()
    (samples / "seed.txt").write_text((ROOT / "samples" / "000_9ac7acf72945896c.txt").read_text())
    launched = {}
    monkeypatch.setattr(app, "SAMPLES", samples)
    monkeypatch.setattr(app, "Archive", lambda settings: Archive(settings, embedder))
    monkeypatch.setattr(gr.Blocks, "launch", lambda self, **kw: launched.update(kw))
    app.main(["--store", str(tmp_path / "store"), "--port", "7999", "--auth", "ann:s3cret"])
    assert "ingesting the samples" in capsys.readouterr().out
    assert Archive(Settings(store=tmp_path / "store"), embedder).docstore.stats()["articles"] == 1
    assert launched["auth"] == ("ann", "s3cret") and launched["server_port"] == 7999
    assert launched["server_name"] == "127.0.0.1" and launched["share"] is False
    with pytest.raises(SystemExit):
        app.main(["--store", str(tmp_path / "store"), "--auth", "no-colon"])


# --- a real browser ---------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_browser_chat_cites_and_highlights(served):
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    dialogs: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--no-sandbox", "--headless=new", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run", "--disable-sync"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(served)
                       else route.abort())  # fonts and the like from the internet: not reachable, not waited for
            page.goto(served)
            box = page.locator("#question textarea")
            box.wait_for(timeout=30_000)
            box.fill(SEED_QUESTION)
            box.press("Enter")
            page.wait_for_selector("#sources mark", timeout=60_000)
            assert "Ahmed Abdel Hadi" in page.locator("#chat").inner_text()
            assert "Ahmed Abdel Hadi" in page.locator("#sources #source-1").inner_text()
            page.locator("#chat a.cite").first.click()
            page.wait_for_function("location.hash === '#source-1'", timeout=10_000)
            page.locator("#open-article").click()
            page.wait_for_selector("#article mark#cited", timeout=20_000)
            page.screenshot(path=str(artifacts / "chat.png"), full_page=True)
        finally:
            browser.close()
    assert not dialogs


def test_thumbs_append_feedback_that_eval_reads(served, news_store):
    from assistant.evaluate import read_questions

    path = news_store.folder / "feedback.jsonl"
    path.unlink(missing_ok=True)
    client = Client(served, verbose=False, download_files=False)  # one session: the rating is of its answer
    with pytest.raises(Exception, match="Nothing to rate yet"):
        client.predict("", api_name="/rate_up")
    client.predict(SEED_QUESTION, [], "", "", [], False, 5, api_name="/respond")
    assert client.predict("  exactly right ", api_name="/rate_up") == ""  # the note box is cleared
    line = json.loads(path.read_text().splitlines()[-1])
    assert line["rating"] == "up" and line["note"] == "exactly right" and line["question"] == SEED_QUESTION
    assert "Ahmed Abdel Hadi" in line["citations"][0]["excerpt"]
    (question,) = list(read_questions(path, warn=lambda _: None))
    assert question.question == SEED_QUESTION and any("Ahmed Abdel Hadi" in a for a in question.answers)


def test_delete_removes_an_article_from_every_index(tmp_path, embedder):
    archive = Archive(Settings(store=tmp_path / "store"), embedder)
    (tmp_path / "a.md").write_text("# Ferry strike\n\nThe Lisbon ferry crews struck on Friday over pay.\n")
    Ingestor(archive).run([tmp_path / "a.md"], progress=False)
    (article_id,) = archive.docstore.ids_by_path()[str(tmp_path / "a.md")]
    demo = app.build_app(Assistant(archive))
    port = _port()
    demo.queue().launch(prevent_thread_lock=True, server_port=port, server_name="127.0.0.1", quiet=True)
    try:
        client = Client(f"http://127.0.0.1:{port}/", verbose=False, download_files=False)
        with pytest.raises(Exception, match="Pick an article"):
            client.predict("", api_name="/delete")
        client.predict(article_id, api_name="/delete")
    finally:
        demo.close()
    assert archive.docstore.get(article_id) is None
    assert archive.vectors.ids() == set() and archive.lexical.ids == []
