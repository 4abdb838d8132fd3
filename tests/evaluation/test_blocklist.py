from __future__ import annotations

from pathlib import Path

import pytest

from codesearch.errors import DataError
from codesearch.evaluation.blocklist import load_blocklist, name_variants, normalize_name, parse_blocklist

BLOCKLIST = parse_blocklist(
    """# comment line
requests   # trailing comment
more-itertools
spf13/cobra
fmtlib/fmt
commons-lang-unused
apache/commons-lang
lodash
libuv
trpc

"""
)


def test_comments_and_blank_lines_are_ignored() -> None:
    assert "requests" in BLOCKLIST.entries
    assert not any(entry.startswith("#") or not entry for entry in BLOCKLIST.entries)


@pytest.mark.parametrize(
    "name",
    [
        "requests", "Requests", "python3-requests",  # plain, case, Debian Python package
        "more_itertools", "More.Itertools",  # PyPI spelling variants
        "spf13/cobra", "github.com/spf13/cobra", "golang-github-spf13-cobra-dev",  # Go repo forms
        "cobra",  # bare repository name of an owner/name entry
        "libfmt-dev", "libcommons-lang3-java",  # Debian library packages
        "libuv1-dev", "lodash.debounce", "@trpc/server",  # version tail, per-method npm, npm scope
    ],
)
def test_blocked_names(name: str) -> None:
    assert BLOCKLIST.is_blocked(name)


@pytest.mark.parametrize(
    "name", ["requests-toolbelt", "uv", "rich", "commons-io", "golang-github-google-go-cmp-dev"]
)
def test_unrelated_names_pass(name: str) -> None:
    assert not BLOCKLIST.is_blocked(name)


def test_normalisation() -> None:
    assert normalize_name("  More_Itertools ") == "more-itertools"
    assert normalize_name("https://github.com/Spf13/Cobra.git") == "spf13-cobra"
    assert {"libfoo2-dev", "libfoo", "foo"} <= name_variants("libfoo2-dev")


def test_vendored_copies_are_found_by_folder_name() -> None:
    assert BLOCKLIST.blocked_path_part("src/pip/_vendor/requests/api.py") == "requests"
    assert BLOCKLIST.blocked_path_part("lib/more_itertools/recipes.py") == "more_itertools"
    assert BLOCKLIST.blocked_path_part("lib/requests.py") is None  # a file, not a copied project
    assert BLOCKLIST.blocked_path_part("cmd/cobra/main.go") is None  # bare repo names are too common


def test_the_project_blocklist_loads(shared_dir: Path) -> None:
    blocklist = load_blocklist(shared_dir / "heldout-blocklist.txt")
    for name in ("requests", "lodash", "spf13/cobra", "serde", "rack", "laravel/framework", "cosqa-test"):
        assert blocklist.is_blocked(name), name


def test_a_missing_or_empty_blocklist_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot read"):
        load_blocklist(tmp_path / "nope.txt")
    (tmp_path / "empty.txt").write_text("# nothing\n")
    with pytest.raises(DataError, match="no names"):
        load_blocklist(tmp_path / "empty.txt")
