"""Loading grammars and their tag queries (``grammars/<lang>.scm``), compiled once per process.

Query files ship as package data (``codesearch.grammars``); in a source checkout that is not
installed, they are read from the top-level ``grammars/`` folder instead.
"""

from __future__ import annotations

import functools
import importlib
import importlib.resources
from pathlib import Path
from typing import TYPE_CHECKING

from codesearch.errors import GrammarError
from codesearch.parsing.languages import LanguageSpec

if TYPE_CHECKING:
    import tree_sitter

_SOURCE_TREE_GRAMMARS = Path(__file__).resolve().parents[2] / "grammars"


def load_query(language: LanguageSpec) -> str:
    """The text of ``grammars/<query_name>.scm`` for ``language``."""
    file_name = f"{language.query_name}.scm"
    try:
        resource = importlib.resources.files("codesearch.grammars").joinpath(file_name)
        if resource.is_file():
            return resource.read_text(encoding="utf-8")
    except ModuleNotFoundError:
        pass  # a source checkout run without installing: fall back to the folder
    path = _SOURCE_TREE_GRAMMARS / file_name
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise GrammarError(f"no query file {file_name} for {language.name}: {exc}") from exc


@functools.cache
def load_grammar(language: LanguageSpec) -> tree_sitter.Language:
    """The tree-sitter Language for ``language`` from its grammar wheel."""
    import tree_sitter

    try:
        module = importlib.import_module(language.grammar_module)
        pointer = getattr(module, language.grammar_function)()
        return tree_sitter.Language(pointer)
    except (ImportError, AttributeError, ValueError) as exc:
        raise GrammarError(
            f"cannot load the {language.name} grammar from {language.grammar_module}: {exc}; "
            f"reinstall codesearch to get it"
        ) from exc


@functools.cache
def compiled_query(language: LanguageSpec) -> tree_sitter.Query:
    """The compiled tag query for ``language`` (cached: compiling takes milliseconds)."""
    import tree_sitter

    text = load_query(language)
    try:
        return tree_sitter.Query(load_grammar(language), text)
    except (tree_sitter.QueryError, ValueError) as exc:
        raise GrammarError(f"grammars/{language.query_name}.scm does not compile: {exc}") from exc


@functools.cache
def parser_for(language: LanguageSpec) -> tree_sitter.Parser:
    """A parser for ``language``; parsers are not thread-safe, so use one per thread."""
    import tree_sitter

    return tree_sitter.Parser(load_grammar(language))
