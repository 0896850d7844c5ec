"""A question leans on the earlier turn only when it cannot stand alone: an ellipsis, a pronoun it does not
resolve itself, or too little of its own. One that names its own subject is retrieved as asked."""

from __future__ import annotations

import pytest

from assistant.followup import leans_on_history, retrieval_query

TOYOTA = "Why did Toyota recall more than eight million cars in 2010?"
NORTH_KOREA = "What did North Korea do about its nuclear program between 2005 and 2007?"
HAMAS = "Who headed the Hamas delegation that met Hezbollah in Beirut?"


@pytest.mark.parametrize("question", [
    NORTH_KOREA,  # "its" is North Korea's, not the earlier turn's
    "Why did Toyota recall its cars?",
    "Who is Kim Jong-un?",  # short, but names its subject
    "What caused the fire at the Glasgow School of Art library?",
    "How did Apple and Google settle their dispute?",  # a plural pronoun for two companies
    "What did Obama say when he resigned?",
    "Is it true that North Korea tested a bomb?",  # "it" points forward, at what the question names
    "What did Toyota announce this year?",  # "this year" is the calendar, not the conversation
    "What did the deal include and who signed that deal?",
])
def test_a_question_with_its_own_subject_stands_alone(question):
    assert not leans_on_history(question)


@pytest.mark.parametrize("question", [
    "And the Hezbollah side?",
    "What about Iran?",
    "How about 2010?",
    "Who led it?",
    "When did he resign?",
    "And how many visitors came?",
    "Why?",
    "How many?",
    "Iran?",  # a fragment without a verb
    "Did the president sign it?",  # "it" cannot be the president, the subject of its own clause
    "Did Obama sign it?",  # nor Obama: a person is not "it"
    "What did Toyota gain from that deal?",  # no deal mentioned before "that deal"
    "What happened to those?",
])
def test_a_question_that_cannot_stand_alone_leans_on_history(question):
    assert leans_on_history(question)


def test_a_stand_alone_question_is_retrieved_without_the_earlier_words():
    history = [(TOYOTA, "A faulty accelerator pedal [1].")]
    assert retrieval_query(NORTH_KOREA, history) == NORTH_KOREA
    assert retrieval_query("Who is Kim Jong-un?", history) == "Who is Kim Jong-un?"


def test_a_follow_up_carries_the_earlier_question_words():
    query = retrieval_query("And the Hezbollah side?", [(HAMAS, "Ahmed Abdel Hadi [1].")])
    assert query.startswith("And the Hezbollah side? ")
    assert {"Hamas", "delegation", "Beirut"} <= set(query.split())
    assert "Who" not in query.split()  # only content words are carried
    assert "Toyota" in retrieval_query("When did he resign?", [(TOYOTA, "")]).split()


def test_without_history_nothing_is_carried():
    assert retrieval_query("Who led it?", []) == "Who led it?"
