"""The Chat tab: the conversation (each answer beside its chart; before the first, what the archive holds and
questions to ask it) with the question box and date filters, and beside it the evidence of one answer or, in its
place, the reader with the article opened from it. Layout and routing only: `Session` acts, `render` draws."""

from __future__ import annotations

import logging

import gradio as gr

from assistant import Answer
from assistant.ui import render
from assistant.ui.session import Session
from assistant.ui.text import as_json, example_questions, spans_of

ANSWERS_AT_ONCE = 4  # an LLM answer streams for seconds: one user's question must not queue all the others
# The reader, once filled: the first cited sentence scrolled into view inside the reader only (the chat stays where
# it is), the title focused for keyboard and screen reader users; once emptied, focus back on the [n] that opened it.
SCROLL_TO_CITED = """watch('value', () => requestAnimationFrame(() => {
  const title = element.querySelector('#article-title');
  const m = element.querySelector('mark#cited');
  if (m) m.scrollIntoView({block: 'center', container: 'nearest'});
  if (title) { title.focus({preventScroll: true}); return; }
  const [turn, n] = (document.body.dataset.opener || '').split(':');
  if (turn) document.querySelector(`#chat [data-turn="${turn}"][data-n="${n}"]`)?.focus({preventScroll: true});
}));"""
# The file an export made, downloaded at once: one click, not a button and then a link.
DOWNLOAD = """(file) => { if (file && file.url) { const a = document.createElement('a');
  a.href = file.url; a.download = file.orig_name || ''; document.body.appendChild(a); a.click(); a.remove(); } }"""
CITE_FORMATS = {"BibTeX": "bibtex", "RIS": "ris", "CSL-JSON": "csl-json"}  # what Zotero and others import
PRIVATE = {"api_visibility": "undocumented"}  # the browser's own events: listed nowhere, still named
log = logging.getLogger("archive-chat")


def _hidden(elem_id: str) -> gr.Textbox:
    """An input the page's script fills before pressing a hidden button (see static/clicks.js)."""
    return gr.Textbox(visible="hidden", elem_id=elem_id, label=elem_id.replace("-", " "))


class ChatTab:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.turns = gr.State([])  # list[Answer]
        with gr.Row(elem_id="desk"):
            with gr.Column(scale=3, elem_id="talk"):
                # the first page comes with the page's load (see `on_load`): the archive as it is then, and none of
                # its text in the page's config
                self.transcript = gr.HTML(render.transcript_html([]), elem_id="chat", js_on_load=None, max_height=640,
                                          autoscroll=True)
                with gr.Row(equal_height=True, elem_id="ask-row"):
                    self.question = gr.Textbox(placeholder="Ask the archive… (Enter to send)", label="Question",
                                               show_label=False, elem_id="question", scale=5, lines=1)
                    self.ask = gr.Button("Ask", variant="primary", elem_id="ask", scale=0, min_width=96)
                self._filters(session)
                with gr.Accordion("Rate and export", open=False):
                    self.note = gr.Textbox(placeholder="Optional note sent with your next rating (✓ good / ✗ bad)",
                                           label="Note for your next rating", elem_id="note")
                    with gr.Row(elem_classes="tool-row"):
                        self.md = gr.Button("Export Markdown", scale=0, min_width=150, elem_id="export-md")
                        self.json = gr.Button("Export JSON", scale=0, min_width=150, elem_id="export-json")
                    with gr.Row(elem_classes="tool-row"):
                        self.cite_format = gr.Radio(list(CITE_FORMATS), value="BibTeX", label="Reference format",
                                                    elem_id="cite-format")
                        self.cite = gr.Button("Cite sources", scale=0, min_width=150, elem_id="cite")
                    self.file = gr.File(label="Export", interactive=False, visible=False, elem_id="export-file")
            with gr.Column(scale=2, elem_id="side"):
                self.panel = gr.HTML(render.evidence_html(None), elem_id="sources", js_on_load=None)
                self.article = gr.HTML("", elem_id="article", js_on_load=SCROLL_TO_CITED)
        self.open_turn, self.open_n, self.open_go = _hidden("open-turn"), _hidden("open-n"), gr.Button(
            visible="hidden", elem_id="open-go")
        self.rate_turn, self.rate_value, self.rate_go = _hidden("rate-turn"), _hidden("rate-value"), gr.Button(
            visible="hidden", elem_id="rate-go")
        self.cite_turn, self.cite_go = _hidden("cite-turn"), gr.Button(visible="hidden", elem_id="cite-go")

    def _filters(self, session: Session) -> None:
        with gr.Row(equal_height=True, elem_classes="tool-row", elem_id="date-row"):
            self.since = gr.Textbox(label="Since (YYYY-MM-DD)", elem_id="chat-since", scale=2)
            self.until = gr.Textbox(label="Until (YYYY-MM-DD)", elem_id="chat-until", scale=2)
            self.clear_dates = gr.Button("Any date", scale=0, min_width=110, elem_id="any-date")
            self.new = gr.Button("New chat", scale=0, min_width=110, elem_id="new-chat")
        with gr.Accordion("More filters", open=False):
            self.sources = gr.Dropdown(label="Sources", multiselect=True, choices=[], elem_id="chat-sources")
            with gr.Row():
                self.comments = gr.Checkbox(label="Include reader comments")
                self.k = gr.Slider(1, 10, value=session.assistant.settings.k, step=1, label="Passages (k)")

    def welcome(self) -> str:
        """An empty conversation: what the archive holds, its coverage over time and questions made from it."""
        stats = self.session.stats()
        return render.transcript_html([], intro=render.intro(stats, example_questions(self.session.browse())))

    def on_load(self):
        """A page (re)loaded: the sources to filter by and the first page, as the archive is now."""
        return gr.update(choices=self.session.stats()["sources"]), self.welcome()

    def _stored(self, answer: Answer) -> dict:
        """The stored articles behind an answer's sources (their `also`: the outlets that carried them too)."""
        ids = {as_json(c).get("article_id") for _, c, _ in render.numbered(answer)}
        return {i: self.session.article(i) for i in ids if i}

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
        panel = render.evidence_html(answer, len(turns) - 1, stored=self._stored(answer))
        yield gr.skip(), render.transcript_html(turns), turns, panel, ""

    def open_source(self, turn: str, n: str, turns: list[Answer]) -> tuple[str, str]:
        """Answer `turn`'s evidence in the panel and, in the reader in its place, its source n's article at the
        cited sentences (n = 0: the evidence only, the reader closed). n as the panel numbers it."""
        try:
            i, n = int(turn), int(n)
            answer = turns[i]
        except (ValueError, IndexError) as exc:
            raise gr.Error("That answer is not in this conversation.") from exc
        stored = self._stored(answer)
        found = [(c, cited) for m, c, cited in render.numbered(answer) if m == n]
        if not found:
            return render.evidence_html(answer, i, stored=stored), ""
        c, cited = found[0]
        spans = spans_of(c) if cited else [(c.char_start, c.char_end)]
        article = self.session.article(as_json(c).get("article_id"))
        return (render.evidence_html(answer, i, n, stored),
                render.article_html(article, spans, c.section, n=n, turn=i))

    def rate(self, turn: str, rating: str, note: str, turns: list[Answer]) -> str:
        """Rate answer `turn` (0-based; empty: the last) with the note, which is then cleared."""
        try:
            i = int(turn) if str(turn or "").strip() else len(turns) - 1
            self.session.rate(turns, i, rating, note or "")
        except ValueError as exc:
            raise gr.Error(str(exc)) from exc
        gr.Info(f"Thanks: answer {i + 1} rated {'good' if rating == 'up' else 'bad'}. Your rating was saved.")
        return ""

    def export(self, turns: list[Answer], kind: str):
        try:
            return gr.update(value=str(self.session.export(turns, kind)), visible=True)
        except ValueError as exc:
            raise gr.Error(str(exc)) from exc

    def cite_answer(self, turn: str, turns: list[Answer], fmt: str):
        """The references to one answer's sources, in the format chosen under "Rate and export"."""
        try:
            answer = turns[int(turn)]
        except (ValueError, IndexError) as exc:
            raise gr.Error("That answer is not in this conversation.") from exc
        return self.export([answer], CITE_FORMATS.get(fmt, "bibtex"))

    def wire(self) -> None:
        inputs = [self.question, self.turns, self.since, self.until, self.sources, self.comments, self.k]
        outputs = [self.question, self.transcript, self.turns, self.panel, self.article]
        gr.on([self.question.submit, self.ask.click], self.respond, inputs, outputs, api_name="respond",
              concurrency_id="answer", concurrency_limit=ANSWERS_AT_ONCE, **PRIVATE)
        self.new.click(lambda: ([], self.welcome(), render.evidence_html(None), ""), None,
                       [self.turns, self.transcript, self.panel, self.article], api_name="new_chat", **PRIVATE)
        self.clear_dates.click(lambda: ("", ""), None, [self.since, self.until], api_name="any_date", **PRIVATE)
        self.open_go.click(self.open_source, [self.open_turn, self.open_n, self.turns], [self.panel, self.article],
                           api_name="open_source", **PRIVATE)
        self.rate_go.click(self.rate, [self.rate_turn, self.rate_value, self.note, self.turns], self.note,
                           api_name="rate", **PRIVATE)
        for button, kind, name in ((self.md, "md", "export_markdown"), (self.json, "json", "export_json")):
            button.click(lambda t, kind=kind: self.export(t, kind), self.turns, self.file, api_name=name,
                         **PRIVATE).success(
            None, self.file, None, js=DOWNLOAD, api_name=f"{name}_download", **PRIVATE)
        self.cite.click(lambda t, f: self.export(t, CITE_FORMATS.get(f, "bibtex")), [self.turns, self.cite_format],
                        self.file, api_name="cite", **PRIVATE).success(None, self.file, None, js=DOWNLOAD,
                                                                        api_name="cite_download", **PRIVATE)
        self.cite_go.click(self.cite_answer, [self.cite_turn, self.turns, self.cite_format], self.file,
                           api_name="cite_answer", **PRIVATE).success(None, self.file, None, js=DOWNLOAD,
                                                                      api_name="cite_answer_download", **PRIVATE)
