"""The files of a BM25 index folder, named once for the writer (`bm25_write`) and the reader (`bm25`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

FORMAT = 3  # what version.json says of an index written today; an index without it is rebuilt, not read
STEMMER = "english"


@dataclass(frozen=True)
class Bm25Files:
    folder: Path

    chunks = property(lambda self: self.folder / "chunks.txt")  # each chunk's text, in row order
    sections = property(lambda self: self.folder / "sections.txt")  # each article section's text
    section_keys = property(lambda self: self.folder / "sections.json")  # (article id, section) of each
    ids = property(lambda self: self.folder / "ids.json")  # the chunk id of each row
    columns = property(lambda self: self.folder / "columns.npz")  # the filter columns (date, section, source…)
    vectors = property(lambda self: self.folder / "vectors.i8")  # each row's vector, int8 (vectorstore/vectors.py)
    catalogue = property(lambda self: self.folder / "catalogue.json")  # article id → title, source, date, url
    version = property(lambda self: self.folder / "version.json")  # the store version it was built from
    deleted = property(lambda self: self.folder / "deleted.json")  # tombstoned chunk ids

    def read_version(self) -> dict:
        try:
            return json.loads(self.version.read_text())
        except (OSError, ValueError):
            return {}

    def token(self) -> str | None:
        """The store version the index was built from (None: no index, or one in an older format)."""
        version = self.read_version()
        return version.get("token") if version.get("format") == FORMAT else None
