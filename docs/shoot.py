"""Make the docs' screenshots: `python docs/shoot.py` launches the app on samples/archive in a temporary store, asks
a chronology question and a fact question, opens a cited article, and shoots the chat (docs/screenshot.png) and the
Archive tab (docs/archive.png). Needs Debian's chromium (/usr/bin/chromium) and Playwright; no network."""

from __future__ import annotations

import os
import socket
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
for _name, _value in {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False",
                      "DO_NOT_TRACK": "1"}.items():
    os.environ.setdefault(_name, _value)

from playwright.sync_api import sync_playwright  # noqa: E402

from assistant import Assistant  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from assistant.ui import blocks  # noqa: E402
from vectorstore.ingest import Ingestor  # noqa: E402
from vectorstore.store import Archive  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
QUESTIONS = ["How did coverage of the recession change over time?", "Who was appointed chief of General Motors?"]
VIEW = {"width": 1400, "height": 1000}


def ask(page, question: str, turns: int) -> None:
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(f"document.querySelectorAll('#chat .turn .turn-tools').length >= {turns}", timeout=120_000)


def shoot(url: str, docs: Path) -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless=new"])
        page = browser.new_page(viewport=VIEW)
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(url) else r.abort())
        page.goto(url)
        page.locator("#chat .intro").wait_for(timeout=60_000)
        page.wait_for_function("!document.querySelector('.pending, .generating')", timeout=30_000)
        page.screenshot(path=str(docs / "first-page.png"))
        for i, question in enumerate(QUESTIONS, 1):
            ask(page, question, i)
        page.locator("#chat .turn").last.locator("button.cite").first.click()
        page.locator("#article mark#cited").wait_for(timeout=30_000)
        page.wait_for_function("!document.querySelector('.pending, .generating')", timeout=30_000)
        page.screenshot(path=str(docs / "screenshot.png"))
        page.get_by_role("tab", name="Archive").click()
        page.wait_for_selector("#stats svg.chart .bar", timeout=30_000)
        page.wait_for_function("!document.querySelector('.pending, .generating')", timeout=30_000)
        page.screenshot(path=str(docs / "archive.png"))
        browser.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    docs = ROOT / "docs"
    with tempfile.TemporaryDirectory(prefix="archive-chat-shoot-") as folder:
        archive = Archive(Settings(store=Path(folder) / "store"))
        Ingestor(archive, report=lambda line: None).run([ROOT / "samples" / "archive"], progress=False)
        demo = blocks.build_app(Assistant(archive))
        port = free_port()
        blocks.launch(demo, port=port, prevent_thread_lock=True, quiet=True)
        try:
            shoot(f"http://127.0.0.1:{port}/", docs)
        finally:
            demo.close()
    print(f"wrote {docs / 'first-page.png'}, {docs / 'screenshot.png'} and {docs / 'archive.png'}")


if __name__ == "__main__":
    main()
