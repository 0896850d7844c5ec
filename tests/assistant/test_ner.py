"""The short answer's tagger: spaCy's small English model with its attribute ruler replaced by a look-up built from
the ruler's own patterns, which must give the parts of speech the ruler gives."""

from __future__ import annotations

import json
from pathlib import Path

import spacy

from assistant import ner
from vectorstore.sentences import sentences

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "archive" / "news.jsonl"


def test_parts_of_speech_are_the_attribute_rulers():
    texts = []
    for line in SAMPLE.read_text(encoding="utf-8").splitlines()[:40]:
        text = json.loads(line)["text"]
        texts += [text[a:b] for a, b in sentences(text)]
    texts += ["Was it not him that did it?", "I'd say there's nothing he hasn't done."]  # the ruler's word rules
    # the reference without the parser: the look-up keeps the ruler's tag rules, not those that read a dependency
    ruler = spacy.load(ner.MODEL, disable=["parser", "lemmatizer"])
    assert "attribute_ruler" in ruler.pipe_names and "attribute_ruler" not in ner.pipeline().pipe_names
    ours = [[(t.text, t.pos_) for t in doc] for doc in ner.tag(texts)]
    theirs = [[(t.text, t.pos_) for t in doc] for doc in ruler.pipe([t[: ner._MAX_CHARS] for t in texts])]
    assert len(texts) > 300 and ours == theirs
    assert {pos for doc in ours for _, pos in doc} >= {"PROPN", "VERB", "AUX", "PRON", "PART", "NUM"}


def test_entities_are_tagged():
    doc = ner.tag(["Ahmed Abdel Hadi, Hamas's representative in Lebanon, headed the delegation in Beirut."])[0]
    assert ("Ahmed Abdel Hadi", "PERSON") in [(e.text, e.label_) for e in doc.ents]


def test_a_served_assistant_loads_the_tagger_before_the_first_question(tmp_path, monkeypatch):
    from assistant.ask import Assistant
    from assistant.settings import Settings
    from vectorstore.store import Archive

    monkeypatch.setattr(ner, "_nlp", None)
    Assistant(Archive(Settings(store=tmp_path / "store"))).warm().join()
    assert ner._nlp is not None


def test_the_parse_and_lemmas_the_short_answer_reads():
    """The wh-word's verb is matched by lemma ("opened" is "open") and the answer's place by dependency label."""
    doc = ner.tag(["The bridge was opened by Mayor John Smith."])[0]
    opened = next(t for t in doc if t.text == "opened")
    assert opened.lemma_ == "open" and doc[1].dep_ == "nsubjpass" and doc[1].head.i == opened.i
