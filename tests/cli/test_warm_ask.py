"""The warm `ask --json` path: which command lines it takes, and that it prints what the CLI prints."""

from __future__ import annotations

import doctest
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from codesearch.cli import warm_ask
from codesearch.cli.commands import cli
from codesearch.cli.warm_ask import AskArgs, answer, parse_ask_json
from codesearch.server.address import default_socket_path
from codesearch.server.serve import Server
from tests.server.helpers import CART, PASSWORDS, TIMEOUT_S, start_server


def test_docstring_examples_hold() -> None:
    result = doctest.testmod(warm_ask)
    assert result.attempted >= 2
    assert result.failed == 0


def test_every_option_it_takes() -> None:
    argv = ["ask", "--repo", "r", "-k", "5", "--lang", "python", "--lang=go", "--path", "src/*",
            "--index-dir=i", "parse json", "--json"]
    assert parse_ask_json(argv) == AskArgs("parse json", "r", 5, ("python", "go"), "src/*", "i")
    assert parse_ask_json(["ask", "--json", "q", "--repo", "a", "--repo", "b"]) == AskArgs("q", repo="b")


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["index"],
        ["ask", "q"],  # people's output: rendered by the CLI
        ["ask", "--json"],  # no query
        ["ask", "q", "r", "--json"],  # two
        ["ask", "q", "--json", "--model", "m"],
        ["ask", "q", "--json", "--queries-file", "f"],
        ["ask", "q", "--json", "--help"],
        ["ask", "--json", "--", "-q"],
        ["ask", "q", "--json", "-k"],
        ["ask", "q", "--json", "-k", "x"],
        ["ask", "q", "--json", "-k5"],
        ["ask", "q", "--json", "-k=5"],
        ["ask", "q", "--json", "--repo", "--lang"],
        ["ask", "q", "--jsonx"],
    ],
)
def test_anything_else_is_left_to_the_cli(argv: list[str]) -> None:
    assert parse_ask_json(argv) is None


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / "server").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "server" / "cart.py").write_text(CART)
    (root / "server" / "passwords.py").write_text(PASSWORDS)
    return root.resolve()


@pytest.fixture
def server(repo: Path) -> Iterator[Server]:
    started = start_server(default_socket_path())  # where `codesearch ask` looks (isolated per test)
    try:
        assert started.registry.get(repo, None, create=True).watcher.wait_for(1, TIMEOUT_S) is not None
        yield started
    finally:
        started.stop()


@pytest.mark.parametrize(
    "options", [[], ["-k", "1"], ["--lang", "python", "--path", "server/*"], ["--lang", "rust"]]
)
def test_it_prints_exactly_what_the_cli_prints(
    server: Server, repo: Path, options: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["ask", "hash a password", "--json", "--repo", str(repo), *options]
    assert answer(argv)
    printed = capsys.readouterr().out
    result = CliRunner().invoke(cli, argv)
    assert result.exit_code == 0, result.output
    assert printed == result.stdout
    assert ("hash_password" in printed) == ("rust" not in options)


def test_no_server_or_an_error_leaves_the_command_to_the_cli(
    repo: Path, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not answer(["ask", "   ", "--json", "--repo", str(repo)])  # the server refuses an empty query
    assert not answer(["ask", "q", "--json", "--repo", str(repo), "--lang", "klingon"])
    assert not answer(["ask", "q", "--json", "--repo", str(repo / "server" / "cart.py")])  # a file
    server.stop()
    assert not answer(["ask", "q", "--json", "--repo", str(repo)])
    assert capsys.readouterr().out == ""


def test_a_hostile_file_name_is_escaped_in_exact_json(
    server: Server, repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """json.dumps leaves C1 controls and bidi overrides raw; they reach stdout as \\u escapes, same value."""
    name = "server/evil\x9b2J\u202eexe.py"
    (repo / name).write_text('def hash_password_fast():\n    return "\x1b]0;pwned\x07\x9b2J"\n', encoding="utf-8")
    argv = ["ask", "hash password fast", "--json", "--repo", str(repo)]
    assert started_watcher_sees(server, repo)
    assert answer(argv)
    printed = capsys.readouterr().out
    assert not any(char in printed for char in ("\x1b", "\x9b", "\u202e", "\x07"))
    assert name in [hit["path"] for hit in json.loads(printed)]
    assert printed == CliRunner().invoke(cli, argv).stdout


def started_watcher_sees(server: Server, repo: Path) -> bool:
    """Wait for the server's watcher to index what was just written (a round after the first)."""
    return server.registry.get(repo, None, create=True).watcher.wait_for(2, TIMEOUT_S) is not None
