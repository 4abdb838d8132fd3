"""End to end: `codesearch index` then `codesearch ask` on the committed fixture repo, real encoder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from codesearch.cli.commands import cli

pytestmark = pytest.mark.e2e
REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE = REPO_ROOT / "tests" / "fixtures" / "repos" / "shop"


@pytest.fixture(scope="module")
def indexed_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = tmp_path_factory.mktemp("e2e") / "shop"
    shutil.copytree(FIXTURE, repo)
    (repo / "build").mkdir()
    (repo / "build" / "gen.py").write_text("def ignored_builder():\n    return 1\n")
    result = CliRunner().invoke(cli, ["index", str(repo)])
    assert result.exit_code == 0, result.output
    assert "7 files" in result.output and "0 unchanged" in result.output
    return repo


def ask(repo: Path, *args: str) -> list[dict[str, object]]:
    result = CliRunner().invoke(cli, ["ask", "--repo", str(repo), "--json", *args])
    assert result.exit_code == 0, result.output
    hits: list[dict[str, object]] = json.loads(result.stdout)
    return hits


@pytest.mark.parametrize(
    ("query", "expected", "within"),
    [
        ("read the settings from a json file", "load_settings", 1),
        ("hash a password with a random salt", "hash_password", 2),
        ("retry an http request with exponential backoff", "fetchWithRetry", 1),
        ("evict the least recently used cache entry", "(*LRU).Put", 3),
        ("multiply two matrices", "Matrix.multiply", 1),
        ("split a csv line into fields", "parseCsvLine", 1),
        ("turn a title into a url slug", "slugify", 1),
        ("verify_password", "verify_password", 1),
        ("Cart.total_price", "Cart.total_price", 1),
    ],
)
def test_queries_find_their_function(indexed_repo: Path, query: str, expected: str, within: int) -> None:
    names = [hit["qualified_name"] for hit in ask(indexed_repo, query, "-k", "5")]
    assert expected in names[:within], names


def test_json_hits_carry_the_contract_fields(indexed_repo: Path) -> None:
    (hit,) = ask(indexed_repo, "multiply two matrices", "-k", "1")
    assert {k: hit[k] for k in ("path", "start_line", "end_line", "name", "kind", "language")} == {
        "path": "tools/Matrix.java", "start_line": 6, "end_line": 14, "name": "multiply", "kind": "method",
        "language": "java",
    }
    assert isinstance(hit["score"], float)


def test_filters_apply_before_the_cut(indexed_repo: Path) -> None:
    go_hits = ask(indexed_repo, "read the settings from a json file", "--lang", "go", "-k", "3")
    assert len(go_hits) == 3 and {hit["language"] for hit in go_hits} == {"go"}
    web_hits = ask(indexed_repo, "hash a password", "--path", "web/*", "-k", "4")
    assert len(web_hits) == 4 and all(str(hit["path"]).startswith("web/") for hit in web_hits)


def test_a_cold_ask_embeds_its_query_without_torch(tmp_path: Path) -> None:
    repo = tmp_path / "shop"
    shutil.copytree(FIXTURE, repo)
    indexed = CliRunner().invoke(cli, ["index", str(repo)])  # makes the ONNX export (once per session)
    assert indexed.exit_code == 0, indexed.output
    program = (
        "import sys\n"
        "from codesearch.cli.entry import main\n"
        "sys.argv = ['codesearch', 'ask', 'multiply two matrices', '--json', '-k', '1']\n"
        "try:\n    main()\n"
        "finally:\n    print('torch imported:', 'torch' in sys.modules, file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", program], cwd=repo, capture_output=True, text=True, check=False,
                            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, timeout=120)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["qualified_name"] == "Matrix.multiply"
    assert result.stderr.strip() == "torch imported: False", result.stderr


def test_a_partly_embedded_index_answers_and_says_so_until_index_finishes(tmp_path: Path) -> None:
    """As after an interrupted `index`: the chunks of web/ have no vectors yet."""
    import sqlite3

    repo = tmp_path / "shop"
    shutil.copytree(FIXTURE, repo)
    runner = CliRunner()
    assert runner.invoke(cli, ["index", str(repo)]).exit_code == 0
    with sqlite3.connect(repo / ".codesearch" / "index.sqlite3") as conn:
        dropped = conn.execute(
            "DELETE FROM embeddings WHERE embed_hash IN (SELECT embed_hash FROM chunks WHERE path LIKE 'web/%')"
        ).rowcount
        total = conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
    assert dropped > 0
    asked = runner.invoke(cli, ["ask", "--repo", str(repo), "--json", "split a csv line into fields", "-k", "3"])
    assert asked.exit_code == 0, asked.output
    names = [hit["qualified_name"] for hit in json.loads(asked.stdout)]
    assert "parseCsvLine" in names  # found by its keywords alone
    assert f"semantic: {total - dropped:,} of {total:,} definitions" in asked.stderr
    status = runner.invoke(cli, ["status", str(repo), "--check"])
    assert status.exit_code == 0 and f"{total - dropped:,} of {total:,} records embedded" in status.stdout
    finished = runner.invoke(cli, ["index", str(repo)])
    # The vectors it lacked come back from the machine-wide embedding cache, not the model.
    assert f"0 embedded (0/s), {dropped} from cache" in finished.output, finished.output
    asked = runner.invoke(cli, ["ask", "--repo", str(repo), "--json", "turn a title into a url slug", "-k", "3"])
    assert "semantic:" not in asked.stderr and json.loads(asked.stdout)[0]["qualified_name"] == "slugify"


def test_ignored_and_binary_files_are_not_indexed(indexed_repo: Path) -> None:
    names = [hit["name"] for hit in ask(indexed_repo, "ignored builder", "-k", "20")]
    assert "ignored_builder" not in names


def test_queries_file_prints_one_json_line_per_query(indexed_repo: Path, tmp_path: Path) -> None:
    queries = tmp_path / "queries.txt"
    queries.write_text("multiply two matrices\nturn a title into a url slug\n")
    result = CliRunner().invoke(cli, ["ask", "--repo", str(indexed_repo), "--queries-file", str(queries), "-k", "2"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line[0]["name"] for line in lines] == ["multiply", "slugify"]


def test_terminal_output_names_path_lines_and_code(indexed_repo: Path) -> None:
    result = CliRunner().invoke(cli, ["ask", "--repo", str(indexed_repo), "multiply two matrices", "-k", "1"])
    assert result.exit_code == 0, result.output
    assert "tools/Matrix.java:6-14" in result.stdout and "Matrix.multiply" in result.stdout
    assert "public static double[][] multiply" in result.stdout


def test_incremental_update_changes_only_what_changed(indexed_repo: Path) -> None:
    runner = CliRunner()
    unchanged = runner.invoke(cli, ["index", str(indexed_repo)])
    assert "0 new, 0 changed, 0 deleted, 7 unchanged" in unchanged.output
    assert "0 embedded" in unchanged.output
    cart = indexed_repo / "server" / "cart.py"
    cart.write_text(cart.read_text() + "\n\ndef apply_coupon(cart, code):\n    return code.strip().upper()\n")
    (indexed_repo / "web" / "format.ts").unlink()
    changed = runner.invoke(cli, ["index", str(indexed_repo)])
    assert "0 new, 1 changed, 1 deleted" in changed.output, changed.output
    assert "1 embedded" in changed.output, changed.output  # the cart's other methods come from the cache
    names = [hit["name"] for hit in ask(indexed_repo, "split a csv line into fields", "-k", "10")]
    assert "parseCsvLine" not in names
    assert ask(indexed_repo, "apply_coupon", "-k", "1")[0]["name"] == "apply_coupon"


def test_status_reports_staleness_without_the_model(indexed_repo: Path) -> None:
    (indexed_repo / "server" / "extra.py").write_text("def extra():\n    return 2\n")
    result = CliRunner().invoke(cli, ["status", str(indexed_repo), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["stale_new"] == 1 and report["chunks"] > 10
    (indexed_repo / "server" / "extra.py").unlink()


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real command in a child process (the source tree first on its path, installed or not)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])}
    return subprocess.run([sys.executable, "-m", "codesearch", *args], capture_output=True, text=True, cwd=cwd,
                          env=env)


def test_bad_input_gets_one_clear_line_and_exit_1(indexed_repo: Path, tmp_path: Path) -> None:
    bad_lines = tmp_path / "queries.txt"
    bad_lines.write_bytes(b"parse json\n\xff\xfe broken\n")
    cases = [
        (("ask", "   ", "--repo", str(indexed_repo)), "the query is empty"),
        (("ask", "x" * 5000, "--repo", str(indexed_repo)), "the limit is 2000"),
        (("ask", "sort", "--lang", "cobol", "--repo", str(indexed_repo)), "unknown language 'cobol'"),
        (("ask", "sort", "--repo", str(tmp_path)), "no index found"),
        (("index", str(indexed_repo), "--model", str(tmp_path / "nope")), "does not exist"),
        # Hostile input row 2: bytes that are not UTF-8 on the command line, and in a queries file.
        (("ask", "x \udcff", "--repo", str(indexed_repo)), "not valid Unicode"),
        (("ask", "--queries-file", str(bad_lines), "--repo", str(indexed_repo)),
         "line 2 of the queries file is not valid UTF-8"),
    ]
    for args, message in cases:
        result = run_cli(*args, cwd=tmp_path)
        assert result.returncode == 1, (args, result.stderr)
        assert message in result.stderr and "Traceback" not in result.stderr, result.stderr


def test_files_rank_whole_files_with_their_best_definitions(indexed_repo: Path) -> None:
    result = CliRunner().invoke(cli, ["ask", "--repo", str(indexed_repo), "--json", "--files", "-k", "2",
                                      "where are passwords hashed and checked"])
    assert result.exit_code == 0, result.output
    files = json.loads(result.stdout)
    assert len(files) == 2 and files[0]["path"] == "server/passwords.py"
    names = [hit["name"] for hit in files[0]["hits"]]
    assert {"hash_password", "verify_password"} <= set(names)
    assert files[0]["score"] == files[0]["hits"][0]["score"]
    assert all(hit["path"] == files[0]["path"] for hit in files[0]["hits"])
    text = CliRunner().invoke(cli, ["ask", "--repo", str(indexed_repo), "--files", "-k", "1", "password hashing"])
    assert text.exit_code == 0 and "server/passwords.py" in text.stdout and "hash_password" in text.stdout
