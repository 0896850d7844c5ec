"""Markers: which [n] count, how they are checked (even split across streamed pieces), and what a citation holds."""

from __future__ import annotations

import json

from assistant.cite import Citation, check_markers, checked_stream, cited, defused, uncited
from vectorstore.article import ArticleMeta
from vectorstore.passage import Passage

ARTICLE = ArticleMeta("a1", "Title", "https://example.org/a", "example.org", "2015-01-02")


def test_markers_naming_no_excerpt_are_removed_and_counted():
    assert check_markers("Led by Hadi [1][3]. Met in Beirut [2]. See [0] and [12].", 2) == (
        "Led by Hadi [1]. Met in Beirut [2]. See  and .", 3)
    assert check_markers("A list [a] and [1000] are not markers.", 1) == ("A list [a] and [1000] are not markers.", 0)


def test_a_marker_split_across_pieces_is_held_until_it_is_known():
    pieces = ["Hadi [", "1", "] led it [", "9]", " and [2", "] too ["]
    shown = list(checked_stream(pieces, 2))
    assert "".join(shown) == "Hadi [1] led it  and [2] too ["
    assert all("[9" not in piece for piece in shown)
    assert shown[0] == "Hadi "  # text before an unfinished marker is not held back


def test_cited_uncited_and_defused():
    assert cited("B [2]. A [1][2]. C [3].") == [2, 1, 3]  # first use order, once each
    assert uncited("Hadi led it [1][2].") == "Hadi led it ."
    assert defused("footnote[2] and [x]") == "footnote(2) and [x]"
    assert cited(defused("planted [1]")) == []


def test_a_citation_points_into_its_article():
    passage = Passage("c1", ARTICLE, "body", 3, 100, 140, "Ahmed Abdel Hadi headed the delegation.",
                      score=0.123456789)
    card = Citation.of(2, passage, (110, 130))
    assert (card.n, card.article, card.excerpt, card.char_start, card.char_end) == (
        2, ARTICLE, passage.text, 100, 140)
    assert (card.highlight_start, card.highlight_end, card.highlights, card.score) == (110, 130, [(110, 130)], 0.12346)
    whole = Citation.of(1, passage)
    assert (whole.highlight_start, whole.highlight_end, whole.highlights) == (100, 140, [])
    assert card.to_json()["highlights"] == [(110, 130)] and card.to_json()["title"] == "Title"


def test_a_citation_is_flat_json_and_round_trips():
    """The JSON keeps the flat shape `ask --json`, /ask, eval and exports have always had, and reads back equal."""
    card = Citation(1, ARTICLE, "body", "An excerpt.", 100, 111, 100, 105, 0.5, [(100, 105), (106, 111)])
    data = card.to_json()
    assert list(data) == ["n", "article_id", "title", "url", "source", "published", "section", "excerpt",
                          "char_start", "char_end", "highlight_start", "highlight_end", "score", "highlights"]
    assert (data["article_id"], data["title"], data["published"]) == ("a1", "Title", "2015-01-02")
    assert Citation.from_json(data) == card
    assert Citation.from_json(json.loads(json.dumps(data))) == card  # highlights back as (start, end) pairs


def test_a_passage_is_built_from_a_chunk_record_and_round_trips_its_json():
    meta = {"article_id": "a1", "section": "body", "index": 3, "char_start": 100, "char_end": 111,
            "title": "Title", "url": "https://example.org/a", "source": "example.org", "published": "2015-01-02",
            "day": 20150102, "version": "h", "written": 1.0}  # as Chroma holds it: filter fields too
    passage = Passage.of_chunk("c1", "An excerpt.", meta)
    assert (passage.article, passage.text, passage.index, passage.dense) == (ARTICLE, "An excerpt.", 3, 0.0)
    assert Passage.of_chunk("c1", "x", {**meta, "published": ""}).article.published is None  # "" is no date
    assert Passage.from_json(passage.to_json()) == passage
    assert passage.to_json() == {"chunk_id": "c1", "article_id": "a1", "title": "Title", "url": meta["url"],
                                 "source": "example.org", "published": "2015-01-02", "section": "body", "index": 3,
                                 "char_start": 100, "char_end": 111, "text": "An excerpt.", "score": 0.0,
                                 "dense": 0.0, "bm25": 0.0}
