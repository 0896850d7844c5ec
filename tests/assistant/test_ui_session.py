"""The UI's session layer without Gradio: real store, real model, a small dated archive."""

from __future__ import annotations

import json
import re
import threading
from io import BytesIO
from pathlib import Path

import dated
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from assistant import Answer, Assistant
from assistant.settings import Settings
from assistant.ui.progress import Progress, clock, upload
from assistant.ui.session import Session
from vectorstore.ingest import Ingestor, Summary
from vectorstore.store import Archive


@pytest.fixture(scope="module")
def session(tmp_path_factory, embedder) -> Session:
    folder = tmp_path_factory.mktemp("dated")
    archive = Archive(Settings(store=folder / "store"), embedder)
    summary = Ingestor(archive, report=lambda line: None).run([dated.write(folder / "a.jsonl")], progress=False)
    assert summary.added == 11
    return Session(Assistant(archive), exports=folder / "exports")


def _ask(session: Session, question: str, turns: list[Answer] = (), **filters) -> tuple[str, Answer]:
    pieces = list(session.stream(question, list(turns), filters))
    return "".join(p for p in pieces if isinstance(p, str)), pieces[-1]


def test_stream_answers_with_citations_and_a_timeline(session):
    text, answer = _ask(session, dated.BRIDGE_QUESTION)
    assert "Ilse Varga" in text and "Ilse Varga" in answer.answer and not answer.refused
    dates = [e["published"][:10] for e in answer.timeline]
    assert "2022-05-12" in dates and any(e["cited"] for e in answer.timeline)
    _, narrowed = _ask(session, "What happened to the Varnholm bridge?", since="2022-06-01")
    cards = narrowed.citations + narrowed.related
    assert cards and all(c.article.published >= "2022-06-01" for c in cards)
    with pytest.raises(ValueError, match="empty"):
        _ask(session, "  ")


def test_open_citation_gives_the_article_and_its_cited_sentences(session):
    _, answer = _ask(session, dated.BRIDGE_QUESTION)
    reading = session.open_citation(answer, answer.citations[0].n)
    (start, end), *_ = reading.spans
    assert reading.article.title == "Mayor opens the Varnholm bridge"
    assert "Ilse Varga" in reading.article.text[start:end]
    related = session.open_citation(answer, answer.related[0].n)
    assert related.article.id == answer.related[0].article.id
    assert session.open_citation(answer, 99) is None


def test_any_answer_can_be_rated(session):
    _, first = _ask(session, dated.BRIDGE_QUESTION)
    _, second = _ask(session, "When was the first span lifted?", [first])
    path = session.rate([first, second], 0, "down", "  wrong mayor ")
    line = json.loads(path.read_text().splitlines()[-1])
    assert line["question"] == dated.BRIDGE_QUESTION and line["rating"] == "down" and line["note"] == "wrong mayor"
    with pytest.raises(ValueError, match="no answer 3"):
        session.rate([first, second], 2, "up")
    with pytest.raises(ValueError, match="Nothing to rate"):
        session.rate([], 0, "up")


def test_export_writes_markdown_and_json(session):
    _, answer = _ask(session, dated.BRIDGE_QUESTION)
    md, js = session.export([answer], "md"), session.export([answer], "json")
    assert md.parent != js.parent and md.read_text().startswith("# archive-chat conversation")
    assert json.loads(js.read_text())[0]["question"] == dated.BRIDGE_QUESTION
    with pytest.raises(ValueError, match="Nothing to export"):
        session.export([], "md")


def test_browse_filters_by_source_and_dates(session):
    rows = session.browse("", ["River news"], "2022-01-01", "2022-06-30")
    assert [r["title"] for r in rows] == ["Crowds cross the new Varnholm bridge",
                                          "Frost halts work on the Varnholm bridge"]
    stats = session.stats()
    assert stats["first_published"][:10] == "2021-09-14" and stats["by_month"]["2022-05"] == 2


def test_ingest_reports_files_done_of_the_total_and_time_left(tmp_path, embedder):
    session = Session(Assistant(Archive(Settings(store=tmp_path / "store"), embedder)))
    files = [tmp_path / "notes.docx", *(tmp_path / f"flood-{i}.md" for i in range(3))]
    files[0].write_bytes(b"PK not an article")
    for i, path in enumerate(files[1:]):
        path.write_text(f"# Flood {i}\n\nThe river flooded the town of Ambry{i} on {i + 1} May 2021.\n")
    states = [(len(s.done), s.files, s.seconds_left, s.line(session.stats())) for s in session.ingest(files)]
    assert states[0][:3] == (0, 3, None) and states[0][3].startswith("0 of 3 articles · time left: estimating · 0 of 3")
    one_done = next(s for s in states if s[0] == 1)
    assert one_done[2] is not None and re.search(r"of 3 articles · [\d.]+ articles/s · about \d+ s left · 1 of 3 "
                                                 r"files done", one_done[3])
    assert states[-1][0] == 3 and re.match(r"3 of 3 articles · [\d.]+ articles/s · 3 of 3 files done · 3 added",
                                           states[-1][3])
    assert session.stats()["articles"] == 3


def test_delete_removes_articles_and_says_when_there_is_none(tmp_path, embedder):
    archive = Archive(Settings(store=tmp_path / "store"), embedder)
    Ingestor(archive, report=lambda line: None).run([dated.write(tmp_path / "a.jsonl")], progress=False)
    session = Session(Assistant(archive))
    (row,) = session.browse("Frost halts")
    assert session.delete([row["id"], " ", "nope"]) == [row["id"]]
    assert session.article(row["id"]) is None and not session.browse("Frost halts")
    with pytest.raises(ValueError, match="Pick an article"):
        session.delete([row["id"]])


def test_progress_line_and_clock():
    assert clock(8.4) == "8 s" and clock(125) == "2 min 5 s" and clock(3780) == "1 h 3 min"
    assert Progress(0).line({}) == "No files to ingest."


def _three_uploads(folder: Path) -> list[Path]:
    """A JSONL of 3 stories (and a blank line), a CSV of 2, and a crawl of 2 HTML pages among a request, an image
    and a 404: 7 articles in all."""
    folder.mkdir(parents=True, exist_ok=True)
    stories = [(f"Flood in {town}", f"The river flooded the town of {town} on {day} May 2021, the council said.")
               for day, town in enumerate(["Ambry", "Brill", "Cobb", "Dunmore", "Eske", "Fenn", "Gosk"], start=1)]
    jsonl, csv, crawl = folder / "a.jsonl", folder / "b.csv", folder / "c.warc.gz"
    jsonl.write_text("\n\n".join(json.dumps({"title": t, "text": x}) for t, x in stories[:3]) + "\n")
    csv.write_text("title,text\n" + "".join(f'{t},"{x}"\n' for t, x in stories[3:5]))
    records = [("page", "200 OK", "text/html", stories[5]), ("logo.png", "200 OK", "image/png", ("", "")),
               ("gone", "404 Not Found", "text/html", ("Gone", "Not here.")),
               ("two", "200 OK", "text/html", stories[6])]
    with crawl.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        for name, status, kind, (title, text) in records:
            url = f"https://news.example.org/{name}"
            ask = StatusAndHeaders(f"GET /{name} HTTP/1.1", [("Host", "news.example.org")], is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", payload=BytesIO(b""), http_headers=ask))
            body = f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1><p>{text}</p>" \
                   "</article></body></html>"
            http = StatusAndHeaders(status, [("Content-Type", kind)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=BytesIO(body.encode()),
                                                          http_headers=http))
    return [jsonl, csv, crawl]


def test_upload_line_names_the_articles_counted_in_every_file(tmp_path):
    """Counted before any is read (the WARC from its record headers), so the first line already has the total."""
    first = next(upload(None, _three_uploads(tmp_path / "client"), tmp_path / "uploads", threading.Lock()))
    assert first.expected == [3, 2, 2] and first.files == 3
    assert first.line({}).startswith("0 of 7 articles · time left: estimating · 0 of 3 files done · now a-")


def test_progress_line_rate_and_time_left_from_articles():
    state = Progress(3, expected=[3, 2, 2], done=[Summary(added=2, failed=1)], running=Summary(added=1),
                     current="b.csv")
    state.tick(2.0)
    assert (state.rate, state.seconds_left) == (2.0, 1.5)
    assert state.line({"articles": 40, "chunks": 90}) == (
        "4 of 7 articles · 2.0 articles/s · about 2 s left · 1 of 3 files done · now b.csv (1 articles so far) · "
        "3 added, 0 updated, 0 unchanged, 0 duplicates, 1 failed · the archive holds 40 articles in 90 chunks")
    state.running = Summary(added=4)  # more than counted: the total grows rather than the count passing it
    assert state.articles() == (7, 9) and state.line({}).startswith("7 of 9 articles · 2.0 articles/s")
    state.done = [Summary(added=3), Summary(added=1), Summary(added=1)]  # the CSV gave fewer than counted...
    state.running, state.finished, state.current = None, True, ""  # ...so the finished total is what was read
    assert state.line({}).startswith("5 of 5 articles · 2.0 articles/s · 3 of 3 files done · 5 added")
    assert Progress(1, expected=[5]).articles() == (0, 5)


def test_upload_of_jsonl_csv_and_warc_counts_against_the_total(tmp_path, embedder):
    session = Session(Assistant(Archive(Settings(store=tmp_path / "store"), embedder)))
    lines = [s.line(session.stats()) for s in session.ingest(_three_uploads(tmp_path / "client"))]
    assert all(re.match(r"\d of 7 articles · ", line) for line in lines), lines
    assert lines[-1].startswith("7 of 7 articles · ") and "3 of 3 files done · 7 added" in lines[-1]
    assert session.stats()["articles"] == 7
