"""Small to search, big to read: chunks are handed on widened to whole sentences, and windows that meet merge."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from conftest import fresh_archive

from assistant import window as window_module
from assistant.retrieve import HybridRetriever
from assistant.window import merged, widen
from vectorstore.article import ArticleMeta
from vectorstore.ingest import Ingestor
from vectorstore.passage import Passage
from vectorstore.sentences import sentences
from vectorstore.store import Archive

FILLER = [
    "The weather in the Algarve stayed dry for most of the autumn season.",
    "Football crowds in Braga grew again after the stadium roof was mended.",
    "Cork exports rose slightly as wine makers ordered more stoppers this year.",
    "A new cycling lane opened along the coast road between Cascais and Estoril.",
]
HARBOUR = "\n\n".join([
    *FILLER,
    "Lisbon's harbour authority published its annual report on Monday.",
    "The report names the engineer who designed the new ferry terminal.",
    "She is Marta Quintela, who also built the river bridge at Faro.",
    *reversed(FILLER),
])
QUESTION = "Which engineer designed the new ferry terminal, according to the harbour report?"


@pytest.fixture(scope="module")
def archive(tmp_path_factory, embedder) -> Archive:
    """One article cut into a chunk per paragraph (20 tokens), so the answer is in the chunk after the match."""
    folder = tmp_path_factory.mktemp("window")
    (folder / "news.jsonl").write_text(json.dumps({"url": "https://example.org/harbour", "title": "Harbour report",
                                                   "date": "2022-10-03", "text": HARBOUR}) + "\n")
    archive = fresh_archive(folder, embedder, chunk_tokens=20)
    Ingestor(archive).run([folder / "news.jsonl"], progress=False)
    return archive


def test_the_answer_after_the_matching_chunk_is_handed_on(archive):
    match = HybridRetriever(archive=archive, passage_chars=0).passages(QUESTION, k=1)[0]
    assert "ferry terminal" in match.text and "Marta Quintela" not in match.text  # the chunk alone misses it

    passage = HybridRetriever(archive=archive, passage_chars=190).passages(QUESTION, k=1)[0]
    text = archive.section_texts([(passage.article.id, passage.section)])[(passage.article.id, passage.section)]
    assert "ferry terminal" in passage.text and "Marta Quintela" in passage.text
    assert passage.text == text[passage.char_start : passage.char_end]  # offsets still point into the article
    assert 190 <= len(passage.text) < 400 and FILLER[0] not in passage.text  # whole sentences, near the match
    assert passage.text.startswith("Lisbon's harbour") and passage.text.endswith("bridge at Faro.")


def test_windows_that_meet_become_one_passage(archive):
    """The article's two best chunks lie side by side: one passage, not two copies of the same window, and not
    the whole article either (two chunks of an article at most)."""
    passages = HybridRetriever(archive=archive, passage_chars=190).passages(QUESTION, k=5)
    assert len(passages) == 1
    assert "Marta Quintela" in passages[0].text and FILLER[0] not in passages[0].text


def test_an_article_changed_under_retrieval_is_handed_on_as_retrieved(archive):
    """Between the chunk lookup and the widening, an ingest may replace or delete the article: the chunk is then
    handed on as it was found, never stitched from text it no longer matches."""
    chunk = HybridRetriever(archive=archive, passage_chars=0).passages(QUESTION, k=1)[0]
    assert widen(chunk, "", 1000) == chunk
    neighbour = replace(chunk, char_start=chunk.char_end + 2, char_end=chunk.char_end + 40, text="x" * 38)
    assert merged(chunk, neighbour, "") is None


def test_a_window_in_a_huge_paragraph_is_whole_sentences_and_splits_only_what_it_can_reach(monkeypatch):
    """Text without paragraph breaks (PDFs, plain text): the window still ends on sentence boundaries, and only
    the text it can reach is split into sentences (the whole 170k-character paragraph would take ~60 ms)."""
    text = " ".join(f"Sentence number {i} is about the harbour budget of Lisbon." for i in range(3000))
    at = text.index("Sentence number 1500 ")
    chunk_end = text.index("Sentence number 1502 ") - 1
    chunk = Passage("c", ArticleMeta("a", "t", "u", "s", None), "body", 0, at, chunk_end, text[at:chunk_end])
    split: list[int] = []

    def counted(text: str, start: int = 0, end: int | None = None):
        split.append((len(text) if end is None else end) - start)
        return sentences(text, start, end)

    monkeypatch.setattr(window_module, "sentences", counted)
    window = widen(chunk, text, 1000)
    assert window.text.startswith("Sentence number") and window.text.endswith("Lisbon.")
    assert 1000 <= len(window.text) < 1200 and window.text == text[window.char_start : window.char_end]
    assert split and max(split) <= 2000
