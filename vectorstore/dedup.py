"""Near-duplicate stories (wire copy carried by many sites) found by MinHash LSH over word shingles."""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
from datasketch import MinHash, MinHashLSH

_PERMUTATIONS = 64
_SCHEME = "affine32"
_WORD = re.compile(r"\w+")


def signature(text: str) -> MinHash:
    words = _WORD.findall(text.lower())
    shingles = {" ".join(words[i : i + 5]) for i in range(max(1, len(words) - 4))}
    m = MinHash(num_perm=_PERMUTATIONS, scheme=_SCHEME)
    m.update_batch([s.encode() for s in shingles])
    return m


class Deduplicator:
    """Remembers every stored article's signature; says which stored article a new text duplicates."""

    def __init__(self, stored: Iterable[tuple[str, bytes]], threshold: float) -> None:
        self.lsh = MinHashLSH(threshold=threshold, num_perm=_PERMUTATIONS)
        self.threshold = threshold
        self.signatures: dict[str, MinHash] = {}
        for article_id, blob in stored:
            if not blob:
                continue
            hashes = np.frombuffer(blob, np.uint64)
            self.remember(article_id, MinHash(num_perm=_PERMUTATIONS, hashvalues=hashes, scheme=_SCHEME))

    def remember(self, article_id: str, sig: MinHash) -> None:
        if article_id in self.signatures:
            self.lsh.remove(article_id)
        self.signatures[article_id] = sig
        self.lsh.insert(article_id, sig)

    def forget(self, article_id: str) -> None:
        if self.signatures.pop(article_id, None) is not None:
            self.lsh.remove(article_id)

    def duplicate_of(self, article_id: str, sig: MinHash) -> str | None:
        """The stored article this one repeats (estimated Jaccard ≥ threshold), other than itself."""
        best = max(
            ((sig.jaccard(self.signatures[c]), c) for c in self.lsh.query(sig) if c != article_id), default=None
        )
        return best[1] if best and best[0] >= self.threshold else None

    @staticmethod
    def blob(sig: MinHash) -> bytes:
        return sig.hashvalues.astype(np.uint64).tobytes()
