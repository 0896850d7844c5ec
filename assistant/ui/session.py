"""What the app does for the people using it, without Gradio: answer (streaming), open a cited article, browse,
ingest uploads, delete, export and rate. Tests call it directly; `blocks` only routes events to it.

One `Session` serves the whole app. A browser's conversation, a list of `Answer`s, is handed to each call, so
nothing here belongs to one user. The archive is read only through `Archive.article/articles/stats`, written only
through `delete_articles` and the ingest, one write at a time.
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant import Answer, Assistant, feedback
from assistant.cite import Citation
from assistant.references import FORMATS, references
from assistant.ui import markdown, progress
from assistant.ui.text import spans_of
from vectorstore.article import StoredArticle


@dataclass
class OpenedArticle:
    """An article opened from a source card: the article (None when deleted since) and the sentences to mark."""

    article: StoredArticle | None
    spans: list[tuple[int, int]] = field(default_factory=list)
    section: str = "body"


class Session:
    """The app's actions on its archive and assistant, shared by every browser; conversations are passed in."""

    def __init__(self, assistant: Assistant, exports: Path | None = None) -> None:
        self.assistant = assistant
        self.archive = assistant.archive
        self.exports = exports or Path(tempfile.mkdtemp(prefix="archive-chat-export-"))
        self.write_lock = threading.Lock()  # one ingest or delete at a time, even one that outlives its tab

    def stream(self, question: str, turns: Sequence[Answer], filters: dict | None = None,
               k: int | None = None) -> Iterator[str | Answer]:
        """The answer's text as it is produced, then the Answer; the earlier turns are the conversation.
        ValueError: a question or filter the user can fix."""
        history = [(t.question, t.answer) for t in turns]
        yield from self.assistant.stream(question, history, filters or {}, k)

    def ask_json(self, question: str, filters_json: str = "") -> dict:
        """/ask: one question, filters as JSON {"since","until","sources","include_comments","k"}."""
        filters = json.loads(filters_json) if (filters_json or "").strip() else {}
        if not isinstance(filters, dict):
            raise ValueError("filters_json must be a JSON object")
        k = filters.pop("k", None)
        return self.assistant.ask(question, filters=filters, k=k).to_json()

    @staticmethod
    def citation(answer: Answer, n: int) -> tuple[Citation, bool] | None:
        """Source n of an answer and whether it is cited (else related reading); None when it has no such source."""
        for cited, cards in ((True, answer.citations), (False, answer.related)):
            for c in cards:
                if c.n == n:
                    return c, cited
        return None

    def open_citation(self, answer: Answer, n: int) -> OpenedArticle | None:
        """The article behind source n, its cited sentences to mark (for related reading, the excerpt)."""
        found = self.citation(answer, n)
        if found is None:
            return None
        c, cited = found
        spans = spans_of(c) if cited else [(c.char_start, c.char_end)]
        return OpenedArticle(self.archive.article(c.article.id), spans, c.section)

    def article(self, article_id: str) -> StoredArticle | None:
        return self.archive.article(article_id)

    def browse(self, query: str = "", sources: Sequence[str] = (), since: str | None = None,
               until: str | None = None) -> list[dict]:
        return self.archive.articles(query or "", sources or (), since or None, until or None)

    def stats(self) -> dict:
        return self.archive.stats()

    def ingest(self, files: Sequence[Path]) -> Iterator[progress.Progress]:
        """Uploads copied into the store's uploads/ folder and ingested, with their progress."""
        yield from progress.upload(self.archive, list(files), self.archive.folder / "uploads", self.write_lock)

    def delete(self, article_ids: Sequence[str]) -> list[str]:
        """Delete these articles; returns the ids that were there. ValueError when none was."""
        with self.write_lock:
            present = [i for i in dict.fromkeys(a.strip() for a in article_ids) if i and self.archive.article(i)]
            if not present:
                raise ValueError("Pick an article in the table first.")
            self.archive.delete_articles(present)
        return present

    def export(self, turns: Sequence[Answer], kind: str) -> Path:
        """The conversation as a Markdown ("md") or JSON ("json") file, or the articles its answers cite as
        references ("bibtex", "ris", "csl-json": what a reference manager imports), in a folder of its own."""
        if not turns:
            raise ValueError("Nothing to export yet: ask a question first.")
        self.exports.mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(dir=self.exports))  # two sessions never share a file
        stamp = time.strftime("%Y%m%d-%H%M%S")
        if kind in FORMATS:
            path = folder / f"references-{stamp}{FORMATS[kind]}"
            body = references(self.cited_articles(turns), kind)
        elif kind == "md":
            path, body = folder / f"conversation-{stamp}.md", markdown.to_markdown(turns, self.archive.stats())
        else:
            path = folder / f"conversation-{stamp}.json"
            body = json.dumps([t.to_json() for t in turns], ensure_ascii=False, indent=2)
        path.write_text(body, encoding="utf-8")
        return path

    def cited_articles(self, turns: Sequence[Answer]) -> list[StoredArticle]:
        """Every article the answers cite, once, in the order first cited."""
        ids = dict.fromkeys(c.article.id for t in turns if not t.refused for c in t.citations)
        if not ids:
            raise ValueError("No answer cites a source yet: nothing to cite.")
        return [a for i in ids if (a := self.archive.article(i)) is not None]

    def rate(self, turns: Sequence[Answer], turn: int, rating: str, note: str = "") -> Path:
        """Append a rating of answer `turn` (0-based, any of the conversation) to the store's feedback.jsonl."""
        if not 0 <= turn < len(turns):
            raise ValueError("Nothing to rate yet: ask a question first." if not turns else
                             f"There is no answer {turn + 1}: the conversation has {len(turns)}.")
        path = self.archive.folder / "feedback.jsonl"
        feedback.record(path, turns[turn].to_json(), rating, note or "")
        return path
