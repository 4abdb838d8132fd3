"""The extractor's limits on hostile input: a per-file time limit, deep nesting, same-range nodes."""

from __future__ import annotations

import time

import pytest

from codesearch.parsing.extract import MAX_NESTING, NESTED_TOO_DEEP, PARSE_TIMEOUT, extract_chunks
from codesearch.parsing.languages import get_language

DEPTH = 10_000
NESTED = {  # language -> (opening, closing) of one nested definition
    "javascript": ("function f(){", "}"),
    "typescript": ("function f(){", "}"),
    "java": ("class A{", "}"),
    "csharp": ("class A{", "}"),
    "php": ("function f(){", "}"),
    "ruby": ("class A\n", "end\n"),
    "rust": ("fn f(){", "}"),
    "go": ("func(){", "}()"),
    "c": ("{", "}"),
    "cpp": ("namespace a{", "}"),
    "python": ("(", ")"),
}


@pytest.mark.parametrize("language", sorted(NESTED))
def test_ten_thousand_levels_of_nesting_are_cut_quickly(language: str) -> None:
    opening, closing = NESTED[language]
    prefix = {"php": "<?php ", "go": "package p\nfunc g(){", "c": "int f(){"}.get(language, "")
    suffix = {"go": "}", "c": "}"}.get(language, "")
    source = (prefix + opening * DEPTH + closing * DEPTH + suffix).encode()
    started = time.monotonic()
    extraction = extract_chunks("deep", source, get_language(language))
    assert time.monotonic() - started < 5.0  # the whole walk, under load; ~0.2 s quiet
    assert len(extraction.chunks) <= MAX_NESTING + 1
    if len(extraction.chunks) == MAX_NESTING + 1:
        assert extraction.limit_reached == NESTED_TOO_DEEP
        assert "nested more than" in extraction.warnings[-1]
        depths = [chunk.qualified_name.count(".") + chunk.qualified_name.count("::") for chunk in extraction.chunks]
        assert max(depths) == MAX_NESTING


def test_nesting_up_to_the_limit_is_kept_whole() -> None:
    source = ("function f(){" * (MAX_NESTING + 1) + "}" * (MAX_NESTING + 1)).encode()
    extraction = extract_chunks("a.js", source, get_language("javascript"))
    assert len(extraction.chunks) == MAX_NESTING + 1 and extraction.limit_reached is None
    assert extraction.chunks[-1].qualified_name == ".".join(["f"] * (MAX_NESTING + 1))


def test_a_file_over_the_time_limit_gives_nothing_and_the_parser_recovers() -> None:
    python = get_language("python")
    source = b"def f(x):\n    return [x, (x + 1) * 2]\n\n" * 20_000
    extraction = extract_chunks("big.py", source, python, time_limit_s=0.001)
    assert extraction.limit_reached == PARSE_TIMEOUT and extraction.chunks == ()
    assert "time limit" in extraction.warnings[0]
    small = b"def g():\n    return 1\n"
    assert [c.name for c in extract_chunks("small.py", small, python).chunks] == ["g"]  # not a resumed parse


def test_names_come_from_the_bytes_not_the_tree() -> None:
    # the tree is parsed from a callable; names, docstrings and signatures must still be exact
    source = 'class Ünï:\n    """Doc ✓."""\n\n    def métho(self) -> None:\n        pass\n'.encode()
    chunks = extract_chunks("u.py", source, get_language("python")).chunks
    assert [(c.qualified_name, c.kind) for c in chunks] == [("Ünï", "class"), ("Ünï.métho", "method")]
    assert chunks[0].docstring == "Doc ✓." and chunks[1].signature == "def métho(self) -> None:"


@pytest.mark.parametrize(
    ("language", "source", "names"),
    [
        ("go", b"package p\ntype A struct {\n\tx int \xff\n}\nfunc F() {}\n", ["A", "F"]),
        ("go", b'package p\ntype A struct{ x "\xed\xa0\x80" }\nfunc F() {}\n', ["A", "F"]),
        ("c", b"/** doc \xff */\nint f(void) { return 0; }\n", ["f"]),
    ],
)
def test_invalid_utf8_under_a_query_predicate(language: str, source: bytes, names: list[str]) -> None:
    # Go's and C's queries use #match?, which py-tree-sitter 0.26 evaluates by decoding the node
    # strictly: on invalid UTF-8 that raised (or crashed the process), and the file was lost.
    assert [chunk.name for chunk in extract_chunks("x", source, get_language(language)).chunks] == names


def test_a_definition_whose_name_was_lost_is_left_out() -> None:
    source = b"const helpers = {\n  /** Join. */ (a, b) {\n    return a + b;\n  },\n};\nfunction ok() {}\n"
    assert [c.name for c in extract_chunks("a.js", source, get_language("javascript")).chunks] == ["ok"]
