"""Dates in the question itself ("this week", "in March 2015", "before August 2014") as a date range.

News questions are anchored in time: "this week" means the week before the question's as-of date. A year or
month after the as-of date ("plan to merge in 2024") names a plan or a forecast, not when it was reported, so it
filters nothing. Relative phrases get a day's slack after the as-of date: news is often dated the morning after.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS |= {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DAY_MONTH_YEAR = rf"(?:(\d{{1,2}})\s+)?({_MONTH})\.?(?:\s+(\d{{1,2}}),?)?\s+(\d{{4}})"
_EXPLICIT = re.compile(rf"\b(before|after|since|until|by|in|during|of)?\s*(?:{_DAY_MONTH_YEAR}|(\d{{4}}))\b", re.I)
_RELATIVE = {
    "today": (0, 0), "yesterday": (1, 1), "this week": (7, 0), "past week": (7, 0), "last week": (14, 0),
    "this month": (31, 0), "past month": (31, 0), "last month": (62, 0), "recently": (31, 0),
}
_SLACK = 1
_DIRECTION = re.compile(r"\b(before|after|since|until)\b", re.I)
_RELATIVE_RE = re.compile(r"\b(" + "|".join(_RELATIVE) + r"|this year|last year)\b", re.I)


def _span(day: str | None, month: str | None, year: int) -> tuple[date, date]:
    if not month:
        return date(year, 1, 1), date(year, 12, 31)
    m = _MONTHS[month.lower()]
    if day:
        d = date(year, m, min(int(day), calendar.monthrange(year, m)[1]))
        return d, d
    return date(year, m, 1), date(year, m, calendar.monthrange(year, m)[1])


def timeframe(question: str, as_of: date | None) -> tuple[date | None, date | None, str] | None:
    """(since, until, the phrase it came from) for the first time expression in the question, or None."""
    rel = _RELATIVE_RE.search(question)
    if rel and as_of:
        phrase = rel.group(1).lower()
        if phrase == "this year":
            return date(as_of.year, 1, 1), as_of, phrase
        if phrase == "last year":
            return date(as_of.year - 1, 1, 1), date(as_of.year - 1, 12, 31), phrase
        back, fwd = _RELATIVE[phrase]
        return as_of - timedelta(days=back), as_of - timedelta(days=fwd - _SLACK), phrase
    for m in _EXPLICIT.finditer(question):
        word, day_a, month, day_b, year = m.group(1), m.group(2), m.group(3), m.group(4), m.group(5) or m.group(6)
        year_n = int(year)
        if not 1800 <= year_n <= 2100 or (not month and not word):
            continue  # a bare number such as "2000 people" is not a date
        start, end = _span(day_a or day_b, month, year_n)
        if as_of and start > as_of:
            continue
        # "before the ceasefire of August 2014": the direction word may stand a few words earlier.
        window = max(0, m.start() - 40)
        lead = list(_DIRECTION.finditer(question, window, m.start()))
        word = (lead[-1].group(1) if lead else word or "in").lower()
        phrase = question[lead[-1].start() if lead else m.start() : m.end()].strip()
        if word in ("before", "until", "by"):
            return None, start - timedelta(days=1), phrase
        if word in ("after", "since"):
            return end + timedelta(days=1), None, phrase
        return start, end, phrase
    return None
