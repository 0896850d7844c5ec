"""Dates as people write them, normalised to one form ("YYYY-MM-DD") so they sort and filter alike."""

from __future__ import annotations

from datetime import date, datetime

from dateutil import parser

# A default with year 1 makes a string without a year ("Tuesday", "5") fall outside the accepted range.
_NO_YEAR = datetime(1, 1, 1)
_EARLIEST, _LATEST = 1800, 2100
# The longest way people write a date ("Wednesday, 30 September 2015 10:00:00 GMT+0100") is well under this;
# a longer field is not a date, and parsing it would only cost time.
MAX_CHARS = 100


def to_iso(value: str | date | None) -> str | None:
    """A date as written ("2018/05/28", "March 3, 2015", ...) → "YYYY-MM-DD"; None when not a plausible one.

    The date is kept as written (no time-zone shift), since an article's dateline is what readers cite.
    """
    if isinstance(value, date):
        day = value
    elif isinstance(value, str) and value.strip() and len(value) <= MAX_CHARS:
        try:
            day = parser.parse(value.strip(), default=_NO_YEAR, ignoretz=True)
        except (ValueError, OverflowError):
            return None
    else:
        return None
    return day.strftime("%Y-%m-%d") if _EARLIEST <= day.year <= _LATEST else None


def day_of(value: str | None) -> date | None:
    """The date of an ISO date or timestamp as the store keeps them ("2022-10-21", "2022-10-21T08:00:00Z");
    None when there is none."""
    try:
        return date.fromisoformat((value or "")[:10])
    except ValueError:
        return None


def day_number(iso: str | None) -> int:
    """YYYY-MM-DD as the integer YYYYMMDD (0 when unknown): Chroma range filters need numbers."""
    return int(iso[:10].replace("-", "")) if iso else 0
