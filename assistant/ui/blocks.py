"""The Gradio app: the Chat and Archive tabs wired to one `Session`, the two scripted endpoints, and the one way
to launch it (tests too)."""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from assistant import Assistant  # noqa: E402
from assistant.ui.archive_tab import ArchiveTab  # noqa: E402
from assistant.ui.chat_tab import ANSWERS_AT_ONCE, ChatTab  # noqa: E402
from assistant.ui.session import Session  # noqa: E402
from assistant.uploads import MAX_UPLOAD_MB  # noqa: E402
from vectorstore.settings import default  # noqa: E402

STATIC = Path(__file__).resolve().parent / "static"
CSS = (STATIC / "app.css").read_text(encoding="utf-8")
JS = (STATIC / "clicks.js").read_text(encoding="utf-8")


def _scripted(session: Session) -> None:
    """/ask and /stats: the endpoints for scripts (gradio_client), documented on the app's API page."""

    def ask(question: str, filters_json: str = "") -> dict:
        """Answer a question from the archive; filters_json: {"since","until","sources","include_comments","k"}."""
        try:
            return session.ask_json(question, filters_json)
        except (ValueError, json.JSONDecodeError) as exc:
            raise gr.Error(str(exc)) from exc

    def stats() -> dict:
        """How many articles and chunks the archive holds, its sources, date range, per month and per source."""
        return session.stats()

    gr.api(ask, api_name="ask", concurrency_id="answer", concurrency_limit=ANSWERS_AT_ONCE)
    gr.api(stats, api_name="stats")


def build_app(assistant: Assistant, session: Session | None = None) -> gr.Blocks:
    session = session or Session(assistant)
    with gr.Blocks(title="archive-chat") as demo:
        with gr.Tab("Chat"):
            chat = ChatTab(session)
        with gr.Tab("Archive"):
            archive = ArchiveTab(session)
        chat.wire()
        archive.wire(demo)
        demo.load(lambda: gr.update(choices=session.stats()["sources"]), None, chat.sources,
                  api_name="chat_sources", api_visibility="undocumented")
        _scripted(session)
    return demo


def launch(demo: gr.Blocks, host: str = default("host"), port: int = default("port"),
           auth: tuple[str, str] | None = None, **options) -> None:
    """Serve the app the one way (tests too): queued, no share link, Gradio enforcing the upload limit as well,
    the page's stylesheet and click script."""
    demo.queue().launch(server_name=host, server_port=port, share=False, auth=auth, css=CSS, js=JS,
                        max_file_size=f"{MAX_UPLOAD_MB}mb", **options)
