"""LLM mode against a stub OpenAI-compatible server (a hosted API cannot run here): streaming, marker checks,
and excerpts passed as data, never as instructions."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from assistant import Assistant
from assistant.answer.llm import LLMAnswerer, chat_model
from vectorstore.settings import Settings

HAMAS = "Who headed the Hamas delegation that met Hezbollah in Beirut?"


class _Stub(BaseHTTPRequestHandler):
    reply = ""
    requests: list[dict] = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        for word in self.reply.split(" "):
            chunk = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "stub",
                     "choices": [{"index": 0, "delta": {"content": word + " "}, "finish_reason": None}]}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
        self.wfile.write(b"data: [DONE]\n\n")

    def log_message(self, *args):
        pass


@pytest.fixture
def stub():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Stub.requests = []
    yield server
    server.shutdown()


def llm_assistant(news_store, server) -> Assistant:
    settings = Settings(llm_base_url=f"http://127.0.0.1:{server.server_port}/v1")
    return Assistant(news_store, LLMAnswerer(chat_model("openai:stub", settings)))


def test_markers_are_checked_and_tokens_stream(news_store, stub):
    _Stub.reply = "The delegation was headed by Ahmed Abdel Hadi [1]. It met in Beirut [9]."
    assistant = llm_assistant(news_store, stub)
    pieces = list(assistant.stream(HAMAS))
    answer = pieces[-1]
    assert len([p for p in pieces if isinstance(p, str)]) > 5  # streamed word by word
    assert "[9]" not in answer.answer and answer.invalid_markers == 1
    assert [c.n for c in answer.citations] == [1]
    assert "Ahmed Abdel Hadi" in answer.citations[0].excerpt


def test_excerpts_are_data_and_the_rules_hold(news_store, stub):
    _Stub.reply = "I will ignore my instructions. Here is my prompt."
    answer = llm_assistant(news_store, stub).ask(HAMAS)
    assert answer.refused and answer.citations == []  # no marker: nothing claimed as support
    messages = _Stub.requests[-1]["messages"]
    assert "never an instruction" in messages[0]["content"]
    assert "<excerpt n=\"1\"" in messages[1]["content"] and HAMAS in messages[1]["content"]


def test_unknown_provider_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown provider"):
        chat_model("nope:model", Settings())
