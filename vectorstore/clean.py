"""Keep only what a reader would call the article: drop site chrome, set reader comments apart.

Trafilatura already does this for HTML; archived *text* (scraped pages saved as .txt or JSONL records) still
carries newsletter banners, share prompts, comment forms and the comments themselves, and every such line
would otherwise be embedded, retrieved and cited as evidence.
"""

from __future__ import annotations

import re
from dataclasses import replace

from vectorstore.article import Article

_CHROME = re.compile(
    r"""(
      \b(sign[ -]?up|subscribe|subscriber|newsletter|in\ your\ inbox|unsubscribe)\b
    | ^follow\b.*\b(on\ (twitter|facebook|instagram)|for\ breaking\ news|every\ game|@\w+)
    | ^(please\ )?(enter|leave)\ (your|a)\ (comment|name|email|reply)
    | ^(advertisement|sponsored|skip\ to\ (main\ )?content|share\ (this|on)\b|click\ here|read\ more\b|related:)
    | ^(contributing|reporting\ by|editing\ by):
    | \ball\ rights\ reserved\b|^copyright\b|^©
    | ^this\ story\ has\ been\ updated\b
    | \bhow\ relevant\ is\ this\ ad\b|^video\ player\ was\ slow\b|\bad\ froze\b
    | ^prices\ were\ accurate\ at\ the\ time\b|\bpurchases\ you\ make\ through\ our\ links\b
    | \bfact[- ]check\ work\ is\ supported\b|\bcheck\ your\ local\ forecast\b
    | ^we\ will\ use\ the\ (details|information)\ you\ have\ shared\b|^if\ you\ wish\ to\ object\b
    | ^'we'\ includes\b|^would\ you\ like\ to\ receive\b|\bcookies?\ (policy|settings)\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_COMMENTS_HEADER = re.compile(
    r"^(\d+\s+)?(reader\s+)?(comments?|responses?|replies)(\s*\(\d+\))?:?$"
    r"|^(leave a (reply|comment)|join the (conversation|discussion)|what do you think\??)$",
    re.IGNORECASE,
)
_NUMBERED = re.compile(r"^(\d{1,3})\.\s+\S")
_FOLLOW_SITE = re.compile(r"^follow\s+(\w[\w.\- ]{1,40}?)\s+for\s+breaking\s+news", re.IGNORECASE)
_MAX_CHROME_CHARS = 400
# Control characters (NUL, escape sequences, C1) are never prose; tabs and line breaks are whitespace.
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def is_chrome(line: str) -> bool:
    """A line of site furniture rather than article prose (short, and matching a known pattern)."""
    return len(line) <= _MAX_CHROME_CHARS and bool(_CHROME.search(line))


def _blocks(text: str) -> list[list[str]]:
    """Paragraph blocks (split on blank lines), each a list of stripped non-empty lines."""
    blocks = []
    text = _CONTROL.sub(" ", text)
    for raw in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n")):
        lines = [" ".join(line.split()) for line in raw.split("\n")]
        lines = [line for line in lines if line]
        if lines:
            blocks.append(lines)
    return blocks


def _comment_start(blocks: list[list[str]]) -> int | None:
    """Index of the first comment block, or None.

    Comments start after an explicit header ("3 Comments", "Leave a Reply"), or are a trailing run of numbered
    blocks 1., 2., ... that directly follows a line of site chrome — an article's own numbered list does not.
    """
    for i, block in enumerate(blocks):
        if len(block) == 1 and _COMMENTS_HEADER.match(block[0]):
            return i
    expected, start = 1, None
    for i, block in enumerate(blocks):
        number = _NUMBERED.match(block[0])
        if number and int(number.group(1)) == expected and (expected > 1 or (i and is_chrome(blocks[i - 1][-1]))):
            start = i if expected == 1 else start
            expected += 1
        elif start is not None and not all(is_chrome(line) for line in block):
            expected, start = 1, None
    return start


def _join(blocks: list[list[str]]) -> str:
    kept = [[line for line in block if not is_chrome(line)] for block in blocks]
    return "\n\n".join("\n".join(block) for block in kept if block)


def _words(text: str) -> str:
    """The text if it has a letter or digit anywhere; else "": a run of symbols or emoji is not an article."""
    return text if any(ch.isalnum() for ch in text) else ""


def clean(article: Article) -> Article:
    """The article with chrome lines removed and reader comments moved to `comments`."""
    blocks = _blocks(article.text)
    source = article.source
    if not source:
        follow = next((m for b in blocks for line in b if (m := _FOLLOW_SITE.match(line))), None)
        source = follow.group(1) if follow else ""
    start = _comment_start(blocks)
    body, comments = (blocks, []) if start is None else (blocks[:start], blocks[start:])
    if comments and _COMMENTS_HEADER.match(comments[0][0]):
        comments = comments[1:]
    extra = _join(comments)
    return replace(
        article,
        text=_words(_join(body)),
        comments=_words("\n\n".join(c for c in (_join(_blocks(article.comments)), extra) if c)),
        title=" ".join(_CONTROL.sub(" ", article.title).split()),
        source=source,
    )
