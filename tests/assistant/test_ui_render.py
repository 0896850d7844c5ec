"""The UI's HTML (Jinja2 templates, escaping by default), its Markdown export and its date buckets."""

from __future__ import annotations

import re

import pytest

from assistant.answer import NO_ANSWER
from assistant.ui import render, timeline
from assistant.ui.markdown import to_markdown
from assistant.ui.text import example_questions, safe_url, snippet

XSS = ["<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "javascript:alert(1)", "\"><svg onload=alert(1)>"]
HOSTILE = ("<script>window.__pwned='script'</script> <img src=x onerror=\"window.__pwned='img'\"> "
           "[click](javascript:window.__pwned='md') ![x](http://evil.example/x.png) "
           "<a href=\"javascript:alert('a')\">link</a> <svg onload=\"window.__pwned='svg'\"></svg>")


def citation(n: int = 1, **fields) -> dict:
    excerpt = fields.pop("excerpt", "Before. The supporting sentence. After.")
    base = {"n": n, "article_id": "a1", "title": "A title", "url": "https://example.org/a", "source": "example.org",
            "published": "2015-01-02", "section": "body", "excerpt": excerpt, "char_start": 100,
            "char_end": 100 + len(excerpt), "highlight_start": 108, "highlight_end": 132, "score": 0.5}
    return {**base, **fields}


def answer(**fields) -> dict:
    base = {"question": "q?", "answer": "The supporting sentence. [1]", "refused": False, "short_answer": None,
            "citations": [citation()], "related": [], "filters_applied": [], "timeline": []}
    return {**base, **fields}


class Article:
    title, url, source, published, authors = "Title", "https://example.org/a", "example.org", "2015-01-02", []
    sources = ["example.org"]
    text = "First sentence. Cited sentence here. Last sentence."
    comments = ""


def _inert(out: str) -> None:
    assert "<script" not in out and "<img" not in out and "<a href=\"javascript" not in out.lower()
    assert "<svg onload" not in out and not re.search(r"<[a-z]+[^>]* on[a-z]+=", out)


@pytest.mark.parametrize("payload", XSS)
def test_archive_fields_are_escaped_everywhere(payload):
    cite = citation(title=payload, source=payload, url=payload, excerpt=f"Text {payload} more text to mark here.")
    entries = [{"article_id": "a1", "title": payload, "source": payload, "published": "2021-05-01", "cited": True}]
    turn = answer(question=payload, answer=f"An answer {payload} [1]", short_answer=payload, citations=[cite],
                  related=[citation(2, title=payload)], filters_applied=[payload], timeline=entries)
    article = type("Bad", (Article,), {"title": payload, "url": payload, "text": payload, "sources": [payload]})
    stats = {"articles": 1, "chunks": 1, "sources": [payload], "first_published": payload,
             "last_published": payload, "by_month": {"2021-05": 1}, "by_source": {payload: 1}}
    for out in (render.transcript_html([turn]), render.transcript_html([], payload, payload),
                render.transcript_html([], payload, error=payload), render.evidence_html(turn, 0, 1),
                render.evidence_html({**turn, "refused": True, "citations": []}), render.stats_html(stats),
                render.article_html(article, [(0, 5)]), render.confirm_delete_html(article)):
        _inert(out)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in render.evidence_html(answer(citations=[citation(title=XSS[0])]))


def test_chart_labels_and_tooltips_are_escaped():
    entries = [{"title": HOSTILE, "published": "2021-05-01", "cited": True},
               {"title": "</title><script>x</script>", "published": "2021-05-20", "cited": False}]
    out = render.transcript_html([answer(timeline=entries)])
    _inert(out)
    assert "&lt;/title&gt;&lt;script&gt;x&lt;/script&gt;" in out and out.count("<title>") == out.count("</title>")


def test_only_http_urls_become_links():
    assert safe_url("https://example.org/a?b=1&c=2") == "https://example.org/a?b=1&c=2"
    out = render.evidence_html(answer(citations=[citation(url="https://example.org/a?b=1&c=2")]))
    assert '<a href="https://example.org/a?b=1&amp;c=2" rel="noopener noreferrer" target="_blank">A title</a>' in out
    for bad in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:text/html,<b>x</b>", " javascript:x", "//evil",
                'https://x.org/" onmouseover="alert(1)', "https://x.org/a b", "https://x.org/<script>"):
        assert safe_url(bad) is None, bad
        card = render.evidence_html(answer(citations=[citation(url=bad)]))
        assert "<a " not in card and '" onmouseover' not in card, bad


def test_short_answer_first_in_bold_then_the_sentences_with_their_markers():
    out = render.transcript_html([answer(short_answer="Ahmed Abdel Hadi", answer="One [1] and a stray [7].")])
    assert out.index('<p class="short-answer"><strong>Ahmed Abdel Hadi</strong></p>') < out.index("One ")
    assert '<button type="button" class="cite" data-turn="0" data-n="1"' in out and ">[1]</button>" in out
    assert "[7]" in out and 'data-n="7"' not in out  # a marker naming no card stays text
    assert '<p class="short-answer">' not in render.transcript_html([answer()])  # none given: the sentences only


def test_every_answer_has_its_own_rate_control():
    out = render.transcript_html([answer(), answer(question="second?")])
    assert [m for m in re.findall(r'data-turn="(\d)" data-rate="(up|down)"', out)] == [
        ("0", "up"), ("0", "down"), ("1", "up"), ("1", "down")]


def test_cards_show_the_cited_sentences_in_about_300_characters():
    before, cited, after = "Lead words here. " * 40, "The mayor opened the bridge.", " Then it rained." * 40
    excerpt = before + cited + after
    start = 100 + len(before)
    card = render.evidence_html(answer(citations=[citation(excerpt=excerpt, highlight_start=start,
                                                           highlight_end=start + len(cited))]))
    quote = re.search(r'<blockquote class="excerpt">(.*?)</blockquote>', card, re.S).group(1)
    assert f"<mark>{cited}</mark>" in quote and quote.startswith("… ") and quote.endswith(" …")
    assert 250 <= len(re.sub(r"<[^>]+>", "", quote)) <= 360 < len(excerpt)
    assert 'class="open-article" data-turn="0" data-n="1"' in card  # opened from the card itself
    cut = snippet("word " * 20, [(0, 4)], chars=30)
    assert "".join(p for p, _ in cut.pieces).startswith("word") and not cut.before and cut.after


def test_refusal_reads_as_refusal_with_related_reading_collapsed_to_titles():
    turn = answer(answer=NO_ANSWER, refused=True, citations=[], related=[citation(3, title="Nearby story")])
    chat = render.transcript_html([turn])
    assert NO_ANSWER in chat and 'class="refusal"' in chat and 'class="cite"' not in chat
    panel = render.evidence_html(turn)
    assert NO_ANSWER in panel and "<mark>" not in panel
    assert re.search(r'<details class="related-item"><summary>\[1\] Nearby story</summary>', panel)  # none cited


def test_related_reading_is_numbered_after_the_citations_and_never_repeats_a_cited_article():
    cited = [citation(1, article_id="a1"), citation(2, article_id="a2", title="Second")]
    related = [citation(1, article_id="a2", title="Second again"), citation(2, article_id="r1", title="Other"),
               citation(3, article_id="r2", title="Third")]
    turn = answer(citations=cited, related=related)
    assert [(n, c["article_id"], ok) for n, c, ok in render.numbered(turn)] == [
        (1, "a1", True), (2, "a2", True), (3, "r1", False), (4, "r2", False)]
    panel = render.evidence_html(turn)
    assert "Second again" not in panel and "Related reading (2, not cited)" in panel
    assert re.findall(r'id="source-(\d+)"', panel) == ["1", "2", "3", "4"]  # one number, one source


def test_a_syndicated_story_says_who_else_carried_it_and_when_it_first_ran():
    class Stored:
        source, published = "Varnholm gazette", "2022-05-12"
        also = [{"source": "River news", "published": "2022-05-11"}, {"source": "Elm post", "published": None},
                {"source": "Varnholm gazette", "published": "2022-05-13"}]
    panel = render.evidence_html(answer(), stored={"a1": Stored})
    assert "also carried by 2 outlets (River news, Elm post), first published 2022-05-11" in panel
    assert "also carried by" not in render.evidence_html(answer())  # one outlet: nothing to say
    reader = render.article_html(type("S", (Stored, Article), {}), [(16, 36)], n=1, turn=0)
    assert "also carried by 2 outlets" in reader and 'class="close-reader" data-turn="0" data-n="0"' in reader


def test_every_turn_says_which_filters_shaped_it():
    out = render.transcript_html([answer(filters_applied=["since 2009-01-01", "sources: Wikinews"])])
    assert re.search(r'class="filters-applied">.*Searched with:.*<span class="filter-chip">since 2009-01-01</span>'
                     r'<span class="filter-chip">sources: Wikinews</span>', out, re.S)
    assert "filters-applied" not in render.transcript_html([answer()])


def test_first_page_shows_the_archive_and_questions_made_from_its_titles():
    titles = ["Saddam Hussein sentenced to death", "Japan enters recession", "Saddam Hussein executed by hanging",
              "Toyota recalls minivans", "Eurozone now officially in recession", "Toyota fined by regulators",
              "One of Saddam Hussein's lawyers thrown out", "US stocks plunge", "US claims reactor"]
    articles = [{"title": t, "published": f"2009-01-{i + 10}"} for i, t in enumerate(titles)]
    questions = example_questions(articles)
    assert questions == ["What happened with Saddam Hussein?", "How did coverage of the recession change over time?",
                         "When was Toyota in the news?"]
    assert example_questions(list(reversed(articles))) == questions  # deterministic, whatever the order
    stats = {"articles": 9, "by_source": {"b.org": 2, "a.org": 7}, "first_published": "2009-01-10",
             "last_published": "2009-01-18", "by_month": {"2009-01": 9}}
    out = render.transcript_html([], intro=render.intro(stats, questions))
    assert "<b>9</b> articles from a.org, b.org, published 2009-01-10 to 2009-01-18" in out
    assert out.count('class="example" data-ask=') == 3 and 'data-ask="When was Toyota in the news?"' in out
    assert 'data-boxes="chat"' in out and 'role="img" aria-label="Coverage over time: 9 articles' in out


def test_charts_label_both_axes():
    c = render.chart([{"title": "t", "published": f"20{y:02d}-06-01"} for y in range(1, 13) for _ in range(y % 3 + 1)])
    assert [t["value"] for t in c["yticks"]] == [0, 2, 3] and c["yticks"][-1]["y"] == 0
    labels = [t["label"] for t in c["xticks"]]
    assert labels[0] == "2001" and labels[-1] == "2012" and len(labels) == 5


def test_article_html_marks_the_cited_passage():
    out = render.article_html(Article, [(16, 36)])
    assert '<mark id="cited">Cited sentence here.</mark>' in out
    both = render.article_html(Article, [(37, 51), (0, 15)])  # two sentences of one excerpt: both marked
    assert '<mark id="cited">First sentence.</mark>' in both and "<mark>Last sentence.</mark>" in both
    assert 'class="article-missing"' in render.article_html(None)


def test_answer_chart_counts_the_timeline_by_week_or_month_cited_marked():
    entries = [{"title": f"t{i}", "published": d, "cited": i == 0}
               for i, d in enumerate(["2022-05-12", "2022-01-11", "2022-01-30T08:00:00Z", None, "2021-09-14"])]
    c = render.chart(entries)
    labels = [s["bar"].label for s in c["shapes"]]
    assert c["unit"] == "month" and labels[0] == "2021-09" and labels[-1] == "2022-05" and len(labels) == 9
    jan = c["shapes"][labels.index("2022-01")]
    assert (jan["bar"].total, jan["bar"].since, jan["bar"].until) == (2, "2022-01-01", "2022-01-31")
    assert c["undated"] == 1 and c["cited"] == 1 and jan["h"] == c["height"]
    out = render.transcript_html([answer(timeline=entries)])
    assert out.count('class="bar"') == 9 and 'data-since="2022-05-01" data-until="2022-05-31"' in out
    assert out.count('<rect class="cited"') == 1 and "1 undated" in out


def test_buckets_by_week_for_a_short_span_and_by_year_for_a_long_one():
    weeks, _, unit = timeline.buckets([("2022-05-12", False), ("2022-05-30", True)])
    assert unit == "week" and [(b.since, b.until, b.total) for b in weeks] == [
        ("2022-05-09", "2022-05-15", 1), ("2022-05-16", "2022-05-22", 0), ("2022-05-23", "2022-05-29", 0),
        ("2022-05-30", "2022-06-05", 1)]
    years, _, unit = timeline.buckets([("2001-03-01", False), ("2015-01-02", False)])
    assert unit == "year" and len(years) == 15 and years[-1].until == "2015-12-31"


def test_stats_show_real_dates_months_and_sources():
    stats = {"articles": 5, "chunks": 9, "sources": ["b.org", "a.org"], "first_published": "2021-11-03T10:00:00",
             "last_published": "2022-02-01", "by_month": {"2021-11": 2, "2022-02": 2}, "by_source": {"a.org": 1,
                                                                                                  "b.org": 4}}
    out = render.stats_html(stats)
    assert "published 2021-11-03 to 2022-02-01" in out and "1 undated" in out
    assert out.count('class="bar"') == 4 and 'data-boxes="browse"' in out  # Nov, Dec, Jan, Feb
    assert out.index(">b.org<") < out.index(">a.org<")  # the largest source first


def test_markdown_export_spells_out_citations():
    md = to_markdown([answer(question="Who?", short_answer="Hadi"), answer(question="Why?", refused=True,
                                                                          citations=[])])
    assert "## 1. Who?" in md and "**Hadi**" in md
    assert "[1] A title — example.org, 2015-01-02 <https://example.org/a>" in md
    assert "> Before. **The supporting sentence.** After." in md and NO_ANSWER in md  # bold as the card marks it
    related = to_markdown([answer(refused=True, citations=[], related=[citation()])])
    assert "> Before. The supporting sentence. After." in related  # related reading supports nothing


def test_markdown_export_is_inert_in_a_markdown_viewer():
    from markdown_it import MarkdownIt

    evil = f"{HOSTILE} [1]"
    cite = citation(title=HOSTILE, url="javascript:alert(1)", source=HOSTILE, excerpt=HOSTILE)
    md = to_markdown([answer(question=evil, answer=evil, short_answer=HOSTILE, citations=[cite]),
                      answer(answer="x [1]\n\n[1]: javascript:alert(1)", citations=[citation()])])
    page = MarkdownIt("commonmark", {"html": True}).render(md)  # raw HTML allowed: the most trusting viewer
    assert "<script" not in page and "<img" not in page and "<svg" not in page
    assert re.findall(r"<a [^>]*>", page) == ['<a href="https://example.org/a">']  # our one http(s) link
    assert "&lt;script&gt;" in page and "[click](javascript:" in page
