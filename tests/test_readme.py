"""README's settings table is the one `Settings` makes: a setting added, renamed or re-described shows there."""

from __future__ import annotations

import re
from pathlib import Path

from vectorstore.settings import settings_table

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_settings_table_is_settings():
    table = re.search(r"<!-- settings -->\n(.*?)\n<!-- /settings -->", README.read_text(), re.S)
    assert table is not None and table.group(1) == settings_table()
