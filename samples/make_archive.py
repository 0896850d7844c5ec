"""Rebuild samples/archive/news.jsonl from the Wikinews data sets of the toscaData R package.

Source: https://github.com/Docma-TU/toscaData (commit 79923805871963be01827c4f70dc51c76272c106), files
data/economy.rda and data/politics.rda: English Wikinews articles exported with tosca's readWikinews()
(title, the {{date}} of publication, the text with most wiki markup already removed). Wikinews text is
CC BY 2.5; see samples/README.md for the attribution.

Not part of the app: run it by hand, with the two .rda files in a folder, after `pip install rdata`:

    python samples/make_archive.py PATH/TO/toscaData/data samples/archive/news.jsonl

What it does to the text: undoes HTML escapes, drops hidden comments, the '' / ''' emphasis marks, "w:" link
prefixes and the "Related news"/"Sources" tails, and turns the blank lines that the export flattened into
double spaces back into paragraph breaks. Articles with leftover markup (images, tables, templates) are
skipped, not repaired. The selection is deterministic: a few running stories followed over time, every year
from 2004 to 2018, 172 articles.
"""

from __future__ import annotations

import collections
import datetime
import html
import json
import math
import random
import re
import sys
import urllib.parse
import warnings
from pathlib import Path

LEFTOVER_MARKUP = ("{{", "}}", "[[", "]]", "|", "<", ">", "=", "Image:", "File:", "thumb", "http", "__", "*", "#")
LEFTOVER_MARKUP += ("nfobox",)
INFOBOX = re.compile(r"^\s*(?:infotitle=.*?InfoboxEnd|[^.\n]{0,60}?[Ii]nfobox(?:End)?)\s+")
# Sidebar and portal templates the export left as bare names in front of the first sentence.
TOPICS = re.compile(
    r"^\s*(?:Economy and business|Crime and law|Culture and entertainment|Science and technology|Politics and conflicts"
    r"|Disasters and accidents|Health|Sports|Weather|Environment|Obituaries|Internet|Aviation|publish|WikimediaMention"
    r"|Infobox|(?:Australian|Canadian|Welsh|Scottish|Irish|British|UK|US) news"
    r"|\d{4} US Presidential Election|\d{4}(?:-\d{2})? financial crisis"
    r"|[A-Z][\w ]{0,30} nuclear program)\s+",
    re.I,
)
OPENERS = "The|A|An|On|In|At|According|After|Last|During|Officials|Widespread|Three|Dozens|Protests|All"
PORTAL = re.compile(rf"^(?:(?!(?:{OPENERS})\b)[A-Z][\w.&'-]*\s+){{1,4}}?(?=(?:{OPENERS})\s)")
REPEATED = re.compile(r"^([A-Z][\w ]{1,30}?)\s+(?=\1\b)")
# a portal name still in front of a capitalised word (not "Apple Inc."): the article is skipped
LEFT_PORTAL = re.compile(
    r"^(?:United Kingdom|United States|New Zealand|El Salvador|United Arab Emirates|UK|USA|Cyprus|Ukraine|India"
    r"|Portugal|Greece|Iran|Sudan|Turkey|Swaziland|Japan|Apple|Google|Canada|Australia|France|Germany|China|Russia"
    r"|Kenya|Fiji|Somalia|Switzerland|Palestine|European Union) [A-Z][a-z]*\b(?!\.)"
)
# {{sic}} lost its brackets in the export and stuck to the word before it ("focussedsic")
WORDS_ENDING_IN_SIC = {"basic", "classic", "forensic", "jurassic", "intrinsic", "extrinsic", "music", "physic"}
TAIL = re.compile(r"\s*==+\s*(?:Related|Sources?|External|See also|Further|References|Notes)\b")
# (name, title pattern, how many): stories a demo can follow over months or years.
THREADS = [
    ("saddam", r"Saddam", 9),
    ("election2008", r"Obama|McCain", 11),
    ("northkorea", r"North Korea", 7),
    (
        "crisis",
        r"Lehman|bailout|recession|Kaupthing|Iceland nationalises|Icelandic Internet bank|Bernanke"
        r"|World stocks plunge|Asian stock markets slide|Dow falls 340",
        16,
    ),
    ("apple", r"Apple|iPhone|iPod", 9),
    ("autos", r"\bGM\b|General Motors|Chrysler|Ford Motor|Ford announces|Toyota", 13),
    ("greece", r"Greek debt|Greece over proposed budget|Greece goes on strike|austerity", 3),
    ("gaza", r"Gaza (Strip pullout|settlement)|Gaza synagog|Last Gaza|Gaza strip, West Bank", 5),
    ("tech", r"Microsoft|Yahoo|Google|Facebook", 10),
    ("aero", r"Boeing|Airbus|A380", 7),
    ("iran", r"Iran.*nuclear|nuclear.*Iran", 5),
    ("climate", r"Kyoto|climate", 5),
    ("oil", r"oil price|crude oil|Crude oil", 4),
    ("fed", r"Federal Reserve", 4),
]
# Milestones the demo questions ask about, taken whatever the spacing above would pick.
MILESTONES = (
    "Apple introduces iPhone and Apple TV",
    "North Korea claims it has conducted a nuclear test",
    "Market maker Bernard L. Madoff arrested in $50B 'giant Ponzi scheme'",
    "Toyota recalls up to 1.8 million automobiles",
    "Saddam Hussein executed by hanging",
    "U.S. Senator Obama announces presidential candidacy",
    "Work on Lehman Brothers\u2019 rescue to continue over weekend",
)
TOTAL = 172


def read_rda(path: Path, name: str) -> list[tuple[str, str, str, str]]:
    """(page id, date, title, raw text) for each article of one textmeta object."""
    import rdata

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rdata has no constructor for R's Date and tosca's textmeta classes
        obj = rdata.conversion.convert(rdata.parser.parse_file(path))[name]
    texts = {str(key): value for key, value in obj["text"].items()}
    rows = []
    for row in obj["meta"].itertuples():
        if math.isnan(row.date):
            continue
        published = (datetime.date(1970, 1, 1) + datetime.timedelta(days=int(row.date))).isoformat()
        title = html.unescape(re.sub(r"^<title>|</title>$", "", str(row.title))).strip()
        raw = "\n".join(str(part) for part in texts.get(str(row.id), []))
        raw = re.sub(r"^<text[^>]*>|</text>$", "", raw)
        rows.append((str(row.id), published, title, raw))
    return rows


def clean(raw: str) -> str:
    s = html.unescape(html.unescape(raw))
    for _ in range(3):
        s = REPEATED.sub("", PORTAL.sub("", TOPICS.sub("", INFOBOX.sub("", s.lstrip())).lstrip()).lstrip())
    s = re.sub(r"<!--.*?-->", " ", s, flags=re.S)
    s = re.sub(r"'''''|'''|''", "", s)
    s = re.sub(r"(?<![\w/])w:", "", s)
    s = re.sub(r"<ref[^>]*>.*?</ref>|<ref[^>]*/>", " ", s, flags=re.S)
    s = re.sub(r"</?(?:br|small|big|sup|sub|span|div|center|u|s|i|b|blockquote|poem)[^>]*>", " ", s)
    # a blank line became two or more spaces in the export: a sentence's end, blanks, then a new sentence
    s = re.sub(r"(?<=[.!?:\"\u201d)])\s{2,}(?=[\"\u201c(]?[A-Z0-9\u2018'])", "\n\n", s)
    s = TAIL.split(s)[0]
    s = re.sub(r"\s*==+\s*([^=\n]+?)\s*==+\s*", r"\n\n\1\n\n", s)
    paragraphs = []
    for paragraph in s.split("\n\n"):
        paragraph = re.sub(r"[ \t]+", " ", paragraph).strip()
        paragraph = re.sub(r" ([.,;:!?)%])", r"\1", paragraph)
        paragraph = re.sub(r"\( ", "(", paragraph)
        paragraph = re.sub(r"\$ (\d)", r"$\1", paragraph)
        # a link's closing brackets became a blank: "Iran ian", "Google 's", "US -based"
        paragraph = re.sub(r"\b([A-Z][a-z]+) (n|i|ns|ans|ian|ians|ese|ish)\b", r"\1\2", paragraph)
        paragraph = re.sub(r"(\w) ('s)\b", r"\1\2", paragraph)
        paragraph = re.sub(r"(\w) -(?=[a-z])", r"\1-", paragraph)
        paragraph = re.sub(r"\b([A-Za-z]{3,})sic\b", _sic, paragraph)
        paragraph = re.sub(r"\bsic\b", "[sic]", paragraph)
        if paragraph:
            paragraphs.append(paragraph)
    return "\n\n".join(paragraphs)


def _sic(match: re.Match[str]) -> str:
    word = match.group(0)
    return word if word.lower() in WORDS_ENDING_IN_SIC else f"{match.group(1)} [sic]"


def candidates(data: Path) -> list[tuple[str, str, str, str, str]]:
    """(date, data set, page id, title, text) of every clean article of several paragraphs, once per title."""
    seen: set[str] = set()
    found = []
    for name in ("economy", "politics"):
        for page_id, published, title, raw in read_rda(data / f"{name}.rda", name):
            text = clean(raw)
            if title in seen or any(mark in text for mark in LEFTOVER_MARKUP) or LEFT_PORTAL.match(text):
                continue
            if not 1200 <= len(text) <= 9000 or text.count("\n\n") < 2 or not text[0].isupper():
                continue
            seen.add(title)
            found.append((published, name, page_id, title, text))
    return sorted(found)


def select(found: list[tuple[str, str, str, str, str]]) -> list[tuple[str, str, str, str, str]]:
    chosen = {a[2]: a for a in found if a[3] in MILESTONES}
    for _name, pattern, count in THREADS:
        hits = [a for a in found if re.search(pattern, a[3]) and a[2] not in chosen]
        if len(hits) > count:  # evenly spaced over the story's time
            hits = [hits[int(k * len(hits) / count)] for k in range(count)]
        chosen.update((a[2], a) for a in hits)
    per_year: collections.Counter[str] = collections.Counter()
    for article in found:  # the archive's later years are thin: up to four a year from mid-2011 on
        if article[0] >= "2011-07" and article[2] not in chosen and per_year[article[0][:4]] < 4:
            per_year[article[0][:4]] += 1
            chosen[article[2]] = article
    rest = [a for a in found if a[2] not in chosen and a[0] < "2011-07" and 1500 <= len(a[4]) <= 6000]
    random.Random(16).shuffle(rest)
    by_year = collections.Counter(a[0][:4] for a in chosen.values())
    for article in rest:
        if len(chosen) >= TOTAL:
            break
        if by_year[article[0][:4]] < 22:
            by_year[article[0][:4]] += 1
            chosen[article[2]] = article
    return sorted(chosen.values())


def record(article: tuple[str, str, str, str, str]) -> dict[str, object]:
    published, name, page_id, title, text = article
    url = "https://en.wikinews.org/wiki/" + urllib.parse.quote(title.replace(" ", "_"), safe="()',!:_-.*;@$&")
    return {
        "title": title,
        "date": published,
        "source": "Wikinews",
        "url": url,
        "authors": [],
        "text": text,
        "license": "CC BY 2.5",
        "wikinews_page_id": int(page_id.removeprefix("ID")),
        "tosca_dataset": name,
    }


def main(data: Path, out: Path) -> None:
    articles = select(candidates(data))
    with out.open("w", encoding="utf-8") as stream:
        for article in articles:
            stream.write(json.dumps(record(article), ensure_ascii=False) + "\n")
    print(f"{out}: {len(articles)} articles, {articles[0][0]} to {articles[-1][0]}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
