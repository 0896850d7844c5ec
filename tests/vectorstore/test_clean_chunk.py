"""Cleaning keeps only the article; chunks fit the model and point back into the cleaned text."""

from __future__ import annotations

import json

import pytest
from conftest import REALTIMEQA, SEED

from vectorstore.article import Article
from vectorstore.chunk import Chunker
from vectorstore.clean import clean
from vectorstore.sentences import sentences


def test_seed_boilerplate_gone_and_comments_apart():
    article = clean(Article(text=SEED.read_text(), path=str(SEED)))
    assert "Ahmed Abdel Hadi" in article.text
    assert "Follow VosIzNeias" not in article.text
    assert "Please enter your" not in article.text + article.comments
    assert "constitution" not in article.text and "security wall" not in article.text
    assert article.comments.count("\n\n") == 2  # the three reader comments, kept apart
    assert "They want to totally destroy Israel" in article.comments
    assert article.source == "VosIzNeias"


def test_numbered_list_inside_an_article_is_not_comments():
    text = "Three things to know.\n\n1. Prices rose.\n\n2. Rates fell.\n\nThat is all for today."
    article = clean(Article(text=text))
    assert article.comments == "" and "Rates fell." in article.text


def test_newsletter_and_form_chrome_removed_from_scraped_news():
    for line in (REALTIMEQA / "articles.jsonl").open():
        record = json.loads(line)
        if "Get '5 Things' in your inbox" in record["text"]:
            break
    cleaned = clean(Article(text=record["text"])).text
    assert "in your inbox" not in cleaned
    assert len(cleaned) > 0.5 * len(record["text"])


def test_chunks_fit_the_model_and_map_to_the_text(embedder):
    chunker = Chunker(embedder.count_tokens, embedder.split_tokens, embedder.max_tokens)
    long_sentence = " ".join(["word"] * 600) + "."
    body = SEED.read_text() + "\n\n" + long_sentence
    article = clean(Article(text=body, comments="A reader says hello."))
    chunks = chunker(article)
    assert {c.section for c in chunks} == {"body", "comments"}
    for c in chunks:
        source = article.text if c.section == "body" else article.comments
        assert source[c.char_start : c.char_end] == c.text
        assert embedder.count_tokens([c.text])[0] <= embedder.max_tokens
    prose = [c for c in chunks if "word word" not in c.text and c.section == "body"]
    assert all(c.text.rstrip()[-1] in ".”\"!?" for c in prose)  # whole sentences, never cut mid-way


@pytest.mark.parametrize("text", [
    "The harbour reopened on Monday. Ships queued at dawn.\n\nA second paragraph, one sentence.",
    "Then it \u200b closed.\u200f Tab\there. Next\u2028line. x\ufeffy. Z.",
    "Dr. Smith paid $1.5m.  Two spaces before this one.   Three here.",
    "中文新闻。第二句。 😀🎉 End.",
])
def test_sentence_offsets_found_in_the_text_match_blingfires_own(text, monkeypatch):
    """Sentences are found in the paragraph by position (the fast path); blingfire's byte-to-character offsets,
    the slow path, give the same spans."""
    fast = sentences(text)
    monkeypatch.setattr("vectorstore.sentences._found", lambda piece: None)
    assert fast == sentences(text) and len(fast) >= 2
