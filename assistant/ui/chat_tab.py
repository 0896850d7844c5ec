"""The Chat tab: the conversation (each answer beside its chart) with the question box and date filters, and
beside it the evidence of one answer and the article opened from it. Layout and routing only: `Session` acts,
`render` draws."""

from __future__ import annotations

import logging

import gradio as gr

from assistant import Answer
from assistant.ui import render
from assistant.ui.session import Session

ANSWERS_AT_ONCE = 4  # an LLM answer streams for seconds: one user's question must not queue all the others
SCROLL_TO_CITED = ("watch('value', () => { const m = element.querySelector('mark#cited');"
                   " if (m) m.scrollIntoView({block: 'center'}); });")
PRIVATE = {"api_visibility": "undocumented"}  # the browser's own events: listed nowhere, still named
log = logging.getLogger("archive-chat")


def _hidden(elem_id: str) -> gr.Textbox:
    """An input the page's script fills before pressing a hidden button (see static/clicks.js)."""
    return gr.Textbox(visible="hidden", elem_id=elem_id)


class ChatTab:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.turns = gr.State([])  # list[Answer]
        with gr.Row():
            with gr.Column(scale=3):
                self.transcript = gr.HTML(render.transcript_html([]), elem_id="chat", js_on_load=None,
                                          max_height=680, autoscroll=True)
                self.question = gr.Textbox(placeholder="Ask the archive… (Enter to send)", show_label=False,
                                           elem_id="question")
                with gr.Row():
                    self.ask = gr.Button("Ask", variant="primary", elem_id="ask")
                    self.new = gr.Button("New chat", elem_id="new-chat")
                self._filters(session)
                self.note = gr.Textbox(placeholder="Optional note sent with your next rating (✓ good / ✗ bad)",
                                       show_label=False, elem_id="note")
                with gr.Row():
                    self.md = gr.Button("Export Markdown", size="sm")
                    self.json = gr.Button("Export JSON", size="sm")
                self.file = gr.File(label="Export", interactive=False, visible=False)
            with gr.Column(scale=2):
                self.panel = gr.HTML(render.evidence_html(None), elem_id="sources", js_on_load=None)
                self.article = gr.HTML("", elem_id="article", js_on_load=SCROLL_TO_CITED, max_height=560)
        self.open_turn, self.open_n, self.open_go = _hidden("open-turn"), _hidden("open-n"), gr.Button(
            visible="hidden", elem_id="open-go")
        self.rate_turn, self.rate_value, self.rate_go = _hidden("rate-turn"), _hidden("rate-value"), gr.Button(
            visible="hidden", elem_id="rate-go")

    def _filters(self, session: Session) -> None:
        with gr.Row():
            self.since = gr.Textbox(label="Since (YYYY-MM-DD)", elem_id="chat-since", scale=2)
            self.until = gr.Textbox(label="Until (YYYY-MM-DD)", elem_id="chat-until", scale=2)
            self.clear_dates = gr.Button("Any date", size="sm", scale=1, elem_id="any-date")
        with gr.Accordion("More filters", open=False):
            self.sources = gr.Dropdown(label="Sources", multiselect=True, choices=[])
            with gr.Row():
                self.comments = gr.Checkbox(label="Include reader comments")
                self.k = gr.Slider(1, 10, value=session.assistant.settings.k, step=1, label="Passages (k)")

    def respond(self, question: str, turns: list[Answer], since: str, until: str, sources: list[str],
                comments: bool, k: float):
        """Stream the answer into the transcript, then show its evidence; a bad question is a message."""
        filters = {"since": since, "until": until, "sources": sources or [], "include_comments": comments}
        yield "", render.transcript_html(turns, question), gr.skip(), gr.skip(), gr.skip()
        text, answer = "", None
        try:
            for piece in self.session.stream(question, turns, filters, int(k)):
                if isinstance(piece, str):
                    text += piece
                    yield gr.skip(), render.transcript_html(turns, question, text), gr.skip(), gr.skip(), gr.skip()
                else:
                    answer = piece
        except Exception as exc:  # a bad question or filter is a chat message, never a traceback
            if not isinstance(exc, ValueError):
                log.exception("answering %r failed", question)
            yield gr.skip(), render.transcript_html(turns, question, error=str(exc)), gr.skip(), gr.skip(), gr.skip()
            return
        turns = [*turns, answer]
        yield gr.skip(), render.transcript_html(turns), turns, render.evidence_html(answer, len(turns) - 1), ""

    def open_source(self, turn: str, n: str, turns: list[Answer]) -> tuple[str, str]:
        """Answer `turn`'s evidence in the panel and its source n's article below, at the cited sentences
        (n = 0: the evidence only)."""
        try:
            i, n = int(turn), int(n)
            answer = turns[i]
        except (ValueError, IndexError) as exc:
            raise gr.Error("That answer is not in this conversation.") from exc
        reading = self.session.open_citation(answer, n) if n else None
        article = render.article_html(reading.article, reading.spans, reading.section) if reading else ""
        return render.evidence_html(answer, i, n or None), article

    def rate(self, turn: str, rating: str, note: str, turns: list[Answer]) -> str:
        """Rate answer `turn` (0-based; empty: the last) with the note, which is then cleared."""
        try:
            i = int(turn) if str(turn or "").strip() else len(turns) - 1
            path = self.session.rate(turns, i, rating, note or "")
        except ValueError as exc:
            raise gr.Error(str(exc)) from exc
        gr.Info(f"Thanks: answer {i + 1} rated {'good' if rating == 'up' else 'bad'}, saved to {path}")
        return ""

    def export(self, turns: list[Answer], kind: str):
        try:
            return gr.update(value=str(self.session.export(turns, kind)), visible=True)
        except ValueError as exc:
            raise gr.Error(str(exc)) from exc

    def wire(self) -> None:
        inputs = [self.question, self.turns, self.since, self.until, self.sources, self.comments, self.k]
        outputs = [self.question, self.transcript, self.turns, self.panel, self.article]
        gr.on([self.question.submit, self.ask.click], self.respond, inputs, outputs, api_name="respond",
              concurrency_id="answer", concurrency_limit=ANSWERS_AT_ONCE, **PRIVATE)
        self.new.click(lambda: ([], render.transcript_html([]), render.evidence_html(None), ""), None,
                       [self.turns, self.transcript, self.panel, self.article], api_name="new_chat", **PRIVATE)
        self.clear_dates.click(lambda: ("", ""), None, [self.since, self.until], api_name="any_date", **PRIVATE)
        self.open_go.click(self.open_source, [self.open_turn, self.open_n, self.turns], [self.panel, self.article],
                           api_name="open_source", **PRIVATE)
        self.rate_go.click(self.rate, [self.rate_turn, self.rate_value, self.note, self.turns], self.note,
                           api_name="rate", **PRIVATE)
        self.md.click(lambda t: self.export(t, "md"), self.turns, self.file, api_name="export_markdown", **PRIVATE)
        self.json.click(lambda t: self.export(t, "json"), self.turns, self.file, api_name="export_json", **PRIVATE)
