"""archive-chat in the browser: a Gradio chat beside the source cards of its last answer, and an archive tab.

Layout and wiring only: answers come from `assistant.Assistant`, every piece of HTML from `assistant.render`,
uploads go through `assistant.uploads`. Chats and the Archive tab share one archive (its writes
one at a time). Run `python app.py --store DIR` (or `archive-chat serve`); API:
/ask (question, filters_json), /stats, /export_json, /export_markdown.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import tempfile
import threading
import time
from pathlib import Path

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

import gradio as gr  # noqa: E402

from assistant import Assistant, feedback, render  # noqa: E402
from assistant.uploads import MAX_UPLOAD_MB, UPLOAD_TYPES, accept, ingest_files  # noqa: E402
from vectorstore import connect  # noqa: E402
from vectorstore.ingest import Ingestor, Summary  # noqa: E402
from vectorstore.settings import Settings  # noqa: E402
from vectorstore.store import Archive  # noqa: E402

SAMPLES = Path(__file__).resolve().parent / "samples" / "archive"
ANSWERS_AT_ONCE = 4  # an LLM answer streams for seconds: one user's question must not queue all the others
log = logging.getLogger("archive-chat")


def build_app(assistant: Assistant) -> gr.Blocks:
    archive = assistant.archive
    exports = Path(tempfile.mkdtemp(prefix="archive-chat-export-"))

    write_lock = threading.Lock()  # one ingest or delete at a time, even one that outlives its browser tab

    def respond(question, chat, conversation, since, until, sources, comments, k):
        chat = [*chat, {"role": "user", "content": render.esc(question)}, {"role": "assistant", "content": "…"}]
        yield "", chat, gr.skip(), gr.skip(), gr.skip()
        filters = {"since": since, "until": until, "sources": sources or [], "include_comments": comments}
        history = [(t["question"], t["answer"]) for t in conversation]
        text, answer = "", None
        try:
            for piece in assistant.stream(question, history, filters, int(k)):
                if isinstance(piece, str):
                    text += piece
                    chat[-1] = {"role": "assistant", "content": render.linked_text(text)}
                    yield gr.skip(), chat, gr.skip(), gr.skip(), gr.skip()
                else:
                    answer = piece
        except Exception as exc:  # a bad question or filter is a chat message, never a traceback
            if not isinstance(exc, ValueError):
                log.exception("answering %r failed", question)
            chat[-1] = {"role": "assistant", "content": f"⚠️ {render.esc(exc)}"}
            yield gr.skip(), chat, gr.skip(), gr.skip(), gr.skip()
            return
        chat[-1] = {"role": "assistant", "content": render.answer_html(answer)}
        cards = answer.citations or (answer.related if answer.refused else [])
        choices = [(f"[{c.n}] {c.title or c.url or 'untitled'}", c.n) for c in cards]
        yield (gr.skip(), chat, [*conversation, answer.to_json()], render.sources_html(answer),
               gr.update(choices=choices, value=choices[0][1] if choices else None))

    def open_card(n, conversation):
        last = conversation[-1] if conversation else {}
        for c in last.get("citations") or last.get("related") or []:
            if c["n"] == n:
                spans = render.spans_of(c) if last.get("citations") else [(c["char_start"], c["char_end"])]
                return render.article_html(archive.article(c["article_id"]), spans, c["section"])
        return ""

    def open_row(evt: gr.SelectData):
        return render.article_html(archive.article(evt.row_value[-1])), evt.row_value[-1]

    def delete(article_id):
        with write_lock:
            if not (article_id or "").strip() or not archive.delete_article(article_id.strip()):
                raise gr.Error("Pick an article in the table first.")
        return ["", "", *refresh()]

    def browse(query=""):
        rows = [[a["title"], a["source"], a["published"] or "", a["id"]] for a in archive.articles(query or "")]
        return rows or [["", "", "", ""]]

    def refresh():
        stats = archive.stats()
        return render.stats_html(stats), gr.update(choices=stats["sources"]), browse()

    def ingest(files):
        """Stream the report: refused files at once, running counts as articles go in, a line as each file ends,
        then the archive's stats."""
        saved, refused = accept([Path(f) for f in files or []], archive.folder / "uploads")
        rows = [[name, "rejected", why] for name, why in refused]
        done: list[Summary] = []

        def status(current: str = "", running: Summary | None = None) -> str:
            return render.ingest_status(done, len(saved), archive.stats(), current, running)

        if not saved:
            yield rows or [["", "no files", ""]], status(), *refresh()
            return
        yield rows, status(saved[0].name), *[gr.skip()] * 3
        for path, summary, finished in ingest_files(archive, saved, write_lock):
            if finished:
                done.append(summary)
                rows.append([path.name, str(summary), "; ".join(summary.errors)])
            following = saved[len(done)].name if finished and len(done) < len(saved) else ""
            yield rows, status(following if finished else path.name, None if finished else summary), *[gr.skip()] * 3
        yield rows, status(), *refresh()

    def export(conversation, kind):
        if not conversation:
            raise gr.Error("Nothing to export yet: ask a question first.")
        folder = Path(tempfile.mkdtemp(dir=exports))  # a folder per export: two sessions never share a file
        path = folder / f"conversation-{time.strftime('%Y%m%d-%H%M%S')}.{kind}"
        body = render.to_markdown(conversation) if kind == "md" else json.dumps(conversation, ensure_ascii=False,
                                                                                  indent=2)
        path.write_text(body, encoding="utf-8")
        return gr.update(value=str(path), visible=True)

    def rate(rating, note, conversation):
        if not conversation:
            raise gr.Error("Nothing to rate yet: ask a question first.")
        feedback.record(archive.folder / "feedback.jsonl", conversation[-1], rating, note or "")
        gr.Info(f"Thanks: rated {'👍' if rating == 'up' else '👎'}, saved to {archive.folder / 'feedback.jsonl'}")
        return ""

    def api_ask(question: str, filters_json: str = "") -> dict:
        """Answer a question from the archive; filters_json: {"since","until","sources","include_comments","k"}."""
        try:
            filters = json.loads(filters_json) if (filters_json or "").strip() else {}
            k = filters.pop("k", None) if isinstance(filters, dict) else None
            return assistant.ask(question, filters=filters, k=k).to_json()
        except ValueError as exc:
            raise gr.Error(str(exc)) from exc

    def api_stats() -> dict:
        """How many articles and chunks the archive holds, its sources and date range."""
        return archive.stats()

    private = {"api_visibility": "undocumented"}
    with gr.Blocks(title="archive-chat") as demo:
        conversation = gr.State([])
        with gr.Tab("Chat"), gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="archive-chat", height=520, elem_id="chat", buttons=["copy"],
                                  render_markdown=False)
                question = gr.Textbox(placeholder="Ask the archive… (Enter to send)", show_label=False,
                                      elem_id="question")
                with gr.Row():
                    ask_btn = gr.Button("Ask", variant="primary", elem_id="ask")
                    new_btn = gr.Button("New chat", elem_id="new-chat")
                with gr.Row():
                    up_btn = gr.Button("👍 Good answer", size="sm", elem_id="rate-up")
                    down_btn = gr.Button("👎 Bad answer", size="sm", elem_id="rate-down")
                    note = gr.Textbox(placeholder="Optional note on the last answer", show_label=False, scale=2)
                with gr.Accordion("Filters", open=False):
                    with gr.Row():
                        since = gr.Textbox(label="Since (YYYY-MM-DD)")
                        until = gr.Textbox(label="Until (YYYY-MM-DD)")
                    sources = gr.Dropdown(label="Sources", multiselect=True, choices=[])
                    with gr.Row():
                        comments = gr.Checkbox(label="Include reader comments")
                        k = gr.Slider(1, 10, value=assistant.settings.k, step=1, label="Passages (k)")
                with gr.Row():
                    md_btn = gr.Button("Export Markdown", size="sm")
                    json_btn = gr.Button("Export JSON", size="sm")
                export_file = gr.File(label="Export", interactive=False, visible=False)
            with gr.Column(scale=2):
                panel = gr.HTML(render.sources_html(None), css_template=render.CSS, elem_id="sources")
                with gr.Row():
                    card = gr.Dropdown(label="Source card", choices=[], scale=3, elem_id="card")
                    open_btn = gr.Button("Open article", scale=1, elem_id="open-article")
                article = gr.HTML("", css_template=render.CSS, elem_id="article")
        with gr.Tab("Archive"):
            stats = gr.HTML(css_template=render.CSS)
            files = gr.File(label=f"Add files or zips of them: {' '.join(UPLOAD_TYPES)} (up to {MAX_UPLOAD_MB} MB "
                                  "each)", file_count="multiple")  # types checked per file: a stray .docx is a line
            ingest_btn = gr.Button("Ingest", variant="primary")
            status = gr.Textbox(label="Progress", interactive=False, elem_id="ingest-status")
            report = gr.Dataframe(headers=["file", "result", "errors"], interactive=False, wrap=True)
            search = gr.Textbox(label="Search titles, sources, URLs")
            table = gr.Dataframe(headers=["title", "source", "published", "id"], interactive=False, wrap=True,
                                 elem_id="articles")
            with gr.Row():
                picked = gr.Textbox(label="Selected article id", interactive=False, scale=3)
                delete_btn = gr.Button("Delete article", variant="stop", scale=1)
            shown = gr.HTML(css_template=render.CSS, elem_id="shown")

        inputs = [question, chat, conversation, since, until, sources, comments, k]
        outputs = [question, chat, conversation, panel, card]
        answering = {"concurrency_id": "answer", "concurrency_limit": ANSWERS_AT_ONCE}
        writing = {"concurrency_id": "write", "concurrency_limit": 1}  # one ingest or delete at a time
        question.submit(respond, inputs, outputs, **answering, **private)
        ask_btn.click(respond, inputs, outputs, **answering, **private)
        new_btn.click(lambda: ([], [], render.sources_html(None), gr.update(choices=[], value=None), ""),
                      None, [chat, conversation, panel, card, article], **private)
        chat.clear(lambda: ([], render.sources_html(None), gr.update(choices=[], value=None)), None,
                   [conversation, panel, card], **private)
        up_btn.click(lambda n, c: rate("up", n, c), [note, conversation], note, api_name="rate_up", **private)
        down_btn.click(lambda n, c: rate("down", n, c), [note, conversation], note, api_name="rate_down",
                       **private)
        open_btn.click(open_card, [card, conversation], article, **private)
        card.input(open_card, [card, conversation], article, **private)
        md_btn.click(lambda c: export(c, "md"), conversation, export_file, api_name="export_markdown", **private)
        json_btn.click(lambda c: export(c, "json"), conversation, export_file, api_name="export_json", **private)
        ingest_btn.click(ingest, files, [report, status, stats, sources, table], **writing, **private)
        search.change(browse, search, table, **private)
        table.select(open_row, None, [shown, picked], **private)
        delete_btn.click(delete, picked, [picked, shown, stats, sources, table], api_name="delete", **writing,
                         **private)
        demo.load(refresh, None, [stats, sources, table], **private)
        gr.api(api_ask, api_name="ask", **answering)
        gr.api(api_stats, api_name="stats")
    return demo


def launch(demo: gr.Blocks, host: str = "127.0.0.1", port: int = 7860, auth: tuple[str, str] | None = None,
           **options) -> None:
    """Serve the app the one way (tests too): queued, no share link, Gradio enforcing the upload limit as well."""
    demo.queue().launch(server_name=host, server_port=port, share=False, auth=auth,
                        max_file_size=f"{MAX_UPLOAD_MB}mb", **options)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="archive-chat serve", description="Chat with the archive in a browser.")
    parser.add_argument("--store", type=Path, help="store folder [env ARCHIVE_CHAT_STORE]")
    parser.add_argument("--port", type=int, default=7860)
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on [127.0.0.1]")
    parser.add_argument("--auth", default=os.environ.get("ARCHIVE_CHAT_AUTH"),
                        help="USER:PASS required to open the app [env ARCHIVE_CHAT_AUTH]")
    args = parser.parse_args(argv)
    auth = None
    if args.auth:
        user, _, password = args.auth.partition(":")
        if not user or not password:
            parser.error("--auth must be USER:PASS")
        auth = (user, password)
    connect.serve_embedded()  # this process owns an embedded store; a CLI ingest beside it goes through it
    archive = Archive(Settings(**({"store": args.store} if args.store else {})))
    if archive.stats()["articles"] == 0:
        print(f"{archive.folder}: no articles yet; ingesting the samples in {SAMPLES}", flush=True)
        print(Ingestor(archive).run([SAMPLES], progress=True), flush=True)
    if auth is None and args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: listening on {args.host} without --auth: anyone who can reach it can use it", flush=True)
    launch(build_app(Assistant(archive)), args.host, args.port, auth)


if __name__ == "__main__":
    main()
