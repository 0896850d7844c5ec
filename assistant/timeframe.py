"""Dates in the question itself ("this week", "in March 2015", "before August 2014") as a date range.

News questions are anchored in time: "this week" means the week before the question's as-of date. A year or
month after the as-of date ("plan to merge in 2024") names a plan or a forecast, not when it was reported, so it
filters nothing; a longer period that starts before the as-of date and runs past it ("between 2020 and 2030", "the
2020s") is cut at the as-of date. Relative phrases get a day's slack after the as-of date: news is often dated the
morning after.

Besides single years, months and days, the question may name a range ("between 2005 and 2007", "from March 2005
to May 2006", "2005-2007"), a decade ("the 1990s", "the '90s", "the early 1990s"), part of a year or a month
("early 2010", "mid-2010", "late March 2012"), a season ("the summer of 2010"), a half or a quarter ("H1 2012",
"the third quarter of 2019") or a stretch back from the as-of date ("over the past decade", "the last 5 years").
Where several readings overlap, the one covering most of the words wins: "between 2005 and 2007" is a range,
not "2005".

Semantics chosen:
- early / mid / late YEAR: January-April / May-August / September-December; of a month: days 1-10 / 11-20 / 21-end;
  of a decade: years 0-3 / 4-6 / 7-9.
- seasons are the northern meteorological ones: spring March-May, summer June-August, autumn (fall)
  September-November, winter YEAR December YEAR to February YEAR+1 ("winter 2009-10" reads the same as
  "winter 2009").
- "the '90s": the 1900s decade unless that decade of the 2000s has begun by the as-of date (by 2019 without one).
- "the past few years" is 3 years, "couple of" 2, "several" 5; a month back is 31 days, as "past month" always was;
  years and decades go back to the same day of the month. "in the last week" is the past 7 days, while "last week"
  alone keeps its older reading (the 14 days before the as-of date), and "last year" stays the calendar year.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import NamedTuple

Frame = tuple[date | None, date | None, str]

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name} | {"sept": 9}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_MONTH_YEAR = rf"(?:(\d{{1,2}})\s+)?({_MONTH})\.?(?:\s+(\d{{1,2}}),?)?\s+(\d{{4}})"
_EXPLICIT = re.compile(rf"\b(before|after|since|until|by|in|during|of)?\s*(?:{_DAY_MONTH_YEAR}|(\d{{4}}))\b", re.I)
_RELATIVE = {
    "today": (0, 0), "yesterday": (1, 1), "this week": (7, 0), "past week": (7, 0), "last week": (14, 0),
    "this month": (31, 0), "past month": (31, 0), "last month": (62, 0), "recently": (31, 0),
}
_SLACK = 1
_DIRECTION = re.compile(r"\b(before|after|since|until)\b", re.I)
_RELATIVE_RE = re.compile(r"\b(" + "|".join(_RELATIVE) + r"|this year|last year)\b(?!\s+of\b)", re.I)

# Pieces of the longer forms. _LEAD and _THE let the phrase keep the words the user wrote before the date.
_LEAD = r"(?:\b(?:in|during|throughout)\s+)?"
_THE = r"(?:\bthe\s+)?"
_POINT = rf"(?:(?:\d{{1,2}}\s+)?(?:{_MONTH})\.?(?:\s+\d{{1,2}},?)?\s+\d{{4}}|\d{{4}})"
_POINT_RE = re.compile(_DAY_MONTH_YEAR, re.I)
_RANGE_START = rf"(?:{_POINT}|(?:{_MONTH})\.?)"  # "from March to May 2005": March takes May's year
_TO = r"(?:\s*[-–—]\s*|\s+(?:to|until|till|through|thru)\s+)"
_RANGE_RE = re.compile(
    rf"{_LEAD}\b(?:between\s+(?P<a>{_RANGE_START})\s+and\s+(?P<b>{_POINT})"
    rf"|(?:from\s+)?(?P<c>{_RANGE_START}){_TO}(?P<d>{_POINT}))\b",
    re.I,
)
_DECADE_RE = re.compile(
    rf"{_LEAD}{_THE}(?:\b(?P<part>early|mid|late)[-\s]+)?"
    r"(?:\b(?P<century>1[89]|20)(?P<tens>\d)0|['’](?P<short>\d)0)['’]?s\b",
    re.I,
)
_PART_RE = re.compile(
    rf"{_LEAD}{_THE}\b(?P<part>early|mid|late)[-\s]+(?:(?P<month>{_MONTH})\.?\s+)?(?P<year>\d{{4}})\b", re.I
)
_SEASON_RE = re.compile(
    rf"{_LEAD}{_THE}\b(?P<season>spring|summer|autumn|fall|winter)\s+(?:of\s+)?(?P<year>\d{{4}})"
    r"(?:\s*[-–/]\s*(?P<next>\d{4}|\d{2}))?\b",
    re.I,
)
_NTH_RE = re.compile(
    rf"{_LEAD}{_THE}\b(?P<nth>first|second|third|fourth|last|1st|2nd|3rd|4th)\s+(?P<unit>half|quarter)"
    r"\s+of\s+(?P<year>\d{4})\b",
    re.I,
)
_CODE_RE = re.compile(rf"{_LEAD}\b(?P<unit>[HQ])(?P<n>[1-4])(?:\s*-\s*|\s+of\s+|\s+)(?P<year>\d{{4}})\b", re.I)
_COUNTS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "few": 3, "several": 5, "couple of": 2,
}
_LOOKBACK_RE = re.compile(
    r"(?:\b(?:over|in|during|within|for)\s+)?\bthe\s+(?:past|last|previous|preceding)\s+"
    r"(?:(?P<n>\d{1,2}|" + "|".join(_COUNTS).replace(" ", r"\s+") + r")\s+)?"
    r"(?P<unit>day|week|month|year|decade)s?\b(?!\s+of\b)",  # "the last week of March 2015" is not relative
    re.I,
)
_YEAR_PARTS = {"early": (1, 4), "mid": (5, 8), "late": (9, 12)}  # months
_MONTH_PARTS = {"early": (1, 10), "mid": (11, 20), "late": (21, 31)}  # days; "late" runs to the month's end
_DECADE_PARTS = {"early": (0, 3), "mid": (4, 6), "late": (7, 9)}
_SEASONS = {"spring": (3, 5), "summer": (6, 8), "autumn": (9, 11), "fall": (9, 11), "winter": (12, 14)}
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
_SHORT_DECADE_PIVOT = 2019  # without an as-of date, "the '10s" is the 2010s and "the '20s" the 1920s


class _Span(NamedTuple):
    """One reading of a stretch of the question: where it stands, the days it covers, what kind of form it is."""

    start: int
    end: int
    first: date
    last: date
    kind: str  # "date" (a year, month or day: the original forms), "range", or "period" (the other new forms)
    word: str | None = None  # the word a "date" came with: "in", "before", ...


def _year_ok(year: int) -> bool:
    return 1800 <= year <= 2100


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _span(day: str | None, month: str | None, year: int) -> tuple[date, date]:
    if not month:
        return date(year, 1, 1), date(year, 12, 31)
    m = _MONTHS[month.lower()]
    if day:
        d = date(year, m, max(1, min(int(day), calendar.monthrange(year, m)[1])))
        return d, d
    return date(year, m, 1), _month_end(year, m)


def _months(year: int, first_month: int, last_month: int) -> tuple[date, date]:
    """First day of first_month to last day of last_month; months past 12 run on into the next year."""
    end_year, end_month = year + (last_month - 1) // 12, (last_month - 1) % 12 + 1
    return date(year, first_month, 1), _month_end(end_year, end_month)


def _months_before(day: date, months: int) -> date:
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _point(text: str, year: int | None = None) -> tuple[date, date] | None:
    """The days one end of a range names: "2005", "March 2005", "5 March 2005", or a bare month in `year`."""
    if text.isdigit():
        return _span(None, None, int(text)) if _year_ok(int(text)) else None
    m = _POINT_RE.fullmatch(text)
    if m:
        return _span(m.group(1) or m.group(3), m.group(2), int(m.group(4))) if _year_ok(int(m.group(4))) else None
    return _span(None, text.rstrip("."), year) if year else None


def _dates(question: str, as_of: date | None) -> Iterator[_Span]:
    """The original forms: a year with a word before it ("in 2006"), a month ("March 2015"), a day."""
    for m in _EXPLICIT.finditer(question):
        word, day_a, month, day_b, year = m.group(1), m.group(2), m.group(3), m.group(4), m.group(5) or m.group(6)
        year_n = int(year)
        if not _year_ok(year_n) or (not month and not word):
            continue  # a bare number such as "2000 people" is not a date
        first, last = _span(day_a or day_b, month, year_n)
        yield _Span(m.start(), m.end(), first, last, "date", word)


def _ranges(question: str, as_of: date | None) -> Iterator[_Span]:
    """"between 2005 and 2007", "from March 2005 to May 2006", "2005-2007": start of one to end of the other."""
    for m in _RANGE_RE.finditer(question):
        a, b = (m["a"], m["b"]) if m["a"] else (m["c"], m["d"])
        end = _point(b)
        bare_month = a.rstrip(".").lower() in _MONTHS
        if not end or (bare_month and b.isdigit()):
            continue  # "Mar-2005" is a month, not March to the end of 2005
        start = _point(a, end[0].year)
        if start and bare_month and start[0] > end[1]:  # "December to February 2006"
            start = _point(a, end[0].year - 1)
        if start and start[0] <= end[1]:
            yield _Span(m.start(), m.end(), start[0], end[1], "range")


def _decade_start(m: re.Match[str], as_of: date | None) -> int:
    if m["century"]:
        return int(m["century"]) * 100 + int(m["tens"]) * 10
    recent = 2000 + int(m["short"]) * 10
    return recent if recent <= (as_of.year if as_of else _SHORT_DECADE_PIVOT) else recent - 100


def _decades(question: str, as_of: date | None) -> Iterator[_Span]:
    """"the 1990s", "the '90s", "the early 1990s"."""
    for m in _DECADE_RE.finditer(question):
        decade = _decade_start(m, as_of)
        low, high = _DECADE_PARTS[m["part"].lower()] if m["part"] else (0, 9)
        if _year_ok(decade):
            yield _Span(m.start(), m.end(), date(decade + low, 1, 1), date(decade + high, 12, 31), "period")


def _parts(question: str, as_of: date | None) -> Iterator[_Span]:
    """"early 2010" (January-April), "mid-2010", "late March 2012" (days 21 to the end)."""
    for m in _PART_RE.finditer(question):
        year = int(m["year"])
        if not _year_ok(year):
            continue
        part = m["part"].lower()
        if m["month"]:
            month = _MONTHS[m["month"].lower()]
            low, high = _MONTH_PARTS[part]
            first, last = date(year, month, low), _month_end(year, month) if part == "late" else date(year, month, high)
        else:
            first, last = _months(year, *_YEAR_PARTS[part])
        yield _Span(m.start(), m.end(), first, last, "period")


def _seasons(question: str, as_of: date | None) -> Iterator[_Span]:
    """"the summer of 2010", "winter 2009" (December 2009 to February 2010), "winter 2009-10"."""
    for m in _SEASON_RE.finditer(question):
        season, year = m["season"].lower(), int(m["year"])
        if not _year_ok(year) or (m["next"] and (season != "winter" or not str(year + 1).endswith(m["next"]))):
            continue  # "winter 2009-10" is one winter; "summer 2009-2011" is left to the range reader
        yield _Span(m.start(), m.end(), *_months(year, *_SEASONS[season]), "period")


def _halves_and_quarters(question: str, as_of: date | None) -> Iterator[_Span]:
    """"the first half of 2012", "H2 2012", "Q3 2019", "the fourth quarter of 2019"."""
    found = [(m, m["nth"].lower(), m["unit"].lower()) for m in _NTH_RE.finditer(question)]
    found += [(m, m["n"], "half" if m["unit"].lower() == "h" else "quarter") for m in _CODE_RE.finditer(question)]
    for m, nth, unit in found:
        size = 6 if unit == "half" else 3
        n = 12 // size if nth == "last" else _ORDINALS.get(nth) or int(nth)
        year = int(m["year"])
        if n * size <= 12 and _year_ok(year):
            yield _Span(m.start(), m.end(), *_months(year, (n - 1) * size + 1, n * size), "period")


_READERS: tuple[Callable[[str, date | None], Iterator[_Span]], ...] = (
    _dates, _ranges, _decades, _parts, _seasons, _halves_and_quarters,
)


def _readings(question: str, as_of: date | None) -> Iterator[_Span]:
    """Every reader's spans in the order of the question; of overlapping ones, only the longest (most specific)."""
    spans = sorted((s for read in _READERS for s in read(question, as_of)), key=lambda s: (s.start, s.start - s.end))
    best: _Span | None = None
    for span in spans:
        if best and span.start < best.end:
            best = span if span.end - span.start > best.end - best.start else best
            continue
        if best:
            yield best
        best = span
    if best:
        yield best


def _frame(span: _Span, question: str, as_of: date | None) -> Frame | None:
    """The filter one reading gives, after the word that may stand before it ("before", "since"), or None."""
    if as_of and span.first > as_of:
        return None  # a plan, not a report date
    clipped = min(span.last, as_of) if as_of and span.kind != "date" else span.last
    if span.kind == "range":
        return span.first, clipped, question[span.start : span.end].strip()
    # "before the ceasefire of August 2014": the direction word may stand a few words earlier.
    lead = list(_DIRECTION.finditer(question, max(0, span.start - 40), span.start))
    word = (lead[-1].group(1) if lead else span.word or "in").lower()
    phrase = question[lead[-1].start() if lead else span.start : span.end].strip()
    if word in ("before", "until", "by"):
        return None, span.first - timedelta(days=1), phrase
    if word in ("after", "since"):
        return span.last + timedelta(days=1), None, phrase
    return span.first, clipped, phrase


def _lookback(m: re.Match[str], as_of: date) -> Frame:
    """"over the past decade", "in the last 5 years": that long back from the as-of date, to a day after it."""
    count = m["n"] or "1"
    n = int(count) if count.isdigit() else _COUNTS[" ".join(count.lower().split())]
    unit = m["unit"].lower()
    if unit in ("day", "week", "month"):
        since = as_of - timedelta(days=n * {"day": 1, "week": 7, "month": 31}[unit])
    else:
        since = _months_before(as_of, n * {"year": 12, "decade": 120}[unit])
    return since, as_of + timedelta(days=_SLACK), m.group(0).strip()


def _relative(question: str, as_of: date) -> Frame | None:
    """The first phrase that counts back from the as-of date ("this week", "over the past decade"), or None."""
    found = [m for m in (_LOOKBACK_RE.search(question), _RELATIVE_RE.search(question)) if m]
    if not found:
        return None
    m = min(found, key=lambda m: (m.start(), m.start() - m.end()))
    if m.re is _LOOKBACK_RE:
        return _lookback(m, as_of)
    phrase = m.group(1).lower()
    if phrase == "this year":
        return date(as_of.year, 1, 1), as_of, phrase
    if phrase == "last year":
        return date(as_of.year - 1, 1, 1), date(as_of.year - 1, 12, 31), phrase
    back, fwd = _RELATIVE[phrase]
    return as_of - timedelta(days=back), as_of - timedelta(days=fwd - _SLACK), phrase


def timeframe(question: str, as_of: date | None) -> Frame | None:
    """(since, until, the phrase it came from) for the first time expression in the question, or None."""
    relative = _relative(question, as_of) if as_of else None
    if relative:
        return relative
    for span in _readings(question, as_of):
        frame = _frame(span, question, as_of)
        if frame:
            return frame
    return None
