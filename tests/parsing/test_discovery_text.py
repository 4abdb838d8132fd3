"""Discovery of text files (docs, config, languages without a grammar) when the settings take them."""

from __future__ import annotations

from codesearch.parsing.discovery import (
    BINARY,
    EXCLUDED_LANGUAGE,
    EXCLUDED_TEXT,
    IGNORED,
    LOCK_FILE,
    MINIFIED,
    QUIET_REASONS,
    TOO_LARGE,
    UNSUPPORTED,
    check_path,
    discover_files,
    load_ignore_rules,
)
from codesearch.parsing.text_formats import TextFiles
from codesearch.records import SkippedFile, SourceFile
from tests.parsing.conftest import TreeMaker

PROSE_LINE = "A paragraph kept on one line, as many Markdown writers do. " * 8  # ~480 bytes

TREE: dict[str, str | bytes] = {
    "app.py": "def main():\n    pass\n",
    "README.md": "# Shop\n\nSells tea.\n",
    "docs/long-lines.md": (PROSE_LINE + "\n\n") * 20,
    "deploy/Dockerfile": "FROM python:3.12\n",
    "config/app.yaml": "port: 8080\n",
    "scripts/release.pl": "#!/usr/bin/perl\nprint \"release\\n\";\n",
    "data/big.json": '{"rows": [' + ",\n".join(f'{{"id": {i}}}' for i in range(30_000)) + "]}\n",  # 400 KB
    "data/one-line.json": '{"rows": [' + ", ".join(f'{{"id": {i}, "name": "row"}}' for i in range(200)) + "]}",
    "web/site.min.css": "a{color:red}\n",
    "package-lock.json": '{"lockfileVersion": 3}\n',
    "Cargo.lock": "version = 3\n",
    "go.sum": "example.com/x v1.0.0 h1:abc=\n",
    "notes.bin.txt": b"text\x00with a NUL",
    "photo.png": b"\x89PNG\r\n",
    "tmp/scratch.md": "# scratch\n",
    ".gitignore": "tmp/\n",
}


def languages(files: tuple[SourceFile, ...]) -> dict[str, str]:
    return {source.path: source.language for source in files}


def test_text_files_are_taken_only_when_the_settings_ask(make_tree: TreeMaker) -> None:
    root = make_tree(TREE)
    assert languages(discover_files(root).files) == {"app.py": "python"}
    result = discover_files(root, text_files=TextFiles())
    assert languages(result.files) == {
        "README.md": "markdown", "app.py": "python", "config/app.yaml": "yaml", "deploy/Dockerfile": "dockerfile",
        "docs/long-lines.md": "markdown", "scripts/release.pl": "perl",
    }
    assert {s.path: s.reason for s in result.skipped} == {
        ".gitignore": UNSUPPORTED, "Cargo.lock": LOCK_FILE, "data/big.json": TOO_LARGE,
        "data/one-line.json": MINIFIED, "go.sum": LOCK_FILE, "notes.bin.txt": BINARY,
        "package-lock.json": LOCK_FILE, "photo.png": UNSUPPORTED, "tmp/": IGNORED, "web/site.min.css": MINIFIED,
    }
    assert {LOCK_FILE, EXCLUDED_TEXT} <= QUIET_REASONS


def test_text_files_have_a_smaller_size_limit_than_code(make_tree: TreeMaker) -> None:
    root = make_tree({"big.py": "x = 1\n" * 100, "big.md": "words\n" * 100})
    result = discover_files(root, max_file_bytes=10_000, text_files=TextFiles(max_file_bytes=500))
    assert languages(result.files) == {"big.py": "python"}
    assert [(s.path, s.reason) for s in result.skipped] == [("big.md", TOO_LARGE)]


def test_excluded_and_included_text_files(make_tree: TreeMaker) -> None:
    root = make_tree({"docs/a.md": "# A\n", "docs/old/b.md": "# B\n", "mail.tmpl": "Hello {{name}}\n"})
    text = TextFiles(include=("*.tmpl",), exclude=("docs/old/*",))
    result = discover_files(root, text_files=text)
    assert languages(result.files) == {"docs/a.md": "markdown", "mail.tmpl": "text"}
    assert [(s.path, s.reason) for s in result.skipped] == [("docs/old/b.md", EXCLUDED_TEXT)]


def test_the_language_filter_takes_format_names(make_tree: TreeMaker) -> None:
    root = make_tree(TREE)
    result = discover_files(root, languages=frozenset({"md"}), text_files=TextFiles())
    assert languages(result.files) == {"README.md": "markdown", "docs/long-lines.md": "markdown"}
    assert result.counts_by_reason()[EXCLUDED_LANGUAGE] == 7  # app.py and the six other text files


def test_check_path_agrees_with_the_walk_on_text_files(make_tree: TreeMaker) -> None:
    root = make_tree(TREE)
    text = TextFiles()
    result = discover_files(root, text_files=text)
    rules = load_ignore_rules(root)
    for source in result.files:
        assert check_path(root, source.path, rules=rules, text_files=text) == source
    for skipped in result.skipped:
        verdict = check_path(root, skipped.path, rules=rules, text_files=text)
        if skipped.reason == UNSUPPORTED or skipped.path.endswith("/"):
            assert verdict is None, skipped
        else:
            assert verdict == SkippedFile(skipped.path, skipped.reason, skipped.detail), skipped
    assert check_path(root, "README.md", rules=rules) is None  # without text files it is not a source file


def test_a_single_text_file_root(make_tree: TreeMaker) -> None:
    root = make_tree(TREE)
    assert languages(discover_files(root / "README.md", text_files=TextFiles()).files) == {"README.md": "markdown"}
    locked = discover_files(root / "Cargo.lock", text_files=TextFiles())
    assert [(s.path, s.reason) for s in locked.skipped] == [("Cargo.lock", LOCK_FILE)]
