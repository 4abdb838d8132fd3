"""Block records: the code outside every definition, on real grammars and real-looking files."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import pytest

from codesearch.parsing.extract import PARSE_TIMEOUT, extract_chunks
from codesearch.parsing.languages import get_language, language_for_path
from codesearch.parsing.line_windows import MAX_WINDOW_LINES
from codesearch.records import BLOCK, IMPORTS, Chunk

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "gaps"


def records(path: Path) -> list[Chunk]:
    spec = language_for_path(path)
    assert spec is not None
    return list(extract_chunks(path.name, path.read_bytes(), spec, with_blocks=True).chunks)


def blocks(source: str, language: str, path: str = "f") -> list[Chunk]:
    extraction = extract_chunks(path, source.encode(), get_language(language), with_blocks=True)
    return [chunk for chunk in extraction.chunks if chunk.kind in (BLOCK, IMPORTS)]


def spans(chunks: list[Chunk]) -> list[tuple[str, int, int]]:
    return [(chunk.kind, chunk.start_line, chunk.end_line) for chunk in chunks]


def test_a_python_module_has_blocks_for_its_imports_constants_and_main() -> None:
    found = records(FIXTURES / "cli_main.py")
    assert spans(found) == [
        ("block", 4, 15),  # docstring, imports, logger, constants; the licence header above the blank line is not
        ("function", 18, 21),
        ("class", 24, 31),  # holds its class attributes: no block inside a class
        ("method", 30, 31),
        ("block", 34, 37),  # if __name__ == "__main__":
    ]
    header, main = found[0], found[-1]
    assert header.code.startswith('"""Command-line entry point') and "RETRY_BACKOFF_SECONDS" in header.code
    assert main.code.splitlines()[0] == 'if __name__ == "__main__":'


def test_a_go_file_with_only_consts_is_one_block() -> None:
    (block,) = records(FIXTURES / "errors.go")
    assert (block.kind, block.start_line, block.end_line) == ("block", 1, 19)
    assert "StatusPaymentRequired     = 402" in block.code and '"Not Found"' in block.code


def test_a_javascript_route_table_is_a_block() -> None:
    (block,) = records(FIXTURES / "routes.js")
    assert (block.start_line, block.end_line, block.language) == (1, 18, "javascript")
    assert '{ method: "post", path: "/checkout", handler: checkout }' in block.code


def test_a_c_header_with_only_macros_is_a_block() -> None:
    (block,) = records(FIXTURES / "limits.h")
    assert (block.start_line, block.end_line) == (7, 12)  # the include guard and the closing #endif are no code
    assert "#define SHOP_MAX_CART_ITEMS 64" in block.code


def test_the_record_contract_holds_for_blocks() -> None:
    path = FIXTURES / "cli_main.py"
    source = path.read_bytes()
    for block in (chunk for chunk in records(path) if chunk.kind == BLOCK):
        assert source[block.start_byte : block.end_byte].decode() == block.code
        lines = source.decode().splitlines()[block.start_line - 1 : block.end_line]
        assert "\n".join(lines) == block.code
        assert block.name == "" and block.qualified_name == f"cli_main.py:{block.start_line}-{block.end_line}"
        assert block.signature_line == block.start_line and block.code_without_docstring == block.code
        assert block.signature == block.docstring == block.docstring_raw == block.docstring_summary == ""
        assert len(block.content_hash) == 64


def test_a_file_without_definitions_is_covered_whole() -> None:
    source = "import os\n\nPATH = os.environ.get('SHOP_PATH', '/srv/shop')\nprint(PATH)\n"
    assert spans(blocks(source, "python")) == [("block", 1, 4)]


def test_definitions_only_by_default() -> None:
    extraction = extract_chunks("f.py", b"import os\nX_VALUE = os.sep * 3\n", get_language("python"))
    assert extraction.chunks == ()


def test_comments_blank_lines_and_punctuation_make_no_block() -> None:
    source = "// Only a comment here.\n\n/* and another\n   one */\n\nfunction f() { return 1; }\n;\n"
    assert blocks(source, "javascript") == []


def test_preprocessor_lines_around_definitions_make_no_block() -> None:
    source = (
        "#ifndef SHOP_CART_H\n#define SHOP_CART_H\n\n#ifdef USE_SSL\n"
        "int cart_total(int n) { return n; }\n#endif /* USE_SSL */\n\n#endif /* SHOP_CART_H */\n"
    )
    assert blocks(source, "c") == []


def test_a_licence_header_right_above_the_code_is_left_out() -> None:
    source = (
        "/***\n * Copyright (C) The Shop Authors.\n * SPDX-License-Identifier: MIT\n ***/\n"
        "#include \"shop_setup.h\"\n#include \"cart.h\"\n"
    )
    (block,) = blocks(source, "c")
    assert (block.start_line, block.end_line) == (5, 6)


def test_a_long_comment_between_pieces_of_code_splits_them() -> None:
    comment = "".join(f"# note {i}: about the two tables around this comment\n" for i in range(10))
    source = f"FIRST_TABLE = {{'a': 1, 'b': 2}}\n\n{comment}SECOND_TABLE = {{'c': 3, 'd': 4}}\n"
    assert spans(blocks(source, "python")) == [("block", 1, 1), ("block", 3, 13)]  # comment joins code below


def test_tiny_gaps_make_no_block() -> None:
    assert blocks("package p\n\nfunc F() int { return 1 }\n", "go") == []


def test_code_between_definitions_gets_its_own_block() -> None:
    source = (
        "def first():\n    return 1\n\n"
        "HANDLERS = {'first': first, 'second': None}\n\n"
        "def second():\n    return 2\n"
    )
    (block,) = blocks(source, "python")
    assert (block.start_line, block.end_line) == (4, 4)


def test_namespace_and_impl_lines_around_definitions_are_blocks() -> None:
    source = (
        "pub struct Pool;\n\n"
        "impl Pool {\n"
        "    pub const MAX_IDLE_CONNECTIONS: usize = 32;\n\n"
        "    pub fn new() -> Self { Pool }\n"
        "}\n"
    )
    (block,) = blocks(source, "rust")
    assert "MAX_IDLE_CONNECTIONS" in block.code and block.code.startswith("impl Pool {")


def test_a_long_table_is_cut_into_windows_at_blank_lines() -> None:
    groups = ["\n".join(f"    'key_{g}_{i}': {i}," for i in range(12)) for g in range(6)]
    source = "TABLE = {\n" + "\n\n".join(groups) + "\n}\n"
    found = blocks(source, "python")
    assert len(found) > 1
    assert all(b.end_line - b.start_line + 1 <= MAX_WINDOW_LINES for b in found)
    lines = source.splitlines()
    for earlier, later in pairwise(found):
        assert lines[later.start_line - 2] == ""  # the cut fell on a blank line
        assert later.start_line > earlier.end_line
    assert found[0].start_line == 1 and found[-1].end_line == len(lines)


def test_a_window_with_no_blank_line_is_cut_hard_with_overlap() -> None:
    source = "VALUES = [\n" + "".join(f"    {i} * 1000 + 7,\n" for i in range(100)) + "]\n"
    found = blocks(source, "python")
    assert len(found) >= 3
    for earlier, later in pairwise(found):
        assert later.start_line <= earlier.end_line  # overlapping lines
    assert found[-1].end_line == 102


def test_a_file_that_timed_out_is_still_covered_by_blocks() -> None:
    source = b"def f(x):\n    return [x, (x + 1) * 2]\n\n" * 2000
    extraction = extract_chunks("big.py", source, get_language("python"), time_limit_s=0.0, with_blocks=True)
    assert extraction.limit_reached == PARSE_TIMEOUT
    assert extraction.chunks and all(chunk.kind == BLOCK for chunk in extraction.chunks)
    assert extraction.chunks[-1].end_line == 6000 - 1


@pytest.mark.parametrize(
    ("language", "source", "kind"),
    [
        ("java", "package shop.cart;\n\nimport java.util.List;\nimport java.util.Map;\n\nclass Cart {}\n", IMPORTS),
        ("csharp", "using System;\nusing System.Collections.Generic;\n\nnamespace Shop { class Cart {} }\n", IMPORTS),
        ("cpp", "#include <string>\n#include <vector>\n\nclass Cart {};\n", IMPORTS),
        ("go", "package cart\n\nimport (\n\t\"fmt\"\n\t\"strings\"\n)\n\nfunc F() {}\n", IMPORTS),
        ("rust", "use std::collections::HashMap;\nuse std::sync::Arc;\n\nfn f() {}\n", IMPORTS),
        ("rust", "mod builder;\npub(crate) mod handle;\npub use builder::Builder;\n\nfn f() {}\n", IMPORTS),
        ("rust", "mod tests {\n    const LIMIT_BYTES: usize = 4096;\n    fn f() {}\n}\n", BLOCK),
        ("python", "import json\nfrom pathlib import Path\n\ndef f():\n    pass\n", IMPORTS),
        ("typescript", "import { Router } from 'express';\nexport type Id = string | number;\n\nclass A {}\n", BLOCK),
        ("php", "<?php\nrequire_once __DIR__ . '/vendor/autoload.php';\n\nfunction f() {}\n", BLOCK),  # a statement
        ("ruby", "require 'json'\nrequire 'net/http'\n\nclass Cart\nend\n", BLOCK),  # a method call
    ],
)
def test_imports_are_a_record_in_every_language(language: str, source: str, kind: str) -> None:
    (block,) = blocks(source, language)
    assert (block.start_line, block.language, block.kind) == (1, language, kind)


def test_imports_with_other_code_make_a_block() -> None:
    (block,) = blocks("import os\n\nHOME = os.environ['HOME']\n", "python")
    assert block.kind == BLOCK
