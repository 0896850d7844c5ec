"""render.py's own rules: marked spans (clipped, joined, offset), cards, articles with comments, the ingest line
and Markdown made inert. (Escaping of hostile fields in the app's views is tested in tests/test_app.py.)"""

from __future__ import annotations

from types import SimpleNamespace

from assistant import render
from assistant.cite import Citation

EXCERPT = "Before. The supporting sentence. After."


def citation(**fields) -> Citation:
    base = dict(n=3, article_id="a1", title="", url="https://example.org/a", source="", published=None,
                section="body", excerpt=EXCERPT, char_start=100, char_end=100 + len(EXCERPT), highlight_start=108,
                highlight_end=132, score=0.5)
    return Citation(**{**base, **fields})


def test_marked_clips_joins_and_offsets_spans():
    text = "0123456789"
    assert render.marked(text, [(12, 15)], offset=10) == "01<mark>234</mark>56789"
    assert render.marked(text, [(3, 6), (5, 8)]) == "012<mark>345</mark><mark>67</mark>89"  # overlap not repeated
    assert render.marked(text, [(-5, 2), (8, 99)], first_id="cited") == (
        '<mark id="cited">01</mark>234567<mark>89</mark>')  # clipped to the text; only the first has the id
    assert render.marked("<b>", [(0, 3)]) == "<mark>&lt;b&gt;</mark>"
    assert render.marked(text, [(20, 30)]) == text


def test_card_falls_back_for_missing_fields_and_names_comments():
    card = render.card_html(citation(section="comments"), anchor="related")
    assert card.startswith('<div class="source-card" id="related-3">')
    assert '<span class="source-title">https://example.org/a</span>' in card  # no title: the URL
    assert "unknown source · undated · reader comment · <a " in card
    assert "<mark>The supporting sentence.</mark>" in card
    assert "<mark>" not in render.card_html(citation(), mark=False)
    assert "untitled" in render.card_html(citation(url=""))


def test_article_comments_open_only_when_a_comment_is_cited():
    article = SimpleNamespace(title="T", url="", sources=["a.org", "b.org"], published="2015-01-02",
                              authors=["Ann Lee", "Bo Chen"], text="Body sentence.", comments="A reader says hi.")
    cited_comment = render.article_html(article, [(2, 8)], section="comments")
    assert '<details open><summary>Reader comments</summary>' in cited_comment
    assert 'A <mark id="cited">reader</mark> says hi.' in cited_comment and "<mark" not in cited_comment.split(
        "<details")[0]
    cited_body = render.article_html(article, [(0, 4)])
    assert "<details><summary>" in cited_body and '<mark id="cited">Body</mark>' in cited_body
    assert "a.org, b.org · 2015-01-02 · by Ann Lee, Bo Chen" in cited_body


def test_ingest_status_counts_files_and_articles():
    def summary(**n) -> SimpleNamespace:
        return SimpleNamespace(**{k: n.get(k, 0) for k in ("added", "updated", "unchanged", "duplicates", "failed")})

    line = render.ingest_status([summary(added=3, failed=1)], 2, {"articles": 40, "chunks": 410}, "b.jsonl",
                                summary(added=2))
    assert line == ("1 of 2 files done, now b.jsonl (2 articles so far) · 6 articles read (5 added, 0 updated, "
                    "0 unchanged, 0 duplicates, 1 failed) · the archive holds 40 articles in 410 chunks")
    assert render.ingest_status([], 0, {}) == "No files to ingest."


def test_markdown_text_is_inert():
    assert render.md_text("<b>[x](javascript:1)</b>\n[1]: http://e.org") == (
        "&lt;b&gt;[x]\\(javascript:1)&lt;/b&gt;\n[1]\\: http://e.org")
    assert render.md_text(None) == ""
