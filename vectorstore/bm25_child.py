"""BM25's rebuild in a process of its own, for a serving process: `python -m vectorstore.bm25_child TOKEN`, the
archive's settings as JSON on stdin.

Tokenising a million chunks holds the GIL for minutes and peaks at about 3 GB (bench/README.md); in a child, the
serving threads keep answering at their usual speed meanwhile, and the memory goes back to the system when it
exits (Python keeps the arenas of freed objects). The parent holds the folder's lock and loads the result.
"""

from __future__ import annotations

import sys

from vectorstore.settings import StoreSettings
from vectorstore.store import Archive


def main() -> None:
    Archive(StoreSettings.model_validate_json(sys.stdin.read())).build_bm25(sys.argv[1])


if __name__ == "__main__":
    main()
