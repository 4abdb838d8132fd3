from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from codesearch.errors import DataError
from codesearch.evaluation.blocklist import load_blocklist, parse_blocklist
from codesearch.evaluation.corpora import (
    COMPLETE_MARKER,
    blocked_packages,
    default_corpora_dir,
    is_fetched,
    load_manifest,
    package_dir,
    package_sources,
    parse_manifest,
    source_root,
)
from codesearch.evaluation.held_out import held_out_blocklist

REPO_ROOT = Path(__file__).resolve().parents[2]
ENTRY = (
    '[[package]]\nname = "{name}"\nversion = "1.0"\nlanguage = "{language}"\nsource = "{source}"\n'
    'upstream = "o/r"\n'
)


def _manifest(*entries: str) -> str:
    return "\n".join(entries)


def test_the_committed_manifest_is_valid_and_not_held_out(shared_dir: Path) -> None:
    packages = load_manifest(REPO_ROOT / "bench" / "corpora.toml")
    per_language = Counter(package.language for package in packages)
    assert len(per_language) >= 6
    assert all(2 <= count <= 4 for count in per_language.values()), per_language
    assert blocked_packages(packages, load_blocklist(shared_dir / "heldout-blocklist.txt")) == []
    assert all(package.version[0].isdigit() for package in packages)  # exact pins, no ranges


def test_the_languages_manifest_is_apart_from_the_first_the_held_out_sets_and_training(shared_dir: Path) -> None:
    packages = load_manifest(REPO_ROOT / "bench" / "corpora-languages.toml")
    first = load_manifest(REPO_ROOT / "bench" / "corpora.toml")
    # Only languages the first manifest lacks, so its figures cannot change whichever is mined.
    assert {p.language for p in packages}.isdisjoint({p.language for p in first})
    held_out = held_out_blocklist(shared_dir / "heldout-blocklist.txt", [REPO_ROOT / "bench" / "corpora.toml"],
                                  [shared_dir / "benchmarks" / "repo-level" / "repos.json"])
    assert blocked_packages(packages, held_out) == []
    assert all(package.version[0].isdigit() for package in packages)
    # Nothing a training recipe lists (name or upstream), either way round.
    evaluation = parse_blocklist("\n".join(n for p in packages for n in (p.name, p.upstream)))
    recipes = [path for path in sorted((REPO_ROOT / "training" / "recipes").rglob("*.toml"))
               if "[[package]]" in path.read_text(encoding="utf-8")]
    assert recipes
    for recipe in recipes:
        training = load_manifest(recipe)
        assert blocked_packages(training, evaluation) == [], recipe
        names = parse_blocklist("\n".join(n for p in training for n in (p.name, p.upstream)))
        assert blocked_packages(packages, names) == [], recipe


def test_parse_reads_fields_and_canonical_language() -> None:
    text = ENTRY.format(name="rich", language="py", source="pypi") + 'subdir = "/src/"\n'
    (package,) = parse_manifest(text)
    assert (package.name, package.version) == ("rich", "1.0")
    assert (package.language, package.source) == ("python", "pypi")
    assert package.subdir == "src"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "one or more"),
        (ENTRY.format(name="a", language="python", source="cran"), "source must be"),
        (ENTRY.format(name="a", language="cobol", source="pypi"), "unknown language"),
        (ENTRY.format(name="a", language="python", source="pypi").replace('version = "1.0"\n', ""),
         "version"),
        (ENTRY.format(name="a", language="python", source="pypi") + "colour = 1\n", "unknown key"),
        (ENTRY.format(name="a", language="python", source="pypi") + 'subdir = "../x"\n', "inside"),
        (_manifest(ENTRY.format(name="a", language="python", source="pypi"),
                   ENTRY.format(name="A", language="go", source="apt")), "listed twice"),
        ("[[package", "manifest"),
    ],
)
def test_malformed_manifests_raise(text: str, message: str) -> None:
    with pytest.raises(DataError, match=message):
        parse_manifest(text)


def test_blocked_names_and_upstreams_are_reported() -> None:
    packages = parse_manifest(_manifest(
        ENTRY.format(name="python3-requests", language="python", source="apt"),
        ENTRY.format(name="fine", language="python", source="pypi").replace("o/r", "spf13/cobra"),
        ENTRY.format(name="other", language="go", source="apt"),
    ))
    found = blocked_packages(packages, parse_blocklist("requests\nspf13/cobra\n"))
    assert [line.split()[0] for line in found] == ["python3-requests", "fine"]


def test_cache_layout_and_fetched_state(tmp_path: Path) -> None:
    (package,) = parse_manifest(ENTRY.format(name="@scope/lib", language="typescript", source="npm")
                                + 'subdir = "package/src"\n')
    assert package_dir(tmp_path, package) == tmp_path / "typescript" / "scope-lib-1.0"
    assert source_root(tmp_path, package) == package_dir(tmp_path, package) / "tree" / "package" / "src"
    assert not is_fetched(tmp_path, package)
    with pytest.raises(DataError, match="scope/lib"):
        package_sources([package], tmp_path)
    package_dir(tmp_path, package).mkdir(parents=True)
    (package_dir(tmp_path, package) / COMPLETE_MARKER).write_text("done")
    (source,) = package_sources([package], tmp_path)
    assert (source.name, source.language) == ("@scope/lib", "typescript")
    assert source.root == source_root(tmp_path, package)


def test_default_cache_dir_follows_xdg() -> None:
    assert default_corpora_dir({"XDG_CACHE_HOME": "/c"}) == Path("/c/codesearch/corpora")
    assert default_corpora_dir({"HOME": "/h"}) == Path("/h/.cache/codesearch/corpora")
