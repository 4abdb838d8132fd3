"""Fuzz targets ``command line`` (in this process, through click's CliRunner) and ``command line (processes)``.

Command lines are built from each command's real flags, with values that are right, wrong in type
(``-k abc``), out of range, huge, empty, escape sequences, newlines, bidi overrides, rich markup, bytes
that are not UTF-8 (as a shell passes them: surrogate escapes), files that are missing, folders that are
files, and stray tokens. Every one ends with exit code 0, or exit code 1 and one line ``Error: ...`` on
stderr (``extract``'s own summary when a path is missing), never a traceback. The commands that would
run for a long time when the line is right (``index``, ``watch``, ``serve``, ``lsp``, ``mcp``, ``train``,
``eval``) start with ``--help`` or a flag that does not exist, so only their parsing runs; ``ask``,
``status``, ``extract`` and ``serve --stop`` run for real over the world's keyword index (no model).
Argument strings hold no NUL: no process can receive one.
"""

from __future__ import annotations

import contextlib
import os
import random
import subprocess
import sys
import traceback
from collections.abc import Sequence

from click.testing import CliRunner

from codesearch.cli.commands import cli
from tests.fuzz.harness import (
    ANSWERED,
    REFUSED,
    Failure,
    Target,
    World,
    clipped,
    one_line_error,
    random_text,
    register,
)

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOSTILE = ("", " ", "-", "--", "=", "\x1b]0;title\x07", "\x1b[2J", "a\nb", "\r", "\u202eevil", "[bold]x[/bold]",
           "[link=file:x]y", "\udcff", "-k", "--json", "*", "**/*.py", "[", "'\"")
INTEGERS = ("3", "0", "-1", "1000", "1001", "65536", "99999999999999999999999", "1e3", "x", "", " 5", "\u0663",
            "0x10", "1_000", "2.5", "-0", "nan")
OPTIONS: dict[str, dict[str, str]] = {  # command -> flag -> kind of value ("" for a flag without one)
    "ask": {"--repo": "folder", "-k": "int", "--lang": "lang", "--path": "text", "--json": "", "--files": "",
            "--queries-file": "queries", "--model": "model", "--index-dir": "index"},
    "status": {"--index-dir": "index", "--check": "", "--json": ""},
    "extract": {"--out": "out", "--lang": "lang", "--pairs": "", "--max-file-bytes": "int"},
    "serve": {"--model": "model", "--socket": "socket", "--tcp": "int", "--token-file": "out", "--stop": ""},
    "index": {"--model": "model", "--full": "", "--index-dir": "index", "--wait": "", "--batch-size": "int",
              "--index-text-files": "", "--no-index-text-files": "", "--ray": "text", "--ray-workers": "int",
              "--repos-file": "queries"},
    "watch": {"--model": "model", "--index-dir": "index", "--debounce-s": "int"},
    "lsp": {"--index-dir": "index"},
    "mcp": {"--index-dir": "index"},
    "train": {"--recipe": "queries", "--out": "out", "--resume": ""},
    "eval": {"--model": "model", "--pairs": "queries", "--protocol": "text", "--cosqa": "text", "--json": ""},
}
POSITIONALS = {"ask": "query", "status": "folder", "extract": "folder", "serve": "folder", "index": "folder",
               "watch": "folder", "lsp": "folder", "mcp": "folder"}
RUN_FOR_REAL = ("ask", "status", "extract")  # quick over the keyword index; `serve` too, with --stop
# Most lines go to the commands that run for real; the others only parse, so a few hundred each suffice.
COMMANDS = ("ask",) * 7 + ("extract", "status") * 3 + ("serve",) * 2 + ("index", "watch", "lsp", "mcp", "train", "eval")


def token(rng: random.Random) -> str:
    """What a shell can hand over: any text without NUL (undecodable bytes arrive as U+DC80-U+DCFF), and
    no "/" (a random absolute path could be "/", which `extract` would walk in full)."""
    text = random_text(rng, 12, surrogates=False, nul=False).replace("/", "_")
    return text + "\udcff" if rng.random() < 0.05 else text


def _choices(world: World) -> dict[str, tuple[str, ...]]:
    """Values for each kind of flag: right ones, wrong ones and hostile ones."""
    files = world.inputs
    queries = tuple(str(files / name) for name in ("queries.txt", "not-utf8.txt", "nul.txt", "long.txt", "empty.txt"))
    return {
        "int": INTEGERS,
        "text": HOSTILE,
        "lang": ("python", "markdown", "py", "Python", "klingon", "\x1b[2J", ""),
        "folder": (".", "cart.py", "missing", "\x1b[31mmissing", ".codesearch", str(world.repo), str(world.hashed_repo),
                   str(world.nowhere), queries[1], "a\nb", ".."),
        "index": (".codesearch", str(world.repo / ".codesearch"), str(world.nowhere), "missing",
                  str(world.hashed_repo / ".codesearch"), str(world.nowhere / ".codesearch")),
        "model": ("default", "no/such/model", str(world.nowhere), "\x1b[2J"),
        "queries": (*queries, "missing.txt", str(world.nowhere), "-"),
        "out": (str(world.scratch / "out.jsonl"), str(world.nowhere), str(world.scratch / "no" / "x"),
                str(world.scratch)),  # never an input file: what one line writes, the next would read
        "socket": (str(world.scratch / "s.sock"), str(world.nowhere), queries[0], str(world.scratch / ("x" * 120)),
                   str(world.scratch / "no" / "s.sock")),
        "query": ("total price of the cart", "hash_password", "Cart", *HOSTILE),
    }


def command_line(world: World, rng: random.Random) -> list[str]:
    choices = _choices(world)

    def value_of(kind: str) -> str:
        shape = rng.random()
        if kind == "int" and shape < 0.2:
            return str(rng.randint(-(2**70), 2**70)) if rng.random() < 0.8 else "9" * 5000
        if kind in ("out", "socket") or shape < 0.75:  # never a random path to write to
            return rng.choice(choices[kind])
        return rng.choice((token(rng), "é" * 3000, "x" * 10_000))

    if rng.random() < 0.05:  # no command at all, or the group's own flags
        return [rng.choice(("--version", "-h", "--bogus", token(rng), "ask")) for _ in range(rng.randint(0, 2))]
    command = rng.choice(COMMANDS)
    options = OPTIONS[command]
    args: list[str] = []
    for flag in rng.choices(sorted(options), k=rng.randint(0, 5)):
        args += [flag, value_of(options[flag])] if options[flag] else [flag]
    if command in POSITIONALS:
        args += [value_of(POSITIONALS[command]) for _ in range(rng.choice((0, 1, 1, 2)))]
    if rng.random() < 0.3:
        args.insert(rng.randint(0, len(args)), token(rng) if rng.random() < 0.5 else rng.choice(HOSTILE))
    if rng.random() < 0.3:
        rng.shuffle(args)
    if command == "serve":
        args = ["--stop" if rng.random() < 0.5 else "--no-such-option", *args]
    elif command not in RUN_FOR_REAL:
        args = [rng.choice(("--help", "-h", "--no-such-option")), *args]
    return [command, *args]


def _is_long_running(argv: Sequence[str]) -> bool:
    """A guard for the generator's promise: the slow commands never get past parsing."""
    command = argv[0] if argv else ""
    first = argv[1] if len(argv) > 1 else ""
    if command == "serve":
        return first != "--stop" and first != "--no-such-option"
    return command in OPTIONS and command not in RUN_FOR_REAL and first not in ("--help", "-h", "--no-such-option")


def check_in_process(world: World, argv: list[str]) -> str:
    if _is_long_running(argv):
        raise Failure("the generator made a command line that would run a long command")
    with contextlib.chdir(world.repo):  # `ask`, `status` and `extract` without a path: the world's repository
        result = CliRunner().invoke(cli, argv, catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(result.exception))
        raise Failure(clipped(trace))
    return _judge(argv, result.exit_code, result.stderr)


def check_process(world: World, argv: list[str]) -> str:
    if _is_long_running(argv):
        raise Failure("the generator made a command line that would run a long command")
    env = {key: value for key, value in os.environ.items() if not key.startswith("CODESEARCH_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [REPO_ROOT, os.environ.get("PYTHONPATH")]))
    arguments = [os.fsencode(arg) for arg in argv]  # surrogate escapes become the bytes a shell would pass
    try:
        done = subprocess.run([os.fsencode(sys.executable), b"-m", b"codesearch", *arguments], cwd=world.repo,
                              env=env, capture_output=True, timeout=60, check=False, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as exc:
        raise Failure("no answer within 60 s") from exc
    if done.returncode < 0:
        raise Failure(f"killed by signal {-done.returncode}: {clipped(done.stderr.decode('utf-8', 'replace'))}")
    return _judge(argv, done.returncode, done.stderr.decode("utf-8", "replace"))


def _judge(argv: list[str], exit_code: int, stderr: str) -> str:
    if "Traceback" in stderr:
        raise Failure(clipped(stderr))
    if exit_code == 0:
        return ANSWERED
    if exit_code != 1:
        raise Failure(f"exit code {exit_code}: {clipped(stderr)!r}")
    if argv and argv[0] == "extract" and "  failed: " in stderr:  # a path missing: the run completes, exit 1
        return REFUSED
    if not argv or "Commands:" in stderr:  # `codesearch` alone: the list of commands, exit 1
        return REFUSED
    return one_line_error(stderr)


register(Target("command line", command_line, check_in_process, inputs=3000, timeout_s=20.0))
register(Target("command line (processes)", command_line, check_process, inputs=30, timeout_s=120.0))
