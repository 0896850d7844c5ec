"""README's settings table is the one `Settings` makes, and its command list the one the CLI's commands make: a
setting or option added, renamed or re-described shows there."""

from __future__ import annotations

import re
from pathlib import Path

from assistant.cli import usage_lines
from assistant.settings import settings_table

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_settings_table_is_settings():
    table = re.search(r"<!-- settings -->\n(.*?)\n<!-- /settings -->", README.read_text(), re.S)
    assert table is not None and table.group(1) == settings_table()


def test_readme_command_list_is_the_commands():
    block = re.search(r"<!-- commands -->\n```\n(.*?)\n```\n<!-- /commands -->", README.read_text(), re.S)
    assert block is not None and block.group(1) == "\n".join(usage_lines())


def test_usage_lines_show_every_command_and_option():
    """The generated list is not vacuous: each command, argument and option of the CLI appears in it."""
    text = "\n".join(usage_lines())
    for name in ("ingest", "delete", "migrate", "stats", "doctor", "ask", "cite", "serve", "eval"):
        assert f"\narchive-chat {name} " in f"\n{text}"
    assert "archive-chat ask QUESTION [--store DIR] [--chroma-url URL]" in text
    assert "[--source NAME ...]" in text and "--to URL [--quiet]" in text and "[--format bibtex|ris|csl-json]" in text
    assert all(len(line) <= 116 for line in text.splitlines())
