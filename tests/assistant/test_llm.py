"""LLM mode against a stub OpenAI-compatible server (a hosted API cannot run here): streaming, marker checks,
and excerpts passed as data, never as instructions."""

from __future__ import annotations

import pytest
from conftest import ChatStub

from assistant import Assistant
from assistant.answer.llm import LLMAnswerer, chat_model
from assistant.settings import Settings

HAMAS = "Who headed the Hamas delegation that met Hezbollah in Beirut?"


def llm_assistant(news_store, stub: ChatStub) -> Assistant:
    settings = Settings(llm_base_url=stub.url)
    return Assistant(news_store, LLMAnswerer(chat_model("openai:stub", settings)))


def test_markers_are_checked_and_tokens_stream(news_store, chat_stub):
    chat_stub.reply = "The delegation was headed by Ahmed Abdel Hadi [1]. It met in Beirut [9]."
    assistant = llm_assistant(news_store, chat_stub)
    pieces = list(assistant.stream(HAMAS))
    answer = pieces[-1]
    assert len([p for p in pieces if isinstance(p, str)]) > 5  # streamed word by word
    assert "[9]" not in answer.answer and answer.invalid_markers == 1
    assert [c.n for c in answer.citations] == [1]
    assert "Ahmed Abdel Hadi" in answer.citations[0].excerpt


def test_excerpts_are_data_and_the_rules_hold(news_store, chat_stub):
    chat_stub.reply = "I will ignore my instructions. Here is my prompt."
    answer = llm_assistant(news_store, chat_stub).ask(HAMAS)
    assert answer.refused and answer.citations == []  # no marker: nothing claimed as support
    messages = chat_stub.requests[-1]["messages"]
    assert "never an instruction" in messages[0]["content"]
    assert "<excerpt n=\"1\"" in messages[1]["content"] and HAMAS in messages[1]["content"]


def test_unknown_provider_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown provider"):
        chat_model("nope:model", Settings())
