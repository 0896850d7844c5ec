"""Answers a researcher can trust, on the shipped sample archive as a new user meets it: each kind of question gets
the answer it asks for, dated developments in date order, no bold phrase that answers nothing, no padding."""

from __future__ import annotations

import json
import re

import pytest

from assistant.answer.dated import MAX_ENTRIES

ENTRY = re.compile(r"^(\d{4}-\d{2}-\d{2}) — .+?((?:\[\d+\])+)$")


def entry_lines(answer) -> list[tuple[str, list[int]]]:
    """(date, cited numbers) of each line of a dated answer; every line must be an entry."""
    out = []
    for line in answer.answer.splitlines():
        match = ENTRY.match(line)
        assert match, line
        out.append((match.group(1), [int(n) for n in re.findall(r"\d+", match.group(2))]))
    return out


def cited_texts(answer, numbers: list[int]) -> str:
    cards = {c.n: c for c in answer.citations}
    return " ".join(f"{cards[n].article.title} {cards[n].excerpt}" for n in numbers).lower()


def test_a_chronology_is_a_dated_list_of_developments_in_date_order(sample_assistant):
    answer = sample_assistant.ask("How did coverage of the recession change over time?")
    assert answer.kind == "chronology" and answer.short_answer is None and not answer.refused
    lines = entry_lines(answer)
    days = [day for day, _ in lines]
    assert 3 <= len(lines) <= MAX_ENTRIES and days == sorted(days) and len(set(days)) >= 3
    assert all("recession" in cited_texts(answer, numbers) for _, numbers in lines)
    assert [e["date"] for e in answer.to_json()["entries"]] == days
    assert {n for e in answer.entries for n in e["citations"]} == {c.n for c in answer.citations}


def test_a_chronology_stops_at_the_as_of_date(sample_assistant):
    answer = sample_assistant.ask("How did coverage of the recession change over time?",
                                  filters={"as_of": "2009-06-30"})
    days = [day for day, _ in entry_lines(answer)]
    assert days and max(days) <= "2009-06-30" and len(days) >= 3


def test_an_event_question_gets_the_central_dated_sentences_and_no_bold_phrase(sample_assistant):
    answer = sample_assistant.ask("What happened with Toyota's recalls?")
    assert answer.kind == "event" and answer.short_answer is None
    lines = entry_lines(answer)
    assert 2 <= len(lines) <= 4 and [d for d, _ in lines] == sorted(d for d, _ in lines)
    assert all("toyota" in cited_texts(answer, numbers) and "recall" in cited_texts(answer, numbers)
               for _, numbers in lines)


def test_an_explanation_gets_no_bold_phrase(sample_assistant):
    answer = sample_assistant.ask("What caused the fire?")
    assert answer.kind == "explanation" and answer.short_answer is None
    assert not answer.answer.startswith("public")


def test_the_coverage_chart_counts_only_articles_about_the_question(sample_assistant):
    answer = sample_assistant.ask("Timeline of Toyota's recalls")
    titles = [t["title"].lower() for t in answer.timeline]
    assert len(titles) >= 2 and all("toyota" in t for t in titles)
    assert not any("loss" in t for t in titles)  # Toyota's profits are not its recalls


@pytest.mark.parametrize("question", ["What happened with Toyota's recalls?",
                                      "How did coverage of the recession change over time?"])
def test_dated_answers_carry_their_kind_and_entries_in_json(sample_assistant, question):
    data = sample_assistant.ask(question).to_json()
    assert data["kind"] in ("event", "chronology") and data["entries"]
    assert all(set(e) == {"date", "text", "citations"} and e["citations"] for e in data["entries"])


def test_a_chat_model_gets_the_periods_passages_and_writes_the_dated_list(sample_assistant, chat_stub):
    from assistant import Assistant
    from assistant.answer.llm import LLMAnswerer, chat_model
    from assistant.settings import Settings

    chat_stub.reply = ("2008-01-21 — Stocks fell on fears of a US recession [1].\n"
                       "2008-11-14 — The eurozone entered recession [2].\n2009-11-15 — The EU emerged from it [3].")
    model = chat_model("openai:stub", Settings(llm_base_url=chat_stub.url))
    llm = Assistant(sample_assistant.archive, LLMAnswerer(model))
    answer = llm.ask("How did coverage of the recession change over time?")
    system, user = (m["content"] for m in chat_stub.requests[-1]["messages"])
    assert "dated list in date order" in system
    dates = re.findall(r'date="(\d{4}-\d{2}-\d{2})', user)
    assert len(dates) >= 3 and dates == sorted(dates)  # the periods' passages, oldest first
    assert answer.kind == "chronology" and answer.short_answer is None
    assert [(e["date"], e["citations"]) for e in answer.entries] == [
        ("2008-01-21", [1]), ("2008-11-14", [2]), ("2009-11-15", [3])]


def test_a_question_naming_its_own_subject_is_not_a_follow_up(sample_assistant):
    first = sample_assistant.ask("What happened with Toyota's recalls?")
    question = "What did North Korea do about its nuclear program?"
    answer = sample_assistant.ask(question, history=[(first.question, first.answer)])
    assert answer.retrieval_query == question
    assert answer.citations and all("korea" in c.excerpt.lower() for c in answer.citations)


@pytest.mark.parametrize("span", ["between 2005 and 2007", "from 2005 to 2007", "2005–2007"])
def test_a_range_in_the_question_filters_and_is_reported(sample_assistant, span):
    answer = sample_assistant.ask(f"What did North Korea do about its nuclear program {span}?")
    assert answer.filters_applied == [f"'{span}': 2005-01-01 to 2007-12-31"]
    days = [day for day, _ in entry_lines(answer)]
    assert len(days) >= 2 and all("2005-01-01" <= day <= "2007-12-31" for day in days)


LIBRARY_FIRE = {
    "title": "Fire destroys historic library in Glasgow", "date": "2024-06-15", "source": "Example News",
    "url": "https://example.org/library-fire",
    "text": "A fire at the Mackintosh Library in Glasgow destroyed about 20,000 books on Saturday night, fire "
            "officials "
            "said.\n\nThe blaze started in the reading room at around 10 pm and spread to the archive stores. "
            "Firefighters said the fire was caused by an electrical fault in the ventilation system. No one was "
            "injured.\n\nThe library held rare books and manuscripts from the nineteenth century. The city council "
            "said it would rebuild the reading room."}


@pytest.fixture(scope="module")
def library(tmp_path_factory, embedder):
    """An ingested library-fire article beside the sample archive's Saddam Hussein trial articles (Dujail)."""
    from conftest import SAMPLES, fresh_archive

    from assistant import Assistant
    from vectorstore.ingest import Ingestor

    rows = [json.loads(line) for line in (SAMPLES / "news.jsonl").open()]
    trial = [r for r in rows if "Saddam" in r["title"] or "Dujail" in r["text"]]
    folder = tmp_path_factory.mktemp("library")
    (folder / "news.jsonl").write_text("".join(json.dumps(r) + "\n" for r in [*trial, LIBRARY_FIRE]))
    archive = fresh_archive(folder, embedder)
    assert Ingestor(archive).run([folder / "news.jsonl"], progress=False).added == len(trial) + 1
    return Assistant(archive)


def test_no_sentence_is_cited_that_is_not_about_the_question_subject(library):
    answer = library.ask("How many books were destroyed?")
    assert answer.citations and {c.article.title for c in answer.citations} == {LIBRARY_FIRE["title"]}
    assert "20,000" in answer.answer and "Dujail" not in answer.answer and "raze" not in answer.answer


def test_what_caused_the_fire_is_explained_without_a_bold_phrase(library):
    answer = library.ask("What caused the fire?")
    assert answer.kind == "explanation" and answer.short_answer is None
    assert "electrical fault" in answer.answer


@pytest.mark.parametrize("question", ["When was Saddam Hussein executed?", "What happened with Toyota's recalls?",
                                      "What did North Korea do about its nuclear program between 2005 and 2007?",
                                      "What caused the fire?"])
def test_no_bold_phrase_that_answers_nothing_on_the_sample_archive(sample_assistant, question):
    answer = sample_assistant.ask(question)
    bold = answer.short_answer or ""
    assert bold.lower().rstrip(".") not in {"thursday", "us", "test", "public", "mr", "30 days"}
    assert answer.short_answer_candidate not in {"Thursday", "US", "test", "public", "Mr.", "30 days"}


def test_eval_judges_chronology_lines_by_their_entries(sample_assistant, tmp_path):
    from assistant.eval.run import run

    lines = [{"id": "c1", "question": "How did coverage of the recession change over time?", "kind": "chronology",
              "as_of": "2010-12-31"},
             {"id": "f1", "question": "When was Saddam Hussein executed?", "answers": ["December 30, 2006"],
              "kind": "fact"}]
    questions = tmp_path / "questions.jsonl"
    questions.write_text("".join(json.dumps(line) + "\n" for line in lines))
    run(sample_assistant, questions, tmp_path / "out", progress=False)
    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())
    records = {r["id"]: r for r in map(json.loads, (tmp_path / "out" / "results.jsonl").read_text().splitlines())}
    assert records["c1"]["kind"] == "chronology" and records["c1"]["entry_count"] >= 3
    assert records["c1"]["in_date_order"] and records["c1"]["after_as_of"] == 0
    assert metrics["chronology_questions"] == 1 and metrics["chronology_three_dates"] == 1.0
    assert metrics["chronology_in_order"] == 1.0 and metrics["chronology_none_after_as_of"] == 1.0
    assert metrics["kind_right"] == 1.0 and metrics["answerable"] == 1  # the chronology is no unanswerable line
