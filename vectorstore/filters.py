"""What a question may draw on: dates, sources, chosen articles, comments in or out."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from vectorstore.chroma import day_number
from vectorstore.lexical import LexicalIndex


def _day(value: Any) -> date | None:
    """A day from an ISO date or datetime, or YYYY/MM/DD; empty is no day."""
    if not value:
        return None
    try:
        return date.fromisoformat(str(value).replace("/", "-")[:10])
    except ValueError:
        raise ValueError(f"{value!r} is not a date (use YYYY-MM-DD)") from None


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


_MASKS = 32  # filter masks kept per index (0.8 MB each at 200k chunks)


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

    def mask(self, index: LexicalIndex) -> np.ndarray | None:
        """The same filter over the lexical index's chunk columns, as bm25s's weight mask (shared: not to be
        written to). Kept on the index, whose columns never change: a question computes it once for dense and
        BM25 search (4 ms at 200k chunks), and the next question under the same filter not at all."""
        if self.where() is None:
            return None
        if (known := index.masks.get(self)) is not None:
            return known
        keep = np.ones(len(index.rows), dtype=bool)
        if not self.include_comments:
            keep &= index.body
        if self.since:
            keep &= index.days >= day_number(self.since.isoformat())
        if self.until:
            keep &= index.days <= day_number(self.until.isoformat())
        if self.sources:
            keep &= np.isin(index.sources, list(self.sources))
        if self.article_ids:
            keep &= np.isin(index.article_ids, list(self.article_ids))
        if len(index.masks) >= _MASKS:
            index.masks.clear()
        index.masks[self] = keep.astype(np.float32)
        return index.masks[self]
