"""`archive-chat`: ingest, stats, ask, cite, eval and serve from the shell.

Mistakes a user can fix are one line and exit code 1; ARCHIVE_CHAT_DEBUG=1 shows the traceback instead.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path

import click
from chromadb.errors import ChromaError

from assistant.settings import Settings, default
from vectorstore.errors import explain


def _setting(name: str) -> dict:
    """An option's default and help from its setting, so the two never drift apart; its env var is shown."""
    value = default(name)
    return {"default": value, "help": Settings.model_fields[name].description,
            "envvar": f"ARCHIVE_CHAT_{name.upper()}", "show_envvar": True, "show_default": value is not None}


_store = click.option("--store", type=click.Path(path_type=Path), envvar="ARCHIVE_CHAT_STORE", metavar="DIR",
                      help="Store folder [env ARCHIVE_CHAT_STORE; default: ~/.local/share/archive-chat].")
_chroma = click.option("--chroma-url", metavar="URL", **_setting("chroma_url"))


def settings_from(**overrides) -> Settings:
    """Settings from the environment, with the options the user gave on the command line on top."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def user_errors(fn: Callable) -> Callable:
    """Turn expected failures into one readable line, unless ARCHIVE_CHAT_DEBUG asks for the traceback."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except (OSError, ValueError) as exc:
            if os.environ.get("ARCHIVE_CHAT_DEBUG"):
                raise
            raise click.ClickException(str(exc)) from exc
        except ChromaError as exc:  # e.g. doctor or ask on a full disk: Chroma's own chained tracebacks otherwise
            if os.environ.get("ARCHIVE_CHAT_DEBUG") or (reason := explain(exc)) is None:
                raise
            raise click.ClickException(f"{reason}; nothing stored is lost: fix that and run the same command "
                                       "again") from exc

    return wrapper


@click.group()
@click.version_option(package_name="archive-chat")
def main() -> None:
    """Chat with an archive of articles; every answer cites the passages it comes from."""


@main.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...", type=click.Path(path_type=Path))
@_store
@_chroma
@click.option("--prune", is_flag=True, help="Remove articles whose files are gone or no longer hold them.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--workers", type=click.IntRange(min=1), metavar="N", **_setting("ingest_workers"))
@user_errors
def ingest(paths: tuple[Path, ...], store: Path | None, chroma_url: str | None, prune: bool, quiet: bool,
           workers: int) -> None:
    """Load, clean, chunk, embed and store the articles in each PATH (a file or folder)."""
    from vectorstore.ingest import Ingestor
    from vectorstore.store import Archive

    archive = Archive(settings_from(store=store, chroma_url=chroma_url, ingest_workers=workers))
    summary = Ingestor(archive).run(paths, prune=prune, progress=not quiet)
    click.echo(str(summary))
    if summary.failed:
        sys.exit(1)


def _existing(store: Path | None, chroma_url: str | None):
    """The archive the options name, or one line saying there is none yet."""
    from vectorstore.store import Archive

    archive = Archive(settings_from(store=store, chroma_url=chroma_url))
    if not archive.exists():
        raise click.ClickException(f"{archive.url or archive.folder}: no archive here yet (run `archive-chat ingest "
                                   "PATH`)")
    return archive


@main.command()
@click.argument("article_ids", nargs=-1, metavar="[ARTICLE_ID]...")
@_store
@_chroma
@click.option("--url", "urls", multiple=True, metavar="URL",
              help="Delete the article stored under this URL (repeatable).")
@user_errors
def delete(article_ids: tuple[str, ...], store: Path | None, chroma_url: str | None, urls: tuple[str, ...]) -> None:
    """Delete articles by id (as `stats --json`, the app and `ask --json` show them) or by --url."""
    from vectorstore.article import Article

    if not article_ids and not urls:
        raise click.UsageError("name the articles: ARTICLE_ID ... or --url URL")
    archive = _existing(store, chroma_url)
    wanted = [*article_ids, *(Article("", url=u).id for u in urls)]
    known = {a for a in wanted if archive.article(a) is not None}
    for missing in sorted(set(wanted) - known):
        click.echo(f"{missing}: no such article", err=True)
    removed = archive.delete_articles(known)
    click.echo(f"deleted {len(known)} articles ({len(removed)} chunks)")
    if len(known) < len(set(wanted)):
        sys.exit(1)


@main.command(short_help="Copy the embedded store into a Chroma server, vectors and all (nothing is re-embedded).")
@_store
@click.option("--to", "target", required=True, metavar="URL", help="URL of the Chroma server to copy the store into.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@user_errors
def migrate(store: Path | None, target: str, quiet: bool) -> None:
    """Copy the embedded store into a Chroma server, vectors and all (nothing is re-embedded); then use it with
    --chroma-url or ARCHIVE_CHAT_CHROMA_URL from every process and machine."""
    from vectorstore.store import Archive

    source = _existing(store, "")  # the embedded store, whatever ARCHIVE_CHAT_CHROMA_URL says
    copied = source.copy_into(Archive(settings_from(store=store, chroma_url=target)), progress=not quiet)
    click.echo(", ".join(f"{n} {name}" for name, n in copied.items()) + f" copied to {target}")


@main.command()
@_store
@_chroma
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@user_errors
def stats(store: Path | None, chroma_url: str | None, as_json: bool) -> None:
    """How many articles and chunks the store holds, from which sources, over which dates."""
    archive = _existing(store, chroma_url)
    numbers = archive.stats()
    if as_json:
        click.echo(json.dumps(numbers))
        return
    click.echo(f"{numbers['articles']} articles, {numbers['chunks']} chunks in {archive.folder}")
    click.echo(f"published {numbers['first_published'] or '?'} to {numbers['last_published'] or '?'}")
    click.echo(f"sources: {', '.join(numbers['sources']) or '-'}")


@main.command()
@_store
@_chroma
@click.option("--fix", is_flag=True, help="Drop chunks of no committed article, re-cut missing ones, rebuild BM25.")
@click.option("--json", "as_json", is_flag=True, help="Print the check (and the repair) as JSON.")
@user_errors
def doctor(store: Path | None, chroma_url: str | None, fix: bool, as_json: bool) -> None:
    """Check that every committed article has its chunks and BM25 is current; exit code 1 while not."""
    from vectorstore.doctor import examine

    archive = _existing(store, chroma_url)
    report, repairs, after = examine(archive, repair=fix)
    final = after or report
    if as_json:
        click.echo(json.dumps({"healthy": final.healthy, "before": report.to_json(),
                               "repairs": repairs and repairs.to_json(), "after": after and after.to_json()}))
    else:
        fixed = [f"fixed: {line}" for line in repairs.lines()] + ["after repair:", *after.lines()] if repairs else []
        for line in report.lines() + fixed:
            click.echo(line)
        click.echo("healthy" if final.healthy else
                   "problems remain" if repairs else "problems found: `archive-chat doctor --fix` repairs them")
    if not final.healthy:
        sys.exit(1)


@main.command()
@click.argument("question")
@_store
@_chroma
@click.option("--json", "as_json", is_flag=True, help="Print the answer, citations and timings as JSON.")
@click.option("--k", type=int, metavar="N", **_setting("k"))
@click.option("--since", metavar="DATE", help="Only articles published on or after this date (YYYY-MM-DD).")
@click.option("--until", metavar="DATE", help="Only articles published on or before this date.")
@click.option("--as-of", "as_of", metavar="DATE",
              help="The date the question is asked at: 'this week' counts back from it.")
@click.option("--source", "sources", multiple=True, metavar="NAME", help="Only these sources/sites (repeatable).")
@click.option("--include-comments", is_flag=True, help="Let reader comments be cited.")
@click.option("--llm", envvar="ARCHIVE_CHAT_ANSWERER", metavar="PROVIDER:MODEL",
              help="Answer with a chat model, e.g. openai:gpt-4o-mini, ollama:llama3.2.")
@user_errors
def ask(question: str, store: Path | None, chroma_url: str | None, as_json: bool, k: int,
        since: str | None, until: str | None, as_of: str | None, sources: tuple[str, ...],
        include_comments: bool, llm: str | None) -> None:
    """Answer QUESTION from the archive, citing the passages it comes from."""
    from assistant import Assistant

    assistant = Assistant.from_settings(store=store, chroma_url=chroma_url, answerer=llm)
    filters = {"since": since, "until": until, "as_of": as_of, "sources": sources,
               "include_comments": include_comments}
    if as_json:
        click.echo(json.dumps(assistant.ask(question, filters=filters, k=k).to_json(), ensure_ascii=False))
        return
    answer, streamed = None, ""
    for piece in assistant.stream(question, filters=filters, k=k):
        if isinstance(piece, str):
            click.echo(piece, nl=False)
            streamed += piece
        else:
            answer = piece
    click.echo()
    if answer.answer != streamed.strip():  # a model's draft that the citation check changed or refused
        click.secho("after checking its citations:", dim=True)
        click.echo(answer.answer)
    for note in answer.filters_applied:
        click.secho(f"filter: {note}", dim=True)
    for c in answer.citations or answer.related:
        label = "" if answer.citations else "related: "
        a = c.article
        click.echo(f"[{c.n}] {label}{a.title or a.url} — {a.source or '?'}, {a.published or 'undated'} {a.url}")


@main.command(short_help="References for ARTICLE_IDs, for a reference manager (BibTeX, RIS or CSL-JSON).")
@click.argument("article_ids", nargs=-1, required=True, metavar="ARTICLE_ID...")
@click.option("--format", "fmt", type=click.Choice(["bibtex", "ris", "csl-json"]), default="bibtex", show_default=True,
              help="BibTeX (.bib), RIS (.ris) or CSL-JSON (.json): Zotero, JabRef, EndNote and Mendeley import them.")
@_store
@_chroma
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Write the references to this file instead of printing them.")
@user_errors
def cite(article_ids: tuple[str, ...], fmt: str, store: Path | None, chroma_url: str | None,
         output: Path | None) -> None:
    """References for ARTICLE_IDs (as `ask --json` and the app show them), for a reference manager: title, outlet,
    authors, date, URL and the date the archive took its copy. Unknown ids are named on stderr (exit code 1); the
    others are still written."""
    from assistant.references import references

    archive = _existing(store, chroma_url)
    wanted = {article_id: archive.article(article_id) for article_id in dict.fromkeys(article_ids)}
    found = [article for article in wanted.values() if article is not None]
    missing = [article_id for article_id, article in wanted.items() if article is None]
    for article_id in missing:
        click.echo(f"{article_id}: no such article in the archive", err=True)
    if found:
        text = references(found, fmt)
        if output:
            output.write_text(text, encoding="utf-8")
            click.echo(f"{len(found)} reference{'s' if len(found) > 1 else ''} written to {output}")
        else:
            click.echo(text, nl=False)
    if missing:
        sys.exit(1)


def _auth(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, str] | None:
    if not value:
        return None
    user, _, password = value.partition(":")
    if not user or not password:
        raise click.BadParameter("must be USER:PASS", ctx, param)
    return user, password


@main.command()
@_store
@_chroma
@click.option("--host", metavar="HOST", **_setting("host"))
@click.option("--port", type=int, metavar="N", **_setting("port"))
@click.option("--auth", callback=_auth, metavar="USER:PASS", **_setting("auth"))
@user_errors
def serve(store: Path | None, chroma_url: str | None, host: str, port: int, auth: tuple[str, str] | None) -> None:
    """Start the chat UI in the browser (an empty store first gets the sample archive); `python app.py` is the
    same."""
    from assistant.serve import serve as launch

    launch(settings_from(store=store, chroma_url=chroma_url, host=host, port=port), auth)


@main.command("eval")
@click.argument("questions", required=False, metavar="[QUESTIONS.jsonl]",
                type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_store
@_chroma
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("eval-out"), show_default=True,
              metavar="DIR",
              help="Run folder: results.jsonl, metrics.json, ragas.jsonl, report.md/html and plots.")
@click.option("--k", type=int, metavar="N", **_setting("k"))
@click.option("--llm", envvar="ARCHIVE_CHAT_ANSWERER", metavar="PROVIDER:MODEL",
              help="Answer with a chat model, e.g. openai:gpt-4o-mini.")
@click.option("--fresh", is_flag=True, help="Start over instead of resuming the questions already in --out.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
@click.option("--compare", nargs=2, type=click.Path(exists=True, file_okay=False, path_type=Path),
              metavar="RUN_A RUN_B", help="Compare two run folders instead of running.")
@user_errors
def eval_(questions: Path | None, store: Path | None, chroma_url: str | None, out: Path, k: int, llm: str | None,
          fresh: bool, quiet: bool, compare: tuple[Path, Path] | None) -> None:
    """Score the assistant on QUESTIONS.jsonl ({id, question, answers, sources}), or compare two runs."""
    if compare:
        from assistant.eval.report import compare as compare_runs

        click.echo(compare_runs(*compare))
        return
    if questions is None:
        raise click.UsageError("give QUESTIONS.jsonl, or --compare RUN_A RUN_B")
    from assistant import Assistant
    from assistant.eval.run import run

    assistant = Assistant.from_settings(store=store, chroma_url=chroma_url, answerer=llm)
    summary = run(assistant, questions, out, k=k, fresh=fresh, progress=not quiet,
                  warn=lambda line: click.echo(line, err=True))
    click.echo(str(summary))
    for key, value in summary.metrics.items():
        click.echo(f"{key}: {value}")
    click.echo(f"report: {out / 'report.html'}")


def _usage(param: click.Parameter, ctx: click.Context) -> str:
    """One parameter as the README's command list shows it: ARG, --flag, --opt VALUE, --many VALUE ...; [...] when
    optional."""
    if isinstance(param, click.Argument):
        return param.make_metavar(ctx)
    name = max(param.opts, key=len)  # --output, not -o
    if param.is_flag:
        return f"[{name}]"
    choices = getattr(param.type, "choices", None)
    value = param.metavar or ("|".join(choices) if choices else param.type.name.upper())
    text = f"{name} {value}" + (" ..." if param.multiple else "")
    return text if param.required else f"[{text}]"


def usage_lines(width: int = 116) -> list[str]:
    """README's command list, made from the commands themselves (a test keeps the README equal to it): each
    command's short help as a comment, then its arguments and options, wrapped at `width`."""
    root = click.Context(main, info_name="archive-chat")
    lines = []
    for name, command in main.commands.items():
        ctx = click.Context(command, info_name=name, parent=root)
        words = [_usage(p, ctx) for p in command.params if not getattr(p, "hidden", False)]
        lines.append(f"# {command.get_short_help_str(limit=width - 2)}")
        line = f"archive-chat {name}"
        indent = " " * (len(line) + 1)
        for word in words:
            if len(line) + 1 + len(word) > width:
                lines.append(line)
                line = indent + word
            else:
                line += " " + word
        lines.append(line)
    return lines
