from __future__ import annotations

import ast
import hashlib
from pathlib import Path

import pytest

from codesearch.evaluation.benchmark import check_benchmark
from codesearch.evaluation.blocklist import parse_blocklist
from codesearch.evaluation.mined import (
    MiningOptions,
    is_usable_summary,
    mine_benchmark,
    remove_nested_docstrings,
    source_files,
)
from codesearch.evaluation.records import PackageSource
from codesearch.parsing.languages import LanguageSpec
from codesearch.records import Chunk, FileExtraction


def fake_extract(path: str, source: bytes, language: LanguageSpec) -> FileExtraction:
    """A stand-in for the tree-sitter extractor: Python functions and classes via ``ast``."""
    text = source.decode()
    line_starts = [0]
    for line in text.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line.encode()))
    chunks = []
    for node in ast.walk(ast.parse(text)):
        if not isinstance(node, ast.FunctionDef | ast.ClassDef):
            continue
        code = ast.get_source_segment(text, node) or ""
        has_doc = bool(node.body) and isinstance(node.body[0], ast.Expr) and isinstance(
            node.body[0].value, ast.Constant) and isinstance(node.body[0].value.value, str)
        raw = (ast.get_source_segment(text, node.body[0]) or "") if has_doc else ""
        doc = ast.get_docstring(node) or ""
        without = "\n".join(line for line in code.splitlines() if not raw or line.strip() not in raw.strip())
        end_line = node.end_lineno or node.lineno
        chunks.append(Chunk(
            path=path, language=language.name, kind="class" if isinstance(node, ast.ClassDef) else "function",
            name=node.name, qualified_name=node.name, start_line=node.lineno, end_line=end_line,
            signature_line=node.lineno, start_byte=line_starts[node.lineno - 1] + node.col_offset,
            end_byte=line_starts[end_line - 1] + (node.end_col_offset or 0), signature=code.splitlines()[0],
            docstring_raw=raw, docstring=doc, docstring_summary=doc.split("\n\n")[0].replace("\n", " "),
            code=code, code_without_docstring=without, content_hash=hashlib.sha256(code.encode()).hexdigest(),
        ))
    return FileExtraction(path, language.name, tuple(chunks))


def _function(name: str, doc: str, body: str = "return 1") -> str:
    return f'def {name}(x):\n    """{doc}"""\n    {body}\n\n\n'


def _package(tmp_path: Path, files: dict[str, str], name: str = "pkg") -> PackageSource:
    root = tmp_path / name
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(text)
    return PackageSource(name, "python", root)


def test_documented_functions_become_queries_over_all_functions(tmp_path: Path) -> None:
    package = _package(tmp_path, {
        "pkg/math.py": _function("add", "Add two numbers together.", "return x + x")
        + _function("undocumented_helper", "", "return x")
        + "class Box:\n    \"\"\"A box holding one value.\"\"\"\n\n"
        "    def get(self):\n        \"\"\"Return the value in the box.\"\"\"\n        return self.v\n",
    })
    mined = mine_benchmark([package], fake_extract)
    benchmark = mined.benchmark
    check_benchmark(benchmark)
    assert sorted(benchmark.queries.values()) == ["Add two numbers together.", "Return the value in the box."]
    assert len(benchmark.corpus) == 3  # add, undocumented_helper, Box.get: classes are not documents
    for query_id, text in benchmark.queries.items():
        (gold,) = benchmark.relevant[query_id]
        assert gold.startswith("pkg:pkg/math.py:")
        assert text not in benchmark.corpus[gold]
    assert set(benchmark.doc_group.values()) == {"pkg"}
    assert set(benchmark.doc_language.values()) == {"python"}
    (stats,) = mined.packages
    assert (stats.file_count, stats.function_count, stats.documented_count, stats.query_count) == (1, 3, 2, 2)


@pytest.mark.parametrize(
    "summary",
    ["", "Add.", "Return value.", "TODO: make this faster later", "@deprecated use other things",
     "Constructor for the Foo class", "{@inheritDoc}", "Getter for the name field", "See also the other one"],
)
def test_unusable_summaries(summary: str) -> None:
    assert not is_usable_summary(summary)


def test_usable_summary() -> None:
    assert is_usable_summary("Parse a date string into a datetime.")
    assert not is_usable_summary("Parse the string.", min_words=4)


def test_summaries_shared_by_different_functions_are_dropped(tmp_path: Path) -> None:
    package = _package(tmp_path, {
        "a.py": _function("first", "Compute the checksum value.", "return 1"),
        "b.py": _function("second", "Compute the checksum value.", "return 2"),
        "c.py": _function("third", "Something else entirely here."),
    })
    benchmark = mine_benchmark([package], fake_extract).benchmark
    assert list(benchmark.queries.values()) == ["Something else entirely here."]


def test_exact_copies_are_all_relevant(tmp_path: Path) -> None:
    copy = _function("normalize", "Normalize a path for display.", "return x.strip()")
    package = _package(tmp_path, {"src/util.py": copy, "dist2/util.py": copy})
    benchmark = mine_benchmark([package], fake_extract).benchmark
    (query_id,) = benchmark.queries
    assert benchmark.relevant[query_id] == frozenset(benchmark.corpus)
    assert len(benchmark.corpus) == 2


def test_nested_docstrings_are_removed_from_the_enclosing_function(tmp_path: Path) -> None:
    source = (
        "def outer(x):\n"
        '    """Wrap the callable in a retry loop."""\n'
        "    def inner(y):\n"
        '        """Call the wrapped function\n        and retry on failure."""\n'
        "        return y\n"
        "    return inner\n"
    )
    benchmark = mine_benchmark([_package(tmp_path, {"m.py": source})], fake_extract).benchmark
    assert len(benchmark.queries) == 2
    for document in benchmark.corpus.values():
        assert "retry" not in document
        assert "wrapped" not in document


def test_remove_nested_docstrings_matches_reindented_lines() -> None:
    text = 'def f():\n    def g():\n        """Doc line one\n           line two."""\n        pass'
    raw = '"""Doc line one\n               line two."""'  # as in the source, indented deeper
    assert remove_nested_docstrings(text, [raw]) == "def f():\n    def g():\n        pass"
    assert remove_nested_docstrings('x = 1; """inline doc"""', ['"""inline doc"""']) == "x = 1; "


def test_a_summary_still_present_in_the_code_is_dropped(tmp_path: Path) -> None:
    leaky = 'def f(x):\n    """Fetch the remote index."""\n    # Fetch the remote index.\n    return x\n'
    benchmark = mine_benchmark([_package(tmp_path, {"m.py": leaky})], fake_extract).benchmark
    assert not benchmark.queries


def test_sampling_is_seeded_and_per_language(tmp_path: Path) -> None:
    files = {
        f"m{i}.py": _function(f"f{i}", f"Handle case number {i} of ten.", f"return {i}") for i in range(10)
    }
    package = _package(tmp_path, files)

    def sample(seed: int) -> list[str]:
        options = MiningOptions(max_queries_per_language=4, seed=seed)
        return sorted(mine_benchmark([package], fake_extract, options).benchmark.queries)

    assert len(sample(0)) == 4
    assert sample(0) == sample(0)
    assert sample(0) != sample(1)
    assert len(mine_benchmark([package], fake_extract).benchmark.corpus) == 10


def test_vendored_minified_foreign_and_blocklisted_files_are_skipped(tmp_path: Path) -> None:
    package = _package(tmp_path, {
        "pkg/core.py": "x = 1\n",
        "pkg/_vendor/six.py": "x = 1\n",
        "node_modules/dep/index.py": "x = 1\n",
        "pkg/requests/api.py": "x = 1\n",
        "pkg/.hidden/a.py": "x = 1\n",
        "pkg/script.js": "x = 1\n",
        "pkg/big.py": "#" * 200,
    })
    blocklist = parse_blocklist("requests\n")
    assert source_files(package, blocklist, max_file_bytes=100) == ["pkg/core.py"]
    assert "pkg/requests/api.py" in source_files(package)


def test_each_package_is_its_own_pool(tmp_path: Path) -> None:
    first = _package(tmp_path, {"a.py": _function("a", "Open the first archive file.")}, name="one")
    second = _package(tmp_path, {"b.py": _function("b", "Close the second archive file.")}, name="two")
    benchmark = mine_benchmark([first, second], fake_extract).benchmark
    assert sorted(benchmark.doc_group.values()) == ["one", "two"]
    check_benchmark(benchmark)


def test_with_the_real_extractor_no_query_is_left_in_the_corpus(tmp_path: Path) -> None:
    from codesearch.parsing.extract import extract_chunks

    source = (
        "class Cache:\n"
        '    """An in-memory cache with expiry."""\n\n'
        "    def get(self, key):\n"
        '        """Look up a key and drop it when expired.\n\n'
        '        Args:\n            key: the key.\n        """\n'
        "        return self.items.get(key)\n\n\n"
        "def retry(fn):\n"
        '    """Wrap a function in a retry loop."""\n'
        "    def attempt(*args):\n"
        '        """Call the wrapped function once more."""\n'
        "        return fn(*args)\n"
        "    return attempt\n"
    )
    benchmark = mine_benchmark([_package(tmp_path, {"lib/cache.py": source})], extract_chunks).benchmark
    check_benchmark(benchmark)
    assert sorted(benchmark.queries.values()) == [
        "Call the wrapped function once more.",
        "Look up a key and drop it when expired.",
        "Wrap a function in a retry loop.",
    ]
    names = sorted(doc_id.split(":")[-1] for doc_id in benchmark.corpus)
    assert names == ["Cache.get", "retry", "retry.attempt"]
    for query in benchmark.queries.values():
        for document in benchmark.corpus.values():
            assert query.rstrip(".") not in document


def test_packages_of_another_language_leave_a_languages_queries_as_they_were(tmp_path: Path) -> None:
    # Why bench/corpora-languages.toml may be mined on its own or beside bench/corpora.toml: a
    # language's queries, their relevance, its sample and its pools do not depend on other languages.
    from codesearch.evaluation.benchmark import split_by_group
    from codesearch.parsing.extract import extract_chunks

    python = _package(tmp_path, {f"m{i}.py": _function(f"f{i}", f"Handle case number {i} of six.", f"return {i}")
                                 for i in range(6)})
    lua_root = tmp_path / "lua"
    lua_root.mkdir()
    (lua_root / "m.lua").write_text("".join(
        f"--- Handle case number {i} of six.\nlocal function g{i}(x)\n  return x + {i}\nend\n\n" for i in range(6)
    ))
    lua = PackageSource("lua-pkg", "lua", lua_root)
    options = MiningOptions(max_queries_per_language=3)
    alone = mine_benchmark([python], extract_chunks, options).benchmark
    both = mine_benchmark([python, lua], extract_chunks, options).benchmark
    lua_queries = {qid for qid in both.queries if qid.startswith("q:lua-pkg:")}
    assert len(alone.queries) == 3 and len(lua_queries) == 3
    assert {qid: both.queries[qid] for qid in both.queries if qid not in lua_queries} == alone.queries
    assert {qid: both.relevant[qid] for qid in alone.queries} == alone.relevant
    assert split_by_group(both)[1].corpus == split_by_group(alone)[0].corpus  # pools: "lua-pkg" < "pkg"
