"""Markers: which [n] count, how they are checked (even split across streamed pieces), and what a citation holds."""

from __future__ import annotations

from assistant.cite import Citation, check_markers, checked_stream, cited, defused, uncited
from assistant.passage import Passage


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
    passage = Passage("c1", "a1", "body", 3, 100, 140, "Ahmed Abdel Hadi headed the delegation.", "Title",
                      "https://example.org/a", "example.org", "2015-01-02", score=0.123456789)
    card = Citation.of(2, passage, (110, 130))
    assert (card.n, card.article_id, card.excerpt, card.char_start, card.char_end) == (
        2, "a1", passage.text, 100, 140)
    assert (card.highlight_start, card.highlight_end, card.highlights, card.score) == (110, 130, [(110, 130)], 0.12346)
    whole = Citation.of(1, passage)
    assert (whole.highlight_start, whole.highlight_end, whole.highlights) == (100, 140, [])
    assert card.to_json()["highlights"] == [(110, 130)] and card.to_json()["title"] == "Title"
