"""The chat UI in the browser, as `archive-chat serve` and `python app.py` start it: open the store (an empty one
first gets the sample archive), build the app (`assistant.ui`) on it and launch it."""

from __future__ import annotations

from pathlib import Path

from assistant.ask import Assistant
from assistant.settings import Settings
from assistant.ui.blocks import build_app, launch
from vectorstore.ingest import Ingestor
from vectorstore.store import Archive

SAMPLES = Path(__file__).resolve().parents[1] / "samples" / "archive"


def serve(settings: Settings, auth: tuple[str, str] | None = None) -> None:
    """Open the store (ingesting the samples into an empty one), build the app and launch it."""
    archive = Archive(settings, serving=True)  # it owns an embedded store; a CLI ingest beside it goes through it
    if archive.stats()["articles"] == 0:
        print(f"{archive.folder}: no articles yet; ingesting the samples in {SAMPLES}", flush=True)
        archive.embedder.embed_query("warm-up")  # a first build of the model says so before the bar, not inside it
        print(Ingestor(archive).run([SAMPLES], progress=True), flush=True)
    if auth is None and settings.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: listening on {settings.host} without --auth: anyone who can reach it can use it", flush=True)
    assistant = Assistant(archive)
    assistant.warm()
    print(f"archive-chat: open http://{settings.host}:{settings.port}/ in a browser (Ctrl+C stops it)", flush=True)
    launch(build_app(assistant), settings.host, settings.port, auth, quiet=True)  # no share-link hint
