"""Extraction from the Kotlin, Swift, Scala, Elixir, Lua, Bash, Haskell, Zig, Dart, SQL, OCaml and Julia
fixtures matches the reviewed records, and the engine features these languages brought in work."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codesearch.parsing.extract import extract_chunks
from codesearch.parsing.languages import get_language, language_for_path
from codesearch.records import Chunk, FileExtraction

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "grammars"
SAMPLES = [
    ("kotlin", "kotlin/sample.kt", "kotlin/expected.json"),
    ("swift", "swift/sample.swift", "swift/expected.json"),
    ("scala", "scala/sample.scala", "scala/expected.json"),
    ("elixir", "elixir/sample.ex", "elixir/expected.json"),
    ("lua", "lua/sample.lua", "lua/expected.json"),
    ("bash", "bash/sample.sh", "bash/expected.json"),
    ("haskell", "haskell/sample.hs", "haskell/expected.json"),
    ("zig", "zig/sample.zig", "zig/expected.json"),
    ("dart", "dart/sample.dart", "dart/expected.json"),
    ("sql", "sql/sample.sql", "sql/expected.json"),
    ("ocaml", "ocaml/sample.ml", "ocaml/expected.json"),
    ("ocaml_interface", "ocaml/sample.mli", "ocaml/expected.mli.json"),
    ("julia", "julia/sample.jl", "julia/expected.json"),
]
FIELDS = ("kind", "name", "qualified_name", "start_line", "end_line", "signature_line", "docstring_summary")


def _extract_file(path: Path) -> FileExtraction:
    spec = language_for_path(path)
    assert spec is not None
    return extract_chunks(path.name, path.read_bytes(), spec)


def _sample_chunk(language: str, qualified_name: str) -> Chunk:
    sample = next(FIXTURES / path for name, path, _ in SAMPLES if name == language)
    return next(c for c in _extract_file(sample).chunks if c.qualified_name == qualified_name)


@pytest.mark.parametrize(("language", "sample", "expected_file"), SAMPLES)
def test_sample_matches_expected_records(language: str, sample: str, expected_file: str) -> None:
    expected = json.loads((FIXTURES / expected_file).read_text(encoding="utf-8"))
    result = _extract_file(FIXTURES / sample)
    assert result.language == language
    assert not result.has_syntax_errors
    assert [{field: getattr(c, field) for field in FIELDS} for c in result.chunks] == expected


@pytest.mark.parametrize(
    ("broken", "error_line", "survivors"),
    [
        ("kotlin/broken.kt", 6, {"trimmed", "broken", "later"}),
        ("swift/broken.swift", 7, {"doubled", "broken", "later"}),
        ("scala/broken.scala", 7, {"doubled", "broken", "later"}),
        ("elixir/broken.ex", 12, {"doubled", "broken", "later"}),
        ("lua/broken.lua", 7, {"doubled", "broken", "later"}),
        ("bash/broken.sh", 6, {"doubled", "later"}),
        ("haskell/broken.hs", 9, {"doubled", "broken", "later"}),
        ("zig/broken.zig", 7, {"doubled", "broken", "later"}),
        ("dart/broken.dart", 7, {"doubled", "broken", "later"}),
        ("sql/broken.sql", 8, {"members", "broken", "later"}),
        ("ocaml/broken.ml", 5, {"doubled", "broken", "later"}),
        ("julia/broken.jl", 5, {"doubled", "broken", "later"}),
    ],
)
def test_syntax_errors_are_reported_and_the_rest_extracted(
    broken: str, error_line: int, survivors: set[str]
) -> None:
    result = _extract_file(FIXTURES / broken)
    assert result.has_syntax_errors
    assert result.warnings == (f"{Path(broken).name}:{error_line}: syntax error (extracted what parsed)",)
    assert survivors <= {chunk.name for chunk in result.chunks}


def test_elixir_doc_attribute_before_a_function_is_its_doc_and_spec_is_part_of_its_code() -> None:
    chunk = _sample_chunk("elixir", "Inventory.Stock.add/3")
    assert chunk.code.splitlines()[0] == '@doc """'
    assert chunk.docstring.startswith("Adds `quantity` items of `sku`.\n\n## Examples")
    assert chunk.code_without_docstring.splitlines()[:2] == [
        "@spec add(t, String.t(), pos_integer()) :: t",
        "def add(stock, sku, quantity) when quantity > 0 do",
    ]
    assert _sample_chunk("elixir", "Inventory.Stock.debug/1").docstring == ""  # @doc false


def test_elixir_clauses_of_one_function_are_one_record_and_arity_tells_functions_apart() -> None:
    take = _sample_chunk("elixir", "Inventory.Stock.take/3")
    assert (take.start_line, take.end_line) == (27, 35)
    assert "def take(stock, _sku, _quantity), do: {0, stock}" in take.code
    source = b"defmodule M do\n  def f(a), do: a\n  def f(a, b), do: a + b\n  def f(a), do: a\nend\n"
    names = [c.qualified_name for c in extract_chunks("m.ex", source, get_language("elixir")).chunks]
    assert names == ["M", "M.f/1", "M.f/2", "M.f/1"]  # only adjacent clauses of one arity merge


def test_elixir_moduledoc_is_the_module_doc() -> None:
    chunk = _sample_chunk("elixir", "Inventory.Stock")
    assert chunk.docstring == "Stock levels per warehouse, kept in a map.\n\nQuantities never go below zero."
    assert chunk.code_without_docstring.splitlines()[:3] == [
        "defmodule Inventory.Stock do", "", "  @type t :: %{optional(String.t()) => non_neg_integer()}"
    ]


def test_haskell_equations_signature_and_haddock_are_one_record() -> None:
    chunk = _sample_chunk("haskell", "decode")
    assert chunk.code.splitlines() == [
        "{-| Expand runs back into the list they came from. -}",
        "decode :: [Run a] -> [a]",
        "decode [] = []",
        "decode (Run x n : rest) = replicate n x ++ decode rest",
    ]
    assert chunk.code_without_docstring.splitlines()[0] == "decode :: [Run a] -> [a]"
    assert _sample_chunk("haskell", "encode").docstring.startswith("Encode a list as runs of equal neighbours.")


def test_lua_names_keep_the_table_and_separator_the_source_writes() -> None:
    kinds = {c.qualified_name: (c.name, c.kind) for c in _extract_file(FIXTURES / "lua" / "sample.lua").chunks}
    assert kinds["M:on"] == ("on", "method")
    assert kinds["M.new"] == ("new", "method")
    assert kinds["once"] == ("once", "function")
    doc = _sample_chunk("lua", "M:on").docstring
    assert doc == "Registers `fn` for `event`.\n@param event string\n@param fn function"


def test_dart_functions_span_their_body_beside_the_signature() -> None:
    chunk = _sample_chunk("dart", "Account.deposit")
    assert chunk.code.splitlines()[-1] == "}"
    assert "_cents += cents;" in chunk.code
    override = _sample_chunk("dart", "Account.toString")
    assert override.code.splitlines()[0] == "@override"


def test_kotlin_extension_functions_are_qualified_by_their_receiver() -> None:
    chunk = _sample_chunk("kotlin", "Book.label")
    assert (chunk.name, chunk.kind) == ("label", "function")


def test_swift_extension_functions_belong_to_the_extended_type() -> None:
    chunk = _sample_chunk("swift", "Reading.mean")
    assert chunk.kind == "method"
    assert chunk.docstring_summary == "The mean of readings, or nil when there are none."


def test_bash_directive_above_a_function_is_part_of_it_but_not_its_doc() -> None:
    chunk = _sample_chunk("bash", "prune")
    assert chunk.code.splitlines()[0] == "# shellcheck disable=SC2012"
    assert chunk.docstring == "Delete all but the newest $1 backups."


def test_haskell_pragma_between_signature_and_equations_belongs_to_the_function() -> None:
    source = b"-- | The length.\nsize :: [a] -> Int\n{-# INLINE size #-}\nsize = length\n"
    (chunk,) = extract_chunks("v.hs", source, get_language("haskell")).chunks
    assert (chunk.start_line, chunk.end_line, chunk.docstring_summary) == (1, 4, "The length.")


def test_julia_docstring_string_before_a_definition_is_its_doc_and_its_signature_line_is_skipped() -> None:
    chunk = _sample_chunk("julia", "Stats.mean")
    assert chunk.code.splitlines()[0] == '"""'
    assert chunk.docstring_summary == "The arithmetic mean of xs; NaN for an empty collection."
    assert "q" not in {c.name for c in _extract_file(FIXTURES / "julia" / "sample.jl").chunks}  # a local helper


def test_ocaml_interface_specifications_carry_their_doc() -> None:
    chunk = _sample_chunk("ocaml_interface", "Debug.show")
    assert (chunk.kind, chunk.docstring) == ("method", "A one-line picture of the heap.")


def test_ocaml_doc_on_the_line_after_an_item_is_its_doc_and_headings_are_nobody_s() -> None:
    chunk = _sample_chunk("ocaml_interface", "of_list")
    assert chunk.code.splitlines() == [  # the heading above, after a blank line, is not part of it
        "val of_list : int list -> t",
        "(** The heap of the elements of a list, in O(n log n). *)",
    ]
    assert chunk.docstring == "The heap of the elements of a list, in O(n log n)."
    assert chunk.code_without_docstring == "val of_list : int list -> t"
    source = b"val a : int\n(** Doc of a. *)\nval b : int\n\nval c : int\n\n(** Doc of d. *)\nval d : int\n"
    docs = {c.name: c.docstring for c in extract_chunks("x.mli", source, get_language("ocaml_interface")).chunks}
    assert docs == {"a": "Doc of a.", "b": "", "c": "", "d": "Doc of d."}
