"""The issue's checks on the seed article ingested among other articles: cited answers, refusals, follow-ups."""

from __future__ import annotations

import json
from datetime import date

import pytest
from click.testing import CliRunner
from conftest import fresh_archive

from assistant import Answer, Assistant
from assistant.cli import main
from assistant.settings import Settings, default
from assistant.timeframe import timeframe
from vectorstore.filters import Filters
from vectorstore.ingest import Ingestor

HAMAS = "Who headed the Hamas delegation that met Hezbollah in Beirut?"


@pytest.fixture(scope="module")
def assistant(news_store) -> Assistant:
    return Assistant(news_store)


def test_answer_cites_the_seed_excerpt(assistant):
    answer = assistant.ask(HAMAS)
    assert not answer.refused and "Ahmed Abdel Hadi" in answer.answer
    first = answer.citations[0]
    assert "[1]" in answer.answer and "Ahmed Abdel Hadi" in first.excerpt
    stored = assistant.archive.article(first.article.id)
    assert stored.text[first.char_start : first.char_end] == first.excerpt
    assert "Ahmed Abdel Hadi" in stored.text[first.highlight_start : first.highlight_end]
    for c in answer.citations:  # every sentence the answer takes from an excerpt is marked on its card
        text = assistant.archive.article(c.article.id).text
        assert c.highlights[0] == (c.highlight_start, c.highlight_end)
        assert all(f"{text[a:b]} [{c.n}]" in answer.answer for a, b in c.highlights)
    # a close call among four names (confidence under the calibrated threshold): the phrase is kept as the
    # candidate, not shown bold, and the answer opens with the sentence it comes from; one marker per sentence
    assert answer.short_answer is None and answer.short_answer_candidate == "Ahmed Abdel Hadi"
    assert answer.confidence is not None and 0 < answer.confidence < 0.5
    assert answer.answer.startswith("The Hamas delegation") or "Ahmed Abdel Hadi" in answer.answer.split(" [1]")[0]
    assert sum(len(c.highlights) for c in answer.citations) == answer.answer.count(" [")


def test_an_answer_round_trips_through_its_json(assistant):
    """What `ask --json`, /ask, the export and feedback write reads back as the same answer, citations and all."""
    answer = assistant.ask(HAMAS)
    assert answer.citations and answer.related
    again = Answer.from_json(json.loads(json.dumps(answer.to_json())))
    assert again == answer and again.citations[0].article == answer.citations[0].article


def test_tv_station(assistant):
    answer = assistant.ask("Which TV station interviewed Mahmoud Zahar?")
    assert "Al-Manar" in answer.answer and answer.citations


def test_unanswerable_is_refused_without_support(assistant):
    answer = assistant.ask("What is the capital of Peru?")
    assert answer.refused and answer.citations == []
    assert "no passage" in answer.answer


def test_comments_cited_only_when_included(assistant):
    question = "Who wants to totally destroy Israel according to their constitution?"
    default = assistant.ask(question)
    cards = default.citations + default.related
    assert cards and all(c.section == "body" for c in cards)
    with_comments = assistant.ask(question, filters={"include_comments": True})
    assert any(c.section == "comments" for c in with_comments.citations + with_comments.related)


def test_follow_up_uses_the_conversation(assistant):
    first = assistant.ask(HAMAS)
    follow = assistant.ask("And who led the Hezbollah side?", history=[(HAMAS, first.answer)])
    assert follow.short_answer_candidate == "Hasan Huballah" and follow.answer != first.answer
    assert "Hamas" in follow.retrieval_query


def test_filters_restrict_dates_and_sources(assistant):
    only_cnn = assistant.ask(HAMAS, filters={"source": "cnn.com"})
    cards = only_cnn.citations + only_cnn.related
    assert cards and all(c.article.source == "cnn.com" for c in cards)
    old = assistant.ask("What happened?", filters=Filters(until=date(2015, 1, 1)))
    cards = old.citations + old.related
    assert cards and all((c.article.published or "0") <= "2015-01-01" for c in cards)


def test_dates_in_the_question_become_filters():
    assert timeframe("Who won this week?", date(2022, 10, 6))[:2] == (date(2022, 9, 29), date(2022, 10, 7))
    # A year after the as-of date is a plan, not when the news was published: no filter.
    assert timeframe("Which supermarkets plan to merge in 2024?", date(2022, 10, 20)) is None
    assert timeframe("Which supermarkets merged in 2021?", date(2022, 10, 20))[:2] == (date(2021, 1, 1),
                                                                                        date(2021, 12, 31))
    assert timeframe("Who won in March 2015?", None)[:2] == (date(2015, 3, 1), date(2015, 3, 31))
    since, until, phrase = timeframe("What was said before the ceasefire of August 2014?", None)
    assert since is None and until == date(2014, 7, 31) and phrase.startswith("before")
    assert timeframe("How did 2000 people vote?", None) is None


@pytest.mark.parametrize("question", ["", "   \n", "x" * 100_000])
def test_bad_questions_get_a_clear_message(assistant, question):
    with pytest.raises(ValueError, match="empty|limit is"):
        assistant.ask(question)


def test_cli_options_that_are_settings_take_their_default_and_env_var_from_settings():
    """`--k` of ask and eval, serve's host, port and auth: the default is written once, in Settings."""
    checked = set()
    for command in main.commands.values():
        for option in command.params:
            if option.name in Settings.model_fields and option.name != "store":  # the store's default is a folder
                assert (option.default, option.envvar) == (default(option.name), f"ARCHIVE_CHAT_{option.name.upper()}")
                checked.add((command.name, option.name))
    assert {("ask", "k"), ("eval", "k"), ("serve", "port")} <= checked


def test_every_command_that_opens_the_store_takes_chroma_url():
    """--store and --chroma-url name the archive together; only migrate reads the embedded store whatever the URL."""
    opening = {name for name, command in main.commands.items() if any(p.name == "store" for p in command.params)}
    assert {"ingest", "delete", "stats", "doctor", "ask", "cite", "serve", "eval", "migrate"} <= opening
    for name in opening - {"migrate"}:
        option = next((p for p in main.commands[name].params if p.name == "chroma_url"), None)
        assert option is not None and option.opts == ["--chroma-url"], name
        assert (option.default, option.envvar) == (default("chroma_url"), "ARCHIVE_CHAT_CHROMA_URL"), name


def test_ask_json_from_the_cli(news_store):
    result = CliRunner().invoke(main, ["ask", HAMAS, "--store", str(news_store.folder), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert "Ahmed Abdel Hadi" in data["answer"] and data["refused"] is False
    keys = {"n", "article_id", "title", "url", "source", "published", "section", "excerpt", "char_start",
            "char_end", "highlight_start", "highlight_end", "score"}
    assert keys <= set(data["citations"][0]) and "total" in data["timings_ms"]
    long = CliRunner().invoke(main, ["ask", "x" * 50_000, "--store", str(news_store.folder)])
    assert long.exit_code == 1 and "limit is" in long.output and "Traceback" not in long.output


def test_as_of_date_prefers_the_story_nearest_to_it(tmp_path, embedder):
    """Two near-identical stories years apart: the as-of date picks, even one a few days after it."""
    records = [{"url": f"https://example.org/{day}", "title": "Harbour budget", "date": day,
                "text": f"The Porto city council approved the harbour budget of {money} euros after a long debate."}
               for day, money in (("2015-03-01", "12 million"), ("2022-10-08", "40 million"))]
    (tmp_path / "news.jsonl").write_text("\n".join(json.dumps(r) for r in records) + "\n")
    archive = fresh_archive(tmp_path, embedder)
    Ingestor(archive).run([tmp_path / "news.jsonl"], progress=False)
    ask = Assistant(archive).ask
    question = "What harbour budget did the Porto city council approve?"
    assert ask(question, filters={"as_of": "2022-10-06"}).citations[0].article.published.startswith("2022-10-08")
    assert ask(question, filters={"as_of": "2015-03-02"}).citations[0].article.published.startswith("2015-03-01")
