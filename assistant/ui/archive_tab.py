"""The Archive tab: what the archive holds over time and by source, uploads with their progress, browsing with
source and date filters, and deleting an article after a confirmation. Layout and routing only."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from assistant.ui import render
from assistant.ui.chat_tab import PRIVATE
from assistant.ui.session import Session
from assistant.uploads import MAX_UPLOAD_MB, UPLOAD_TYPES

WRITING = {"concurrency_id": "write", "concurrency_limit": 1}  # one ingest or delete at a time
HEADERS = ["title", "source", "published", "id"]


class ArchiveTab:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.stats = gr.HTML(elem_id="stats", js_on_load=None)
        with gr.Row():
            self.search = gr.Textbox(label="Search titles, sources, URLs", scale=3)
            self.sources = gr.Dropdown(label="Sources", multiselect=True, choices=[], scale=3,
                                       elem_id="browse-sources")
            self.since = gr.Textbox(label="Since", elem_id="browse-since", scale=1)
            self.until = gr.Textbox(label="Until", elem_id="browse-until", scale=1)
        self.table = gr.Dataframe(headers=HEADERS, interactive=False, wrap=True, elem_id="articles")
        with gr.Row():
            self.picked = gr.Textbox(label="Selected article id", interactive=False, scale=3, elem_id="picked")
            self.delete = gr.Button("Delete article…", variant="stop", scale=1, elem_id="delete")
        with gr.Row(visible=False) as self.confirm_row:
            self.confirm_text = gr.HTML(js_on_load=None, elem_id="confirm-text")
            self.confirm = gr.Button("Yes, delete it", variant="stop", elem_id="confirm-delete")
            self.cancel = gr.Button("Keep it", elem_id="cancel-delete")
        self.shown = gr.HTML(elem_id="shown", js_on_load=None)
        with gr.Accordion("Add articles", open=True):
            # types are checked per file: a stray .docx is a line of the report, not a refused upload
            self.files = gr.File(label=f"Files or zips of them: {' '.join(UPLOAD_TYPES)} (up to {MAX_UPLOAD_MB} MB "
                                       "each)", file_count="multiple")
            self.ingest = gr.Button("Ingest", variant="primary", elem_id="ingest")
            self.status = gr.Textbox(label="Progress", interactive=False, elem_id="ingest-status")
            self.report = gr.Dataframe(headers=["file", "result", "errors"], interactive=False, wrap=True)

    def browse(self, query: str = "", sources: list[str] | None = None, since: str = "", until: str = ""):
        rows = [[a["title"], a["source"], a["published"] or "", a["id"]]
                for a in self.session.browse(query, sources or [], since, until)]
        return rows or [[""] * len(HEADERS)]

    def refresh(self, query: str = "", sources: list[str] | None = None, since: str = "", until: str = ""):
        """Stats, the source choices and the table, after a load or a write."""
        stats = self.session.stats()
        return (render.stats_html(stats), gr.update(choices=stats["sources"]),
                self.browse(query, sources, since, until))

    def run_ingest(self, files: list[str] | None):
        """Stream the report: refused files at once, then articles done of the total counted up front, rate, time
        left and running counts, a line as each file ends, then the archive's stats."""
        for state in self.session.ingest([Path(f) for f in files or []]):
            rows = state.rows or [["", "no files", ""]]
            if state.finished or not state.files:
                yield rows, state.line(self.session.stats()), *self.refresh()
                if not state.files:
                    return
            else:
                yield rows, state.line(self.session.stats()), gr.skip(), gr.skip(), gr.skip()

    def show(self, evt: gr.SelectData):
        article_id = evt.row_value[-1]
        return render.article_html(self.session.article(article_id)), article_id

    def ask_delete(self, article_id: str):
        """The confirmation step: name the article about to go."""
        article = self.session.article((article_id or "").strip())
        if article is None:
            raise gr.Error("Pick an article in the table first.")
        return gr.update(visible=True), render.confirm_delete_html(article)

    def do_delete(self, article_id: str):
        try:
            self.session.delete([article_id or ""])
        except ValueError as exc:
            raise gr.Error(str(exc)) from exc
        stats = self.session.stats()
        return "", "", gr.update(visible=False), render.stats_html(stats), gr.update(choices=stats["sources"])

    def wire(self, demo: gr.Blocks) -> None:
        view = [self.stats, self.sources, self.table]
        filters = [self.search, self.sources, self.since, self.until]
        self.ingest.click(self.run_ingest, self.files, [self.report, self.status, *view], api_name="ingest",
                          **WRITING, **PRIVATE)
        gr.on([f.change for f in filters], self.browse, filters, self.table, api_name="browse", **PRIVATE)
        self.table.select(self.show, None, [self.shown, self.picked], api_name="show_article", **PRIVATE)
        self.delete.click(self.ask_delete, self.picked, [self.confirm_row, self.confirm_text],
                          api_name="ask_delete", **PRIVATE)
        self.cancel.click(lambda: gr.update(visible=False), None, self.confirm_row, api_name="cancel_delete",
                          **PRIVATE)
        deleted = self.confirm.click(self.do_delete, self.picked, [self.picked, self.shown, self.confirm_row,
                                                                   self.stats, self.sources], api_name="delete",
                                     **WRITING, **PRIVATE)
        deleted.success(self.browse, filters, self.table, api_name="browse_after_delete", **PRIVATE)
        demo.load(self.refresh, None, view, api_name="refresh", **PRIVATE)
