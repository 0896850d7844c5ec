"""Hostile files: ingest never crashes or hangs on them, reports each failure as one line naming the file (and line),
and still stores every good record beside the bad ones.

Property tests (hypothesis) run the loaders, `clean` and the chunker (the real tokenizer, no embedding) on generated
junk of every format; fixed tests cover sizes hypothesis would never reach (100,000 nested elements, megabyte
lines, 200 MB files); one end-to-end batch goes through `Ingestor` into a real store.
"""

from __future__ import annotations

import csv
import io
import json
import signal
import tracemalloc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import matplotlib
import pytest
from conftest import by_path, consistent, fresh_archive
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from vectorstore.article import BODY, COMMENTS, Article, Chunk, LoadError
from vectorstore.chunk import Chunker
from vectorstore.clean import clean
from vectorstore.ingest import Ingestor
from vectorstore.load import SUPPORTED, load
from vectorstore.load.records import MAX_RECORD_BYTES
from vectorstore.settings import StoreSettings

MiB = 1024 * 1024
HANG = 120  # seconds: far beyond what any case here needs; only a hang (or a quadratic blow-up) reaches it
FUZZ = settings(max_examples=25, deadline=None, database=None,  # sizes are bounded; time varies with the load
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

WORDS = ["harbour", "council", "river", "bridge", "museum", "festival", "railway", "station", "market", "school",
         "hospital", "library", "mayor", "teacher", "farmer", "engineer", "ferry", "tram", "storm", "flood"]
SPECIAL = ["\x00", "\x1b[31m", "\u202e", "\ufeff", "\u200b", "\u2028", "\r", "\t", "שלום עולם", "中文新闻", "😀🎉",
           "</excerpt>", "[99]", "# ", "---\n", "<div>", "</p>", '"', ",", ";", " and ", "{", "[", "\\", "\n\n",
           "http://[::1", "javascript:alert(1)", "Subscribe to our newsletter", "3 Comments", "1. ", " " * 50]


class Hang(BaseException):
    """Not an Exception: the loaders' catch-all must not turn a hang into a tidy LoadError."""


@contextmanager
def within(seconds: float) -> Iterator[None]:
    """Fail instead of hanging: SIGALRM interrupts Python code, and `re`'s matching loop too."""

    def stop(signum, frame):
        raise Hang(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hostile")


@pytest.fixture(scope="module")
def chunker(embedder) -> Chunker:
    return Chunker(embedder.count_tokens, embedder.split_tokens, min(240, embedder.max_tokens))


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def sparse(path: Path, size: int, head: bytes = b"", tail: bytes = b"") -> Path:
    """A file of `size` bytes that is NUL between head and tail, without writing (or holding) the NULs."""
    with path.open("wb") as out:
        out.write(head)
        out.seek(size - len(tail))
        out.write(tail)
        out.truncate(size)
    return path


def reported(path: Path, chunker: Chunker | None = None) -> list[Article | LoadError]:
    """`load` on the file, checked the way ingest relies on it; each article also goes through clean and chunk."""
    with within(HANG):
        results = list(load(path))
        assert results, "a file must give an article or a reason"
        for item in results:
            assert isinstance(item, (Article, LoadError)), item
            if isinstance(item, LoadError):
                one_line(item, path)
            elif chunker is not None:
                prepared(item, chunker)
    return results


def one_line(error: LoadError, path: Path) -> str:
    line = str(error)
    assert line.startswith(f"{path}:{error.line}: " if error.line else f"{path}: "), line
    assert line.isprintable() and len(error.reason) <= 300, line
    return line


def prepared(article: Article, chunker: Chunker) -> list[Chunk]:
    """What ingest does to an article before embedding; every visible character ends up in a chunk."""
    cleaned = clean(article)
    assert cleaned.id and cleaned.content_hash  # derived from the URL and text: must never raise mid-batch
    chunks = chunker(cleaned)
    for section, text in ((BODY, cleaned.text), (COMMENTS, cleaned.comments)):
        mine = [c for c in chunks if c.section == section]
        assert all(c.text == text[c.char_start : c.char_end] and c.text.strip() for c in mine)
        covered = set().union(*(range(c.char_start, c.char_end) for c in mine))
        assert all(i in covered for i, ch in enumerate(text) if not ch.isspace()), "text lost between chunks"
    return chunks


def articles(results: list) -> dict[int | None, Article]:
    return {item.line: item for item in results if isinstance(item, Article)}


# --- strategies

junk = st.lists(st.one_of(st.text(max_size=30), st.sampled_from(SPECIAL)), max_size=10).map("".join)
sentence = st.lists(st.sampled_from(WORDS), min_size=3, max_size=10).map(lambda w: "The " + " ".join(w) + ".")
good_text = st.lists(sentence, min_size=1, max_size=4).map(" ".join)
good_record = st.fixed_dictionaries(
    {"text": good_text},
    optional={"title": junk, "url": junk, "date": junk, "source": junk,
              "author": st.one_of(junk, st.lists(junk, max_size=3))},
)
deep_json = st.integers(1_000, 50_000).map(lambda n: "[" * n + "]" * n)
bad_record = st.one_of(
    st.binary(max_size=200),
    junk.map(str.encode),
    deep_json.map(str.encode),
    st.sampled_from([b'{"title": "no text"}', b'{"text": ""}', b'{"text": 5}', b"[1, 2]", b'"text"', b"null",
                     b'{"text": "unterminated', b"\xff\xfe\x00bad utf-8", b"\xef\xbb\xbf{}"]),
    st.builds(lambda r, cut: json.dumps(r)[:cut].encode(), good_record, st.integers(1, 30)),
).map(lambda b: b.replace(b"\n", b" "))


@FUZZ
@given(data=st.binary(max_size=2048), kind=st.sampled_from(sorted(SUPPORTED)),
       magic=st.sampled_from([b"", b"%PDF-1.4\n", b"WARC/1.0\r\n", b"\x1f\x8b\x08\x00", b"<html>", b"---\n", b"["]))
def test_random_bytes_in_any_format(workdir, chunker, data, kind, magic):
    reported(write(workdir / f"random{kind}", magic + data), chunker)


@FUZZ
@given(text=junk, front=st.one_of(st.just(""), st.builds("---\ntitle: {}\ndate: {}\nauthors: {}\n---\n".format,
                                                         junk, junk, junk)), kind=st.sampled_from([".txt", ".md"]))
def test_random_text(workdir, chunker, text, front, kind):
    (result,) = reported(write(workdir / f"text{kind}", (front + text).encode()), chunker)
    assert isinstance(result, Article) or result.line in (None, 1)


TAGS = ["div", "p", "span", "article", "main", "section", "h1", "a", "b", "table", "td", "li", "script", "style",
        "time", "noscript", "iframe", "svg", "template", "!--", "![CDATA["]


def element(children: st.SearchStrategy) -> st.SearchStrategy:
    def render(tag: str, attrs: list[tuple[str, str]], inner: list[str], closed: bool) -> str:
        attributes = "".join(f' {name}="{value}"' for name, value in attrs)
        return f"<{tag}{attributes}>{''.join(inner)}" + (f"</{tag}>" if closed else "")

    return st.builds(render, st.sampled_from(TAGS), st.lists(st.tuples(st.sampled_from(["class", "href", "datetime",
                     "content", "onload", "lang"]), junk), max_size=2), st.lists(children, max_size=4), st.booleans())


html_tree = st.recursive(st.one_of(junk, sentence), element, max_leaves=30)


@FUZZ
@given(body=html_tree, head=st.sampled_from(["", "<meta charset=\"shift_jis\">", "<meta charset=\"nonsense\">",
                                             "<title>\x00</title>", "<meta property=\"article:published_time\" "
                                             "content=\"9999-99-99\">", "<link rel=\"canonical\" href=\"http://[::1\">"]),
       cut=st.one_of(st.none(), st.integers(0, 500)))
def test_random_html(workdir, chunker, body, head, cut):
    page = f"<html><head>{head}</head><body>{body}</body></html>"
    (result,) = reported(write(workdir / "page.html", page[:cut].encode()), chunker)
    assert isinstance(result, Article) or result.line is None


@FUZZ
@given(lines=st.lists(st.one_of(good_record, bad_record), min_size=1, max_size=12))
def test_jsonl_bad_lines_cost_only_themselves(workdir, chunker, lines):
    raw = [json.dumps(r, ensure_ascii=i % 2 == 0).encode() if isinstance(r, dict) else r for i, r in enumerate(lines)]
    path = write(workdir / "records.jsonl", b"\n".join(raw) + b"\n")
    results = reported(path, chunker)
    stored = articles(results)
    for number, record in enumerate(lines, start=1):
        if isinstance(record, dict):
            assert stored[number].text == record["text"]
    expected = [n for n, line in enumerate(raw, start=1) if not _blank(line, first=n == 1)]
    assert [item.line for item in results] == (expected or [None])  # [None]: "no articles in file"


def _blank(line: bytes, first: bool) -> bool:
    try:
        return not line.decode("utf-8-sig" if first else "utf-8").strip()
    except UnicodeDecodeError:
        return False


@FUZZ
@given(items=st.lists(st.one_of(good_record, st.integers(), junk, st.just({}), st.just({"text": [1]}),
                                st.lists(junk, max_size=2)), min_size=1, max_size=8),
       cut=st.one_of(st.none(), st.integers(0, 200)))
def test_json_records_and_broken_json(workdir, chunker, items, cut):
    data = json.dumps(items).encode()
    results = reported(write(workdir / "records.json", data[:cut]), chunker)
    if cut is None or cut >= len(data):
        assert [item.line for item in results] == list(range(1, len(items) + 1))
        stored = articles(results)
        assert all(stored[i].text == r["text"] for i, r in enumerate(items, 1) if isinstance(r, dict) and "text" in r
                   and isinstance(r["text"], str) and r["text"].strip())
    else:
        (broken,) = results
        assert isinstance(broken, LoadError) and ("JSON" in broken.reason or broken.reason == "empty file")


csv_junk = st.binary(max_size=120).map(lambda b: b.replace(b'"', b"").replace(b"\n", b""))


@FUZZ
@given(rows=st.lists(st.one_of(good_record, csv_junk), min_size=1, max_size=10))
def test_csv_bad_rows_cost_only_themselves(workdir, chunker, rows):
    """Junk rows without quotes (a stray quote legitimately swallows the rows after it, as in any CSV reader)."""
    out, starts, line = [b"title,text,url,date,author\n"], {}, 2
    for i, row in enumerate(rows):
        if isinstance(row, dict):
            buffer = io.StringIO(newline="")
            author = row.get("author", "")
            csv.writer(buffer).writerow([row.get("title", ""), row["text"], row.get("url", ""), row.get("date", ""),
                                         "; ".join(author) if isinstance(author, list) else author])
            data = buffer.getvalue().encode()
            starts[i] = line
        else:
            data = row + b"\n"
        out.append(data)
        line += data.count(b"\n")
    results = reported(write(workdir / "records.csv", b"".join(out)), chunker)
    stored = articles(results)
    for i, start in starts.items():
        assert stored[start].text == rows[i]["text"]


def warc_page(title: str) -> bytes:
    paragraphs = "".join(f"<p>{s}</p>" for s in (
        f"The council of {title} voted on Tuesday to approve the new bridge over the river, ending a decade of debate.",
        "Construction is expected to start next spring and cost forty million dollars, officials said.",
        "Residents who opposed the plan said they would appeal the decision to the regional court."))
    head = f"<html><head><title>{title}</title></head>"
    return f"{head}<body><article><h1>{title}</h1>{paragraphs}</article></body></html>".encode()


def make_warc(pages: list[tuple[str, bytes]], gzip: bool,
              site: str = "https://example.com/") -> tuple[bytes, list[int]]:
    """WARC bytes (a warcinfo record, then one response per page) and the offset where each record ends."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gzip)
    writer.write_record(writer.create_warcinfo_record("hostile.warc", {"software": "test"}))
    ends = [out.tell()]
    for content_type, body in pages:
        http = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(f"{site}{len(ends)}", "response",
                                                      payload=io.BytesIO(body), http_headers=http))
        ends.append(out.tell())
    return out.getvalue(), ends


warc_payload = st.one_of(
    st.integers(0, 99).map(lambda n: ("text/html", warc_page(f"Town {n}"))),
    st.tuples(st.sampled_from(["text/html", "text/html; charset=bogus", "image/png"]), st.binary(max_size=300)),
    html_tree.map(lambda tree: ("text/html", tree.encode())),
)


@FUZZ
@given(pages=st.lists(warc_payload, min_size=1, max_size=5), gzip=st.booleans(),
       damage=st.sampled_from(["none", "cut", "garbage"]), where=st.floats(0, 1), garbage=st.binary(min_size=1,
                                                                                                     max_size=300))
def test_warc_damage_keeps_the_records_before_it(workdir, chunker, pages, gzip, damage, where, garbage):
    data, ends = make_warc(pages, gzip)
    at = int(len(data) * where)
    damaged = {"none": data, "cut": data[:at], "garbage": data[:at] + garbage + data[at:]}[damage]
    name = "damaged.warc.gz" if gzip else "damaged.warc"
    results = reported(write(workdir / name, damaged), chunker)
    stored = articles(results)
    intact = len(data) if damage == "none" else at
    for number, ((_, body), end) in enumerate(zip(pages, ends[1:], strict=True), start=2):
        if end <= intact and body.startswith(b"<html><head><title>Town"):
            assert stored[number].title == body.split(b"<title>")[1].split(b"<")[0].decode()


@pytest.fixture(scope="module")
def pdf_bytes(workdir) -> bytes:
    path = workdir / "source.pdf"
    with matplotlib.rc_context({"pdf.fonttype": 42}):  # TrueType, so pypdf can read the text back
        figure = Figure()
        figure.text(0.1, 0.8, "Bridge vote")
        figure.text(0.1, 0.7, "The council voted on Tuesday to approve the new bridge.")
        figure.savefig(path, format="pdf")
    return path.read_bytes()


@FUZZ
@given(where=st.lists(st.floats(0, 1), min_size=1, max_size=8), garbage=st.binary(min_size=1, max_size=64),
       damage=st.sampled_from(["cut", "overwrite", "insert"]))
def test_damaged_pdf(workdir, chunker, pdf_bytes, where, garbage, damage):
    data = bytearray(pdf_bytes)
    for fraction in where:
        at = int(len(data) * fraction)
        if damage == "cut":
            data = data[: max(at, 1)]
        elif damage == "overwrite":
            data[at : at + len(garbage)] = garbage
        else:
            data[at:at] = garbage
    (result,) = reported(write(workdir / "damaged.pdf", bytes(data)), chunker)
    assert isinstance(result, Article) or result.line is None


# --- sizes hypothesis never reaches: deep nesting, huge lines, 0-byte files, 200 MB files

DEEP = 100_000
GOOD = {"title": "Harbour", "text": "The harbour reopened on Monday after the storm, the mayor said."}


STRUCTURE = {  # what a recursive parser, or Python's int(), gives up on
    "nested.html": b"<html><body>" + b"<div>" * DEEP + b"<p>Deep text.</p>" + b"</div>" * DEEP + b"</body></html>",
    "unclosed.html": b"<html><body>" + b"<span><b><i><table><tr><td>" * DEEP + b"text",
    "comment-bomb.html": b"<p>" + b"<!--" * DEEP + b"-->" * DEEP,
    "nested.json": b'{"text": ' + b"[" * DEEP + b"]" * DEEP + b"}",
    "long-number.json": b'{"text": "x", "views": ' + b"9" * 5_000 + b"}",
    "nested-front-matter.md": b"---\ntitle: " + b"[" * DEEP + b"\n---\nThe harbour reopened on Monday.\n",
    "nested-list-front-matter.md": b"---\n" + b"- " * 20_000 + b"x\n---\nThe harbour reopened on Monday.\n",
    "long-number-front-matter.md": b"---\ndate: " + b"9" * 5_000 + b"\n---\nThe harbour reopened on Monday.\n",
}


@pytest.mark.parametrize(("name", "data"), STRUCTURE.items(), ids=list(STRUCTURE))
def test_deep_nesting_and_long_numbers(workdir, chunker, name, data):
    results = reported(write(workdir / name, data), chunker)
    if name.endswith(".md"):  # the front matter is given up on, the article kept
        (article,) = results
        assert isinstance(article, Article) and "harbour reopened" in article.text
    if name.endswith(".json"):
        assert results[0].reason in ("JSON nested too deeply", "JSON number too long to read")


@pytest.mark.parametrize(("bad", "reason"), [
    ("[" * DEEP + "]" * DEEP, "JSON nested too deeply"),
    ('{"text": "x", "views": ' + "9" * 5_000 + "}", "JSON number too long to read"),  # int() refuses > 4,300 digits
], ids=["nesting", "number"])
def test_unreadable_jsonl_line_costs_only_itself(workdir, chunker, bad, reason):
    lines = [json.dumps(GOOD), bad, json.dumps({**GOOD, "title": "After"})]
    first, error, after = reported(write(workdir / "unreadable.jsonl", "\n".join(lines).encode()), chunker)
    assert (first.title, after.title, after.line) == ("Harbour", "After", 3)
    assert (error.line, error.reason) == (2, reason)


SPACES = " " * (2 * MiB)


LONG_LINES = {  # the first three took minutes to hours before: a pattern backtracking over a run of blanks
    "long-heading.md": f"# Harbour{SPACES}news\n\nThe harbour reopened on Monday.\n".encode(),
    "long-authors.jsonl": json.dumps({**GOOD, "author": f"Jane{SPACES}Doe"}).encode(),
    "long-fields.csv": f"title,text,author,date\nHarbour,The harbour reopened.,Jane{SPACES}Doe,1{SPACES}\n".encode(),
    "long-line.txt": b"Harbour\n\n" + b"word " * 100_000,
    "long-word.txt": b"Harbour\n\n" + b"a" * MiB,
    "long-line.html": b"<html><body><article><p>" + b"word " * 100_000 + b"</p></article></body></html>",
}


@pytest.mark.parametrize(("name", "data"), LONG_LINES.items(), ids=list(LONG_LINES))
def test_huge_lines(workdir, chunker, name, data):
    (result,) = reported(write(workdir / name, data), chunker)
    assert isinstance(result, Article)


def test_a_page_that_trips_the_html_extractor_costs_only_its_record(workdir):
    """`<svg>` at the root makes htmldate fail an assertion inside lxml; the pages after it are still read."""
    data, _ = make_warc([("text/html", b"<svg><div></div><div>"), ("text/html", warc_page("Town 1"))], gzip=True)
    broken, page = reported(write(workdir / "svg.warc.gz", data))
    assert (broken.line, broken.reason, page.title, page.line) == (2, "unreadable HTML: AssertionError", "Town 1", 3)


def test_an_unparsable_url_is_dropped_not_fatal(workdir, chunker):
    """urlsplit raises on "http://[::1", and the article's id is derived from its URL."""
    page = warc_page("Town 1").replace(b"<head>", b'<head><link rel="canonical" href="http://[::1">')
    data, _ = make_warc([("text/html", page), ("text/html", warc_page("Town 2"))], gzip=False, site="http://[::1/")
    results = reported(write(workdir / "bad-url.warc", data), chunker) + reported(write(workdir / "bad-url.html", page))
    assert [(a.title, a.url) for a in results] == [("Town 1", ""), ("Town 2", ""), ("Town 1", "")]


def test_invisible_characters_stay_in_chunks(workdir, chunker):
    """blingfire leaves zero-width and direction marks at a paragraph's edges out of its sentences."""
    text = "Harbour\n\n\u200bThe harbour reopened on Monday.\u200f\n\n\ufeff\u200e0\u2424"
    (article,) = reported(write(workdir / "invisible.txt", text.encode()), chunker)
    chunked = "".join(c.text for c in prepared(article, chunker))
    assert all(mark in chunked for mark in "\u200b\u200f\ufeff\u200e\u2424")


def test_huge_warc_header_line_is_one_error(workdir):
    data, _ = make_warc([("text/html", warc_page("Town 1"))], gzip=False)
    path = write(workdir / "long-header.warc", data + b"WARC/1.0\r\nWARC-Target-URI: " + b"x" * (8 * MiB) + b"\r\n")
    first, broken = reported(path)
    assert (first.title, broken.line) == ("Town 1", 3)


@pytest.mark.parametrize("kind", sorted(SUPPORTED))
def test_empty_files(workdir, kind):
    (result,) = reported(write(workdir / f"empty{kind}", b""))
    assert result.reason == "empty file"


def test_file_over_the_size_limit_is_refused_by_name(workdir):
    limit = StoreSettings().max_file_mb
    path = sparse(workdir / "over.jsonl", (limit + 1) * MiB, head=json.dumps(GOOD).encode() + b"\n")
    (refused,) = load(path, max_bytes=limit * MiB)
    assert str(refused) == f"{path}: file too large ({limit + 1} MB > {limit} MB limit)"


@pytest.mark.parametrize(("kind", "head", "tail"), [
    (".jsonl", json.dumps(GOOD).encode() + b"\n", b"\n" + json.dumps({**GOOD, "title": "After"}).encode() + b"\n"),
    (".csv", b"title,text\nHarbour,The harbour reopened.\n", b"\nAfter,The ferry sailed again.\n"),
], ids=["jsonl", "csv"])
def test_200_mb_records_file_is_streamed(workdir, kind, head, tail):
    """200 MB of NULs on one line between two good records: both stored, the line named, never held in memory."""
    path = sparse(workdir / f"big{kind}", 200 * MiB, head, tail)
    tracemalloc.start()
    try:
        results = reported(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    first, junk_line, after = results
    assert (first.title, after.title) == ("Harbour", "After") and after.line == junk_line.line + 1 == first.line + 2
    assert junk_line.reason.startswith(f"line longer than {MAX_RECORD_BYTES // MiB} MB")
    assert peak < 100 * MiB  # reading the line whole would take 200 MB (and its decoded copy as much again)


@pytest.mark.parametrize("kind", [".txt", ".md", ".html", ".warc", ".warc.gz", ".pdf", ".json"])
@pytest.mark.parametrize("head", [b"", b"The harbour reopened on Monday. " * 512], ids=["nul", "text"])
def test_200_mb_file_of_every_other_format_ends(workdir, kind, head):
    """Refused after a small read (binary probe, size of one article or page, PDF header, bounded WARC header
    lines) or, for a .json document, parsed whole and reported; never a crash or a hang."""
    path = sparse(workdir / f"big{kind}", 200 * MiB, head)
    results = reported(path)
    assert all(isinstance(item, LoadError) for item in results)
    path.unlink()


# --- one batch through Ingestor into a real store


def test_ingest_batch_of_good_and_hostile_files(tmp_path, embedder):
    folder = tmp_path / "in"
    good = {
        "good.txt": b"Ferry service\n\nThe ferry to the island resumed on Friday after a week of gales, its crew said.",
        "good.md": b"---\ntitle: Museum reopens\ndate: 2015-03-01\n---\nThe town museum reopened its doors after "
                   b"two years of repairs to the roof and the east wing.",
        "page.html": b"<html><head><title>Old Alder</title></head><body><article><p>Old Alder's fishermen landed "
                     b"a record catch of herring this week.</p><p>Prices at the quay fell by a third as buyers came "
                     b"from three counties to the harbour.</p></article></body></html>",
    }
    for name, data in good.items():
        write(folder / name, data)
    records = [
        json.dumps({"title": "Railway", "text": "The railway station got a new platform for the night trains.",
                    "url": "http://[::1", "author": "Jane" + " " * 100_000 + "Doe", "date": "9" * 10_000}),
        "{not json",
        "[" * DEEP + "]" * DEEP,
        json.dumps({"title": "Control", "text": "\x00\x07\x1b \x7f"}),
        json.dumps({"title": "Library", "text": "The library lent its millionth book, to a farmer from Birch."}),
    ]
    write(folder / "records.jsonl", "\n".join(records).encode() + b"\n\xff\xfe\n")
    warc, _ = make_warc([("text/html", warc_page("West Cedar")), ("text/html", b"<div>" * DEEP)], gzip=True)
    write(folder / "crawl.warc.gz", warc[:-40])
    write(folder / "empty.csv", b"")
    write(folder / "binary.txt", b"\x00\x01\x02PNG" * 100)
    write(folder / "emoji.txt", "😀🎉\n\n🎉😀".encode())
    write(folder / "nested.html", b"<div>" * DEEP)
    write(folder / "long-heading.md", f"# Harbour{SPACES}news\n\nThe harbour reopened on Monday.\n".encode())
    sparse(folder / "big.jsonl", 200 * MiB, json.dumps({"title": "Tram", "text": "The tram line to the hospital "
           "opened on Sunday with free rides."}).encode() + b"\n", b"\n")
    sparse(folder / "over.jsonl", (StoreSettings().max_file_mb + 1) * MiB)

    archive = fresh_archive(tmp_path, embedder)
    lines: list[str] = []
    with within(HANG * 3):
        summary = Ingestor(archive, report=lines.append).run([folder], progress=False)

    assert all(line.isprintable() for line in lines) and summary.failed == len(lines)
    failed = {line.split(": ", 1)[0].removeprefix(f"{folder}/") for line in lines}
    assert failed == {"records.jsonl:2", "records.jsonl:3", "records.jsonl:4", "records.jsonl:6",
                      "crawl.warc.gz:3", "empty.csv", "binary.txt", "emoji.txt", "nested.html",
                      "big.jsonl:2", "over.jsonl"}, lines
    titles = {archive.article(i).title for ids in by_path(archive).values() for i in ids}
    assert titles == {"Ferry service", "Museum reopens", "Old Alder", "Railway", "Library", "West Cedar",
                      "long-heading", "Tram"}
    assert consistent(archive)
