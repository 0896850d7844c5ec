"""When the archive covered something: publication dates counted by week, month or year, every bucket between
the first and the last present (an empty stretch is part of the picture), each with the dates it spans."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from vectorstore.dates import day_of

MAX_WEEKS = 16  # up to four months of coverage reads best by week
MAX_MONTHS = 72  # beyond six years a month is a sliver: count years


@dataclass
class Bucket:
    """One bar: its label, the dates it spans (the filter it sets), how many articles, how many cited, and some of
    their titles (for its tooltip)."""

    label: str
    since: str
    until: str
    total: int = 0
    cited: int = 0
    titles: list[str] = field(default_factory=list)


def _month_start(d: date, months: int = 0) -> date:
    index = d.year * 12 + d.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _span(start: date, unit: str) -> tuple[date, date, str]:
    """The bucket holding `start`: its first day, the first day of the next one, its label."""
    if unit == "week":
        first = start - timedelta(days=start.weekday())
        return first, first + timedelta(days=7), first.isoformat()
    if unit == "month":
        first = _month_start(start)
        return first, _month_start(first, 1), first.strftime("%Y-%m")
    first = date(start.year, 1, 1)
    return first, date(start.year + 1, 1, 1), str(start.year)


def unit_for(first: date, last: date) -> str:
    """week, month or year: the finest that keeps the chart to a readable number of bars."""
    if (last - first).days < 7 * MAX_WEEKS:
        return "week"
    months = (last.year - first.year) * 12 + last.month - first.month
    return "month" if months < MAX_MONTHS else "year"


def buckets(dated: Iterable[tuple[str | None, bool]], unit: str | None = None) -> tuple[list[Bucket], int, str]:
    """(published, cited?) pairs into consecutive buckets; returns them, how many had no date, and the unit."""
    days, undated = [], 0
    for published, cited in dated:
        d = day_of(published)
        if d is None:
            undated += 1
        else:
            days.append((d, cited))
    if not days:
        return [], undated, unit or "month"
    unit = unit or unit_for(min(d for d, _ in days), max(d for d, _ in days))
    out: list[Bucket] = []
    at, stop = _span(min(d for d, _ in days), unit)[0], max(d for d, _ in days)
    while at <= stop:
        first, following, label = _span(at, unit)
        inside = [c for d, c in days if first <= d < following]
        out.append(Bucket(label, first.isoformat(), (following - timedelta(days=1)).isoformat(), len(inside),
                          sum(inside)))
        at = following
    return out, undated, unit


def month_counts(by_month: dict[str, int]) -> list[Bucket]:
    """Archive.stats()'s {YYYY-MM: n} as consecutive month buckets (empty months included)."""
    dated = [(f"{month}-01", False) for month, n in by_month.items() for _ in range(n)]
    return buckets(dated, "month")[0]
