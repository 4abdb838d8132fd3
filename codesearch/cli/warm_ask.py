"""The warm path of ``codesearch ask --json``: a running server answers, and click is never imported.

Editors, agents and scripts run ``codesearch ask --json`` once per query, so Python's start and the
CLI's imports are most of its cost: importing click and the CLI module took ~30 ms of the ~85 ms of
CPU the command used with a server running (measured on 2 cores; docs/speed.md "Measurements"). ``answer``
recognises the plain spellings of the command (one query, ``--json``, and ``--repo``, ``-k``,
``--lang``, ``--path``, ``--index-dir`` with their values), resolves settings and asks the server
exactly as ``cli.ask`` does, and prints the same JSON. Anything else (another command, ``--help``,
``--model``, an unusual spelling, no server, any error) makes it return False without printing,
and the click CLI then handles the whole command, so messages and exit codes stay the CLI's own.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from codesearch.config import resolve_settings
from codesearch.errors import CodesearchError

_VALUE_OPTIONS = ("--repo", "-k", "--lang", "--path", "--index-dir")


@dataclass(frozen=True, slots=True)
class AskArgs:
    """The arguments of a plain ``codesearch ask QUERY --json [...]``."""

    query: str
    repo: str | None = None
    k: int | None = None
    langs: tuple[str, ...] = ()
    path_glob: str | None = None
    index_dir: str | None = None


def parse_ask_json(argv: Sequence[str]) -> AskArgs | None:
    """The arguments of ``argv`` (without the program name) if it is a plain ``ask --json``, else None.

    >>> parse_ask_json(["ask", "parse json", "--json", "-k", "3", "--lang=go"])
    AskArgs(query='parse json', repo=None, k=3, langs=('go',), path_glob=None, index_dir=None)
    >>> parse_ask_json(["ask", "parse json"]), parse_ask_json(["ask", "q", "--json", "--model", "m"])
    (None, None)
    """
    if not argv or argv[0] != "ask":
        return None
    values: dict[str, list[str]] = {option: [] for option in _VALUE_OPTIONS}
    queries: list[str] = []
    has_json = False
    tokens = iter(argv[1:])
    for token in tokens:
        option, equals, inline = token.partition("=")
        if token == "--json":
            has_json = True
        elif option in _VALUE_OPTIONS and option != "-k" and equals:
            values[option].append(inline)
        elif token in _VALUE_OPTIONS:
            value = next(tokens, None)
            if value is None or value.startswith("-"):
                return None
            values[token].append(value)
        elif token.startswith("-"):
            return None  # --help, --model, --queries-file, "--", -k5, a typo: the CLI decides
        else:
            queries.append(token)
    single = {option: found[-1] if found else None for option, found in values.items()}
    if not has_json or len(queries) != 1 or (single["-k"] is not None and not single["-k"].isdigit()):
        return None
    return AskArgs(
        query=queries[0],
        repo=single["--repo"],
        k=int(single["-k"]) if single["-k"] is not None else None,
        langs=tuple(values["--lang"]),
        path_glob=single["--path"],
        index_dir=single["--index-dir"],
    )


def answer(argv: Sequence[str]) -> bool:
    """Print the server's answer to a plain ``ask --json`` and return True; False when it cannot."""
    args = parse_ask_json(argv)
    if args is None:
        return False
    from codesearch.server.client import search_via_server

    try:
        start = (Path(args.repo) if args.repo is not None else Path.cwd()).resolve()
        if start.is_file():
            return False  # `--repo` must be a folder: the CLI says so
        settings = resolve_settings(start, {"index_dir": args.index_dir, "k": args.k})
        if settings.log_level.upper() != "WARNING":
            return False  # the CLI configures logging
        answers = search_via_server(
            start, settings.index_dir, [args.query], k=settings.k, languages=_languages(args.langs),
            path_glob=args.path_glob, include_code=False,
        )
    except (CodesearchError, OSError):
        return False
    if answers is None:
        return False
    from codesearch.cli.safe_text import dumps_json  # the same JSON text as cli.ask prints
    from codesearch.server.messages import hit_to_json

    sys.stdout.write(dumps_json([hit_to_json(hit) for hit in answers.hits[0]], indent=1) + "\n")
    sys.stdout.flush()
    if answers.coverage is not None and not answers.coverage.is_complete:
        from codesearch.cli.summaries import render_coverage_notice

        sys.stderr.write(render_coverage_notice(answers.coverage) + "\n")
    return True


def _languages(names: Sequence[str]) -> tuple[str, ...] | None:
    if not names:
        return None
    from codesearch.parsing.text_formats import record_language

    return tuple(sorted({record_language(name) for name in names}))
