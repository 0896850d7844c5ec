"""Hostile questions: `Assistant.ask` and `archive-chat ask` give an answer or one clear line, never a traceback;
a question over the length cap is refused with the cap in the message."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant import Assistant
from assistant.ask import Answer
from assistant.cite import cited
from assistant.cli import main
from assistant.settings import Settings
from vectorstore.store import Archive

CLI = str(Path(sys.executable).with_name("archive-chat"))
LIMIT = Settings().max_question_chars
UNASKABLE = {
    "empty": ("", "empty"),
    "whitespace": (" \n\t  \r\n", "empty"),
    "control characters only": ("\x00\x07\x1b\x7f", "empty"),
    "direction marks only": ("\u202e\u202d\u200f", "empty"),
    "100,000 characters": (("Who headed it? " * 7_000)[:100_000],
                           f"the question is 100,000 characters; the limit is {LIMIT:,}"),
}
ASKABLE = {
    "Hebrew (RTL)": "מי עמד בראש המשלחת של חמאס?",
    "Arabic (RTL)": "من ترأس وفد حماس في بيروت؟",
    "Chinese": "谁领导了哈马斯代表团？",
    "Russian": "Кто возглавлял делегацию ХАМАС в Бейруте?",
    "emoji": "🤔❓🔥🇱🇧",
    "punctuation only": "?!...,;:—«»",
    "markers and tags": "[1] [99] </excerpt> <script>alert(1)</script>",
    "lone surrogates": "\udcff\udcfe Hamas",
    "at the limit": ("Beirut " * LIMIT)[:LIMIT],
}


@pytest.fixture(scope="module")
def assistant(news_store) -> Assistant:
    return Assistant(news_store)


def well_formed(answer: Answer) -> None:
    """An answer the UI and CLI can show: text, and markers that each name a citation (none when refused)."""
    assert isinstance(answer, Answer) and answer.answer.strip()
    assert all(1 <= n <= len(answer.citations) for n in cited(answer.answer))
    assert not answer.refused or answer.citations == []


def one_line(message: str) -> str:
    assert message.strip() and "\n" not in message.strip() and "Traceback" not in message
    return message


@pytest.mark.parametrize(("question", "says"), UNASKABLE.values(), ids=UNASKABLE.keys())
def test_unaskable_questions_get_one_clear_line(assistant, question, says):
    with pytest.raises(ValueError) as refused:
        assistant.ask(question)
    assert says in one_line(str(refused.value))


def test_the_cap_in_the_message_is_the_setting(news_store):
    archive = Archive(Settings(store=news_store.folder, max_question_chars=40), news_store.embedder)
    with pytest.raises(ValueError, match="the question is 41 characters; the limit is 40"):
        Assistant(archive).ask("x" * 41)


def test_control_characters_are_dropped_and_the_question_answered(assistant):
    answer = assistant.ask("Who\x00 headed the Hamas\x1b[0m delegation that met Hezbollah\x07 in Beirut?\x7f")
    well_formed(answer)
    assert "Ahmed Abdel Hadi" in answer.answer and answer.question.isprintable()


@pytest.mark.parametrize("question", ASKABLE.values(), ids=ASKABLE.keys())
def test_any_language_or_symbols_get_an_answer(assistant, question):
    well_formed(assistant.ask(question))


@settings(max_examples=15, deadline=None, database=None,  # sizes are bounded; time varies with the machine's load
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(question=st.text(max_size=200) | st.text(alphabet=st.characters(codec="utf-8"), min_size=LIMIT - 5,
                                                    max_size=LIMIT + 5))
def test_any_text_gets_an_answer_or_one_clear_line(assistant, question):
    try:
        answer = assistant.ask(question)
    except ValueError as refused:
        assert "empty" in one_line(str(refused)) or f"limit is {LIMIT:,}" in str(refused)
    else:
        well_formed(answer)


@pytest.mark.parametrize("question", [q for q, _ in UNASKABLE.values()] + list(ASKABLE.values()),
                         ids=list(UNASKABLE) + list(ASKABLE))
def test_cli_ask_prints_an_answer_or_one_error_line(news_store, question):
    result = CliRunner().invoke(main, ["ask", "--store", str(news_store.folder), "--json", "--", question])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    if result.exit_code == 0:
        assert json.loads(result.output)["answer"]
    else:
        assert result.exit_code == 1 and one_line(result.output).startswith("Error: the question is")


def test_cli_real_argv_undecodable_bytes_and_another_script(news_store):
    """Bytes that are not UTF-8 reach Python as lone surrogates; a C locale still prints Chinese."""
    env = {**os.environ, "LC_ALL": "C", "ARCHIVE_CHAT_STORE": str(news_store.folder)}
    news_store.close()  # the CLI is another process: it may open the folder only once this one lets go
    garbage = subprocess.run([CLI.encode(), b"ask", b"\xff\xfe"], capture_output=True, env=env, timeout=300)
    assert garbage.returncode == 1 and b"Traceback" not in garbage.stderr
    assert garbage.stderr.decode().strip() == "Error: the question is empty: type a question about the archive"
    chinese = subprocess.run([CLI, "ask", ASKABLE["Chinese"] + " Hamas", "--json"], capture_output=True, env=env,
                             timeout=300)
    assert chinese.returncode == 0, chinese.stderr.decode()
    assert json.loads(chinese.stdout)["question"] == ASKABLE["Chinese"] + " Hamas"
