"""A conversation as Markdown, for the export: every citation spelled out under its answer, and everything from
the archive made inert for whatever Markdown viewer opens the file."""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from assistant.answer import NO_ANSWER
from assistant.ui.text import as_json, get, safe_url, segments, spans_of


def md_text(value: Any) -> str:
    """Archive text made inert for a Markdown viewer: no HTML, no links or images, no link definitions."""
    return html.escape("" if value is None else str(value), quote=False).replace("](", "]\\(").replace("]:", "]\\:")


def _citation_line(c: Any, mark: bool = True) -> str:
    """One source as Markdown: title, source, date and link, then the excerpt quoted, the sentences the answer
    took from it in bold (as the cards mark them)."""
    c = as_json(c)
    where = md_text(", ".join(filter(None, [get(c, "source"), get(c, "published") or "undated"])))
    url = get(c, "url")
    shown = f" <{safe_url(url)}>" if safe_url(url) else f" {md_text(url)}" if url else ""
    pieces = []
    for piece, inside in segments(get(c, "excerpt") or "", spans_of(c) if mark else [], get(c, "char_start", 0)):
        if words := md_text(" ".join(piece.split())):
            pieces.append(f"**{words}**" if inside else words)
    return f"[{get(c, 'n')}] {md_text(get(c, 'title') or 'untitled')} — {where}{shown}\n    > {' '.join(pieces)}"


def _turn(i: int, turn: Any) -> list[str]:
    lines = [f"## {i}. {md_text(get(turn, 'question', ''))}", ""]
    if get(turn, "refused"):
        related = get(turn, "related", []) or []
        lines += [f"_{NO_ANSWER}_", ""]
        if related:
            lines += ["Related reading:", ""] + [f"- {_citation_line(c, mark=False)}" for c in related] + [""]
        return lines
    if short := get(turn, "short_answer"):
        lines += [f"**{md_text(short)}**", ""]
    lines += [md_text(get(turn, "answer", "")), ""]
    citations = get(turn, "citations", []) or []
    if citations:
        lines += ["Sources:", ""] + [f"- {_citation_line(c)}" for c in citations] + [""]
    return lines


def to_markdown(conversation: Iterable[Any]) -> str:
    """A conversation (Answers or their JSON) as Markdown.

    Everything but our own headings and [n] markers goes through `md_text`: an export opened in a Markdown viewer
    shows archived `<script>` or `[x](javascript:…)` as text."""
    lines = ["# archive-chat conversation", ""]
    for i, turn in enumerate(conversation, 1):
        lines += _turn(i, turn)
    return "\n".join(lines).rstrip() + "\n"
