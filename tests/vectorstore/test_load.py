"""The loaders: each format's fields, and a LoadError (never an exception) for each kind of bad input."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path

import matplotlib
import pytest
from conftest import REALTIMEQA, SEED
from matplotlib.figure import Figure
from pypdf import PdfWriter
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from vectorstore import load as loaders
from vectorstore.article import Article, LoadError
from vectorstore.dates import to_iso
from vectorstore.load import SUPPORTED, iter_files, load, warc

PARAGRAPHS = (
    "<p>The council voted on Tuesday to approve the new bridge over the river, ending a decade of debate.</p>"
    "<p>Construction is expected to start next spring and cost forty million dollars, officials said.</p>"
    "<p>Residents who opposed the plan said they would appeal the decision to the regional court.</p>"
)


def page(title: str, head: str = "", comments: str = "") -> bytes:
    return (
        f"<html><head><title>{title} - Example Times</title>{head}</head><body><nav>Home | World</nav>"
        f"<article><h1>{title}</h1>{PARAGRAPHS}</article>{comments}"
        "<footer>Copyright 2015</footer></body></html>"
    ).encode()


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def one(path: Path) -> Article | LoadError:
    (result,) = load(path)
    return result


def article(path: Path) -> Article:
    result = one(path)
    assert isinstance(result, Article), result
    return result


def error(path: Path) -> LoadError:
    result = one(path)
    assert isinstance(result, LoadError), result
    return result


# --- dates


@pytest.mark.parametrize(
    ("written", "iso"),
    [
        ("2018/05/28", "2018-05-28"),
        ("2015-03-01T10:00:00Z", "2015-03-01"),
        ("2015-03-01T23:30:00-05:00", "2015-03-01"),
        ("March 3, 2015", "2015-03-03"),
        ("3 March 2015", "2015-03-03"),
        ("Sun, 01 Mar 2015 10:00:00 GMT", "2015-03-01"),
        (datetime(2015, 3, 1, 10, 0), "2015-03-01"),
        ("Tuesday", None),
        ("not a date", None),
        ("1066-10-14", None),
        ("2150-01-01", None),
        ("", None),
        (None, None),
    ],
)
def test_to_iso(written, iso):
    assert to_iso(written) == iso


# --- dispatch and common checks


def test_iter_files_walks_folders_sorted_skipping_hidden_and_unsupported(tmp_path):
    for name in [
        "b/2.md",
        "b/1.txt",
        "a.html",
        "c/d/deep.warc.gz",
        "c/notes.docx",
        ".hidden/x.txt",
        "b/.x.txt",
    ]:
        write(tmp_path / name, "x")
    named = write(tmp_path / "elsewhere" / "report.xyz", "x")
    typo = tmp_path / "gone.txt"  # named files are passed on as given, so `load` reports them
    found = [p.relative_to(tmp_path).as_posix() for p in iter_files([tmp_path, named, typo])]
    assert found == ["a.html", "b/1.txt", "b/2.md", "c/d/deep.warc.gz", "elsewhere/report.xyz", "gone.txt"]


def test_unsupported_suffix_is_reported_with_the_supported_list(tmp_path):
    reason = error(write(tmp_path / "a.xyz", "text")).reason
    assert reason.startswith("unsupported file type '.xyz' (supported: ")
    assert all(kind in reason for kind in SUPPORTED)


def test_missing_empty_and_too_large_files(tmp_path):
    assert error(tmp_path / "gone.txt").reason == "no such file"
    assert error(write(tmp_path / "empty.jsonl", b"")).reason == "empty file"
    big = write(tmp_path / "big.txt", "x" * 3 * 1024 * 1024)
    (too_large,) = load(big, max_bytes=2 * 1024 * 1024)
    assert too_large.reason == "file too large (3 MB > 2 MB limit)"


def test_a_loader_crash_becomes_a_load_error_naming_the_file(tmp_path, monkeypatch):
    def crash(path):
        raise RuntimeError("boom")
        yield

    monkeypatch.setitem(loaders.LOADERS, ".txt", crash)
    result = error(write(tmp_path / "a.txt", "hello"))
    assert result.path == str(tmp_path / "a.txt") and "RuntimeError: boom" in result.reason


# --- text


def test_seed_article_title_is_its_headline_and_leaves_the_text():
    result = article(SEED)
    assert (
        result.title
        == "Beirut – Hamas Leader Says Ready To Cooperate With Iran ‘to Destroy Israeli Occupation’"
    )
    assert result.text.lstrip().startswith("FILE - Senior Hamas leader")
    assert "Please enter your comment!" in result.text  # raw: the cleaner strips boilerplate, not the loader
    assert result.path == str(SEED) and result.line is None


def test_front_matter_gives_the_fields(tmp_path):
    path = write(
        tmp_path / "note.md",
        "---\ntitle: Council Approves Bridge\nurl: https://www.example.com/bridge\ndate: 2015-03-01\n"
        "source: Example Times\nauthors: Jane Doe and John Roe\n---\nThe council voted on Tuesday.\n",
    )
    result = article(path)
    assert (result.title, result.url, result.published, result.source, result.authors) == (
        "Council Approves Bridge",
        "https://www.example.com/bridge",
        "2015-03-01",
        "Example Times",
        ["Jane Doe", "John Roe"],
    )
    assert result.text == "The council voted on Tuesday.\n"


def test_a_heading_under_front_matter_leaves_the_text(tmp_path):
    path = write(tmp_path / "note.md", "---\ntitle: Council Approves Bridge\n---\n# Council approves bridge\n\n"
                                       "The council voted on Tuesday.\n")
    result = article(path)
    assert result.title == "Council Approves Bridge" and result.text == "The council voted on Tuesday.\n"


def test_markdown_heading_is_the_title_and_a_dateline_the_date(tmp_path):
    path = write(
        tmp_path / "a.md", "# Bridge Vote #\n\nPublished: March 3, 2015\n\nThe council voted on Tuesday.\n"
    )
    result = article(path)
    assert (result.title, result.published, result.source) == ("Bridge Vote", "2015-03-03", "")
    assert result.text.startswith("Published: March 3, 2015")


def test_sentence_first_line_is_not_a_title_so_the_stem_is(tmp_path):
    text = "The council voted on Tuesday.\nIt was close.\n"
    result = article(write(tmp_path / "bridge-vote.txt", "\ufeff" + text))  # a BOM is fine
    assert (result.title, result.text, result.published) == ("bridge-vote", text, None)


def test_crlf_line_endings_and_date_only_dateline(tmp_path):
    result = article(write(tmp_path / "a.txt", b"Bridge Vote\r\n2015-03-01\r\nThe council voted.\r\n"))
    assert (result.title, result.published, result.text) == (
        "Bridge Vote",
        "2015-03-01",
        "2015-03-01\nThe council voted.\n",
    )


def test_binary_and_invalid_utf8_text(tmp_path):
    assert (
        error(write(tmp_path / "a.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00")).reason == "binary file, not text"
    )
    bad = error(write(tmp_path / "b.txt", b"Title\nline two\n" + b"caf\xe9\n"))
    assert (bad.reason, bad.line) == ("not valid UTF-8 at byte 18", 3)
    assert error(write(tmp_path / "c.md", " \n\n  \n")).reason == "no text in file"


# --- html


def test_html_fields_and_comments_kept_apart(tmp_path):
    head = (
        '<meta property="og:site_name" content="Example Times">'
        '<meta name="author" content="Jane Doe; John Roe">'
        '<meta property="article:published_time" content="2015-03-01T10:00:00Z">'
        '<link rel="canonical" href="https://www.example.com/news/bridge">'
    )
    comments = (
        '<section id="comments" class="comments"><h2>Comments</h2>'
        '<div class="comment"><p>This bridge is a waste of money, nobody asked the people nearby.</p></div>'
        '<div class="comment"><p>Finally! I have waited years for this crossing.</p></div></section>'
    )
    result = article(write(tmp_path / "a.html", page("Council Approves Bridge", head, comments)))
    assert (result.title, result.url, result.published, result.source, result.authors) == (
        "Council Approves Bridge",
        "https://www.example.com/news/bridge",
        "2015-03-01",
        "Example Times",
        ["Jane Doe", "John Roe"],
    )
    # trafilatura keeps the <h1> as the text's first line; the loader drops it, the title is kept apart
    assert result.text.startswith("The council voted on Tuesday")
    assert "regional court" in result.text and "waste of money" not in result.text
    assert "waste of money" in result.comments and "waited years" in result.comments


def test_html_without_metadata_has_no_url_and_no_source(tmp_path):
    result = article(write(tmp_path / "a.htm", page("Bridge")))
    assert (result.url, result.source, result.published, result.authors) == ("", "", None, [])


@pytest.mark.parametrize(
    "html", [b"<html><head><title>x</title></head><body><script>var a = 1;</script></body></html>", b"<<<"]
)
def test_broken_html(tmp_path, html):
    assert error(write(tmp_path / "a.html", html)).reason == "no article text found in HTML"


# --- records


def test_realtimeqa_record(tmp_path):
    with (REALTIMEQA / "articles.jsonl").open(encoding="utf-8") as lines:
        record = json.loads(next(lines))
    result = article(write(tmp_path / "a.jsonl", json.dumps(record) + "\n"))
    assert result.title == "New airline routes: May's roundup of new flights"
    assert result.url == record["url"] and result.text == record["text"]
    assert (result.published, result.source, result.authors, result.line) == (
        "2018-05-28",
        "usatoday.com",
        [],
        1,
    )


def test_jsonl_bad_lines_are_reported_and_the_good_ones_load(tmp_path):
    lines = [
        b'{"Headline": "One", "Body": "First text.", "Link": "https://www.a.com/1", "pubDate": "2015/3/1"}',
        b"",
        b'{"title": "Two", "text": "Second text."',
        b'{"title": "No text here"}',
        b'["not", "an", "object"]',
        b'{"title": "Caf\xe9", "text": "bad bytes"}',
        b'{"headline": "Five", "content": "Fifth text.", "author": "Ann Lee; Bo Chen", "site": "Wire"}',
    ]
    results = list(load(write(tmp_path / "a.jsonl", b"\n".join(lines) + b"\n")))
    assert [(type(r).__name__, r.line) for r in results] == [
        ("Article", 1),
        ("LoadError", 3),
        ("LoadError", 4),
        ("LoadError", 5),
        ("LoadError", 6),
        ("Article", 7),
    ]
    first, malformed, no_text, not_object, bad_utf8, last = results
    assert (first.title, first.text, first.url, first.published, first.source) == (
        "One",
        "First text.",
        "https://www.a.com/1",
        "2015-03-01",
        "a.com",
    )
    assert malformed.reason.startswith("malformed JSON: ")
    assert str(malformed) == f"{tmp_path / 'a.jsonl'}:3: {malformed.reason}"
    assert no_text.reason == "record has no text field (looked for text/body/content/article)"
    assert not_object.reason == "record is list, not an object"
    assert bad_utf8.reason.startswith("not valid UTF-8 at byte ")
    assert (last.title, last.authors, last.source) == ("Five", ["Ann Lee", "Bo Chen"], "Wire")


def test_json_list_records_are_numbered(tmp_path):
    records = [
        {"title": "A", "text": "a", "authors": ["X", "Y"]},
        {"title": "B"},
        {"TEXT": "c", "URL": "squad2://c"},
    ]
    first, missing, third = load(write(tmp_path / "a.json", json.dumps(records)))
    assert (first.title, first.authors, first.line) == ("A", ["X", "Y"], 1)
    assert missing.line == 2 and missing.reason.startswith("record 2: record has no text field")
    assert (third.text, third.url, third.source, third.line) == ("c", "squad2://c", "", 3)


def test_json_single_object_and_wrong_top_level(tmp_path):
    result = article(
        write(tmp_path / "a.json", '{"title": "A", "article": "Text.", "published_at": "3 March 2015"}')
    )
    assert (result.title, result.text, result.published) == ("A", "Text.", "2015-03-03")
    assert (
        error(write(tmp_path / "b.json", "42")).reason
        == "JSON top level is int, expected an object or a list"
    )
    assert error(write(tmp_path / "c.json", "{oops")).reason.startswith("malformed JSON: ")


def test_json_lines_named_json_are_read_as_json_lines(tmp_path):
    first, second = load(write(tmp_path / "a.json", '{"text": "one"}\n{"text": "two"}\n'))
    assert (first.text, first.line, second.text, second.line) == ("one", 1, "two", 2)


def test_csv_records_carry_their_starting_line(tmp_path):
    csv_text = (
        "Title,Text,URL,Date,Authors\n"
        'One,"First paragraph.\n\nSecond paragraph.",https://www.a.com/1,2018/05/28,"Ann Lee, Bo Chen"\n'
        "\n"
        "Two,,https://b.org/2,,\n"
        "Three,Third text.,,,\n"
    )
    first, no_text, third = load(write(tmp_path / "a.csv", csv_text))
    assert (first.title, first.text, first.line) == ("One", "First paragraph.\n\nSecond paragraph.", 2)
    assert (first.published, first.source, first.authors) == ("2018-05-28", "a.com", ["Ann Lee", "Bo Chen"])
    assert no_text.line == 6 and no_text.reason.startswith("record has no text field")
    assert (third.title, third.line) == ("Three", 7)


def test_csv_invalid_utf8_row_is_reported_and_reading_goes_on(tmp_path):
    data = b"title,text\nOne,caf\xe9\nTwo,fine\n"
    bad, good = load(write(tmp_path / "a.csv", data))
    assert isinstance(bad, LoadError) and bad.line == 2 and bad.reason.startswith("not valid UTF-8")
    assert (good.title, good.line) == ("Two", 3)


# --- pdf


def make_pdf(path: Path, lines: list[str], metadata: dict | None = None) -> Path:
    with matplotlib.rc_context({"pdf.fonttype": 42}):  # TrueType, so pypdf can read the text back
        figure = Figure()
        for i, line in enumerate(lines):
            figure.text(0.1, 0.8 - 0.1 * i, line)
        figure.savefig(path, format="pdf", metadata=metadata)
    return path


def test_pdf_fields_from_metadata(tmp_path):
    metadata = {
        "Title": "Council Approves Bridge",
        "Author": "Jane Doe; John Roe",
        "CreationDate": datetime(2015, 3, 1, 10, 0, tzinfo=timezone.utc),
    }
    result = article(make_pdf(tmp_path / "a.pdf", ["Bridge vote", "The council voted on Tuesday."], metadata))
    assert (result.title, result.published, result.authors) == (
        "Council Approves Bridge",
        "2015-03-01",
        ["Jane Doe", "John Roe"],
    )
    assert "Bridge vote" in result.text and "The council voted on Tuesday." in result.text


def test_pdf_title_from_first_line(tmp_path):
    result = article(make_pdf(tmp_path / "a.pdf", ["Bridge vote", "The council voted on Tuesday."]))
    assert (result.title, result.text) == ("Bridge vote", "The council voted on Tuesday.")


def test_encrypted_and_broken_pdf(tmp_path):
    plain = make_pdf(tmp_path / "plain.pdf", ["Bridge vote", "The council voted."])
    writer = PdfWriter(clone_from=plain)
    writer.encrypt("secret", algorithm="RC4-128")
    writer.write(tmp_path / "locked.pdf")
    assert error(tmp_path / "locked.pdf").reason == "encrypted PDF (needs a password)"
    cut = write(tmp_path / "cut.pdf", plain.read_bytes()[:300])
    assert error(cut).reason.startswith("unreadable PDF: ")


# --- warc


def make_warc(path: Path, pages: list[tuple[str, str, str, bytes]]) -> Path:
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=path.suffix == ".gz")
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        for url, status, content_type, body in pages:
            http = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
            writer.write_record(
                writer.create_warc_record(url, "response", payload=BytesIO(body), http_headers=http)
            )
    return path


PAGES = [
    ("https://www.example.com/one", "200 OK", "text/html; charset=utf-8", page("First Story")),
    ("https://www.example.com/logo.png", "200 OK", "image/png", b"\x89PNG\r\n\x1a\n"),
    ("https://www.example.com/gone", "404 Not Found", "text/html", page("Not Found")),
    ("https://news.example.org/two", "200 OK", "text/html", page("Second Story")),
]


@pytest.mark.parametrize("name", ["a.warc", "a.warc.gz"])
def test_warc_html_responses_become_articles(tmp_path, name):
    first, second = load(make_warc(tmp_path / name, PAGES))
    assert (first.title, first.url, first.source, first.line) == (
        "First Story",
        "https://www.example.com/one",
        "example.com",
        2,
    )
    assert (second.title, second.url, second.line) == ("Second Story", "https://news.example.org/two", 5)
    assert "regional court" in second.text and first.path == str(tmp_path / name)


def last_record_offset(path: Path) -> int:
    with path.open("rb") as stream:
        records = ArchiveIterator(stream)
        return [records.get_record_offset() for _ in records][-1]


@pytest.mark.parametrize("name", ["a.warc", "a.warc.gz"])
@pytest.mark.parametrize("where", ["in the body", "in the header"])
def test_truncated_warc_keeps_what_came_before(tmp_path, name, where):
    """warcio reads a truncated file without complaint; the loader must still say the last record is cut."""
    path = make_warc(tmp_path / name, PAGES)
    data = path.read_bytes()
    end = len(data) - 200 if where == "in the body" else last_record_offset(path) + 30
    first, broken = load(write(tmp_path / "cut" / name, data[:end]))
    assert (first.title, first.line) == ("First Story", 2)
    assert isinstance(broken, LoadError) and broken.line == 5 and "WARC record 5" in broken.reason


def test_garbage_in_a_warc_names_the_record(tmp_path):
    data = make_warc(tmp_path / "a.warc", PAGES[:1]).read_bytes()
    first, broken = load(write(tmp_path / "bad.warc", data + b"this is not a WARC record\r\n\r\n"))
    assert (first.title, first.line) == ("First Story", 2)
    assert isinstance(broken, LoadError) and broken.line == 3 and "WARC record 3" in broken.reason


def mixed_warc(path: Path) -> Path:
    """A crawl as it comes: a request before each response, an image, a 404 and two HTML pages."""
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=path.suffix == ".gz")
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "test"}))
        for url, status, content_type, body in PAGES:
            ask = StatusAndHeaders(f"GET {url} HTTP/1.1", [("Host", "example.com")], is_http_request=True)
            writer.write_record(writer.create_warc_record(url, "request", payload=BytesIO(b""), http_headers=ask))
            http = StatusAndHeaders(status, [("Content-Type", content_type)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=BytesIO(body), http_headers=http))
    return path


@pytest.mark.parametrize("name", ["a.warc", "a.warc.gz"])
def test_warc_count_is_the_articles_it_gives_from_headers_alone(tmp_path, name, monkeypatch):
    """The total the progress bar shows before a crawl is read: its HTML pages, and no payload read to count them."""
    path = mixed_warc(tmp_path / name)
    articles = [item for item in load(path) if isinstance(item, Article)]
    assert [a.title for a in articles] == ["First Story", "Second Story"]
    monkeypatch.setattr(warc.ArcWarcRecord, "content_stream", lambda self: pytest.fail("read a payload"))
    monkeypatch.setattr(warc, "from_html", lambda *args, **kw: pytest.fail("parsed a page"))
    assert warc.count(path) == loaders.expected(path) == len(articles) == 2


@pytest.mark.parametrize("name", ["a.warc", "a.warc.gz"])
def test_warc_count_of_a_damaged_file_never_raises(tmp_path, name):
    data = mixed_warc(tmp_path / name).read_bytes()
    cut = tmp_path / "cut" / name
    for end in range(0, len(data), max(1, len(data) // 60)):
        assert 1 <= loaders.expected(write(cut, data[:end])) <= 2, end  # what came before the damage, at least 1
    garbage = write(tmp_path / "bad" / name, data[: len(data) // 2] + b"\x00not a WARC record\r\n\r\n" * 50)
    assert 1 <= loaders.expected(garbage) <= 2
    assert loaders.expected(write(tmp_path / "junk" / name, b"\x1f\x8b this is no archive")) == 1
    assert loaders.expected(tmp_path / "missing" / name) == 1
