"""The records that flow through ingest: an Article as loaded and cleaned, and its Chunks; and the one record of an
article's metadata (ArticleMeta) that the stored article, its retrieved passages and their citations share."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BODY = "body"
COMMENTS = "comments"


def normalize_url(url: str) -> str:
    """Canonical form of a URL for identity: scheme/host lower-cased, no fragment, query kept, no trailing slash."""
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.")
    path = parts.path.rstrip("/") or "/"
    return urlunsplit((parts.scheme.lower() or "http", host, path, parts.query, ""))


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass
class Article:
    """One article: its cleaned body, its reader comments apart, and where it came from."""

    text: str
    title: str = ""
    url: str = ""
    source: str = ""
    published: str | None = None
    authors: list[str] = field(default_factory=list)
    comments: str = ""
    path: str = ""
    line: int | None = None

    @property
    def id(self) -> str:
        """Stable id: from the normalized URL when there is one, so a re-scraped page replaces itself."""
        return digest(normalize_url(self.url)) if self.url else digest(self.text)

    @property
    def content_hash(self) -> str:
        meta = "\x1f".join([self.title, self.url, self.source, self.published or "", ",".join(self.authors)])
        return digest(meta + "\x1e" + self.text + "\x1e" + self.comments)

    @property
    def origin(self) -> str:
        """Where the record lives, as error messages name it: PATH or PATH:LINE."""
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class Chunk:
    """A passage of one section of an article, with its character span in that section's cleaned text, cut from
    one version of the article (its content hash)."""

    article_id: str
    section: str
    index: int
    char_start: int
    char_end: int
    text: str
    version: str = ""

    @property
    def id(self) -> str:
        """Keyed by content: a changed article's chunks get new ids, so its old version stays whole for readers
        until the new one is committed, and writing one version twice is a no-op."""
        return f"{self.article_id}:{self.section}:{self.index}" + (f"@{self.version}" if self.version else "")


@dataclass(frozen=True)
class ArticleMeta:
    """Which article a record comes from, as a reader is shown it: written once here, so the stored article, the
    passages retrieved from it and the citations of them cannot disagree on what an article's metadata is."""

    id: str
    title: str
    url: str
    source: str
    published: str | None


ARTICLE_KEYS = ("article_id", "title", "url", "source", "published")  # an ArticleMeta's keys in flat JSON


def flattened(record: Any) -> dict:
    """A dataclass record holding an ArticleMeta as `article`, as JSON with the article's keys in its place (`id`
    as `article_id`): the flat shape passage rows, `ask --json`, /ask, eval results and exports have always had."""
    out: dict = {}
    for key, value in asdict(record).items():
        if key == "article":
            out.update({"article_id": value.pop("id"), **value})
        else:
            out[key] = value
    return out


def nested(data: Mapping[str, Any]) -> dict:
    """The inverse of `flattened`: a record's fields, the article's flat keys gathered into `article`."""
    article = ArticleMeta(*(data[k] for k in ARTICLE_KEYS))
    return {"article": article, **{k: v for k, v in data.items() if k not in ARTICLE_KEYS}}


@dataclass(frozen=True)
class StoredArticle(ArticleMeta):
    """An article as the store holds it: its metadata, its texts, and every other place the same story was found.
    It extends ArticleMeta rather than holding one: `stored.title` reads as it always has, with the fields declared
    once."""

    authors: list[str]
    path: str
    text: str
    comments: str
    also: list[dict]
    ingested_at: float

    @property
    def sources(self) -> list[str]:
        """Every site that published this story, the first one first."""
        return [s for s in dict.fromkeys([self.source, *(a.get("source", "") for a in self.also)]) if s]


@dataclass(frozen=True)
class LoadError:
    """A file or record that could not become an article; printed as one line `PATH[:LINE]: reason`."""

    path: str
    reason: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.reason}".replace("\r", "\\r").replace("\n", "\\n")  # one line, whatever the name
