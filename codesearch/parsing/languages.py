"""The language table: one row per supported language, and lookups by name and file extension.

Adding a language means adding one row here and one ``grammars/<query_name>.scm`` file. Nothing
else in the code branches on the language: per-language behaviour is data in this table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePath

from codesearch.errors import UnsupportedLanguageError


@dataclass(frozen=True, slots=True)
class LanguageSpec:
    """How to find, parse and read one language."""

    name: str  # stable id used in records, flags and JSON
    extensions: tuple[str, ...]  # lower-case, with the dot
    grammar_module: str  # importable tree-sitter grammar package
    grammar_function: str  # function of that module returning the language pointer
    query_name: str  # grammars/<query_name>.scm
    scope_separator: str  # joins enclosing names into qualified_name
    doc_comment_prefixes: tuple[str, ...] = ()  # comments directly above a definition that count as docs
    wrapper_node_types: tuple[str, ...] = ()  # parents that belong to the definition (decorators, export)
    attribute_node_types: tuple[str, ...] = ()  # siblings between doc comment and definition (Rust #[..])
    qualified_name_node_types: tuple[str, ...] = ()  # names taken as written, split at the separator (C++)
    directive_comment_prefixes: tuple[str, ...] = ()  # comments above that belong but are not docs (//go:)
    name_separators: tuple[str, ...] = ()  # more separators of written qualified names (Lua `M:method`)
    arity_separator: str = ""  # set: qualified names end with it and the arity (Elixir `Mod.fun/2`)
    merges_clauses: bool = False  # adjacent definitions of one name are one record (Haskell equations)


# ocamldoc section headings (`(** {2 Iterators} *)`) title what follows; they document no one item.
_OCAMLDOC_HEADINGS = tuple(f"(** {{{level} " for level in range(1, 10))

LANGUAGES: tuple[LanguageSpec, ...] = (
    LanguageSpec(
        "python", (".py", ".pyi"), "tree_sitter_python", "language", "python", ".",
        wrapper_node_types=("decorated_definition",),
    ),
    LanguageSpec(
        "javascript", (".js", ".jsx", ".mjs", ".cjs"), "tree_sitter_javascript", "language", "javascript",
        ".", doc_comment_prefixes=("/**",), wrapper_node_types=("export_statement",),
        attribute_node_types=("decorator",),
    ),
    LanguageSpec(
        "typescript", (".ts", ".mts", ".cts"), "tree_sitter_typescript", "language_typescript",
        "typescript", ".", doc_comment_prefixes=("/**",), wrapper_node_types=("export_statement",),
        attribute_node_types=("decorator",),
    ),
    LanguageSpec(
        "tsx", (".tsx",), "tree_sitter_typescript", "language_tsx", "typescript", ".",
        doc_comment_prefixes=("/**",), wrapper_node_types=("export_statement",),
        attribute_node_types=("decorator",),
    ),
    LanguageSpec(
        "go", (".go",), "tree_sitter_go", "language", "go", ".", doc_comment_prefixes=("//", "/*"),
        directive_comment_prefixes=("//go:", "//nolint", "//lint:", "//export ", "//extern ", "//line "),
    ),
    LanguageSpec("java", (".java",), "tree_sitter_java", "language", "java", ".", doc_comment_prefixes=("/**",)),
    LanguageSpec(
        "ruby", (".rb", ".rake", ".gemspec"), "tree_sitter_ruby", "language", "ruby", "#",
        doc_comment_prefixes=("#",), wrapper_node_types=("argument_list", "call"),
        directive_comment_prefixes=("# rubocop:", "# frozen_string_literal:", "# typed:", "# -*-"),
    ),
    LanguageSpec("php", (".php",), "tree_sitter_php", "language_php", "php", "::", doc_comment_prefixes=("/**",)),
    LanguageSpec(
        "rust", (".rs",), "tree_sitter_rust", "language", "rust", "::",
        # `//!` is an inner doc: it documents the enclosing module, never the item after it.
        doc_comment_prefixes=("///", "/**"), attribute_node_types=("attribute_item",),
    ),
    LanguageSpec(  # a .h file is C or C++ by its content and folder: see header_language.py
        "c", (".c", ".h"), "tree_sitter_c", "language", "c", "::",
        doc_comment_prefixes=("/**", "///", "/*!", "//!"),
        wrapper_node_types=("type_definition", "field_declaration"),
    ),
    LanguageSpec(
        "cpp", (".cc", ".cpp", ".cxx", ".c++", ".hh", ".hpp", ".hxx", ".h++", ".ipp", ".inl", ".tcc"),
        "tree_sitter_cpp",
        "language", "cpp", "::", doc_comment_prefixes=("/**", "///", "/*!", "//!"),
        wrapper_node_types=(
            "template_declaration", "friend_declaration", "linkage_specification", "field_declaration",
        ),
        qualified_name_node_types=("qualified_identifier", "operator_name", "operator_cast"),
    ),
    LanguageSpec(
        "kotlin", (".kt", ".kts"), "tree_sitter_kotlin", "language", "kotlin", ".", doc_comment_prefixes=("/**",),
    ),
    LanguageSpec(
        "swift", (".swift",), "tree_sitter_swift", "language", "swift", ".", doc_comment_prefixes=("///", "/**"),
    ),
    LanguageSpec(
        "scala", (".scala", ".sc"), "tree_sitter_scala", "language", "scala", ".", doc_comment_prefixes=("/**",),
    ),
    LanguageSpec(
        "lua", (".lua",), "tree_sitter_lua", "language", "lua", ".", doc_comment_prefixes=("--",),
        wrapper_node_types=("variable_declaration",), name_separators=(":",),
        qualified_name_node_types=("dot_index_expression", "method_index_expression"),
        directive_comment_prefixes=("---@diagnostic", "-- luacheck:", "--luacheck:"),
    ),
    LanguageSpec(
        "bash", (".sh", ".bash", ".zsh", ".bats"), "tree_sitter_bash", "language", "bash", ".",
        doc_comment_prefixes=("#",), directive_comment_prefixes=("#!", "# shellcheck"),
    ),
    LanguageSpec("zig", (".zig",), "tree_sitter_zig", "language", "zig", ".", doc_comment_prefixes=("///",)),
    LanguageSpec(
        "sql", (".sql",), "tree_sitter_sql", "language", "sql", ".", doc_comment_prefixes=("--",),
        wrapper_node_types=("statement",),
    ),
    LanguageSpec(
        "elixir", (".ex", ".exs"), "tree_sitter_elixir", "language", "elixir", ".", arity_separator="/",
        merges_clauses=True,
    ),
    LanguageSpec(
        "haskell", (".hs",), "tree_sitter_haskell", "language", "haskell", ".", merges_clauses=True,
    ),
    LanguageSpec(
        "dart", (".dart",), "tree_sitter_dart", "language", "dart", ".", doc_comment_prefixes=("///", "/**"),
        attribute_node_types=("annotation",),
    ),
    LanguageSpec(
        "ocaml", (".ml",), "tree_sitter_ocaml", "language_ocaml", "ocaml", ".", doc_comment_prefixes=("(**",),
        directive_comment_prefixes=_OCAMLDOC_HEADINGS,
    ),
    LanguageSpec(
        "ocaml_interface", (".mli",), "tree_sitter_ocaml", "language_ocaml_interface", "ocaml", ".",
        doc_comment_prefixes=("(**",), directive_comment_prefixes=_OCAMLDOC_HEADINGS,
    ),
    LanguageSpec(
        "julia", (".jl",), "tree_sitter_julia", "language", "julia", ".",
        qualified_name_node_types=("field_expression",),
    ),
    LanguageSpec(
        "csharp", (".cs",), "tree_sitter_c_sharp", "language", "csharp", ".", doc_comment_prefixes=("///",),
    ),
)

_BY_NAME = {spec.name: spec for spec in LANGUAGES}
_BY_EXTENSION = {ext: spec for spec in LANGUAGES for ext in spec.extensions}
_ALIASES = {"js": "javascript", "jsx": "javascript", "ts": "typescript", "py": "python", "c++": "cpp",
            "cs": "csharp", "c#": "csharp", "rb": "ruby", "rs": "rust", "golang": "go",
            "kt": "kotlin", "ml": "ocaml", "mli": "ocaml_interface", "jl": "julia", "ex": "elixir",
            "exs": "elixir", "hs": "haskell", "sh": "bash", "shell": "bash"}


def language_names() -> tuple[str, ...]:
    """All supported language ids, in table order."""
    return tuple(spec.name for spec in LANGUAGES)


def get_language(name: str) -> LanguageSpec:
    """The row for a language id or common alias ("ts", "c#"); raises UnsupportedLanguageError."""
    key = name.strip().lower()
    spec = _BY_NAME.get(_ALIASES.get(key, key))
    if spec is None:
        raise UnsupportedLanguageError(
            f"unknown language {name!r}; supported: {', '.join(language_names())}"
        )
    return spec


def language_for_path(path: str | PurePath) -> LanguageSpec | None:
    """The row whose extension matches ``path`` (case-insensitive), or None."""
    return _BY_EXTENSION.get(PurePath(path).suffix.lower())
