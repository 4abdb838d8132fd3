"""Property tests of the other parsers of outside input: ignore files, query strings, CodeSearchNet JSONL.

- ``.gitignore``: random pattern files must never raise, and must agree with git itself
  (``git ls-files --others --exclude-standard``) on which files are left out;
- queries: any string (unicode, control characters, 1 MB) gets hits or a QueryError, in bounded
  time, from the same search ``codesearch ask`` runs; and ``ask`` itself answers hostile query
  lines with one-line errors;
- CodeSearchNet JSON Lines: any file content (random JSON, broken lines, broken gzip) is read
  into pairs plus counted bad lines, or refused with a DataError.
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codesearch.config import Settings
from codesearch.errors import DataError, QueryError
from codesearch.evaluation.pairs import read_pair_file
from codesearch.index.hybrid_search import MAX_QUERY_CHARS, SearchRequest, search
from codesearch.index.store import IndexStore
from codesearch.indexer.updates import update_repository
from codesearch.parsing.ignore_rules import load_ignore_rules
from tests.fakes import HashingEncoder, hashing_params
from tests.reliability.harness import record
from tests.server.helpers import CART, PASSWORDS

FUZZ = settings(max_examples=120, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
TREE = ("a.py", "b.py", "xa.py", "a b.py", "c/a.py", "c/d/e.py", "build/a.py", "sub/build/x.py", "ab/x.py",
        "sub/a.py", "sub/keep.py", "d/a.py", "#a.py", "!b.py")

# -- ignore files ---------------------------------------------------------------------------------

segment = st.sampled_from(["a", "b", "c", "d", "ab", "sub", "build", "*", "**", "*.py", "x*", "?.py", "[ab]",
                           "[!a]*", "a.py", "e.py", "a b.py", "a\\ b.py", "keep.py", "*a*"])
pattern = st.builds(
    lambda negate, anchor, parts, slash, tail: ("!" if negate else "") + ("/" if anchor else "")
    + "/".join(parts) + ("/" if slash else "") + tail,
    st.booleans(), st.booleans(), st.lists(segment, min_size=1, max_size=3), st.booleans(),
    st.sampled_from(["", "", " ", "  ", "\\ ", "\r"]),
)
ignore_line = pattern | st.sampled_from(["", "# a.py", "\\#a.py", "\\!b.py", "**", "/", "!", "\\", "[", "***"])


@pytest.fixture(scope="module")
def git_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ignore-fuzz") / "repo"
    for rel in TREE:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("x = 1\n")
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


@pytest.mark.skipif(shutil.which("git") is None, reason="needs the git executable as a referee")
@FUZZ
@given(st.lists(ignore_line, max_size=6), st.lists(ignore_line, max_size=3))
def test_ignore_files_agree_with_git(git_repo: Path, top: list[str], nested: list[str]) -> None:
    (git_repo / ".gitignore").write_text("\n".join(top) + "\n", encoding="utf-8")
    (git_repo / "sub" / ".gitignore").write_text("\n".join(nested) + "\n", encoding="utf-8")
    listing = subprocess.run(
        ["git", "-C", str(git_repo), "ls-files", "--others", "--exclude-standard", "-z"],
        check=True, capture_output=True, text=True,
    ).stdout
    kept_by_git = {path for path in listing.split("\0") if path and not path.endswith(".gitignore")}
    rules = load_ignore_rules(git_repo)
    assert {path for path in TREE if not rules.is_ignored(path, is_dir=False)} == kept_by_git
    record("ignore files tried")


@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda data: data.decode("latin-1")))
def test_any_ignore_file_loads(tmp_path: Path, text: str) -> None:
    root = tmp_path / "any"
    root.mkdir(exist_ok=True)
    (root / ".gitignore").write_text(text, encoding="utf-8", errors="surrogateescape")
    rules = load_ignore_rules(root)
    for rel in TREE:
        rules.reason_for(rel, is_dir=False)
    record("ignore files tried")


def test_thousands_of_patterns_stay_fast(tmp_path: Path) -> None:
    root = tmp_path / "many"
    (root / "src").mkdir(parents=True)
    (root / ".gitignore").write_text("".join(f"generated_{i}/\n*.tmp{i}\n!keep_{i}.py\n" for i in range(3000)))
    for i in range(200):
        (root / "src" / f"m{i}.py").write_text("x = 1\n")
    started = time.monotonic()
    rules = load_ignore_rules(root)
    kept = [i for i in range(200) if not rules.is_ignored(f"src/m{i}.py", is_dir=False)]
    assert len(kept) == 200 and rules.is_ignored("generated_7/x.py", is_dir=False)
    assert time.monotonic() - started < 30.0  # ~1 s quiet: 9,000 patterns, 200 lookups
    record("ignore files tried")


# -- queries --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IndexStore]:
    repo = tmp_path_factory.mktemp("queries") / "repo"
    repo.mkdir()
    (repo / "cart.py").write_text(CART)
    (repo / "passwords.py").write_text(PASSWORDS)
    with IndexStore.open(repo / ".codesearch", expected=hashing_params(), create=True) as store:
        update_repository(store, repo, Settings(), HashingEncoder)
        yield store


query_text = (
    st.text(st.characters(codec="utf-8"), max_size=80)
    | st.text(st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp", "Co", "Mn"]), max_size=40)
    | st.text(st.sampled_from('"*():^-+NEAROR AND NOT{}[]\\\'`~!@#$%&|<>?,./;'), max_size=40)
    | st.builds(lambda char, count: char * count, st.characters(codec="utf-8"), st.integers(1, 3000))
)


@FUZZ
@given(query_text)
def test_any_query_string_gets_hits_or_a_query_error(small_index: IndexStore, query: str) -> None:
    encoder = HashingEncoder()
    started = time.monotonic()
    for mode in ("hybrid", "lexical"):
        try:
            hits = search(small_index, encoder.embed_queries, SearchRequest(query, 5, mode=mode))
        except QueryError:
            assert not query.strip() or len(query.strip()) > MAX_QUERY_CHARS or "\x00" in query
        else:
            assert len(hits) <= 5
    small_index.lexical_search(query, 5)  # the keyword side takes any string whatsoever
    assert time.monotonic() - started < 10.0
    record("query strings tried")


def test_a_one_megabyte_query_is_refused_quickly(small_index: IndexStore) -> None:
    started = time.monotonic()
    with pytest.raises(QueryError, match="limit"):
        search(small_index, HashingEncoder().embed_queries, SearchRequest("parse json " * 100_000))
    small_index.lexical_search("ü\x01" * 500_000, 5)  # 1 MB straight into FTS5: quoted, not parsed
    assert time.monotonic() - started < 10.0
    record("query strings tried", 2)


def test_ask_answers_hostile_query_lines_with_one_line_errors(tmp_path: Path) -> None:
    """Through the real ``ask`` (real encoder): odd lines get answers, impossible ones one line and exit 1."""
    from codesearch.cli.commands import cli

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "cart.py").write_text(CART)
    runner = CliRunner()
    assert runner.invoke(cli, ["index", str(repo)]).exit_code == 0
    answerable = ["\x01\x02\x1b[31m", "\u202eevil", "𝄞" * 300, "NOT AND OR * ^", "'\"`", "   ", "é" * 1999]
    lines = tmp_path / "queries.txt"
    lines.write_text("\n".join(answerable) + "\n", encoding="utf-8")
    result = runner.invoke(cli, ["ask", "--repo", str(repo), "--queries-file", str(lines)])
    assert result.exit_code == 0, result.output
    assert [len(json.loads(line)) <= 10 for line in result.stdout.splitlines()] == [True] * len(answerable)
    for impossible in ("a" * 5000, "tab\x00nul"):
        lines.write_text(impossible + "\n", encoding="utf-8")
        result = runner.invoke(cli, ["ask", "--repo", str(repo), "--queries-file", str(lines)])
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
    record("query strings tried", len(answerable) + 2)


# -- CodeSearchNet JSON Lines ---------------------------------------------------------------------

JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
CSN_RECORD = st.fixed_dictionaries(
    {"language": st.sampled_from(["python", "go", "java", "php", "ruby", "javascript", "cobol", ""]) | JSON_VALUE,
     "code": st.sampled_from(['def f(x):\n    """Add one."""\n    return x + 1\n', "func F() {}", "", "}{"])
     | st.text(max_size=120) | JSON_VALUE},
    optional={"docstring": st.text(max_size=40) | JSON_VALUE, "func_name": st.text(max_size=20) | JSON_VALUE,
              "repo": st.text(max_size=10) | JSON_VALUE, "docstring_summary": st.text(max_size=20) | JSON_VALUE,
              "code_without_docstring": st.text(max_size=40) | JSON_VALUE},
)
csn_line = (
    CSN_RECORD.map(json.dumps) | JSON_VALUE.map(json.dumps) | st.text(max_size=60)
    | CSN_RECORD.map(lambda record: json.dumps(record)[: len(json.dumps(record)) // 2])
)


@FUZZ
@given(st.lists(csn_line, max_size=8), st.sampled_from(["plain", "gzip", "broken gzip", "bytes"]), st.binary())
def test_any_csn_file_reads_into_pairs_and_counted_bad_lines(
    tmp_path: Path, lines: list[str], form: str, noise: bytes
) -> None:
    text = "\n".join(lines) + "\n"
    path = tmp_path / ("pairs.jsonl.gz" if "gzip" in form else "pairs.jsonl")
    if form == "plain":
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
    elif form == "gzip":
        path.write_bytes(gzip.compress(text.encode("utf-8", "surrogateescape")))
    elif form == "broken gzip":
        path.write_bytes(gzip.compress(text.encode("utf-8", "surrogateescape"))[:-5] + noise)
    else:
        path.write_bytes(text.encode("utf-8", "surrogateescape") + noise)
    try:
        read = read_pair_file(path)
    except DataError as error:
        assert form in ("broken gzip", "bytes") or "surrogate" in repr(text), error
    else:
        most = max(len(lines), 1) + 1  # the text's lines (one, empty, when there are none), then the noise's
        assert len(read.pairs) + len(read.bad_lines) + sum(count for _, count in read.skipped) <= most
        assert all(1 <= bad.line_number <= most for bad in read.bad_lines)
    record("CodeSearchNet files tried")
