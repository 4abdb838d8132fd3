"""Extraction from the Go, Java, Ruby and PHP fixtures matches the reviewed records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codesearch.parsing.extract import extract_chunks
from codesearch.parsing.languages import get_language, language_for_path
from codesearch.records import Chunk, FileExtraction

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "grammars"
FIELDS = ("kind", "name", "qualified_name", "start_line", "end_line", "signature_line", "docstring_summary")
SAMPLES = sorted(
    path for language in ("go", "java", "ruby", "php") for path in (FIXTURES / language).glob("sample.*")
)


def _extract(path: Path) -> FileExtraction:
    spec = language_for_path(path)
    assert spec is not None
    return extract_chunks(path.name, path.read_bytes(), spec)


def _chunk(relative: str, qualified_name: str) -> Chunk:
    return next(c for c in _extract(FIXTURES / relative).chunks if c.qualified_name == qualified_name)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_sample_matches_expected_records(sample: Path) -> None:
    expected = json.loads((sample.parent / f"expected.{sample.suffix.lstrip('.')}.json").read_text())
    result = _extract(sample)
    assert not result.has_syntax_errors
    assert [{field: getattr(c, field) for field in FIELDS} for c in result.chunks] == expected


@pytest.mark.parametrize(
    ("broken", "error_line", "survivors"),
    [
        ("go/broken.go", 6, {"fine", "later"}),
        ("java/broken.java", 7, {"fine", "later"}),
        ("ruby/broken.rb", 8, {"fine", "later"}),
        ("php/broken.php", 8, {"fine", "later"}),
    ],
)
def test_syntax_errors_are_reported_and_the_rest_extracted(
    broken: str, error_line: int, survivors: set[str]
) -> None:
    result = _extract(FIXTURES / broken)
    assert result.has_syntax_errors
    assert len(result.warnings) == 1
    assert f":{error_line}: syntax error" in result.warnings[0]
    assert survivors <= {chunk.name for chunk in result.chunks}
    fine = next(chunk for chunk in result.chunks if chunk.name == "fine")
    assert fine.docstring_summary.startswith(("fine parses", "Parses before"))


def test_go_directives_stay_in_the_code_but_not_in_the_docstring() -> None:
    chunk = _chunk("go/sample.go", "(*Ledger).Len")
    assert chunk.docstring_raw == "// Len reports how many keys the ledger holds.\n//"
    assert chunk.docstring == "Len reports how many keys the ledger holds."
    assert chunk.code_without_docstring.splitlines()[:2] == [
        "//go:noinline",
        "func (l *Ledger[K, V]) Len() int {",
    ]
    assert _chunk("go/sample.go", "Shelf.label").docstring == ""


def test_go_block_comment_doc_and_multiline_signature() -> None:
    reserve = _chunk("go/sample.go", "(*Item).Reserve")
    assert reserve.docstring.startswith("Reserve takes n units")
    assert reserve.code_without_docstring.startswith("func (it *Item) Reserve(")
    assert _chunk("go/sample.go", "restock").signature == "func restock(items []Item, amount int) []Item"


def test_java_javadoc_above_annotations_is_the_doc_and_is_cut_from_the_code() -> None:
    chunk = _chunk("java/sample.java", "RoutePlanner.enqueue")
    assert chunk.docstring.splitlines()[:3] == [
        "Queues a parcel for the depot with the given code.",
        "",
        "@param depotCode the depot's three-letter code",
    ]
    assert chunk.signature == "@Override public boolean enqueue(String depotCode, P parcel)"
    assert chunk.code_without_docstring.splitlines()[:2] == [
        "@Override",
        "public boolean enqueue(String depotCode, P parcel) {",
    ]
    assert _chunk("java/sample.java", "RoutePlanner.RouteListener.onRoute").signature == (
        "void onRoute(List<Depot> route)"
    )


def test_ruby_doc_above_the_first_statement_of_a_body_is_found() -> None:
    # tree-sitter-ruby puts these comments before the body node, not beside the definition
    assert _chunk("ruby/sample.rb", "Teahouse::EmptyPotError").docstring.startswith("Raised when")
    assert _chunk("ruby/sample.rb", "Teahouse::Pot.from_json").start_line == 19


def test_ruby_trailing_comment_and_directives_are_not_docs() -> None:
    assert _chunk("ruby/sample.rb", "Teahouse::Kettle").signature == "class Kettle"
    assert _chunk("ruby/sample.rb", "Teahouse::Kettle#boil").docstring == ""
    pour = _chunk("ruby/sample.rb", "Teahouse::Pot#pour")
    assert "rubocop" not in pour.docstring
    assert pour.code_without_docstring.startswith("# rubocop:disable Metrics/AbcSize\ndef pour(count = 1)")


def test_ruby_private_def_keeps_its_modifier_in_the_code() -> None:
    chunk = _chunk("ruby/sample.rb", "Teahouse::Pot#steep_seconds")
    assert chunk.code == "private def steep_seconds = 180"
    assert chunk.signature == "def steep_seconds"


def test_php_attributes_follow_the_phpdoc_inside_the_record() -> None:
    chunk = _chunk("php/sample.php", "Schedule::plan")
    assert chunk.code.startswith("/**\n * Returns the plants")
    assert chunk.code_without_docstring.splitlines()[:2] == [
        "#[\\ReturnTypeWillChange]",
        "public function plan(DateTimeImmutable $day): array",
    ]


@pytest.mark.parametrize(
    ("language", "source", "qualified_names"),
    [
        ("go", b"package p\nfunc (s *Set[K]) Add(k K) {}\nfunc (s Set[K]) Has(k K) bool { return true }\n",
         ["(*Set).Add", "Set.Has"]),
        ("ruby", b"module A\n  module B\n    class C\n      def self.d; end\n      def e; end\n"
                 b"    end\n  end\nend\n",
         ["A", "A::B", "A::B::C", "A::B::C.d", "A::B::C#e"]),
        ("php", b"<?php\ntrait T { public static function make(): static { return new static(); } }\n",
         ["T", "T::make"]),
        ("java", b"class A { class B { B() {} } enum C { X; void f() {} } }\n",
         ["A", "A.B", "A.B.B", "A.C", "A.C.f"]),
    ],
)
def test_qualified_names_follow_each_language_convention(
    language: str, source: bytes, qualified_names: list[str]
) -> None:
    chunks = extract_chunks("x", source, get_language(language)).chunks
    assert [chunk.qualified_name for chunk in chunks] == qualified_names
