"""The ``codesearch`` command line: parses flags, builds Settings, calls the library, renders.

Heavy modules (torch, transformers, tree-sitter) are imported inside the command bodies so that
``codesearch --help`` stays fast. CodesearchError is caught in one place (``main``) and becomes a
one-line message with exit code 1; any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import click

from codesearch.config import Settings, resolve_settings
from codesearch.errors import CodesearchError
from codesearch.parsing.pairs import PAIR_FILTERS_HELP


def _configure_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.WARNING),
        format="codesearch: %(levelname)s: %(message)s",
        stream=sys.stderr,
    )


def _settings(repo_root: Path | None, **flags: Any) -> Settings:
    settings = resolve_settings(repo_root, flags)
    _configure_logging(settings.log_level)
    return settings


@contextmanager
def _progress(description: str, enabled: bool = True) -> Iterator[Any]:
    """A rich progress bar on stderr (hidden when stderr is not a terminal)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(), console=console, transient=True, disable=not (enabled and console.is_terminal),
    ) as progress:
        task = progress.add_task(description, total=None, rate="")

        def update(done: int, total: int, rate: str = "") -> None:
            progress.update(task, completed=done, total=total, rate=rate)

        yield update


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="codesearch")
def cli() -> None:
    """Semantic code search for software repositories, offline."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--out", "out_path", type=click.Path(path_type=Path), help="Write JSON Lines here (default stdout).")
@click.option("--lang", "langs", multiple=True, help="Only these languages (repeatable).")
@click.option("--pairs", is_flag=True, help=f"Only records that make training pairs: {PAIR_FILTERS_HELP}.")
@click.option("--max-file-bytes", type=int, help="Skip files larger than this (default 1 MiB).")
def extract(paths: tuple[Path, ...], out_path: Path | None, langs: tuple[str, ...], pairs: bool,
            max_file_bytes: int | None) -> None:
    """Extract functions, methods and classes as CodeSearchNet-style JSON Lines.

    Exit code 0 when every path and file was read, 1 when any was missing or unreadable (the rest
    of the run still completes). Files with syntax errors are extracted as far as they parse and
    reported as warnings.
    """
    from codesearch.csn import chunk_to_csn
    from codesearch.extraction import extract_files, plan_files
    from codesearch.parsing.languages import get_language
    from codesearch.parsing.pairs import is_training_pair
    from codesearch.records import FileExtraction

    targets = list(paths) or [Path(".")]
    settings = _settings(None, max_file_bytes=max_file_bytes)
    languages = frozenset(get_language(name).name for name in langs) or None
    plan = plan_files(targets, max_file_bytes=settings.max_file_bytes, languages=languages)
    repo = plan.root.name
    with _output(out_path) as out, _progress("extracting") as progress:
        def write(extraction: FileExtraction) -> None:
            for chunk in extraction.chunks:
                if not pairs or is_training_pair(chunk):
                    out.write(json.dumps(chunk_to_csn(chunk, repo), ensure_ascii=False) + "\n")

        summary = extract_files(plan, max_file_bytes=settings.max_file_bytes, on_file=write,
                                on_progress=progress)
    from codesearch.rendering import render_extraction_summary

    click.echo(render_extraction_summary(summary), err=True)
    if summary.has_failures:
        sys.exit(1)


@contextmanager
def _output(path: Path | None) -> Iterator[IO[str]]:
    if path is None:
        yield sys.stdout
        return
    try:
        handle = path.open("w", encoding="utf-8")
    except OSError as exc:
        raise CodesearchError(f"cannot write {path}: {exc.strerror}") from exc
    with handle:
        yield handle


def main() -> None:
    """Console entry point: runs the CLI and maps CodesearchError to a message and exit code 1."""
    try:
        cli(standalone_mode=False)
    except CodesearchError as exc:
        click.echo(f"codesearch: error: {exc}", err=True)
        sys.exit(1)
    except click.exceptions.Abort:
        click.echo("codesearch: aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        sys.stderr.close()  # `codesearch extract | head`: the reader left; not an error
        sys.exit(0)
