"""Stored articles as references a reference manager imports (Zotero, JabRef, EndNote, Mendeley): BibTeX, RIS and
CSL-JSON, so that a researcher can cite what the archive let them read.

The three formats say the same things: the title, the outlet the article ran in, its authors (people split into
family and given names, organisations kept whole), the date it was published, its URL, and the date the archive
took its copy (`ingested_at`), which is when the cited text was read, as a reference's "accessed" date says.
BibTeX goes through bibtexparser (with pylatexenc escaping the text for LaTeX), RIS through rispy; CSL-JSON *is*
JSON in the CSL schema, so it is built as dicts and dumped.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import date, datetime, timezone

import bibtexparser
import rispy
from bibtexparser.library import Library
from bibtexparser.middlewares import MonthAbbreviationMiddleware
from bibtexparser.middlewares.names import InvalidNameError, parse_single_name_into_parts
from bibtexparser.model import Entry, Field
from pylatexenc.latexencode import unicode_to_latex

from vectorstore.article import StoredArticle
from vectorstore.dates import day_of

FORMATS = {"bibtex": ".bib", "ris": ".ris", "csl-json": ".json"}  # format → the file extension importers expect
ARCHIVE = "archive-chat"  # named as the archive the copy was read in (RIS DB, CSL archive)

_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv"}
_ORGANISATION_WORDS = {
    "agency", "associated", "association", "bbc", "board", "bureau", "cnn", "co", "co.", "committee", "company",
    "corp", "corp.", "correspondent", "correspondents", "council", "department", "desk", "editorial", "editors",
    "group", "herald", "inc", "inc.", "institute", "journal", "llc", "ltd", "ltd.", "media", "ministry", "network",
    "news", "newsroom", "office", "post", "press", "reporters", "reuters", "service", "services", "staff", "team",
    "times", "tribune", "university", "wire", "writer", "writers",
}
_STOPWORDS = {"a", "an", "the", "of", "in", "on", "at", "to", "and", "for", "is", "are", "as", "by", "with"}


def is_organisation(name: str, source: str = "") -> bool:
    """Whether a byline names an organisation ("Reuters", "BBC News", "Staff writers") rather than a person: those
    are kept whole, since a reference manager splitting "Associated Press" would file it under "Press, Associated".
    A one-word byline is kept whole too (a wire service, or a mononym, which is cited whole as well)."""
    words = name.split()
    lowered = {w.lower().strip(",") for w in words}
    return (len(words) < 2 or bool(lowered & _ORGANISATION_WORDS) or any(c.isdigit() or c in "&@/" for c in name)
            or name.strip().lower() == source.strip().lower() or (name.isupper() and len(words) > 1))


def split_name(name: str, source: str = "") -> dict[str, str]:
    """A byline as CSL name parts: {"literal"} for an organisation, else {"family", "given"[, "suffix"]}.

    People go through BibTeX's own name rules (bibtexparser's parser: "First von Last", "Last, First", "Last, Jr,
    First"), the particle ("van", "de la") kept with the family name, which is how Zotero files it. A trailing "Jr."
    is moved behind a comma first, where BibTeX's rules look for it."""
    name = " ".join(name.split())
    if is_organisation(name, source):
        return {"literal": name}
    words = name.split()
    if "," not in name and len(words) > 2 and words[-1].lower() in _SUFFIXES:
        name = f"{words[-2]}, {words[-1]}, {' '.join(words[:-2])}"
    try:
        parts = parse_single_name_into_parts(name, strict=False)
    except InvalidNameError:
        return {"literal": name}
    family = " ".join(parts.von + parts.last)
    out = {"family": family, "given": " ".join(parts.first)} if family else {"literal": name}
    if parts.jr and family:
        out["suffix"] = " ".join(parts.jr)
    return {k: v for k, v in out.items() if v}


def published(article: StoredArticle) -> date | None:
    """The article's dateline as a date; None when undated (or not a date: the store keeps YYYY-MM-DD)."""
    return day_of(article.published)


def archived(article: StoredArticle) -> date | None:
    """The day the archive took its copy (UTC): the text a researcher read is the one as of that day."""
    if not article.ingested_at:
        return None
    return datetime.fromtimestamp(article.ingested_at, tz=timezone.utc).date()


def _slug(text: str) -> str:
    """ASCII letters and digits only: what every BibTeX tool accepts in a key, and readable ("garcia", not "garc")."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", ascii_text.lower())


def citation_key(article: StoredArticle) -> str:
    """A readable key that stays the same across exports: first author's family name (or the organisation, or the
    outlet), the year, the first word of the title that says something: "doe2024budget", "reuters2023floods"."""
    names = [split_name(a, article.source) for a in article.authors]
    who = _slug(names[0].get("family") or names[0].get("literal", "")) if names else ""
    who = who or _slug(article.source.split(".")[0] if "." in article.source and " " not in article.source
                       else article.source)
    day = published(article)
    words = [w for w in (_slug(w) for w in article.title.split()) if w and w not in _STOPWORDS]
    return f"{(who or 'anon')[:24]}{day.year if day else 'nd'}{words[0][:20] if words else ''}"


def citation_keys(articles: Iterable[StoredArticle]) -> list[str]:
    """`citation_key` of each article, made unique within one file the way BibTeX users expect: the second
    "doe2024budget" becomes "doe2024budgeta", the third "doe2024budgetb"."""
    keys: list[str] = []
    for article in articles:
        base = key = citation_key(article)
        n = 0
        while key in keys:
            key = f"{base}{_suffix(n)}"
            n += 1
        keys.append(key)
    return keys


def _suffix(n: int) -> str:
    """a … z, then aa, ab, …: enough for any number of same-key articles."""
    return chr(ord("a") + n) if n < 26 else _suffix(n // 26 - 1) + chr(ord("a") + n % 26)


def _note(article: StoredArticle) -> str:
    """Where the copy lives and which other outlets carried the same story: worth keeping beside a reference, not
    printing in a bibliography (each format puts it in a field styles leave out)."""
    also = [s for s in article.sources if s != article.source]
    return f"{ARCHIVE} article {article.id}" + (f"; also published by {', '.join(also)}" if also else "")


def csl_item(article: StoredArticle, key: str) -> dict:
    """One article as a CSL-JSON item ("article-newspaper"), the schema Zotero, Mendeley and pandoc read."""
    item: dict = {"id": key, "type": "article-newspaper", "title": article.title or article.url}
    if article.source:
        item["container-title"] = article.source
    if article.authors:
        item["author"] = [split_name(a, article.source) for a in article.authors]
    if day := published(article):
        item["issued"] = {"date-parts": [[day.year, day.month, day.day]]}
    if article.url:
        item["URL"] = article.url
    if day := archived(article):
        item["accessed"] = {"date-parts": [[day.year, day.month, day.day]]}
    return {**item, "archive": ARCHIVE, "archive_location": article.id, "note": _note(article)}


def _ris_name(name: dict[str, str]) -> str:
    """RIS "Family, Given[, Suffix]"; an organisation without a comma, which Zotero reads as one whole name."""
    if "literal" in name:
        return name["literal"].replace(",", "")
    return ", ".join(filter(None, [name.get("family"), name.get("given"), name.get("suffix")]))


def ris_record(article: StoredArticle, key: str) -> dict:
    """One article as a rispy record: TY NEWS, with the outlet in T2 (what Zotero and EndNote read as a newspaper
    article's publication; JO would land in Zotero's journal abbreviation), dates as RIS's YYYY/MM/DD."""
    record: dict = {"type_of_reference": "NEWS", "id": key, "title": article.title or article.url}
    if article.authors:
        record["authors"] = [_ris_name(split_name(a, article.source)) for a in article.authors]
    if article.source:
        record["secondary_title"] = article.source
    if day := published(article):
        record.update(date=day.strftime("%Y/%m/%d"), year=str(day.year))
    if article.url:
        record["urls"] = [article.url]
    if day := archived(article):
        record["access_date"] = day.strftime("%Y/%m/%d")
    return {**record, "name_of_database": ARCHIVE, "accession_number": article.id, "notes": [_note(article)]}


class _RisWriter(rispy.RisWriter):
    """rispy's writer without its "1." line before each record: some importers take any line for a record's."""

    def set_header(self, count: int) -> str:
        return ""


def _latex(text: str) -> str:
    """Text as BibTeX/LaTeX reads it: & % $ # _ { } escaped and accents as commands, so a title never breaks the
    .bib file or the document, whatever the archive holds (Zotero and JabRef decode it back on import)."""
    return unicode_to_latex(" ".join(text.split()), non_ascii_only=False)


def _bibtex_name(name: dict[str, str]) -> str:
    """BibTeX "Family, Given" or "Family, Suffix, Given"; an organisation in braces, read as one family name."""
    if "literal" in name:
        return "{" + _latex(name["literal"]) + "}"
    parts = [name.get("family", ""), name.get("suffix", ""), name.get("given", "")]
    return ", ".join(_latex(p) for p in parts if p)


def bibtex_entry(article: StoredArticle, key: str) -> Entry:
    """One article as a biblatex/BibTeX @article with entrysubtype newspaper (biblatex's newspaper article): the
    outlet as journal, year and month for BibTeX, date and urldate for biblatex and Zotero, the note in annote."""
    fields: dict[str, str | int] = {"title": _latex(article.title or article.url)}
    if article.authors:
        fields["author"] = " and ".join(_bibtex_name(split_name(a, article.source)) for a in article.authors)
    if article.source:
        fields["journal"] = _latex(article.source)
    fields["entrysubtype"] = "newspaper"
    if day := published(article):
        fields.update(date=day.isoformat(), year=str(day.year), month=day.month)
    if article.url:
        fields["url"] = article.url
    if day := archived(article):
        fields["urldate"] = day.isoformat()
    fields["annote"] = _latex(_note(article))
    return Entry("article", key, [Field(name, value) for name, value in fields.items()])


def _bibtex(articles: list[StoredArticle], keys: list[str]) -> str:
    """A .bib file; months as BibTeX's own macros (jan, feb), which every style prints in its language."""
    library = Library([bibtex_entry(a, k) for a, k in zip(articles, keys, strict=True)])
    return bibtexparser.write_string(library, prepend_middleware=[MonthAbbreviationMiddleware()])  # month = mar


def _ris(articles: list[StoredArticle], keys: list[str]) -> str:
    """A .ris file, one TY … ER record per article."""
    records = [ris_record(a, k) for a, k in zip(articles, keys, strict=True)]
    return rispy.dumps(records, implementation=_RisWriter)


def _csl(articles: list[StoredArticle], keys: list[str]) -> str:
    """A CSL-JSON array, UTF-8 as written (the schema is JSON; no escaping to do)."""
    items = [csl_item(a, k) for a, k in zip(articles, keys, strict=True)]
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


_WRITERS: dict[str, Callable[[list[StoredArticle], list[str]], str]] = {"bibtex": _bibtex, "ris": _ris,
                                                                        "csl-json": _csl}


def references(articles: list[StoredArticle], fmt: str) -> str:
    """The articles as one file's text in `fmt` (a key of FORMATS), keys unique within it, in the given order."""
    if fmt not in _WRITERS:
        raise ValueError(f"unknown reference format {fmt!r}: use one of {', '.join(FORMATS)}")
    return _WRITERS[fmt](articles, citation_keys(articles))
