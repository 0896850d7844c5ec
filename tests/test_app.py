"""The web app: render.py's escaping, the real Gradio app through gradio_client, and a real headless browser."""

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

import gradio as gr  # noqa: E402
import httpx  # noqa: E402
import pytest  # noqa: E402
from conftest import free_port  # noqa: E402
from gradio_client import Client, handle_file  # noqa: E402

import app  # noqa: E402
from assistant import Assistant, render, uploads  # noqa: E402
from assistant.answer import NO_ANSWER  # noqa: E402
from vectorstore.ingest import Ingestor  # noqa: E402
from vectorstore.settings import Settings  # noqa: E402
from vectorstore.store import Archive  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SEED_QUESTION = "Who headed the Hamas delegation that met Hezbollah in Beirut?"
CHROMIUM = Path("/usr/bin/chromium")
XSS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)"]
HOSTILE = ("<script>window.__pwned='script'</script> <img src=x onerror=\"window.__pwned='img'\"> "
           "[click](javascript:window.__pwned='md') ![x](http://evil.example/x.png) "
           "<a href=\"javascript:alert('a')\">link</a> <svg onload=\"window.__pwned='svg'\"></svg> "
           "<iframe src=\"data:text/html,<script>parent.__pwned='iframe'</script>\"></iframe>")


@contextmanager
def _serving(archive: Archive) -> Iterator[str]:
    """The app on a free loopback port, launched the way `main` launches it; yields its URL."""
    demo = app.build_app(Assistant(archive))
    port = free_port()
    app.launch(demo, port=port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


def _client(url: str) -> Client:
    return Client(url, verbose=False, download_files=False)


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
    for out in (render.answer_html(answer), render.sources_html(answer), render.article_html(article, [(0, 5)]),
                render.sources_html({**answer, "refused": True, "citations": []})):
        assert "<script" not in out and "<img" not in out
        assert 'href="javascript' not in out.lower() and "href='javascript" not in out.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in render.sources_html(_answer(citations=[_citation(title=XSS[0])]))


def test_only_http_urls_become_links():
    assert render.link("https://example.org/a?b=1&c=2") == (
        '<a href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer" target="_blank">'
        "https://example.org/a?b=1&amp;c=2</a>")
    for bad in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>", " javascript:x", "//evil",
                'https://x.org/" onmouseover="alert(1)', "https://x.org/a b", "https://x.org/<script>"):
        assert "<a " not in render.link(bad), bad
    assert '" onmouseover' not in render.link('https://x.org/" onmouseover="alert(1)')


def test_markers_become_links_to_their_cards():
    out = render.answer_html(_answer(answer="One [1] and a stray [7].", citations=[_citation(1)]))
    assert '<a href="#source-1" class="cite">[1]</a>' in out
    assert "[7]" in out and "#source-7" not in out
    panel = render.sources_html(_answer())
    assert 'id="source-1"' in panel and "<mark>The supporting sentence.</mark>" in panel
    two = render.sources_html(_answer(citations=[_citation(highlights=[(108, 132), (100, 107)])]))
    assert "<mark>Before.</mark> <mark>The supporting sentence.</mark>" in two
    assert 'rel="noopener noreferrer" target="_blank"' in panel


def test_refusal_is_shown_as_refusal_with_related_reading():
    answer = _answer(answer=NO_ANSWER, refused=True, citations=[], related=[_citation(1, title="Nearby story")])
    assert "The archive has no passage that answers this" in render.answer_html(answer)
    panel = render.sources_html(answer)
    assert "The archive has no passage that answers this" in panel
    assert "Related reading" in panel and "Nearby story" in panel and "<mark>" not in panel


def test_article_html_marks_the_cited_passage():
    out = render.article_html(_Article, [(16, 36)])
    assert '<mark id="cited">Cited sentence here.</mark>' in out
    both = render.article_html(_Article, [(37, 51), (0, 15)])  # two sentences of one excerpt: both marked
    assert '<mark id="cited">First sentence.</mark>' in both and "<mark>Last sentence.</mark>" in both
    assert render.article_html(None).startswith('<div class="article-missing">')


def test_markdown_export_spells_out_citations():
    md = render.to_markdown([_answer(question="Who?"), _answer(question="Why?", refused=True, citations=[])])
    assert "## 1. Who?" in md and "[1] A title — example.org, 2015-01-02 <https://example.org/a>" in md
    assert "> Before. **The supporting sentence.** After." in md and NO_ANSWER in md  # bold as the card marks it
    related = render.to_markdown([_answer(refused=True, citations=[], related=[_citation()])])
    assert "> Before. The supporting sentence. After." in related  # related reading supports nothing


def test_markdown_export_is_inert_in_a_markdown_viewer():
    from markdown_it import MarkdownIt

    evil = f"{HOSTILE} [1]"
    cite = _citation(title=HOSTILE, url="javascript:alert(1)", source=HOSTILE, excerpt=HOSTILE)
    md = render.to_markdown([_answer(question=evil, answer=evil, citations=[cite]),
                             _answer(answer="x [1]\n\n[1]: javascript:alert(1)", citations=[_citation()])])
    page = MarkdownIt("commonmark", {"html": True}).render(md)  # raw HTML allowed: the most trusting viewer
    assert "<script" not in page and "<img" not in page and "<svg" not in page and "<iframe" not in page
    assert re.findall(r"<a [^>]*>", page) == ['<a href="https://example.org/a">']  # our one http(s) link
    assert "&lt;script&gt;" in page and "[click](javascript:" in page


# --- the running app --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(news_store):
    with _serving(news_store) as url:
        yield url


@pytest.fixture
def client(served):
    return _client(served)


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
    with _serving(archive) as url:
        client = _client(url)
        report, _, stats, *_ = client.predict([handle_file(upload)], api_name="/ingest")
        assert report["data"][0][1].startswith("added 1") and "<b>1</b> articles" in stats
        (saved,) = (tmp_path / "store" / "uploads").iterdir()
        assert re.fullmatch(r"[A-Za-z0-9_-]+-[0-9a-f]{12}\.jsonl", saved.name), saved.name
        _, chat, panel, _ = client.predict("Who opened the Zorblax festival?", [], "", "", [], False, 5,
                                           api_name="/respond")
    bubble = str(chat[-1]["content"])
    assert "Ilse Varga" in bubble and '<a href="#source-1" class="cite">[1]</a>' in bubble
    for out in (bubble, panel):
        assert "<script" not in out and "<img" not in out and 'href="javascript' not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Zorblax festival" in panel and "javascript:alert(1)" in panel


def test_ingest_reports_each_article_to_the_app(tmp_path, embedder):
    (tmp_path / "news.jsonl").write_text("".join(
        json.dumps({"title": f"Flood {i}", "text": f"The river flooded the town of Ambry{i} in May."}) + "\n"
        for i in range(3)) + "not json\n")
    seen: list[int] = []
    summary = Ingestor(Archive(Settings(store=tmp_path / "store"), embedder), report=lambda line: None).run(
        [tmp_path / "news.jsonl"], progress=lambda s: seen.append(render.articles_read(s)))
    assert seen == [1, 2, 3] and summary.added == 3 and summary.failed == 1


def test_ingest_streams_a_line_per_file_then_the_summary(tmp_path, embedder):
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
    assert [row[0].split("-")[0] for row in reports[-1][1:]] == ["flood"] * 3
    assert all(row[1].startswith("added 1, updated 0") for row in reports[-1][1:])
    assert statuses[0].startswith("0 of 3 files done, now flood-0-")
    assert any(re.match(r"0 of 3 files done, now flood-0-\w+\.md \(1 articles so far\) · 1 articles read", s)
               for s in statuses)  # running counts while a file is at work
    assert statuses[lines.index(2)].startswith("1 of 3 files done, now flood-1-")
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
    monkeypatch.setattr(app, "MAX_UPLOAD_MB", 2)  # Gradio turns away anything larger at the door...
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


ARTIFACTS = ROOT / "test-artifacts"


@contextmanager
def _browser(url: str) -> Iterator[tuple[object, list[str], list[str]]]:
    """A headless Debian chromium on the app: (page, dialogs opened, requests to anywhere but the app)."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is not installed")
    sync_playwright = pytest.importorskip("playwright.sync_api").sync_playwright
    ARTIFACTS.mkdir(exist_ok=True)
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


def _ask(page, question: str) -> None:
    box = page.locator("#question textarea")
    box.wait_for(timeout=30_000)
    box.fill(question)
    box.press("Enter")


@pytest.mark.browser
def test_browser_chat_cites_and_highlights(served):
    with _browser(served) as (page, dialogs, _):
        _ask(page, SEED_QUESTION)
        page.wait_for_selector("#sources mark", timeout=60_000)
        assert "Ahmed Abdel Hadi" in page.locator("#chat").inner_text()
        assert "Ahmed Abdel Hadi" in page.locator("#sources #source-1").inner_text()
        page.locator("#chat a.cite").first.click()
        page.wait_for_function("location.hash === '#source-1'", timeout=10_000)
        page.locator("#open-article").click()
        page.wait_for_selector("#article mark#cited", timeout=20_000)
        page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)
    assert not dialogs


# What a page must not hold once hostile articles are on screen: anything that runs code or loads from elsewhere,
# anywhere on the page, and in the parts that show the archive no image at all and only links of ours.
_LIVE_DOM = """() => {
  const archive = '#chat, #sources, #card, #article, #articles, #shown';
  const scheme = /^\\s*(javascript|vbscript|data):/i;
  return {
    pwned: window.__pwned === undefined ? null : String(window.__pwned),
    scriptUrls: [...document.querySelectorAll('[href],[src],[action],[formaction]')]
      .flatMap(e => ['href', 'src', 'action', 'formaction'].map(a => e.getAttribute(a) || ''))
      .filter(v => /^\\s*(javascript|vbscript):/i.test(v) || /evil|pwned/i.test(v)),
    handlers: [...document.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.name))
      .filter(n => /^on/i.test(n)),
    payloadNodes: [...document.querySelectorAll('script, iframe, object, embed, svg')]
      .filter(e => e.outerHTML.includes('pwned')).length,
    images: document.querySelectorAll(archive.split(', ').map(s => s + ' img').join(', ')).length,
    links: [...document.querySelectorAll(archive.split(', ').map(s => s + ' a').join(', '))]
      .map(a => a.getAttribute('href') || '').filter(h => scheme.test(h) || !/^(#source-\\d+|https:\\/\\/)/.test(h)),
  };
}"""


@pytest.mark.browser
def test_browser_hostile_articles_stay_inert(tmp_path, embedder):
    """Issue 7: script, event handlers, javascript:/data: URLs and Markdown links in titles, text and URLs."""
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
    with _serving(archive) as url, _browser(url) as (page, dialogs, elsewhere):
        _ask(page, "Who opened the Pwnfest harvest fair in Quillby?")
        page.wait_for_selector("#sources .source-card", timeout=60_000)
        page.wait_for_function("document.querySelector('#chat').innerText.includes('Odile Fenn')", timeout=60_000)
        chat, cards = page.locator("#chat").inner_text(), page.locator("#sources").inner_text()
        page.locator("#card input").click()  # the source-card picker lists the titles
        page.wait_for_selector("#card [role=option]", timeout=10_000)
        picker = page.locator("#card [role=listbox]").inner_text()
        page.keyboard.press("Escape")
        page.locator("#open-article").click()
        page.wait_for_selector("#article mark#cited", timeout=20_000)
        article = page.locator("#article").inner_text()
        page.get_by_role("tab", name="Archive").click()
        page.locator("#articles").get_by_text("Quillby market").first.click()
        page.wait_for_selector("#shown article", timeout=20_000)
        table, shown = page.locator("#articles").inner_text(), page.locator("#shown").inner_text()
        page.get_by_role("tab", name="Chat").click()
        page.wait_for_timeout(500)  # let any image error or load handler have its moment
        live = page.evaluate(_LIVE_DOM)
        page.screenshot(path=str(ARTIFACTS / "hostile.png"), full_page=True)
    assert live == {"pwned": None, "scriptUrls": [], "handlers": [], "payloadNodes": 0, "images": 0, "links": []}
    assert not dialogs and not [u for u in elsewhere if "evil" in u], (dialogs, elsewhere)
    literal = ["<script>window.__pwned='script'</script>", "[click](javascript:window.__pwned='md')",
               "![x](http://evil.example/x.png)", "<img src=x onerror=\"window.__pwned='img'\">"]
    for shown_text in (chat, cards, article, shown):  # the payload is there, as text a reader can see
        assert all(p in shown_text for p in literal), shown_text
    assert "Pwnfest <script>" in picker and "[Quillby ferry](javascript:alert('md-title'))" in table
    assert "javascript:window.__pwned='url'" in cards and "onmouseover" in shown


def test_thumbs_append_feedback_that_eval_reads(served, news_store):
    from assistant.eval.questions import read_questions

    path = news_store.folder / "feedback.jsonl"
    path.unlink(missing_ok=True)
    client = _client(served)  # one session: the rating is of its answer
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
    with _serving(archive) as url:
        client = _client(url)
        with pytest.raises(Exception, match="Pick an article"):
            client.predict("", api_name="/delete")
        client.predict(article_id, api_name="/delete")
    assert archive.docstore.get(article_id) is None
    assert archive.vectors.ids() == set() and archive.lexical.ids == []
