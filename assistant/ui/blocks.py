"""The Gradio app: the Chat and Archive tabs wired to one `Session`, the two scripted endpoints, and the one way
to launch it (tests too)."""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from assistant import Assistant  # noqa: E402
from assistant.settings import default  # noqa: E402
from assistant.ui.archive_tab import ArchiveTab  # noqa: E402
from assistant.ui.chat_tab import ANSWERS_AT_ONCE, ChatTab  # noqa: E402
from assistant.ui.session import Session  # noqa: E402
from assistant.uploads import MAX_UPLOAD_MB  # noqa: E402

STATIC = Path(__file__).resolve().parent / "static"
CSS = (STATIC / "app.css").read_text(encoding="utf-8")
JS = (STATIC / "clicks.js").read_text(encoding="utf-8")


def theme() -> gr.themes.Base:
    """Gradio's default theme with two fixes. Fonts: its Source Sans Pro SemiBold (weight 600, what bold headings,
    labels and <b> ask for) is a stub holding only "A" and "B", so every other letter of bold text fell back to
    DejaVu Sans Bold and capitals A and B showed smaller than the rest ("Mary ʙarra"); the regular and bold files
    are whole, so 600 now uses the bold one. Colours: white on its orange fails WCAG AA contrast; blue passes."""
    sans = [gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)), "ui-sans-serif", "system-ui", "sans-serif"]
    return gr.themes.Default(primary_hue="blue", font=sans).set(
        button_primary_background_fill="#0969da", button_primary_background_fill_hover="#0550ae",
        button_primary_text_color="#ffffff", button_cancel_background_fill="#cf222e",
        button_cancel_background_fill_hover="#a40e26", button_cancel_text_color="#ffffff",
        body_text_color_subdued="#57606a")


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
        demo.load(chat.on_load, None, [chat.sources, chat.transcript], api_name="chat_sources",
                  api_visibility="undocumented")
        _scripted(session)
    return demo


def launch(demo: gr.Blocks, host: str = default("host"), port: int = default("port"),
           auth: tuple[str, str] | None = None, **options) -> None:
    """Serve the app the one way (tests too): queued, no share link, Gradio enforcing the upload limit as well,
    the page's stylesheet and click script."""
    demo.queue().launch(server_name=host, server_port=port, share=False, auth=auth, css=CSS, js=JS, theme=theme(),
                        max_file_size=f"{MAX_UPLOAD_MB}mb", **options)
