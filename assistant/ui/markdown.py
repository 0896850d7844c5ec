"""A conversation as Markdown, for the export: when it was exported and from what archive, every citation spelled
out under its answer with the filters that shaped it, a reference list of every article cited at the end, and
everything from the archive made inert for whatever Markdown viewer opens the file."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from datetime import datetime
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
    if filters := get(turn, "filters_applied", []) or []:
        lines += [f"Filters: {md_text('; '.join(map(str, filters)))}", ""]
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


def _header(archive: Mapping[str, Any] | None, exported: datetime | None) -> list[str]:
    """When the export was made and what the archive held then: a cited answer is only as complete as the archive
    it was drawn from, and a reader of the file later needs to know which one that was."""
    when = (exported or datetime.now().astimezone()).strftime("%Y-%m-%d %H:%M %Z").strip()
    lines = [f"- Exported: {md_text(when)}"]
    if archive:
        count, sources = archive.get("articles") or 0, archive.get("sources") or []
        span = f"published {archive.get('first_published') or '?'} to {archive.get('last_published') or '?'}"
        lines.append(md_text(f"- Archive: {count:,} articles from {len(sources):,} sources, {span}"))
    return [*lines, ""]


def _cited(turns: list[Any]) -> dict[str, tuple[dict, list[tuple[int, int]]]]:
    """Every article an answer cites, in order of first citation: its card and each (turn, n) it was cited as.
    Refusals cite nothing (their related reading supported no answer)."""
    found: dict[str, tuple[dict, list[tuple[int, int]]]] = {}
    for i, turn in enumerate(turns, 1):
        for c in [] if get(turn, "refused") else get(turn, "citations", []) or []:
            c = as_json(c)
            key = get(c, "article_id") or get(c, "url") or get(c, "title") or f"{i}:{get(c, 'n')}"
            found.setdefault(key, (c, []))[1].append((i, get(c, "n")))
    return found


def _references(turns: list[Any]) -> list[str]:
    """The numbered list of every cited article, each once, with where it was cited ("answer 2 [1]"): what a
    researcher copies into a bibliography. The URL is plain text (md_text), linked by viewers that link URLs."""
    cited = _cited(turns)
    if not cited:
        return []
    lines = ["## References", ""]
    for number, (c, uses) in enumerate(cited.values(), 1):
        where = ", ".join(filter(None, [get(c, "source"), get(c, "published") or "undated"]))
        url = f" {get(c, 'url')}" if get(c, "url") else ""
        places = ", ".join(f"answer {i} [{n}]" for i, n in uses)
        lines.append(md_text(f"{number}. {get(c, 'title') or 'untitled'}. {where}.{url} (cited in {places})"))
    return [*lines, ""]


def to_markdown(conversation: Iterable[Any], archive: Mapping[str, Any] | None = None,
                exported: datetime | None = None) -> str:
    """A conversation (Answers or their JSON) as Markdown, opening with the export's date and the archive (the dict
    `Archive.stats()` returns, when the caller passes it) and closing with the references of all its answers.

    Each answer keeps its own [n] markers and its sources under it, as the app showed them: rewriting markers to
    conversation-wide numbers would make the file disagree with the screen and with the JSON export. The closing
    list numbers each article once and says which answer cited it as what.

    Everything but our own headings and [n] markers goes through `md_text`: an export opened in a Markdown viewer
    shows archived `<script>` or `[x](javascript:…)` as text."""
    turns = list(conversation)
    lines = ["# archive-chat conversation", "", *_header(archive, exported)]
    for i, turn in enumerate(turns, 1):
        lines += _turn(i, turn)
    lines += _references(turns)
    return "\n".join(lines).rstrip() + "\n"
