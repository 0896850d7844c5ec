"""Answers, source cards and articles as HTML (and conversations as Markdown), for the app.

Everything that comes from the archive — text, titles, sources, URLs — is untrusted: each field is escaped
here, before it becomes HTML, and only http(s) URLs become links. No Gradio import: this is plain functions.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from assistant.answer import NO_ANSWER
from assistant.cite import MARKER, Citation

_NOT_IN_URLS = set('"<>`\\\x7f')

CSS = """
.source-card { border: 1px solid #d0d7de; border-radius: 8px; padding: 8px 10px; margin: 0 0 10px; }
.source-card:target { border-color: #d4a72c; box-shadow: 0 0 0 2px #f5e0a0; }
.source-head { font-weight: 600; }
.source-meta { font-size: 0.85em; color: #57606a; margin: 2px 0 6px; overflow-wrap: anywhere; }
.excerpt { white-space: pre-wrap; margin: 0; padding-left: 8px; border-left: 3px solid #d0d7de; }
.refusal { border: 1px solid #cf222e; border-radius: 8px; padding: 8px 10px; margin-bottom: 10px; }
.article-text, .article-comments { white-space: pre-wrap; }
mark { background: #fff1a8; color: inherit; }
"""

Record = Citation | dict[str, Any]


def _get(record: Any, key: str, default: Any = None) -> Any:
    return record.get(key, default) if isinstance(record, dict) else getattr(record, key, default)


def esc(value: Any) -> str:
    """Any value as escaped HTML text (None as empty)."""
    return html.escape("" if value is None else str(value), quote=True)


def safe_url(url: str | None) -> str | None:
    """The URL if it is http(s) with a host and nothing a URL never holds (spaces, quotes, <, >, controls), else None:
    javascript:, data: and the like never become links."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() in ("http", "https") and parts.netloc and not any(c in _NOT_IN_URLS or ord(c) < 33
                                                                              for c in url):
        return url
    return None


def link(url: str | None, text: str | None = None) -> str:
    """An external link for an http(s) URL; any other URL as plain escaped text."""
    label = esc(text if text is not None else url)
    good = safe_url(url)
    if good is None:
        return f'<span class="url">{label}</span>' if url else ""
    return f'<a href="{esc(good)}" rel="noopener noreferrer" target="_blank">{label}</a>'


def linked_text(text: str, numbers: Iterable[int] | None = None) -> str:
    """Text escaped, line breaks as <br>, each [n] marker (for a card n that exists) a link to its source card."""
    known = None if numbers is None else set(numbers)

    def marker(m: re.Match) -> str:
        n = int(m.group(1))
        if known is not None and n not in known:
            return m.group(0)
        return f'<a href="#source-{n}" class="cite">[{n}]</a>'

    return MARKER.sub(marker, esc(text)).replace("\n", "<br>")


def answer_html(answer: Any) -> str:
    """The answer for the chat bubble: a visible refusal, or the text with its markers as links and the short
    answer it opens with in bold."""
    if _get(answer, "refused"):
        return f'<div class="refusal"><strong>{esc(NO_ANSWER)}</strong></div>'
    text, short = _get(answer, "answer", ""), _get(answer, "short_answer")
    numbers = [_get(c, "n") for c in _get(answer, "citations", [])]
    if short and text.startswith(short):
        return f"<strong>{linked_text(short)}</strong>{linked_text(text[len(short):], numbers)}"
    return linked_text(text, numbers)


def spans_of(citation: Record) -> list[tuple[int, int]]:
    """The supporting sentences of a citation, article offsets (a record from before `highlights` has one)."""
    return [tuple(s) for s in _get(citation, "highlights", None) or
            [(_get(citation, "highlight_start", 0), _get(citation, "highlight_end", 0))]]


def _segments(text: str, spans: list[tuple[int, int]], offset: int = 0) -> Iterator[tuple[str, bool]]:
    """text cut at the spans (minus offset, clipped to the text, overlaps joined): (piece, inside a span?)."""
    at = 0
    for a, b in sorted(spans):
        start, end = max(0, min(a - offset, len(text))), max(0, min(b - offset, len(text)))
        start = max(start, at)
        if start >= end:
            continue
        if at < start:
            yield text[at:start], False
        yield text[start:end], True
        at = end
    if at < len(text):
        yield text[at:], False


def marked(text: str, spans: list[tuple[int, int]], offset: int = 0, first_id: str = "") -> str:
    """text escaped, each span in <mark>; the first one carries `id=first_id` when given, to scroll to."""
    out, attr = [], f' id="{first_id}"' if first_id else ""
    for piece, inside in _segments(text, spans, offset):
        if inside:
            out.append(f"<mark{attr}>{esc(piece)}</mark>")
            attr = ""
        else:
            out.append(esc(piece))
    return "".join(out)


def excerpt_html(citation: Record, mark: bool = True) -> str:
    """The excerpt escaped, the supporting sentences (offsets in the section's text) in <mark>."""
    text = _get(citation, "excerpt", "") or ""
    return marked(text, spans_of(citation) if mark else [], _get(citation, "char_start", 0))


def card_html(citation: Record, anchor: str = "source", mark: bool = True) -> str:
    n = int(_get(citation, "n", 0))
    meta = [esc(_get(citation, "source") or "unknown source"), esc(_get(citation, "published") or "undated")]
    if _get(citation, "section") == "comments":
        meta.append("reader comment")
    if _get(citation, "url"):
        meta.append(link(_get(citation, "url")))
    title = _get(citation, "title") or _get(citation, "url") or "untitled"
    return (
        f'<div class="source-card" id="{anchor}-{n}">'
        f'<div class="source-head"><span class="source-n">[{n}]</span> <span class="source-title">{esc(title)}</span>'
        f'</div><div class="source-meta">{" · ".join(meta)}</div>'
        f'<blockquote class="excerpt">{excerpt_html(citation, mark)}</blockquote></div>'
    )


def sources_html(answer: Any) -> str:
    """The side panel: the cards an answer cites, or for a refusal the refusal and the related passages."""
    if answer is None:
        return '<div class="sources-empty">Sources of the last answer appear here.</div>'
    citations, related = _get(answer, "citations", []) or [], _get(answer, "related", []) or []
    parts = []
    if _get(answer, "refused"):
        parts.append(f'<div class="refusal"><strong>{esc(NO_ANSWER)}</strong></div>')
        if related:
            parts.append("<h4>Related reading</h4>")
            parts += [card_html(c, mark=False) for c in related]
        return "".join(parts)
    if citations:
        parts.append("<h4>Sources</h4>")
        parts += [card_html(c) for c in citations]
    if related:
        inner = "".join(card_html(c, anchor="related", mark=False) for c in related)
        parts.append(f"<details><summary>Related reading ({len(related)})</summary>{inner}</details>")
    notes = _get(answer, "filters_applied", []) or []
    if notes:
        parts.append('<div class="filters">' + "<br>".join(f"filter: {esc(n)}" for n in notes) + "</div>")
    return "".join(parts)


def article_html(article: Any, highlight: list[tuple[int, int]] | None = None, section: str = "body") -> str:
    """The whole cleaned article, escaped, the cited sentences (offsets in `section`'s text) in <mark>, the first
    with id="cited"."""
    if article is None:
        return '<div class="article-missing">That article is no longer in the archive.</div>'

    sources = _get(article, "sources") or [_get(article, "source")]
    meta = [esc(", ".join(s for s in sources if s) or "unknown source"), esc(_get(article, "published") or "undated")]
    if _get(article, "authors"):
        meta.append("by " + esc(", ".join(_get(article, "authors"))))
    if _get(article, "url"):
        meta.append(link(_get(article, "url")))
    spans = highlight or []
    body_spans = spans if section != "comments" else []
    parts = [
        f'<article class="article"><h3>{esc(_get(article, "title") or "untitled")}</h3>',
        f'<div class="source-meta">{" · ".join(meta)}</div>',
        f'<div class="article-text">{marked(_get(article, "text", "") or "", body_spans, 0, "cited")}</div>',
    ]
    comments = _get(article, "comments", "") or ""
    if comments:
        comment_spans = spans if section == "comments" else []
        parts.append(f'<details{" open" if comment_spans else ""}><summary>Reader comments</summary>'
                     f'<div class="article-comments">{marked(comments, comment_spans, 0, "cited")}</div></details>')
    parts.append("</article>")
    return "".join(parts)


def stats_html(stats: dict) -> str:
    sources = ", ".join(stats.get("sources") or []) or "-"
    return (
        f'<div class="stats"><b>{esc(stats.get("articles", 0))}</b> articles, <b>{esc(stats.get("chunks", 0))}</b>'
        f' chunks · published {esc(stats.get("first_published") or "?")} to {esc(stats.get("last_published") or "?")}'
        f"<br>sources: {esc(sources)}</div>"
    )


_OUTCOMES = ("added", "updated", "unchanged", "duplicates", "failed")


def articles_read(summary: Any) -> int:
    """Articles an ingest Summary has seen so far, whatever became of them."""
    return sum(getattr(summary, k) for k in _OUTCOMES)


def ingest_status(done: list[Any], files: int, stats: dict, current: str = "", running: Any = None) -> str:
    """One plain-text line (never HTML) on an upload's ingest: files done, the file at work and its articles so far,
    articles by outcome, the archive's size."""
    if not files:
        return "No files to ingest."
    seen = [*done, running] if running is not None else done
    counts = ", ".join(f"{sum(getattr(s, k) for s in seen):,} {k}" for k in _OUTCOMES)
    where = f"{len(done)} of {files} files done"
    if current:
        where += f", now {current}" + (f" ({articles_read(running):,} articles so far)" if running is not None else "")
    return (f"{where} · {sum(map(articles_read, seen)):,} articles read ({counts}) · the archive holds "
            f"{stats.get('articles', 0):,} articles in {stats.get('chunks', 0):,} chunks")


def md_text(value: Any) -> str:
    """Archive text made inert for a Markdown viewer: no HTML, no links or images, no link definitions."""
    return html.escape("" if value is None else str(value), quote=False).replace("](", "]\\(").replace("]:", "]\\:")


def _citation_line(c: Record, mark: bool = True) -> str:
    """One source as Markdown: title, source, date and link, then the excerpt quoted, the sentences the answer
    took from it in bold (as the cards mark them)."""
    where = md_text(", ".join(filter(None, [_get(c, "source"), _get(c, "published") or "undated"])))
    url = _get(c, "url")
    shown = f" <{safe_url(url)}>" if safe_url(url) else f" {md_text(url)}" if url else ""
    pieces = []
    for piece, inside in _segments(_get(c, "excerpt") or "", spans_of(c) if mark else [], _get(c, "char_start", 0)):
        if words := md_text(" ".join(piece.split())):
            pieces.append(f"**{words}**" if inside else words)
    return f"[{_get(c, 'n')}] {md_text(_get(c, 'title') or 'untitled')} — {where}{shown}\n    > {' '.join(pieces)}"


def to_markdown(conversation: Iterable[Any]) -> str:
    """A conversation (Answers or their JSON) as Markdown, every citation spelled out under its answer.

    Everything but our own headings and [n] markers goes through `md_text`: an export opened in a Markdown viewer
    shows archived `<script>` or `[x](javascript:…)` as text."""
    lines = ["# archive-chat conversation", ""]
    for i, turn in enumerate(conversation, 1):
        lines += [f"## {i}. {md_text(_get(turn, 'question', ''))}", ""]
        if _get(turn, "refused"):
            lines += [f"_{NO_ANSWER}_", ""]
            related = _get(turn, "related", []) or []
            if related:
                lines += ["Related reading:", ""] + [f"- {_citation_line(c, mark=False)}" for c in related] + [""]
            continue
        lines += [md_text(_get(turn, "answer", "")), ""]
        citations = _get(turn, "citations", []) or []
        if citations:
            lines += ["Sources:", ""] + [f"- {_citation_line(c)}" for c in citations] + [""]
    return "\n".join(lines).rstrip() + "\n"
