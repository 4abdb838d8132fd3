"""Ignore rules on real trees: pattern files at every level, git's precedence, and git itself as referee."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from codesearch.parsing.discovery import discover_files
from codesearch.parsing.ignore_rules import (
    IGNORED,
    MAX_PATTERN_FILE_BYTES,
    METADATA_DIR,
    VENDORED,
    find_repo_root,
    load_ignore_rules,
)
from codesearch.repository_files import NOT_REGULAR, SYMLINK_IN_PATH, TOO_LARGE
from tests.parsing.conftest import TreeMaker


def selected(root: Path) -> set[str]:
    return {source.path for source in discover_files(root).files}


def ignored(root: Path, paths: list[str]) -> set[str]:
    rules = load_ignore_rules(root)
    return {path for path in paths if rules.is_ignored(path, is_dir=False)}


def test_negation_reincludes_a_file(make_tree: TreeMaker) -> None:
    root = make_tree({".gitignore": "*.py\n!keep.py\n", "a.py": "", "keep.py": "", "sub/b.py": "",
                      "sub/keep.py": ""})
    assert selected(root) == {"keep.py", "sub/keep.py"}
    assert ignored(root, ["a.py", "keep.py", "sub/b.py", "sub/keep.py"]) == {"a.py", "sub/b.py"}


def test_nested_gitignore_overrides_its_parents(make_tree: TreeMaker) -> None:
    root = make_tree({
        ".gitignore": "*_gen.py\n", "pkg/.gitignore": "!*_gen.py\n",
        "top_gen.py": "", "pkg/x_gen.py": "", "pkg/deep/y_gen.py": "", "other/z_gen.py": "", "main.py": "",
    })
    assert selected(root) == {"main.py", "pkg/x_gen.py", "pkg/deep/y_gen.py"}


def test_nested_patterns_are_relative_to_their_folder(make_tree: TreeMaker) -> None:
    root = make_tree({
        "pkg/.gitignore": "/local.py\nhelper.py\n",
        "local.py": "", "helper.py": "", "pkg/local.py": "", "pkg/sub/local.py": "", "pkg/sub/helper.py": "",
    })
    assert selected(root) == {"local.py", "helper.py", "pkg/sub/local.py"}


def test_directory_only_pattern_spares_files_of_that_name(make_tree: TreeMaker) -> None:
    root = make_tree({".gitignore": "gen.py/\nbuild/\n", "gen.py/inner.py": "", "src/gen.py": "",
                      "src/build/out.py": "", "build/x.py": ""})
    assert selected(root) == {"src/gen.py"}
    rules = load_ignore_rules(root)
    assert rules.is_ignored("build", is_dir=True)
    assert not rules.is_ignored("build", is_dir=False)
    assert rules.is_ignored("build/x.py", is_dir=False)


def test_anchored_and_unanchored_patterns(make_tree: TreeMaker) -> None:
    root = make_tree({
        ".gitignore": "/only_top.py\nanywhere.py\ndocs/api.py\n",
        "only_top.py": "", "sub/only_top.py": "", "anywhere.py": "", "sub/anywhere.py": "",
        "docs/api.py": "", "sub/docs/api.py": "",
    })
    # A slash in the middle anchors a pattern to its folder, just like a leading one.
    assert selected(root) == {"sub/only_top.py", "sub/docs/api.py"}


def test_double_star_patterns(make_tree: TreeMaker) -> None:
    root = make_tree({
        ".gitignore": "**/gen/\na/**/z.py\n**/*_pb2.py\n",
        "gen/m.py": "", "x/y/gen/m.py": "", "a/z.py": "", "a/b/c/z.py": "", "b/a/z.py": "",
        "deep/er/q_pb2.py": "", "deep/er/q.py": "",
    })
    assert selected(root) == {"b/a/z.py", "deep/er/q.py"}


def test_nothing_below_an_excluded_folder_can_be_reincluded(make_tree: TreeMaker) -> None:
    root = make_tree({
        ".gitignore": "build/\n!build/keep.py\nout/*\n!out/keep.py\n",
        "build/keep.py": "", "build/.gitignore": "!*\n", "out/keep.py": "", "out/other.py": "",
    })
    # `out/*` excludes the files in out/, not out/ itself, so git lets `!out/keep.py` back in.
    assert selected(root) == {"out/keep.py"}
    rules = load_ignore_rules(root)
    assert rules.is_ignored("build/keep.py", is_dir=False)
    assert not rules.is_ignored("out/keep.py", is_dir=False)
    assert "build/" not in rules.specs_by_folder  # git never reads pattern files in excluded folders


def test_dot_ignore_overrides_gitignore_and_nests(make_tree: TreeMaker) -> None:
    root = make_tree({
        ".gitignore": "*.js\n", ".ignore": "!app.js\nscratch/\n", "sub/.ignore": "*.py\n",
        "app.js": "", "other.js": "", "scratch/s.py": "", "a.py": "", "sub/a.py": "", "sub/b.js": "",
    })
    assert selected(root) == {"app.js", "a.py"}


def test_info_exclude_ranks_below_every_gitignore(make_tree: TreeMaker) -> None:
    root = make_tree({
        ".git/info/exclude": "secret.py\nlocal_*.py\n", "pkg/.gitignore": "!local_keep.py\n",
        "secret.py": "", "pkg/local_x.py": "", "pkg/local_keep.py": "", "main.py": "",
    })
    assert selected(root) == {"main.py", "pkg/local_keep.py"}


def test_worktree_reads_the_shared_info_exclude(make_tree: TreeMaker, tmp_path: Path) -> None:
    common = tmp_path / "main.git"
    (common / "info").mkdir(parents=True)
    (common / "info" / "exclude").write_text("wt_only.py\n")
    (common / "worktrees" / "wt").mkdir(parents=True)
    (common / "worktrees" / "wt" / "commondir").write_text("../..\n")
    root = make_tree({".git": f"gitdir: {common / 'worktrees' / 'wt'}\n", "wt_only.py": "", "main.py": ""})
    assert selected(root) == {"main.py"}


def test_builtin_folders_have_their_own_reasons(make_tree: TreeMaker) -> None:
    root = make_tree({"main.py": ""})
    rules = load_ignore_rules(root)
    assert rules.reason_for("node_modules/lib/x.js", is_dir=False) == VENDORED
    assert rules.reason_for("a/vendor/b.go", is_dir=False) == VENDORED
    assert rules.reason_for("src/__pycache__", is_dir=True) == VENDORED
    assert rules.reason_for(".git/config", is_dir=False) == METADATA_DIR
    assert rules.reason_for(".codesearch", is_dir=True) == METADATA_DIR
    assert rules.reason_for("src/vendor.py", is_dir=False) is None  # a file, not a folder
    assert rules.reason_for("main.py", is_dir=False) is None


def test_rebuilt_rules_see_an_edited_gitignore(make_tree: TreeMaker) -> None:
    root = make_tree({".gitignore": "a.py\n", "a.py": "", "b.py": ""})
    assert load_ignore_rules(root).reason_for("a.py", is_dir=False) == IGNORED
    (root / ".gitignore").write_text("b.py\n")
    rules = load_ignore_rules(root)
    assert not rules.is_ignored("a.py", is_dir=False)
    assert rules.is_ignored("b.py", is_dir=False)


def test_comments_blank_lines_escapes_and_crlf(make_tree: TreeMaker) -> None:
    root = make_tree({".gitignore": b"# a comment\r\n\r\n\\#hash.py\r\n*.tmp.py\r\n",
                      "#hash.py": "", "x.tmp.py": "", "x.py": ""})
    assert selected(root) == {"x.py"}


def test_patterns_git_ignores_do_not_sink_the_file(make_tree: TreeMaker) -> None:
    # pathspec refuses "!" and a lone backslash; git skips them, and so must we (not crash)
    root = make_tree({".gitignore": "!\n*.tmp.py\n\\\n/\n", "x.tmp.py": "", "x.py": ""})
    assert selected(root) == {"x.py"}


def test_a_subfolder_root_honours_the_enclosing_repository(make_tree: TreeMaker) -> None:
    root = make_tree({
        ".git/HEAD": "ref: refs/heads/main\n", ".git/info/exclude": "excluded.py\n",
        ".gitignore": "*_gen.py\n/src/skip/\n", "src/.gitignore": "tmp.py\n",
        "src/a.py": "", "src/a_gen.py": "", "src/skip/x.py": "", "src/tmp.py": "", "src/excluded.py": "",
    })
    assert selected(root / "src") == {"a.py"}
    rules = load_ignore_rules(root / "src")
    assert rules.is_ignored("skip/x.py", is_dir=False)
    assert not rules.is_ignored("a.py", is_dir=False)
    assert find_repo_root(root / "src" / "a.py") == root


def test_an_ignored_subfolder_root_is_walked_on_its_own_rules(make_tree: TreeMaker) -> None:
    root = make_tree({
        ".git/HEAD": "", ".gitignore": "/versions/\n*.py\n", "versions/3.11/.gitignore": "skip.py\n",
        "versions/3.11/os.py": "", "versions/3.11/skip.py": "",
    })
    # Pointing at a folder the enclosing repository ignores means "index this", so the enclosing
    # pattern files (which would hide everything) step aside; the folder's own still apply.
    assert selected(root / "versions" / "3.11") == {"os.py"}
    assert selected(root) == set()


def test_find_repo_root_falls_back_to_start(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / ".codesearch").mkdir()
    assert find_repo_root(tmp_path / "a" / "b") == tmp_path / "a"
    assert find_repo_root(tmp_path / "a" / "b").is_absolute()
    lone = tmp_path / "lone"
    lone.mkdir()
    # Outside any repository the answer is the start itself; if something above tmp_path is a
    # repository after all, both searches must land on it.
    above = find_repo_root(tmp_path)
    assert find_repo_root(lone) == (lone if above == tmp_path else above)


GIT_TREE = {
    ".gitignore": "*.log\n!important.log\nbuild/\n/top_only.py\nout/*\n!out/keep.py\n**/gen/\ndocs/api.py\n",
    "pkg/.gitignore": "!*.log\n/local.py\nhelper.py\n",
    "pkg/sub/.gitignore": "*.py\n!keep_*.py\n",
    "app.py": "", "top_only.py": "", "pkg/top_only.py": "", "a.log": "", "important.log": "",
    "pkg/b.log": "", "build/x.py": "", "pkg/build/y.py": "", "out/keep.py": "", "out/other.py": "",
    "gen/m.py": "", "pkg/gen/n.py": "", "docs/api.py": "", "pkg/docs/api.py": "", "pkg/local.py": "",
    "pkg/helper.py": "", "pkg/x/helper.py": "", "pkg/x/local.py": "", "pkg/sub/s.py": "",
    "pkg/sub/keep_s.py": "", "pkg/sub/deeper/t.py": "", "pkg/sub/deeper/keep_t.py": "",
    "excluded_by_info.py": "",
}


@pytest.mark.skipif(shutil.which("git") is None, reason="needs the git executable as a referee")
def test_agrees_with_git_on_a_tangled_tree(make_tree: TreeMaker) -> None:
    root = make_tree(GIT_TREE)
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    (root / ".git" / "info").mkdir(exist_ok=True)
    (root / ".git" / "info" / "exclude").write_text("excluded_by_info.py\n")
    listing = subprocess.run(
        ["git", "-C", str(root), "ls-files", "--others", "--exclude-standard", "-z"],
        check=True, capture_output=True, text=True,
    ).stdout
    kept_by_git = {path for path in listing.split("\0") if path and not path.endswith(".gitignore")}
    candidates = [path for path in GIT_TREE if not path.endswith(".gitignore")]
    rules = load_ignore_rules(root)
    assert {path for path in candidates if not rules.is_ignored(path, is_dir=False)} == kept_by_git
    assert selected(root) == {path for path in kept_by_git if path.endswith(".py")}


def test_a_start_the_system_cannot_look_into_has_no_repository_above_it(tmp_path: Path) -> None:
    """Found by tests/fuzz/: a name too long for the system raised OSError (ENAMETOOLONG) from is_file()."""
    start = tmp_path / ("x" * 300)
    assert find_repo_root(start) == start


@pytest.mark.parametrize("kind", ["link to /dev/zero", "fifo", "link inside", "too large"])
def test_a_pattern_file_that_is_no_regular_file_is_left_out_and_counted(
    make_tree: TreeMaker, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Hostile input, row 4: read without a cap, /dev/zero was a MemoryError and a FIFO hung `index`."""
    root = make_tree({"a.py": "", "b.py": "", "sub/.gitignore": "b.py\n", "sub/b.py": "", "patterns": "a.py\n"})
    if kind == "fifo":
        os.mkfifo(root / ".gitignore")
    elif kind == "too large":
        (root / ".gitignore").write_text("a.py\n" + "#\n" * (MAX_PATTERN_FILE_BYTES // 2))
    else:
        (root / ".gitignore").symlink_to("/dev/zero" if kind == "link to /dev/zero" else root / "patterns")
    result = discover_files(root)
    assert {source.path for source in result.files} == {"a.py", "b.py"}  # sub/.gitignore still counts
    (skipped,) = [s for s in result.skipped if s.path == ".gitignore"]  # once, not also as an unsupported file
    assert skipped.reason == {"fifo": NOT_REGULAR, "too large": TOO_LARGE}.get(kind, SYMLINK_IN_PATH)
    assert skipped.detail.startswith("pattern file not read")
    with caplog.at_level(logging.WARNING):
        rules = load_ignore_rules(root)  # the watcher's and incremental updates' rules
    assert not rules.is_ignored("a.py", is_dir=False) and rules.is_ignored("sub/b.py", is_dir=False)
    assert any(".gitignore left out" in message for message in caplog.messages)


def test_a_worktree_pointer_that_is_a_fifo_is_not_waited_on(make_tree: TreeMaker) -> None:
    root = make_tree({"main.py": ""})
    os.mkfifo(root / ".git")  # as a `.git` file, it would name the git folder
    assert selected(root) == {"main.py"}
