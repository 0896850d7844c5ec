"""A run folder's results.jsonl: one scored record per question, appended as the run goes."""

from __future__ import annotations

import json
from pathlib import Path


def read_results(path: Path) -> list[dict]:
    """The records of results.jsonl (a torn last line from an interrupted run is dropped)."""
    records = []
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                records.append(json.loads(line))
            except ValueError:
                continue
    return records
