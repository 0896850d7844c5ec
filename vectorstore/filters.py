"""What a question may draw on: dates, sources, chosen articles, comments in or out."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from vectorstore.dates import day_number, day_of


def _day(value: Any) -> date | None:
    """A day from an ISO date or datetime, or YYYY/MM/DD; empty is no day."""
    if not value:
        return None
    day = day_of(str(value).replace("/", "-"))
    if day is None:
        raise ValueError(f"{value!r} is not a date (use YYYY-MM-DD)")
    return day


def _names(value: Any) -> Any:
    """One name is a list of one; empty is none."""
    value = value or ()
    return (value,) if isinstance(value, str) else value


Day = Annotated[date | None, BeforeValidator(_day)]
Names = Annotated[tuple[str, ...], BeforeValidator(_names)]


class FilterJson(BaseModel):
    """The filter keys the CLI, /ask and eval files send (`date` is `as_of` by its other name); other keys are
    ignored, as they always were."""

    model_config = ConfigDict(extra="ignore")
    since: Day = None
    until: Day = None
    as_of: Day = None
    day: Day = Field(None, alias="date")
    source: Names = ()
    sources: Names = ()
    article_ids: Names = ()
    include_comments: Annotated[bool, BeforeValidator(lambda value: value or False)] = False  # null: left out


@dataclass(frozen=True)
class FilterColumns:
    """Each chunk's filter fields as arrays, one row per chunk (what the BM25 index keeps beside its rows), so a
    filter over a million chunks is a few vector operations, not a Python loop."""

    days: np.ndarray  # YYYYMMDD as an integer, 0 when unknown
    body: np.ndarray  # body text (True) or reader comments
    sources: np.ndarray
    article_ids: np.ndarray


@dataclass(frozen=True)
class Filters:
    since: date | None = None
    until: date | None = None
    sources: tuple[str, ...] = ()
    article_ids: tuple[str, ...] = ()
    include_comments: bool = False
    as_of: date | None = None
    applied: tuple[str, ...] = field(default=(), compare=False)

    @classmethod
    def parse(cls, data: dict | None) -> Filters:
        """From JSON-ish input (CLI, API, eval files): ISO date strings, a source name or a list of them. A mistake
        is one ValueError line naming the key, as `since: 'last week' is not a date (use YYYY-MM-DD)`."""
        try:
            got = FilterJson.model_validate(data or {})
        except ValidationError as exc:
            error = exc.errors()[0]
            msg = str(error["ctx"]["error"]) if error["type"] == "value_error" else error["msg"]  # ours, unprefixed
            raise ValueError(f"{'.'.join(map(str, error['loc'])) or 'filters'}: {msg}") from exc
        return cls(since=got.since, until=got.until, as_of=got.as_of or got.day, sources=got.source + got.sources,
                   article_ids=got.article_ids, include_comments=got.include_comments)

    def narrowed(self, since: date | None, until: date | None, why: str) -> Filters:
        """A copy whose date range is the intersection with [since, until], noting why for the user."""
        new_since = max(filter(None, (self.since, since)), default=None)
        new_until = min(filter(None, (self.until, until)), default=None)
        return replace(self, since=new_since, until=new_until, applied=(*self.applied, why))

    def where(self) -> dict | None:
        """The Chroma `where` clause."""
        clauses: list[dict] = []
        if not self.include_comments:
            clauses.append({"section": "body"})
        if self.since:
            clauses.append({"day": {"$gte": day_number(self.since.isoformat())}})
        if self.until:
            clauses.append({"day": {"$lte": day_number(self.until.isoformat())}})
        if self.sources:
            clauses.append({"source": {"$in": list(self.sources)}})
        if self.article_ids:
            clauses.append({"article_id": {"$in": list(self.article_ids)}})
        if len(clauses) > 1:
            return {"$and": clauses}
        return clauses[0] if clauses else None

    def admits(self, meta: dict) -> bool:
        """Whether a chunk with this Chroma metadata passes: the same filter as `where`, in Python, for the few
        neighbours read with their metadata where no index holds the columns (vectorstore/dense.py)."""
        day = meta.get("day", 0)
        return ((self.include_comments or meta.get("section") == "body")
                and (not self.since or day >= day_number(self.since.isoformat()))
                and (not self.until or day <= day_number(self.until.isoformat()))
                and (not self.sources or meta.get("source") in self.sources)
                and (not self.article_ids or meta.get("article_id") in self.article_ids))

    def mask(self, columns: FilterColumns) -> np.ndarray | None:
        """The same filter over chunk columns, as bm25s's weight mask (float32, 1 where a chunk passes); None when
        nothing is filtered."""
        if self.where() is None:
            return None
        keep = np.ones(len(columns.days), dtype=bool)
        if not self.include_comments:
            keep &= columns.body
        if self.since:
            keep &= columns.days >= day_number(self.since.isoformat())
        if self.until:
            keep &= columns.days <= day_number(self.until.isoformat())
        if self.sources:
            keep &= np.isin(columns.sources, list(self.sources))
        if self.article_ids:
            keep &= np.isin(columns.article_ids, list(self.article_ids))
        return keep.astype(np.float32)
