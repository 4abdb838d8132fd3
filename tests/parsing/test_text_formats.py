"""The text-format table: names, lock files, --lang names and the include/exclude globs."""

from __future__ import annotations

import pytest

from codesearch.config import Settings
from codesearch.errors import UnsupportedLanguageError
from codesearch.parsing.languages import LANGUAGES
from codesearch.parsing.text_formats import (
    TEXT_FORMATS,
    TextFiles,
    format_for_path,
    get_format,
    is_lock_file,
    record_language,
)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("README.md", "markdown"), ("docs/guide.RST", "rst"), ("deploy/Dockerfile", "dockerfile"),
        ("Dockerfile.dev", "dockerfile"), ("api.dockerfile", "dockerfile"), ("GNUmakefile", "makefile"),
        ("build/rules.mk", "makefile"), ("CMakeLists.txt", "cmake"), ("notes.txt", "text"), ("USAGE", "text"),
        (".github/workflows/ci.yml", "yaml"), ("pyproject.toml", "toml"), ("setup.cfg", "ini"),
        ("tsconfig.json", "json"), ("build.gradle", "groovy"), ("api/v1.proto", "protobuf"), ("lib/x.pm", "perl"),
        ("photo.png", None), ("Makefile.am", None), ("LICENSE", None),
    ],
)
def test_formats_by_name(path: str, expected: str | None) -> None:
    found = format_for_path(path)
    assert (found.name if found else None) == expected


def test_names_are_unique_and_no_extension_is_claimed_twice() -> None:
    names = [fmt.name for fmt in TEXT_FORMATS]
    assert len(names) == len(set(names))
    extensions = [ext for fmt in TEXT_FORMATS for ext in fmt.extensions]
    assert len(extensions) == len(set(extensions)) and all(ext == ext.lower() for ext in extensions)


def test_no_format_shadows_a_grammar() -> None:
    # Discovery asks the grammar rows first anyway; a row here for a language that has a grammar
    # row now would only be dead, so it goes when the grammar comes.
    claimed = {ext for spec in LANGUAGES for ext in spec.extensions}
    grammars = {spec.name for spec in LANGUAGES}
    assert [fmt.name for fmt in TEXT_FORMATS if claimed & set(fmt.extensions) or fmt.name in grammars] == []


@pytest.mark.parametrize(
    "name", ["package-lock.json", "web/yarn.lock", "pnpm-lock.yaml", "Cargo.lock", "poetry.lock", "go.sum",
             "Gemfile.lock", "composer.lock", "uv.lock", "flake.lock", "anything.lock"],
)
def test_lock_files(name: str) -> None:
    assert is_lock_file(name)
    assert TextFiles(include=("*",)).format_for(name) is None  # not even when a glob asks for it


def test_record_language_accepts_grammars_formats_and_aliases() -> None:
    assert [record_language(name) for name in ("ts", "Python", "md", "YAML", "kotlin", "docker", "text")] == [
        "typescript", "python", "markdown", "yaml", "kotlin", "dockerfile", "text"
    ]
    with pytest.raises(UnsupportedLanguageError, match=r"unknown language 'cobol'.*markdown.*python"):
        record_language("cobol")
    with pytest.raises(UnsupportedLanguageError):
        get_format("python")


def test_include_and_exclude_globs() -> None:
    text = TextFiles(include=("*.tmpl", "ci/Jenkinsfile"), exclude=("docs/archive/*", "*.json"))
    assert text.format_for("templates/mail.tmpl") == get_format("text")  # no format: taken as plain text
    assert text.format_for("ci/Jenkinsfile") == get_format("text")
    assert text.format_for("Jenkinsfile") is None  # a glob with a "/" matches the whole path only
    assert text.format_for("docs/archive/2019.md") is None and text.is_excluded("docs/archive/2019.md")
    assert text.format_for("a/b/data.json") is None and text.is_excluded("a/b/data.json")
    assert text.format_for("docs/guide.md") == get_format("markdown") and not text.is_excluded("docs/guide.md")
    assert not text.is_excluded("docs/archive/photo.png")  # not a text file at all


def test_markup_and_templates_need_an_include_glob() -> None:
    assert TextFiles().format_for("web/index.html") is None and TextFiles().format_for("app/show.html.erb") is None
    assert format_for_path("web/index.html") == get_format("html")  # known, only not taken by default
    text = TextFiles(include=("*.html", "templates/*"), exclude=("web/old.html",))
    assert text.format_for("web/index.html") == get_format("html")
    assert text.format_for("templates/config/routes.rb.tt") == get_format("erb")
    assert text.format_for("web/old.html") is None and text.is_excluded("web/old.html")
    assert not TextFiles(exclude=("*.css",)).is_excluded("site.css")  # not taken anyway: no exclusion to count


def test_settings_turn_text_files_off() -> None:
    assert TextFiles.from_settings(Settings(index_text_files=False)) is None
    made = TextFiles.from_settings(Settings(text_include=("*.tmpl",), max_text_file_bytes=1000))
    assert made == TextFiles(("*.tmpl",), (), 1000)
