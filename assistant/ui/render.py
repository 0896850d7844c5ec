"""Answers, evidence cards, articles, charts and archive stats as HTML, through Jinja2 templates that escape
every value by default.

Everything from the archive (text, titles, sources, URLs) is untrusted. Nothing here builds HTML out of strings:
the functions reduce records to plain values (text pieces, numbers, checked URLs) and the templates in
`templates/` turn them into markup, escaping each one. Only http(s) URLs become links. No Gradio import.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from assistant.answer import NO_ANSWER
from assistant.cite import MARKER
from assistant.ui import timeline
from assistant.ui.text import as_json, get, safe_url, segments, snippet, spans_of

X_LABELS = 5  # dates along a chart's axis
INTRO_SOURCES = 5  # sources the first page names

_ENV = Environment(loader=PackageLoader("assistant.ui", "templates"), autoescape=True, undefined=StrictUndefined,
                   trim_blocks=True, lstrip_blocks=True)
_ENV.filters["safe_url"] = safe_url
_ENV.globals["NO_ANSWER"] = NO_ANSWER
CHART_TITLES = 5  # titles a bar's tooltip names
TOP_SOURCES = 12


def _render(template: str, **values: Any) -> str:
    return _ENV.get_template(template).render(**values)


def answer_parts(text: str, numbers: Iterable[int]) -> list[tuple[str, int | None]]:
    """An answer's text cut at its [n] markers: (text, None) and (marker, n) for each marker naming a card."""
    known, parts, at = set(numbers), [], 0
    for m in MARKER.finditer(text or ""):
        if int(m.group(1)) in known:
            parts += [(text[at:m.start()], None), (m.group(0), int(m.group(1)))]
            at = m.end()
    return [p for p in [*parts, (text[at:], None)] if p[0]]


def chart(entries: Sequence[dict], boxes: str = "chat") -> dict | None:
    """A bar chart's values from a timeline (dicts with published, cited, title): bars, their dates and tooltips.
    `boxes` names the date filter a range chosen on it fills ("chat" or "browse")."""
    bars, undated, unit = timeline.buckets((e.get("published"), bool(e.get("cited"))) for e in entries)
    if not bars:
        return None
    for bar in bars:
        bar.titles = [e.get("title") or "untitled" for e in entries
                      if bar.since <= (e.get("published") or "")[:10] <= bar.until][:CHART_TITLES]
    return _geometry(bars, {"undated": undated, "unit": unit, "boxes": boxes, "articles": len(entries)})


def tooltip(bar: timeline.Bucket, unit: str) -> str:
    """A bar's tooltip as plain text: its dates, counts and the first titles in it."""
    when = f"week of {bar.label}" if unit == "week" else bar.label
    cited = f", {bar.cited} cited" if bar.cited else ""
    return "\n".join([f"{when}: {bar.total} article{'' if bar.total == 1 else 's'}{cited}",
                      *(f"· {t}" for t in bar.titles)])


def _ticks(top: int, height: int) -> list[dict]:
    """The y axis: 0, the middle and the top count, each at its height."""
    values = sorted({0, round(top / 2), top}) if top > 1 else [0, top]
    return [{"value": v, "y": round(height - height * v / top, 2)} for v in values]


def _dates(shapes: list[dict], width: float) -> list[dict]:
    """The x axis: up to X_LABELS bar labels spread evenly, the first and the last included."""
    count = len(shapes)
    picks = sorted({round(i * (count - 1) / (X_LABELS - 1)) for i in range(X_LABELS)}) if count > 1 else [0]
    out = []
    for i in picks:
        s = shapes[i]
        anchor = "start" if i == 0 else "end" if i == count - 1 and count > 1 else "middle"
        x = s["x"] if anchor == "start" else min(width, s["x"] + s["w"]) if anchor == "end" else s["x"] + s["w"] / 2
        out.append({"label": s["bar"].label, "x": round(x, 2), "anchor": anchor})
    return out


def _geometry(bars: list[timeline.Bucket], extra: dict, width: int = 260, height: int = 80) -> dict:
    """Pixel positions for the bars: equal widths across `width`, heights scaled to the tallest; the axes' labels."""
    top = max(b.total for b in bars) or 1
    step = min(width / len(bars), 28)  # a few bars stay bars, not blocks
    shapes = [{"bar": b, "x": round(i * step, 2), "w": round(max(step - 1, 1), 2), "tip": tooltip(b, extra["unit"]),
               "h": round(height * b.total / top, 2), "hc": round(height * b.cited / top, 2)}
              for i, b in enumerate(bars)]
    drawn = min(width, round(len(bars) * step, 2))
    return {"shapes": shapes, "width": width, "height": height, "top": top, "first": bars[0].label,
            "last": bars[-1].label, "cited": sum(b.cited for b in bars), "yticks": _ticks(top, height),
            "xticks": _dates(shapes, drawn), "total": sum(b.total for b in bars), **extra}


def _answer_view(i: int, answer: Any) -> dict:
    citations = get(answer, "citations", []) or []
    return {"i": i, "question": get(answer, "question", ""), "refused": bool(get(answer, "refused")),
            "short": get(answer, "short_answer"), "notes": get(answer, "filters_applied", []) or [],
            "parts": answer_parts(get(answer, "answer", ""), [get(c, "n") for c in citations]),
            "chart": chart(get(answer, "timeline", []) or []),
            "entries": [{"date": e["date"], "parts": answer_parts(f"{e['text']} " + "".join(
                f"[{n}]" for n in e["citations"]), [get(c, "n") for c in citations])}
                for e in get(answer, "entries", []) or []]}


def transcript_html(turns: Sequence[Any], pending: str | None = None, text: str = "", error: str = "",
                    intro: dict | None = None) -> str:
    """The conversation: each answer (short answer first, the sentences with their [n], what shaped it, a rate
    control) beside its chart; `pending` is a question still being answered (`text` so far) or that failed
    (`error`); `intro` (from `intro`) is what an empty conversation shows: the archive and questions to ask it."""
    return _render("transcript.html", turns=[_answer_view(i, a) for i, a in enumerate(turns)], pending=pending,
                   text=text, error=error, intro=intro)


def intro(stats: dict, questions: Sequence[str]) -> dict:
    """The first page's values: how many articles, from which sources, over which dates, coverage per month (a
    chart whose range sets the chat's dates) and example questions."""
    months = timeline.month_counts(stats.get("by_month") or {})
    by_source = sorted((stats.get("by_source") or {}).items(), key=lambda kv: (-kv[1], kv[0]))
    return {"articles": stats.get("articles") or 0, "sources": [name for name, _ in by_source[:INTRO_SOURCES]],
            "more_sources": max(0, len(by_source) - INTRO_SOURCES),
            "first": (stats.get("first_published") or "")[:10], "last": (stats.get("last_published") or "")[:10],
            "chart": _geometry(months, {"undated": 0, "unit": "month", "boxes": "chat",
                                        "articles": stats.get("articles") or 0}, width=300, height=70)
            if months else None, "questions": list(questions)}


def numbered(answer: Any) -> list[tuple[int, Any, bool]]:
    """An answer's sources as the panel numbers them: (n, citation, cited?). Citations keep their [n]; related
    reading continues after the highest one and leaves out any article already cited."""
    citations = get(answer, "citations", []) or []
    cited_ids = {as_json(c).get("article_id") for c in citations}
    after = max([get(c, "n") or 0 for c in citations], default=0)
    related = [c for c in get(answer, "related", []) or [] if as_json(c).get("article_id") not in cited_ids]
    return [*((get(c, "n"), c, True) for c in citations), *((after + i, c, False) for i, c in enumerate(related, 1))]


def syndication(stored: Any) -> dict | None:
    """A story stored once from several outlets (its `also` list): the other outlets and the first date it was
    published anywhere; None when one outlet carried it."""
    also = [a for a in get(stored, "also", []) or [] if isinstance(a, dict)]
    if stored is None or not also:
        return None
    own = get(stored, "source")
    outlets = [s for s in dict.fromkeys(a.get("source") or "" for a in also) if s and s != own]
    dates = sorted(d[:10] for d in [get(stored, "published"), *(a.get("published") for a in also)] if d)
    return {"outlets": outlets, "count": len(outlets), "first": dates[0] if dates else None} if outlets else None


def _card(turn: int, n: int, citation: Any, cited: bool, stored: Any = None) -> dict:
    citation = as_json(citation)
    spans = spans_of(citation) if cited else []
    cut = snippet(get(citation, "excerpt", "") or "", spans, get(citation, "char_start", 0))
    return {"turn": turn, "n": n, "title": get(citation, "title") or get(citation, "url") or
            "untitled", "url": get(citation, "url"), "source": get(citation, "source"),
            "published": get(citation, "published"), "comment": get(citation, "section") == "comments",
            "snippet": cut, "also": syndication(stored)}


def evidence_html(answer: Any, turn: int = 0, current: int | None = None, stored: dict | None = None) -> str:
    """The side panel for one answer: a card per citation, related reading (numbered after them) as titles that
    open, a refusal as such. `current`: the card whose article is open; `stored`: article id -> stored article
    (its `also` list: the outlets that carried the story too)."""
    if answer is None:
        return _render("evidence.html", answer=None)
    stored = stored or {}
    cards = [_card(turn, n, c, cited, stored.get(as_json(c).get("article_id"))) for n, c, cited in numbered(answer)]
    return _render("evidence.html", answer={
        "turn": turn, "question": get(answer, "question", ""), "refused": bool(get(answer, "refused")),
        "current": current, "notes": get(answer, "filters_applied", []) or [],
        "cards": [c for c, (_, _, cited) in zip(cards, numbered(answer), strict=True) if cited],
        "related": [c for c, (_, _, cited) in zip(cards, numbered(answer), strict=True) if not cited]})


def article_html(article: Any, highlight: list[tuple[int, int]] | None = None, section: str = "body",
                 n: int | None = None, turn: int | None = None) -> str:
    """The whole cleaned article, the cited sentences (offsets in `section`'s text) marked, the first with
    id="cited" to scroll to; None: the article is gone. `n`/`turn`: opened as source n of answer `turn` in the
    chat's reader, which then has a close button."""
    if article is None:
        return _render("article.html", article=None, reader=n is not None, n=n, turn=turn)
    spans = highlight or []
    sources = [s for s in (get(article, "sources") or [get(article, "source")]) if s]
    also = syndication(article)
    return _render("article.html", reader=n is not None, n=n, turn=turn, article={
        "title": get(article, "title") or "untitled", "url": get(article, "url"),
        "sources": sources[:1] if also else sources, "also": also,
        "published": get(article, "published"), "authors": get(article, "authors") or [],
        "text": list(segments(get(article, "text", "") or "", spans if section != "comments" else [])),
        "comments": list(segments(get(article, "comments", "") or "", spans if section == "comments" else [])),
        "comments_cited": section == "comments" and bool(spans)})


def stats_html(stats: dict) -> str:
    """The Archive tab's head: counts, the real date range, articles per month (a chart whose range filters the
    browse table) and per source."""
    months = timeline.month_counts(stats.get("by_month") or {})
    by_source = sorted((stats.get("by_source") or {}).items(), key=lambda kv: (-kv[1], kv[0]))
    top = max([n for _, n in by_source], default=1)
    return _render("stats.html", stats=stats, dated=sum(b.total for b in months),
                   chart=_geometry(months, {"undated": 0, "unit": "month", "boxes": "browse",
                                            "articles": stats.get("articles", 0)}, width=520) if months else None,
                   sources=[(name, n, round(100 * n / top, 1)) for name, n in by_source[:TOP_SOURCES]],
                   more_sources=max(0, len(by_source) - TOP_SOURCES))


def confirm_delete_html(article: Any) -> str:
    """The question asked before a delete, naming the article."""
    return _render("confirm.html", title=get(article, "title") or "untitled", source=get(article, "source"),
                   published=get(article, "published"))
