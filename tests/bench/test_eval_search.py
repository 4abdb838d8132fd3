"""The model-free parts of bench/eval_search.py: which manifest the mined set is read from, and its name."""

from __future__ import annotations

from tests.bench.scripts import REPO_ROOT, load_bench_script

eval_search = load_bench_script("eval_search")


def test_the_mined_set_reads_bench_corpora_toml_unless_told_otherwise() -> None:
    assert eval_search._parse_args(["--mined"]).manifest == REPO_ROOT / "bench" / "corpora.toml"
    languages = REPO_ROOT / "bench" / "corpora-languages.toml"
    assert eval_search._parse_args(["--mined", "--manifest", str(languages)]).manifest == languages


def test_a_second_manifest_gets_a_benchmark_name_of_its_own() -> None:
    first, languages = REPO_ROOT / "bench" / "corpora.toml", REPO_ROOT / "bench" / "corpora-languages.toml"
    assert eval_search.mined_name(first, with_docstrings=False) == "mined"
    assert eval_search.mined_name(first, with_docstrings=True) == "mined-docstrings"
    assert eval_search.mined_name(languages, with_docstrings=False) == "mined-corpora-languages"
    assert eval_search.mined_name(languages, with_docstrings=True) == "mined-docstrings-corpora-languages"
