"""What a question may draw on: dates, sources, chosen articles, comments in or out."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np

from vectorstore.chroma import day_number
from vectorstore.lexical import LexicalIndex


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
        """From JSON-ish input (CLI, API, eval files): ISO date strings, a source name or a list of them."""
        data = dict(data or {})

        def day(key: str) -> date | None:
            value = data.get(key)
            if not value:
                return None
            try:
                return date.fromisoformat(str(value).replace("/", "-")[:10])
            except ValueError as exc:
                raise ValueError(f"{key}: {value!r} is not a date (use YYYY-MM-DD)") from exc

        def names(key: str) -> tuple[str, ...]:
            value = data.get(key) or ()
            return (value,) if isinstance(value, str) else tuple(value)

        return cls(
            since=day("since"), until=day("until"), as_of=day("as_of") or day("date"),
            sources=names("source") + names("sources"), article_ids=names("article_ids"),
            include_comments=bool(data.get("include_comments", False)),
        )

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

    def mask(self, index: LexicalIndex) -> np.ndarray | None:
        """The same filter over the lexical index's chunk columns, as bm25s's weight mask."""
        if self.where() is None:
            return None
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
        return keep.astype(np.float32)
