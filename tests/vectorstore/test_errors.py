"""The archive's failures: one small tree, each an OSError so every command prints it as one line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from assistant import Assistant
from assistant.cli import main
from vectorstore.errors import ArchiveError, NoArchive, RebuildFailed, StorageError, StoreBusy, StoreGone


@pytest.mark.parametrize("error", [NoArchive, StoreBusy, StoreGone, RebuildFailed, StorageError])
def test_every_archive_failure_is_an_archive_error_and_an_os_error(error):
    assert issubclass(error, ArchiveError) and issubclass(error, OSError)


def test_asking_where_nothing_was_stored_is_no_archive(tmp_path):
    with pytest.raises(NoArchive, match="no archive here"):
        Assistant.from_settings(store=str(tmp_path / "empty"))


def test_a_command_on_no_archive_says_so_in_one_line(tmp_path):
    result = CliRunner().invoke(main, ["ask", "Who?", "--store", str(tmp_path / "empty")])
    assert result.exit_code == 1 and "no archive here" in result.output and "Traceback" not in result.output
