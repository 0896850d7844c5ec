"""The question plan: each kind of question read as the kind it is, its subject, its filters."""

from __future__ import annotations

import pytest

from assistant.plan import plan, question_kind, subject_terms
from vectorstore.filters import Filters


@pytest.mark.parametrize(("question", "kind"), [
    ("When was Saddam Hussein executed?", "fact"),
    ("Who headed the Hamas delegation that met Hezbollah in Beirut?", "fact"),
    ("How many books were destroyed?", "fact"),
    ("What happened with Toyota's recalls?", "event"),
    ("What happened to the Glasgow School of Art library?", "event"),
    ("What did North Korea do about its nuclear program between 2005 and 2007?", "event"),
    ("How did coverage of the recession change over time?", "chronology"),
    ("How did the North Korean nuclear crisis unfold?", "chronology"),
    ("Timeline of Toyota's recalls", "chronology"),
    ("Trace the coverage of the Saddam Hussein trial.", "chronology"),
    ("What happened with the recall over the following weeks?", "chronology"),
    ("Why did Toyota recall its cars?", "explanation"),
    ("How does the accelerator pedal fault work?", "explanation"),
    ("What caused the fire?", "explanation"),
])
def test_each_kind_of_question_is_read_as_its_kind(question, kind):
    assert question_kind(question) == kind


def test_the_subject_is_what_the_question_is_about_not_how_it_asks():
    assert set(subject_terms("How did coverage of the recession change over time?")) == {"recession"}
    assert set(subject_terms("What caused the fire?")) == {"fire"}
    assert {"saddam", "hussein"} <= set(subject_terms("When was Saddam Hussein executed?"))


def test_an_article_is_about_the_subject_only_with_its_names_and_most_of_its_words():
    read = plan("Timeline of Toyota's recalls", [], Filters(), 5)
    assert read.about("Toyota recalls up to 1.8 million automobiles")
    assert not read.about("Toyota triples annual loss prediction")  # Toyota, not its recalls
    assert not read.about("Recall of 17,000 vehicles by Ford")  # recalls, not Toyota's


def test_the_plan_carries_the_question_dates_and_query():
    read = plan("What did Toyota announce in 2010?", [], Filters(), 5)
    assert read.kind == "fact" and read.query == "What did Toyota announce in 2010?" and read.k == 5
    assert str(read.filters.since) == "2010-01-01" and str(read.filters.until) == "2010-12-31"
    assert read.filters.applied and not read.follows_up


def test_filters_set_by_the_asker_are_recorded_beside_the_question_own_dates():
    asked = Filters.parse({"since": "2009-01-01", "sources": ["Wikinews"], "as_of": "2011-05-01"})
    read = plan("What did Toyota announce in 2010?", [], asked, 5)
    notes = list(read.filters.applied)
    assert notes[:3] == ["since 2009-01-01", "as of 2011-05-01", "sources: Wikinews"]
    assert any("2010" in note for note in notes[3:])


def test_the_plan_says_when_a_question_leans_on_the_turn_before():
    history = [("Who headed the Hamas delegation that met Hezbollah in Beirut?", "Ahmed Abdel Hadi [1].")]
    leaning = plan("And the Hezbollah side?", history, Filters(), 5)
    assert leaning.follows_up and "Beirut" in leaning.query
    alone = plan("What did North Korea do about its nuclear program?", history, Filters(), 5)
    assert not alone.follows_up and alone.query == alone.question
