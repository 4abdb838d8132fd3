"""Docstring marker stripping and summaries across comment styles."""

from __future__ import annotations

import pytest

from codesearch.parsing.docstrings import strip_doc_markers, summarize_docstring


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('"""One line."""', "One line."),
        ("r'''Raw\n    indented\n    '''", "Raw\nindented"),
        ('"""\n    First.\n\n    Second.\n    """', "First.\n\nSecond."),
        ("/**\n * Parses it.\n *\n * @param x the x\n */", "Parses it.\n\n@param x the x"),
        ("/** Single. */", "Single."),
        ("/// Adds one.\n/// More.", "Adds one.\nMore."),
        ("//! Crate docs.", "Crate docs."),
        ("// Go style\n// second line", "Go style\nsecond line"),
        ("# Ruby style\n# more", "Ruby style\nmore"),
    ],
)
def test_strip_doc_markers(raw: str, expected: str) -> None:
    assert strip_doc_markers(raw) == expected


@pytest.mark.parametrize(
    ("doc", "summary"),
    [
        ("Load the file.\n\nArgs:\n    path: where", "Load the file."),
        ("Load the file.\nArgs:\n    path: where", "Load the file."),
        ("Compute a sum\nover two lines.\n@param a first", "Compute a sum over two lines."),
        ("Use :func:`load` and ``dump``.", "Use load and dump."),
        ("Returns the {@link Map} of **all** entries.", "Returns the Map of all entries."),
        ("<summary>\nGets the <see cref=\"Widget\"/> by <paramref name=\"id\"/>.\n</summary>\n"
         "<param name=\"id\">The id.</param>", "Gets the Widget by id."),
        ("Creates a [`Buffer`] from [bytes](https://example.org).\n\n# Examples\n```\nx\n```",
         "Creates a Buffer from bytes."),
        (":param x: the x\n:returns: y", ""),
        ("", ""),
        ("Escaped &lt;tag&gt; text.", "Escaped <tag> text."),
        ("@!macro agent_send\n\nDispatches an action.\n@!macro send_return", "Dispatches an action."),
        ("@!visibility private", ""),
    ],
)
def test_summarize_docstring(doc: str, summary: str) -> None:
    assert summarize_docstring(doc) == summary


@pytest.mark.parametrize(
    ("raw", "stripped"),
    [
        ("-- | Double it.\n-- More.", "Double it.\nMore."),  # Haddock
        ("{-| A shape.\n  Two constructors. -}", "A shape.\nTwo constructors."),
        ("--- Add two.\n-- @param a number", "Add two.\n@param a number"),  # LuaDoc
        ("--[[ A block\n  comment ]]", "A block\ncomment"),
        ('@doc """\n  Fetch a key.\n\n  More.\n  """', "Fetch a key.\n\nMore."),  # Elixir
        ('@moduledoc ~S"A cache."', "A cache."),
        ("-- Count users.", "Count users."),  # SQL
        ("--|x", "|x"),  # a bar that is not Haddock's marker stays
    ],
)
def test_comment_markers_of_more_languages(raw: str, stripped: str) -> None:
    assert strip_doc_markers(raw) == stripped


def test_ocaml_comments_and_a_leading_code_block_julia_writes_its_signature_in() -> None:
    assert strip_doc_markers("(** Merge two heaps.\n    In O(log n). *)") == "Merge two heaps.\nIn O(log n)."
    assert summarize_docstring("    area(r)\n\nArea of a circle.") == "Area of a circle."
