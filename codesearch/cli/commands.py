"""The ``codesearch`` command line: parses flags, builds Settings, calls the library, renders.

Heavy modules (torch, transformers, tree-sitter) are imported inside the command bodies so that
``codesearch --help`` stays fast. CodesearchError and click's usage errors are caught in one place
(``_Group``, cli/user_errors.py) and become a one-line message with exit code 1; any other exception is
a bug and keeps its traceback. Text from a checkout is escaped before it is printed (cli/safe_text.py).
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import click

from codesearch.cli.safe_text import dumps_json, terminal_safe
from codesearch.cli.user_errors import one_line_errors
from codesearch.config import Settings, resolve_settings
from codesearch.parsing.pairs import PAIR_FILTERS_HELP
from codesearch.records import Answers, FileHit, Hit, IndexProgress, IndexSummary
from codesearch.search.file_grouping import group_by_file, hits_needed


def _configure_logging(level: str) -> None:
    from codesearch.cli.safe_text import TerminalSafeFormatter

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(TerminalSafeFormatter("codesearch: %(levelname)s: %(message)s"))
    logging.basicConfig(level=getattr(logging, level.upper(), logging.WARNING), handlers=[handler])


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
        # markup=False: a "[" in the text is printed, never read as rich markup ([link=...], [bold]).
        TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}", markup=False),
        TimeRemainingColumn(), console=console, transient=True, disable=not (enabled and console.is_terminal),
    ) as progress:
        task = progress.add_task(description, total=None, rate="")

        def update(done: int, total: int, rate: str = "") -> None:
            progress.update(task, completed=done, total=total, rate=rate)

        yield update


class _Group(click.Group):
    """Maps every error written for users, usage errors included, to one line and exit code 1 (user_errors.py)."""

    def make_context(self, info_name: str | None, args: list[str], parent: click.Context | None = None,
                     **extra: Any) -> click.Context:
        with one_line_errors():  # a flag of the group itself, a command that does not exist
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with one_line_errors():  # the command's own flags, then its body
            return super().invoke(ctx)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="codesearch")
def cli() -> None:
    """Semantic code search for software repositories, offline."""
    from codesearch import crash_points
    from codesearch.config import crash_plan

    crash_points.arm(crash_plan())  # a test hook of the reliability suite; unset, nothing is armed


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
    from codesearch.cli.csn import chunk_to_csn
    from codesearch.parsing.extraction_runs import extract_files, plan_files
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
                    out.write(dumps_json(chunk_to_csn(chunk, repo)) + "\n")

        summary = extract_files(plan, max_file_bytes=settings.max_file_bytes, on_file=write,
                                on_progress=progress)
    from codesearch.cli.summaries import render_extraction_summary

    click.echo(render_extraction_summary(summary), err=True)
    if summary.has_failures:
        sys.exit(1)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, file_okay=False))
@click.option("--model", help="Encoder: 'default', a model folder, or a Hugging Face name.")
@click.option("--full", is_flag=True, help="Discard the existing index and rebuild it.")
@click.option("--index-dir", help="Keep the index here instead of <repo>/.codesearch.")
@click.option("--wait", is_flag=True, help="Wait for another running `index` instead of failing.")
@click.option("--batch-size", type=int, help="Records per encoder batch.")
@click.option("--index-text-files/--no-index-text-files", default=None,
              help="Also index docs, config and files without a grammar (default: on; see codesearch.toml).")
@click.option("--ray", "ray_address", is_flag=False, flag_value="local", default=None, metavar="[ADDRESS]",
              help="Embed on Ray actors: no ADDRESS for a local Ray instance, 'auto', HOST:PORT or "
                   "ray://HOST:PORT for a running cluster (the ray extra).")
@click.option("--ray-workers", type=click.IntRange(min=1), help="Ray actors (default: one per GPU, else per CPU).")
@click.option("--repos-file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="With --ray: also index the repositories listed in this file (one folder a line).")
def index(paths: tuple[Path, ...], model: str | None, full: bool, index_dir: str | None, wait: bool,
          batch_size: int | None, index_text_files: bool | None, ray_address: str | None,
          ray_workers: int | None, repos_file: Path | None) -> None:
    """Index a repository (default: the one around the current folder), incrementally.

    When a running `codesearch serve` serves this index, the server does the update (it holds
    the index's writer lock) and this command shows its progress. With --ray, PATHS may name
    several repositories, indexed in turn with their embedding on one pool of Ray actors.
    """
    from codesearch.cli.summaries import render_index_summary
    from codesearch.indexer.updates import index_repository
    from codesearch.parsing.discovery import find_repo_root

    flags = {"model": model, "index_dir": index_dir, "batch_size": batch_size, "index_text_files": index_text_files}
    if ray_address is not None:
        _index_on_ray(paths, repos_file, ray_address, ray_workers, flags, full=full, wait=wait)
        return
    if len(paths) > 1 or repos_file is not None or ray_workers is not None:
        raise click.UsageError("several repositories, --repos-file and --ray-workers go with --ray")
    repo_root = (paths[0] if paths else find_repo_root(Path.cwd())).resolve()
    settings = _settings(repo_root, **flags)
    summary: IndexSummary | None = None
    with _until_interrupted(_INDEX_INTERRUPTED), _progress("indexing") as progress:
        report = _index_progress(progress)
        if model is None and batch_size is None and index_text_files is None:  # the server holds the writer lock
            from codesearch.server.client import reindex_via_server

            summary = reindex_via_server(repo_root, settings.index_dir, full=full, on_progress=report)
        if summary is None:
            summary = index_repository(repo_root, settings, full=full, on_progress=report, lock_wait=wait)
    if summary is None:
        sys.exit(130)
    click.echo(render_index_summary(summary), err=True)
    if summary.failures:
        sys.exit(1)


def _index_progress(progress: Any) -> Any:
    """The progress callback of `index`: files while they are read, then records while embedded."""
    def report(state: IndexProgress) -> None:
        if state.chunks_to_embed == 0:  # first stage: files are read and committed
            progress(state.files_done, state.files_total, "files (searchable by keywords once read)")
            return
        rate = state.chunks_embedded / state.embed_seconds if state.embed_seconds > 0 else 0.0
        progress(state.chunks_embedded, state.chunks_to_embed, f"embedded, {rate:.0f}/s")

    return report


def _index_on_ray(paths: tuple[Path, ...], repos_file: Path | None, address: str, workers: int | None,
                  flags: dict[str, Any], *, full: bool, wait: bool) -> None:
    from codesearch.cli.summaries import render_index_summary
    from codesearch.distributed.cluster import LOCAL
    from codesearch.distributed.many_repositories import RayRun, index_on_ray, read_repository_list
    from codesearch.parsing.discovery import find_repo_root

    if address != "local" and address != "auto" and ":" not in address:
        raise click.UsageError(f"--ray takes an address (auto, HOST:PORT, ray://HOST:PORT), not {address!r}; "
                               "put repositories before --ray")
    roots = [p.resolve() for p in paths] + (read_repository_list(repos_file) if repos_file else [])
    roots = roots or [find_repo_root(Path.cwd()).resolve()]
    if len(roots) > 1 and flags["index_dir"] is not None:
        raise click.UsageError("--index-dir names one index; leave it out to index several repositories")
    failed = False

    def started(run: RayRun) -> None:
        click.echo(f"embedding on Ray ({run.address}, {run.shape.nodes} node(s), {run.shape.cpus} CPUs, "
                   f"{run.shape.gpus} GPUs): {run.plan.workers} actor(s) on {run.plan.device}, {run.backend}", err=True)

    def finished(root: Path, summary: IndexSummary) -> None:
        nonlocal failed
        failed = failed or bool(summary.failures)
        click.echo(f"{terminal_safe(str(root))}:\n{render_index_summary(summary)}", err=True)

    with _until_interrupted(_INDEX_INTERRUPTED), _progress("indexing") as progress:
        index_on_ray(roots, lambda root: _settings(root, **flags), LOCAL if address == "local" else address,
                     workers=workers or 0, full=full, lock_wait=wait, on_start=started,
                     on_repository=lambda root: _index_progress(progress), on_summary=finished)
    if failed:
        sys.exit(1)


def _read_queries(handle: IO[bytes] | None) -> list[str | None]:
    """The lines of a queries file (None for a blank one); a line that is not UTF-8 is a QueryError."""
    from codesearch.errors import QueryError

    queries: list[str | None] = []
    for number, raw in enumerate(handle or (), 1):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise QueryError(f"line {number} of the queries file is not valid UTF-8 (byte {exc.start})") from exc
        queries.append(line if line.strip() else None)
    return queries


@cli.command()
@click.argument("query", required=False)
@click.option("--repo", "repos", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              help="Repository to search (default: here); repeat it to search several as one ranking.")
@click.option("-k", "k", type=int, help="Number of results (default 10).")
@click.option("--lang", "langs", multiple=True, help="Only these languages (repeatable).")
@click.option("--path", "path_glob", help="Only paths matching this glob, e.g. 'src/**/*.py'.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array of hits.")
@click.option("--queries-file", type=click.File("rb"),
              help="One query per line; prints one JSON array per line (JSON Lines).")
@click.option("--files", "by_file", is_flag=True,
              help="Rank files: the best file first, its best definitions under it (-k counts files).")
@click.option("--model", help="Encoder (default: the one the index was built with).")
@click.option("--index-dir", help="Use the index in this folder.")
def ask(query: str | None, repos: tuple[Path, ...], k: int | None, langs: tuple[str, ...], path_glob: str | None,
        as_json: bool, queries_file: IO[bytes] | None, by_file: bool, model: str | None, index_dir: str | None) -> None:
    """Search the index with a natural-language QUERY (or an identifier).

    A running `codesearch serve` answers when it can (the model and index are already loaded
    there); otherwise the search runs in this process.
    """
    from codesearch.index.filters import validate_path_glob
    from codesearch.parsing.text_formats import record_language

    if (query is None) == (queries_file is None):
        raise click.UsageError("give a QUERY or --queries-file (not both)")
    if len(repos) > 1 and (by_file or index_dir is not None):
        raise click.UsageError("--files and --index-dir go with one --repo")
    validate_path_glob(path_glob)  # before a server or a model is asked anything
    start = (repos[0] if repos else Path.cwd()).resolve()
    settings = _settings(start, model=model, index_dir=index_dir, k=k)
    languages = tuple(sorted({record_language(name) for name in langs})) or None
    queries: list[str | None] = [query] if query is not None else _read_queries(queries_file)
    hits_k = hits_needed(settings.k) if by_file else settings.k
    answers = None
    if len(repos) > 1:
        answers = _search_repositories([r.resolve() for r in repos], model, settings.k, queries, languages, path_glob)
    elif model is None:
        from codesearch.server.client import search_via_server

        answers = search_via_server(start, settings.index_dir, queries, k=hits_k, languages=languages,
                                    path_glob=path_glob, include_code=not as_json and query is not None)
    if answers is None:
        answers = _search_in_process(start, settings, model is not None, queries, languages, path_glob, hits_k)
    if by_file:
        _print_file_answers([group_by_file(hits, settings.k) for hits in answers.hits],
                            as_json_lines=queries_file is not None, as_json=as_json)
    else:
        _print_answers(answers.hits, as_json_lines=queries_file is not None, as_json=as_json)
    if answers.coverage is not None and not answers.coverage.is_complete:
        from codesearch.cli.summaries import render_coverage_notice

        click.echo(render_coverage_notice(answers.coverage), err=True)


def _print_answers(answers: list[list[Hit]], *, as_json_lines: bool, as_json: bool) -> None:
    if as_json_lines:
        for hits in answers:
            click.echo(dumps_json([_hit_json(hit) for hit in hits]))
    elif as_json:
        click.echo(dumps_json([_hit_json(hit) for hit in answers[0]], indent=1))
    else:
        from codesearch.cli.terminal import TerminalStyle, render_hits
        from codesearch.config import no_color

        click.echo(render_hits(answers[0], TerminalStyle.for_stream(sys.stdout, no_color())), nl=False)


def _print_file_answers(answers: list[list[FileHit]], *, as_json_lines: bool, as_json: bool) -> None:
    from codesearch.server.messages import file_hit_to_json

    if as_json_lines:
        for files in answers:
            click.echo(dumps_json([file_hit_to_json(f) for f in files]))
    elif as_json:
        click.echo(dumps_json([file_hit_to_json(f) for f in answers[0]], indent=1))
    else:
        from codesearch.cli.terminal import TerminalStyle, render_file_hits
        from codesearch.config import no_color

        click.echo(render_file_hits(answers[0], TerminalStyle.for_stream(sys.stdout, no_color())), nl=False)


def _search_in_process(start: Path, settings: Settings, model_given: bool, queries: list[str | None],
                       languages: tuple[str, ...] | None, path_glob: str | None, k: int) -> Answers:
    from codesearch.index.hybrid_search import SearchRequest, validate_query
    from codesearch.search.searcher import Searcher

    if len(queries) == 1 and queries[0] is not None:
        validate_query(queries[0])  # fail before loading the model
    with Searcher.open(start, settings, model_given=model_given) as searcher:
        hits = [
            searcher.search(SearchRequest(text, k, languages, path_glob)) if text is not None else []
            for text in queries
        ]
        return Answers(hits, searcher.semantic_coverage())


def _search_repositories(starts: list[Path], model: str | None, k: int, queries: list[str | None],
                         languages: tuple[str, ...] | None, path_glob: str | None) -> Answers:
    from codesearch.index.hybrid_search import SearchRequest, validate_query
    from codesearch.search.multi_repository import search_repositories

    if len(queries) == 1 and queries[0] is not None:
        validate_query(queries[0])  # fail before loading any model
    return search_repositories(
        starts, lambda start: _settings(start, model=model, k=k), queries,
        lambda text: SearchRequest(text, k, languages, path_glob),
        model_given=model is not None,
    )


def _hit_json(hit: Hit) -> dict[str, Any]:
    from codesearch.server.messages import hit_to_json  # the server's `search` answers with the same objects

    return hit_to_json(hit)


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--index-dir", help="Use the index in this folder.")
@click.option("--check", is_flag=True, help="Also run a full integrity check (exit 1 on problems).")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
def status(path: Path | None, index_dir: str | None, check: bool, as_json: bool) -> None:
    """Show the index: model, counts, size, last update, files changed since (no model load)."""
    import dataclasses

    from codesearch.cli.summaries import render_status
    from codesearch.indexer.status import index_status

    start = (path or Path.cwd()).resolve()
    report = index_status(start, _settings(start, index_dir=index_dir), check=check)
    if as_json:
        click.echo(json.dumps(dataclasses.asdict(report), indent=1))
    else:
        click.echo(render_status(report))
    if report.integrity is not None and report.integrity.problems:
        sys.exit(1)


@cli.command()
@click.argument("path", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--model", help="Encoder: 'default', a model folder, or a Hugging Face name.")
@click.option("--index-dir", help="Keep the index here instead of <repo>/.codesearch.")
@click.option("--debounce-s", type=float, help="Seconds without changes before an update (default 0.3).")
def watch(path: Path | None, model: str | None, index_dir: str | None, debounce_s: float | None) -> None:
    """Keep the index up to date while files change, until Ctrl-C (one line per update)."""
    from codesearch.indexer.live_index import watch_repository
    from codesearch.indexer.watcher import WatchRound
    from codesearch.parsing.discovery import find_repo_root

    repo_root = (path or find_repo_root(Path.cwd())).resolve()
    settings = _settings(repo_root, model=model, index_dir=index_dir, debounce_s=debounce_s)

    def log_round(finished: WatchRound) -> None:
        if finished.summary is not None:
            click.echo(_update_line(finished.summary), err=True)

    with _until_interrupted(), watch_repository(repo_root, settings, on_round=log_round):
        click.echo(f"watching {terminal_safe(str(repo_root))} (Ctrl-C to stop)", err=True)
        threading.Event().wait()


@cli.command()
@click.argument("repos", nargs=-1, type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--model", help="Encoder the served indexes were built with (default: the bundled one).")
@click.option("--socket", "socket_path", type=click.Path(path_type=Path, dir_okay=False),
              help="Unix socket to listen on (default: $XDG_RUNTIME_DIR/codesearch/server.sock).")
@click.option("--tcp", "tcp_port", type=click.IntRange(0, 65535), help="Also listen on 127.0.0.1:PORT.")
@click.option("--token-file", type=click.Path(path_type=Path, dir_okay=False),
              help="TCP clients must send the token in this 0600 file (created if missing).")
@click.option("--stop", is_flag=True, help="Stop the server listening on the socket, then exit.")
def serve(repos: tuple[Path, ...], model: str | None, socket_path: Path | None, tcp_port: int | None,
          token_file: Path | None, stop: bool) -> None:
    """Serve searches from memory and keep indexes fresh, until Ctrl-C (see server/PROTOCOL.md).

    With REPOS, serve those (indexing them if needed) and nothing else; without, serve any
    indexed repository a client asks about. `codesearch ask` uses the server automatically.
    """
    from codesearch.config import resolve_settings
    from codesearch.server.client import stop_server
    from codesearch.server.serve import Server, run_server

    settings = _settings(None, model=model)
    if stop:
        if not stop_server(socket_path):
            raise click.ClickException("no server answered")
        click.echo("the server is stopping", err=True)
        return
    def announce(server: Server) -> None:
        click.echo(f"serving on {server.address} (Ctrl-C to stop)", err=True)

    with _until_interrupted():
        run_server(settings, lambda root: resolve_settings(root, {"model": model}), repos=repos,
                   socket_path=socket_path, tcp_port=tcp_port, token_path=token_file, on_ready=announce)


@cli.command(name="mcp")
@click.argument("path", required=False, type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--index-dir", help="Use the index in this folder.")
def mcp_command(path: Path | None, index_dir: str | None) -> None:
    """Serve the search and similar tools to coding agents over stdio (Model Context Protocol).

    A running `codesearch serve` answers when it can; otherwise the index of PATH (default: here)
    is opened in this process.
    """
    from codesearch.cli.mcp_server import serve_mcp

    start = (path or Path.cwd()).resolve()
    serve_mcp(start, _settings(start, index_dir=index_dir))


@cli.command(name="lsp")
@click.argument("path", required=False, type=click.Path(path_type=Path, file_okay=False, exists=True))
@click.option("--index-dir", help="Use the index in this folder.")
def lsp_command(path: Path | None, index_dir: str | None) -> None:
    """A language server over stdio: semantic workspace/symbol for any LSP client.

    The repository is PATH, else the folder the editor opens (rootUri, workspaceFolders), else
    here. A running `codesearch serve` answers when it can; otherwise the index is opened in this
    process. See docs/editors.md for editor configuration.
    """
    import os

    from codesearch.config import resolve_settings
    from codesearch.lsp.stdio import serve_stdio

    _settings(None, index_dir=index_dir)  # logging: to stderr, which editors keep in their LSP log
    # The frames own file descriptor 1: anything else that prints (a library, a C extension) goes to stderr.
    frames_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    with frames_out:
        code = serve_stdio(
            sys.stdin.buffer, frames_out, lambda root: resolve_settings(root, {"index_dir": index_dir}),
            default_root=Path.cwd().resolve(), fixed_root=path.resolve() if path else None,
        )
    sys.exit(code)


def _update_line(summary: IndexSummary) -> str:
    return (
        f"{time.strftime('%H:%M:%S')} updated {summary.files_new} new, {summary.files_changed} changed, "
        f"{summary.files_deleted} deleted files; {summary.chunks_embedded} embedded, {summary.chunks_cached} "
        f"from cache; {summary.chunks_total} records; {summary.seconds:.2f} s"
    )


_INDEX_INTERRUPTED = (
    "interrupted: every file committed so far is searchable, by keywords at least (`codesearch status` says how "
    "much is embedded); `codesearch index` carries on from there"
)


@contextmanager
def _until_interrupted(message: str = "stopped") -> Iterator[None]:
    """Ctrl-C or SIGTERM end the block quietly (the `with` blocks inside it clean up first)."""
    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    except KeyboardInterrupt:
        click.echo(message, err=True)
    finally:
        signal.signal(signal.SIGTERM, previous)


@cli.command(name="train")
@click.option("--recipe", required=True, type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="A training recipe (TOML), e.g. training/recipes/minilm-short.toml.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Run and model folder (default: runs/<recipe name>).")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
def train_command(recipe: Path, out_dir: Path | None, resume: bool) -> None:
    """Train an encoder contrastively on (docstring, code) pairs; the result is a --model folder.

    Several GPUs or processes: torchrun --nproc-per-node N -m training.train --recipe R --out D
    """
    from training.config import load_recipe
    from training.train import train

    _settings(None)
    config = load_recipe(recipe)
    target = out_dir or Path("runs") / recipe.stem
    with _train_progress(config.max_steps) as show:
        result = train(config, target, resume=resume, on_progress=show)
    if result.stopped_reason is not None:
        raise click.ClickException(result.stopped_reason)
    scores = result.evaluations[-1] if result.evaluations else None
    validation = f"; validation MRR {scores.mrr:.4f} ({scores.protocol})" if scores else ""
    click.echo(f"trained {result.steps} steps at {result.mean_pairs_per_s:.1f} pairs/s{validation}; "
               f"model in {target} (use --model {target})", err=True)


@contextmanager
def _train_progress(max_steps: int) -> Iterator[Any]:
    """A progress line for training on stderr: loss, temperature, learning rate, pairs/s, validation MRR."""
    with _progress("training") as progress:
        def show(state: Any) -> None:  # a training.records.TrainProgress
            mrr = "" if state.validation_mrr is None else f" val MRR {state.validation_mrr:.3f}"
            rate = f"lr {state.learning_rate:.1e} {state.pairs_per_s:.1f} pairs/s{mrr}"
            progress(state.step, max_steps, f"loss {state.loss:.3f} T {state.temperature:.4f} {rate}")

        yield show


@cli.command(name="eval")
@click.option("--model", required=True, help="Encoder: 'default', a model folder, or a Hugging Face name.")
@click.option("--pairs", "pairs_file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="Query/code pairs: `codesearch extract --pairs` output or CodeSearchNet JSONL (.gz ok).")
@click.option("--protocol", type=click.Choice(["csn", "corpus"]), default="csn", show_default=True,
              help="csn: gold among 999 seeded distractors of its language; corpus: among its repository.")
@click.option("--cosqa", "cosqa", is_flag=False, flag_value="", default=None, metavar="[DIR]",
              help="Also score the CoSQA test split (DIR default: shared/benchmarks/cosqa here or above).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON lines instead of a table.")
def eval_command(model: str, pairs_file: Path | None, protocol: str, cosqa: str | None,
                 as_json: bool) -> None:
    """Score an encoder by dense retrieval alone: MRR, Recall@1/5/10, NDCG@10 per language."""
    from codesearch.encoder import Encoder
    from codesearch.evaluation.model_scoring import find_cosqa_dir, score_cosqa, score_pairs_file
    from codesearch.evaluation.render import render_table, report_json_lines

    if pairs_file is None and cosqa is None:
        raise click.UsageError("give --pairs FILE, --cosqa, or both")
    settings = _settings(None, model=model)
    reports = []
    with Encoder.load(settings.model, threads=settings.threads) as encoder:
        if pairs_file is not None:
            reports.append(score_pairs_file(encoder, pairs_file, protocol))
        if cosqa is not None:
            reports.append(score_cosqa(encoder, Path(cosqa) if cosqa else find_cosqa_dir(Path.cwd())))
    text = "\n".join(line for report in reports for line in report_json_lines(report)) if as_json else None
    click.echo(text if text is not None else terminal_safe(render_table(reports), keep_newlines=True))


@contextmanager
def _output(path: Path | None) -> Iterator[IO[str]]:
    if path is None:
        yield sys.stdout
        return
    try:
        handle = path.open("w", encoding="utf-8")
    except OSError as exc:
        raise click.ClickException(f"cannot write {path}: {exc.strerror}") from exc
    with handle:
        yield handle


def main() -> None:
    """Console entry point. Errors for the user become one line and exit 1 (see _Group)."""
    try:
        cli()
    except BrokenPipeError:
        sys.stderr.close()  # `codesearch extract | head`: the reader left; not an error
        sys.exit(0)
