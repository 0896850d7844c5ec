"""archive-chat in the browser: `python app.py [OPTIONS]` is `archive-chat serve [OPTIONS]` (the command's code is
in `assistant/serve.py`; `python app.py --help` lists the options)."""

from __future__ import annotations

from assistant.cli import serve as command


def main(argv: list[str] | None = None) -> None:
    command.main(argv, prog_name="app.py")


if __name__ == "__main__":
    main()
