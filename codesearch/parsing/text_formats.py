"""The text-format table: files no grammar claims that the index still keeps, cut by lines or sections.

Documentation (Markdown, reStructuredText, plain text), configuration (YAML, TOML, JSON, INI,
Dockerfile, Makefile, CMake) and source files of languages without a grammar yet (Perl, R, Groovy,
Protobuf, ...) become sections and line windows (text_records.py). A row's ``name`` is the
records' ``language``, so ``--lang markdown`` filters them. A row never competes with a grammar:
discovery asks ``languages.language_for_path`` first, so once a language gets a grammar row its
files take the grammar path, and its row here goes (a test checks no name or extension is in both).

Which text files are indexed is a setting (``TextFiles``): the formats on by default (all but
markup and templates), plus the files ``text_include`` globs name (in their format, or as plain
text), minus those ``text_exclude`` globs name. Lock files are never indexed: they are
machine-written, huge and say nothing a person searches for.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from pathlib import PurePosixPath

from codesearch.config import Settings
from codesearch.errors import UnsupportedLanguageError
from codesearch.parsing.languages import get_language, language_names

MARKDOWN, RST, BRACKETS, LINES = "markdown", "rst", "brackets", "lines"  # how a format is cut
TEXT = "text"  # the format of files without a known one that text_include globs take


@dataclass(frozen=True, slots=True)
class TextFormat:
    """How to recognise and cut one text format."""

    name: str  # stable id used in records, flags and JSON
    extensions: tuple[str, ...] = ()  # lower-case, with the dot
    file_names: tuple[str, ...] = ()  # whole names, lower-case ("makefile")
    name_prefixes: tuple[str, ...] = ()  # lower-case name starts ("dockerfile." for Dockerfile.dev)
    splitter: str = LINES  # MARKDOWN / RST: heading sections; BRACKETS: [section] headers; LINES: windows
    is_prose: bool = False  # paragraphs on one line are normal: the minified-file test is looser
    is_default: bool = True  # taken unless excluded; False: only files a text_include glob names


TEXT_FORMATS: tuple[TextFormat, ...] = (
    TextFormat("markdown", (".md", ".markdown", ".mdx"), splitter=MARKDOWN, is_prose=True),
    TextFormat("rst", (".rst",), splitter=RST, is_prose=True),
    TextFormat("asciidoc", (".adoc", ".asciidoc"), is_prose=True),
    TextFormat(TEXT, (".txt",), ("readme", "usage", "install", "changes", "changelog", "news", "contributing"),
               is_prose=True),
    TextFormat("yaml", (".yaml", ".yml")),
    TextFormat("toml", (".toml",), splitter=BRACKETS),
    TextFormat("json", (".json", ".jsonc", ".json5")),
    TextFormat("ini", (".ini", ".cfg", ".conf", ".properties"), (".editorconfig",), splitter=BRACKETS),
    TextFormat("dockerfile", (".dockerfile",), ("dockerfile", "containerfile"), ("dockerfile.", "containerfile.")),
    TextFormat("makefile", (".mk", ".mak"), ("makefile", "gnumakefile")),
    TextFormat("cmake", (".cmake",), ("cmakelists.txt",)),
    TextFormat("xml", (".xml", ".xsd", ".csproj", ".props", ".targets", ".plist")),
    # Markup and templates: neither docs, config nor code, numerous in web and Rails trees, and they
    # cost index time without helping the repo-level dev set (rails: +34% index time, -0.04 NDCG).
    TextFormat("html", (".html", ".htm"), is_default=False),
    TextFormat("erb", (".erb", ".tt"), is_default=False),  # ERB, and Thor's .tt templates (Rails generators)
    TextFormat("vue", (".vue",)),
    TextFormat("svelte", (".svelte",)),
    TextFormat("css", (".css", ".scss", ".sass", ".less"), is_default=False),
    TextFormat("powershell", (".ps1", ".psm1")),
    TextFormat("protobuf", (".proto",)),
    TextFormat("graphql", (".graphql", ".gql")),
    TextFormat("terraform", (".tf", ".tfvars", ".hcl")),
    TextFormat("groovy", (".groovy", ".gradle")),
    TextFormat("erlang", (".erl", ".hrl")),
    TextFormat("clojure", (".clj", ".cljs", ".cljc", ".edn")),
    TextFormat("cython", (".pyx", ".pxd", ".pxi")),
    TextFormat("perl", (".pl", ".pm")),
    TextFormat("r", (".r",)),
    TextFormat("nim", (".nim",)),
    TextFormat("objective-c", (".m", ".mm")),
    TextFormat("fortran", (".f90", ".f95", ".f03")),
    TextFormat("vim", (".vim",)),
)

# Machine-written dependency pins: never indexed, whatever the globs say (also any "*.lock").
LOCK_FILE_NAMES = frozenset({
    "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb", "deno.lock",
    "cargo.lock", "poetry.lock", "pipfile.lock", "pdm.lock", "uv.lock", "gemfile.lock", "composer.lock",
    "go.sum", "go.work.sum", "mix.lock", "pubspec.lock", "podfile.lock", "package.resolved", "flake.lock",
    "packages.lock.json", "gradle.lockfile", "shrinkwrap.yaml",
})

_BY_NAME = {fmt.name: fmt for fmt in TEXT_FORMATS}
_BY_EXTENSION = {ext: fmt for fmt in TEXT_FORMATS for ext in fmt.extensions}
_BY_FILE_NAME = {name: fmt for fmt in TEXT_FORMATS for name in fmt.file_names}
_PREFIXED = tuple((prefix, fmt) for fmt in TEXT_FORMATS for prefix in fmt.name_prefixes)
_ALIASES = {"md": "markdown", "restructuredtext": "rst", "yml": "yaml", "docker": "dockerfile", "make": "makefile",
            "txt": TEXT, "plain": TEXT, "objc": "objective-c"}


def format_for_path(path: str) -> TextFormat | None:
    """The text format of ``path`` (a repo-relative POSIX path) by its name, or None."""
    name = path.rpartition("/")[2].lower()
    found = _BY_FILE_NAME.get(name) or _BY_EXTENSION.get(PurePosixPath(name).suffix)
    if found is None:
        found = next((fmt for prefix, fmt in _PREFIXED if name.startswith(prefix)), None)
    return found


def get_format(name: str) -> TextFormat:
    """The row of a text format by name or alias; raises UnsupportedLanguageError."""
    key = name.strip().lower()
    found = _BY_NAME.get(_ALIASES.get(key, key))
    if found is None:
        raise UnsupportedLanguageError(f"unknown text format {name!r}")
    return found


def is_lock_file(path: str) -> bool:
    """Whether ``path`` names a dependency lock file (``Cargo.lock``, ``package-lock.json``, ...)."""
    name = path.rpartition("/")[2].lower()
    return name in LOCK_FILE_NAMES or name.endswith(".lock")


def record_language(name: str) -> str:
    """The language id of records for ``name``: a language with a grammar or a text format, by
    name or alias (``ts``, ``md``). For ``--lang`` and the server's ``languages`` filter.

    Raises:
        UnsupportedLanguageError: neither, with every accepted name in the message.
    """
    try:
        return get_language(name).name
    except UnsupportedLanguageError:
        pass
    try:
        return get_format(name).name
    except UnsupportedLanguageError:
        names = sorted(set(language_names()) | set(_BY_NAME))
        raise UnsupportedLanguageError(f"unknown language {name!r}; supported: {', '.join(names)}") from None


@dataclass(frozen=True, slots=True)
class TextFiles:
    """Which files without a grammar the index takes, from the settings.

    Globs use ``fnmatch`` on the repo-relative POSIX path (``*`` crosses ``/``); a glob without a
    ``/`` also matches the file name alone, so ``*.json`` and ``CHANGELOG.md`` match at any depth.
    """

    include: tuple[str, ...] = ()  # files taken as plain text even without a known format
    exclude: tuple[str, ...] = ()  # text files never taken (grammar files are not affected)
    max_file_bytes: int = Settings().max_text_file_bytes

    @classmethod
    def from_settings(cls, settings: Settings) -> TextFiles | None:
        """None when ``index_text_files`` is off."""
        if not settings.index_text_files:
            return None
        return cls(settings.text_include, settings.text_exclude, settings.max_text_file_bytes)

    def format_for(self, path: str) -> TextFormat | None:
        """The format ``path`` is indexed as (it has no grammar), or None if it is not taken.

        A format that is not on by default (markup, templates) needs an include glob; a file no
        format knows is taken as plain TEXT when an include glob names it.
        """
        if is_lock_file(path) or _matches(self.exclude, path):
            return None
        found = format_for_path(path)
        if found is not None and found.is_default:
            return found
        return (found or _BY_NAME[TEXT]) if _matches(self.include, path) else None

    def is_excluded(self, path: str) -> bool:
        """Whether an exclude glob keeps out a file that a format or an include glob would take."""
        if not _matches(self.exclude, path):
            return False
        found = format_for_path(path)
        return (found is not None and found.is_default) or _matches(self.include, path)


def _matches(globs: tuple[str, ...], path: str) -> bool:
    name = path.rpartition("/")[2]
    return any(fnmatch.fnmatchcase(path, glob) or ("/" not in glob and fnmatch.fnmatchcase(name, glob))
               for glob in globs)
