"""Filters: what JSON-ish input means, how a timeframe narrows them, and that Chroma's `where` and the BM25 mask
let through the same chunks of a real archive."""

from __future__ import annotations

from datetime import date

import pytest

from vectorstore.dense import nearest
from vectorstore.filters import Filters


def test_parse_reads_dates_sources_and_the_as_of_day():
    parsed = Filters.parse({"since": "2022/10/01", "until": "2022-10-31T23:00:00", "date": "2022-10-06",
                            "source": "cnn.com", "sources": ["usatoday.com"], "article_ids": ["a1", "a2"],
                            "include_comments": 1})
    assert parsed == Filters(since=date(2022, 10, 1), until=date(2022, 10, 31), as_of=date(2022, 10, 6),
                             sources=("cnn.com", "usatoday.com"), article_ids=("a1", "a2"), include_comments=True)
    assert Filters.parse({"as_of": "2020-01-02", "date": "2022-10-06"}).as_of == date(2020, 1, 2)  # as_of wins
    assert Filters.parse(None) == Filters.parse({}) == Filters()
    with pytest.raises(ValueError, match=r"since: 'last week' is not a date \(use YYYY-MM-DD\)"):
        Filters.parse({"since": "last week"})


def test_parse_ignores_unknown_keys_and_says_in_one_line_which_key_is_wrong():
    assert Filters.parse({"k": 3, "colour": "red", "source": "", "sources": None, "include_comments": None,
                          "since": ""}) == Filters()
    assert Filters.parse({"include_comments": "false", "sources": ("a.org", "b.org")}) == Filters(
        sources=("a.org", "b.org"))
    for data, line in [({"date": "2022/13/01"}, "date: '2022/13/01' is not a date (use YYYY-MM-DD)"),
                       ({"until": "soon", "since": "later"}, "since: 'later' is not a date (use YYYY-MM-DD)"),
                       ({"sources": ["a.org", 7]}, "sources.1: Input should be a valid string"),
                       ({"include_comments": "maybe"}, "include_comments: Input should be a valid boolean")]:
        with pytest.raises(ValueError) as caught:
            Filters.parse(data)
        assert str(caught.value).startswith(line) and "\n" not in str(caught.value)


def test_narrowed_keeps_the_tighter_bounds_and_says_why():
    year = Filters(since=date(2022, 1, 1), until=date(2022, 12, 31))
    spring = year.narrowed(date(2021, 6, 1), date(2022, 3, 31), "'this spring'")
    assert (spring.since, spring.until, spring.applied) == (date(2022, 1, 1), date(2022, 3, 31), ("'this spring'",))
    assert year.applied == () and spring == Filters(since=date(2022, 1, 1), until=date(2022, 3, 31))  # a copy
    assert Filters().narrowed(None, date(2020, 1, 1), "x").since is None


def test_where_is_the_chroma_clause():
    assert Filters(include_comments=True).where() is None
    assert Filters().where() == {"section": "body"}
    assert Filters(since=date(2022, 10, 1), until=date(2022, 10, 31), sources=("cnn.com",), include_comments=True,
                   article_ids=("a1",)).where() == {"$and": [
        {"day": {"$gte": 20221001}}, {"day": {"$lte": 20221031}}, {"source": {"$in": ["cnn.com"]}},
        {"article_id": {"$in": ["a1"]}}]}


def _wanted(filters: Filters, row: dict) -> bool:
    """The filter's meaning, spelled out on a stored chunk's row."""
    day = date.fromisoformat(row.article.published[:10]) if row.article.published else None
    return ((filters.include_comments or row.section == "body")
            and (not filters.since or (day is not None and day >= filters.since))
            and (not filters.until or (day is not None and day <= filters.until))
            and (not filters.sources or row.article.source in filters.sources)
            and (not filters.article_ids or row.article.id in filters.article_ids))


@pytest.mark.parametrize("filters", [
    Filters(), Filters(include_comments=True), Filters(sources=("cnn.com",)),
    Filters(since=date(2022, 10, 1), include_comments=True),
    Filters(until=date(2019, 12, 31), sources=("usatoday.com",)),
], ids=["body", "everything", "cnn", "since-october", "usatoday-before-2020"])
def test_mask_and_where_let_through_the_same_chunks(news_store, filters):
    index, chunks = news_store.bm25_index(), news_store.parts.chunks
    rows = news_store.passages(list(index.rows))
    expected = {cid for cid, row in rows.items() if _wanted(filters, row)}
    assert expected and (len(expected) < len(rows) or filters == Filters(include_comments=True))
    mask = index.mask(filters)
    assert (set(index.rows) if mask is None else set(index.rows[mask > 0])) == expected
    probe = news_store.embedder.embed_query("news")
    assert {cid for cid, _ in nearest(chunks, probe, chunks.count(), filters.where())} == expected
