"""References a reference manager imports (`archive-chat cite`, assistant.references) and the Markdown export's
header, filters and reference list: each format written from a real archive and read back by its own parser."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timezone

import bibtexparser
import pytest
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware
from click.testing import CliRunner
from conftest import fresh_archive

from assistant.cli import main
from assistant.references import FORMATS, citation_keys, references, split_name
from assistant.ui.markdown import to_markdown
from vectorstore.article import Article, StoredArticle
from vectorstore.ingest import Ingestor

BODY = ("The city council approved the budget for the coming year after a long debate. Officials said the plan "
        "funds new bridges, schools and a tram line, and that taxes would stay as they are. ")
RECORDS = [
    {"title": "Council passes the 2024 budget & 5% tax freeze", "date": "2024-03-05", "source": "River News",
     "url": "https://river.example/budget", "authors": ["Jane Doe", "Ludwig van Beethoven", "Associated Press"],
     "text": BODY * 4},
    {"title": "Café owners fear the tram works", "date": "2023-11-20", "source": "Hill Gazette",
     "url": "https://hill.example/cafe", "authors": "José García Márquez; Martin Luther King Jr.",
     "text": "Café owners on the high street say the tram works will keep customers away for a year. " * 6},
    {"title": "Undated notice", "source": "Hill Gazette", "url": "https://hill.example/notice",
     "text": "A notice about the market that carries no date and no byline at all, kept for the record. " * 6},
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory, embedder):
    folder = tmp_path_factory.mktemp("refs")
    path = folder / "news.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n", encoding="utf-8")
    archive = fresh_archive(folder, embedder)
    assert Ingestor(archive).run([path], progress=False).added == 3
    return archive


def _id(url: str) -> str:
    return Article("", url=url).id


def _cite(archive, *args: str):
    return CliRunner().invoke(main, ["cite", *args, "--store", str(archive.folder)])


def _archived(archive, url: str) -> date:
    return datetime.fromtimestamp(archive.article(_id(url)).ingested_at, tz=timezone.utc).date()


def test_bibtex_reads_back_with_bibtexparser(archive):
    result = _cite(archive, _id(RECORDS[0]["url"]), _id(RECORDS[1]["url"]), "--format", "bibtex")
    assert result.exit_code == 0, result.output
    raw = bibtexparser.parse_string(result.output)
    assert not raw.failed_blocks and [e.key for e in raw.entries] == ["doe2024council", "marquez2023cafe"]
    first = raw.entries[0].fields_dict
    assert first["url"].value == RECORDS[0]["url"] and first["urldate"].value == _archived(archive, RECORDS[0]["url"]
                                                                                           ).isoformat()
    assert first["date"].value == "2024-03-05" and first["year"].value == "2024" and first["month"].value == "mar"
    decoded = bibtexparser.parse_string(result.output, append_middleware=[LatexDecodingMiddleware()])
    fields = {e.key: {k: f.value for k, f in e.fields_dict.items()} for e in decoded.entries}
    assert fields["doe2024council"]["title"] == RECORDS[0]["title"]  # & and % escaped, and decoded back
    assert fields["doe2024council"]["journal"] == "River News"
    assert first["author"].value == "Doe, Jane and van Beethoven, Ludwig and {Associated Press}"
    assert fields["marquez2023cafe"]["title"] == "Café owners fear the tram works"
    assert fields["marquez2023cafe"]["author"] == "Márquez, José García and King, Jr., Martin Luther"


def test_csl_json_has_the_keys_zotero_reads(archive):
    result = _cite(archive, _id(RECORDS[0]["url"]), _id(RECORDS[2]["url"]), "--format", "csl-json")
    assert result.exit_code == 0, result.output
    budget, notice = json.loads(result.output)
    assert {"id", "type", "title", "container-title", "author", "issued", "URL", "accessed"} <= budget.keys()
    assert budget["type"] == "article-newspaper" and budget["container-title"] == "River News"
    assert budget["author"] == [{"family": "Doe", "given": "Jane"}, {"family": "van Beethoven", "given": "Ludwig"},
                                {"literal": "Associated Press"}]
    assert budget["issued"] == {"date-parts": [[2024, 3, 5]]} and budget["URL"] == RECORDS[0]["url"]
    day = _archived(archive, RECORDS[0]["url"])
    assert budget["accessed"] == {"date-parts": [[day.year, day.month, day.day]]}
    assert notice["id"] == "hillgazettendundated" and "issued" not in notice and "author" not in notice


def test_ris_tags_read_back_with_rispy(archive, tmp_path):
    out = tmp_path / "refs.ris"
    result = _cite(archive, _id(RECORDS[1]["url"]), "--format", "ris", "--output", str(out))
    assert result.exit_code == 0 and "1 reference written to" in result.output
    text = out.read_text(encoding="utf-8")
    assert text.startswith("TY  - NEWS\n")
    [record] = rispy.loads(text)
    assert record["title"] == "Café owners fear the tram works" and record["secondary_title"] == "Hill Gazette"
    assert record["authors"] == ["Márquez, José García", "King, Martin Luther, Jr."]
    assert record["date"] == "2023/11/20" and record["year"] == "2023" and record["urls"] == [RECORDS[1]["url"]]
    assert record["access_date"] == _archived(archive, RECORDS[1]["url"]).strftime("%Y/%m/%d")
    assert re.search(r"^Y2  - \d{4}/\d\d/\d\d$", text, re.M) and re.search(r"^T2  - Hill Gazette$", text, re.M)


def test_unknown_id_is_one_line_and_exit_1_the_rest_still_written(archive):
    known = _id(RECORDS[0]["url"])
    result = CliRunner().invoke(main, ["cite", "nosuchid", known, "--store", str(archive.folder)])
    assert result.exit_code == 1
    assert result.stderr == "nosuchid: no such article in the archive\n"
    assert "@article{doe2024council," in result.stdout


def test_cite_names_a_missing_store(tmp_path):
    result = CliRunner().invoke(main, ["cite", "x", "--store", str(tmp_path / "none")])
    assert result.exit_code == 1 and "no archive here yet" in result.output and "Traceback" not in result.output


def _stored(**fields) -> StoredArticle:
    base = {"id": "a1", "title": "The budget", "url": "https://x.example/a", "source": "x.example",
            "published": "2024-01-02", "authors": [], "path": "", "text": "", "comments": "", "also": [],
            "ingested_at": 0.0}
    return StoredArticle(**{**base, **fields})


def test_keys_are_unique_within_one_output_and_names_split_sensibly():
    articles = [_stored(), _stored(id="a2"), _stored(id="a3")]
    assert citation_keys(articles) == ["x2024budget", "x2024budgeta", "x2024budgetb"]
    assert split_name("Reuters") == {"literal": "Reuters"} and split_name("BBC News") == {"literal": "BBC News"}
    assert split_name("Doe, Jane") == {"family": "Doe", "given": "Jane"}
    assert split_name("Maria de la Cruz") == {"family": "de la Cruz", "given": "Maria"}
    also = _stored(also=[{"source": "AP News"}])
    assert "also published by AP News" in json.loads(references([also], "csl-json"))[0]["note"]
    with pytest.raises(ValueError, match="unknown reference format"):
        references(articles, "mla")
    assert set(FORMATS) == {"bibtex", "ris", "csl-json"}


def _turn(question: str, n_article: list[tuple[int, str]], filters: list[str], refused: bool = False) -> dict:
    cites = [{"n": n, "article_id": a, "title": f"Title {a}", "url": f"https://x.example/{a}", "source": "x.example",
              "published": "2024-01-02", "section": "body", "excerpt": "Text.", "char_start": 0, "char_end": 5,
              "highlight_start": 0, "highlight_end": 5, "score": 0.5} for n, a in n_article]
    return {"question": question, "answer": " ".join(f"Claim [{n}]." for n, _ in n_article), "refused": refused,
            "short_answer": None, "citations": [] if refused else cites, "related": cites if refused else [],
            "filters_applied": filters}


def test_markdown_export_opens_with_date_and_archive_and_ends_with_references():
    stats = {"articles": 1234, "chunks": 5000, "sources": ["a", "b"], "first_published": "2019-01-01",
             "last_published": "2024-12-31"}
    turns = [_turn("Who?", [(1, "a"), (2, "b")], ["since 2024-01-01", "source: x.example"]),
             _turn("Why?", [(1, "b"), (2, "c")], []), _turn("What?", [(1, "d")], [], refused=True)]
    md = to_markdown(turns, stats, exported=datetime(2025, 6, 1, 14, 3, tzinfo=timezone.utc))
    lines = md.splitlines()
    assert lines[:4] == ["# archive-chat conversation", "", "- Exported: 2025-06-01 14:03 UTC",
                         "- Archive: 1,234 articles from 2 sources, published 2019-01-01 to 2024-12-31"]
    assert "Filters: since 2024-01-01; source: x.example" in md
    refs = md[md.index("## References"):].splitlines()[2:]
    assert refs == [
        "1. Title a. x.example, 2024-01-02. https://x.example/a (cited in answer 1 [1])",
        "2. Title b. x.example, 2024-01-02. https://x.example/b (cited in answer 1 [2], answer 2 [1])",
        "3. Title c. x.example, 2024-01-02. https://x.example/c (cited in answer 2 [2])",
    ]  # d: related reading of a refusal, cited by no answer
    old = to_markdown(turns)  # the call the app has always made: no archive line, still dated
    assert "- Exported: " in old and "- Archive:" not in old and "## References" in old
