"""The text the encoder embeds for a record."""

from __future__ import annotations

import dataclasses

from codesearch.encoder.embedding_text import MAX_IMPORTS_TEXT_CHARS, chunk_text
from codesearch.parsing.line_windows import SourceLines, line_chunk
from codesearch.records import IMPORTS, Chunk

SOURCE = b"import os\n\nHOME = os.environ['HOME']\n"


def block(first: int, last: int, source: bytes = SOURCE) -> Chunk:
    return line_chunk("pkg/paths.py", "python", "block", SourceLines.of(source), first, last)


def test_a_definition_is_its_path_qualified_name_and_code() -> None:
    chunk = dataclasses.replace(block(1, 3), kind="function", name="home", qualified_name="Paths.home")
    assert chunk_text(chunk) == "pkg/paths.py Paths.home\n" + SOURCE.decode().rstrip("\n")


def test_a_record_without_a_name_leaves_its_location_label_out() -> None:
    assert block(1, 3).qualified_name == "paths.py:1-3"
    assert chunk_text(block(1, 3)) == "pkg/paths.py\nimport os\n\nHOME = os.environ['HOME']"
    moved = block(3, 5, b"\n\n" + SOURCE)  # two lines inserted above: same text, same vector
    assert moved.qualified_name == "paths.py:3-5" and chunk_text(moved) == chunk_text(block(1, 3))


def test_a_window_of_only_imports_is_embedded_from_a_short_text() -> None:
    source = "".join(f"import shop.module_{i}\n" for i in range(40)).encode()
    imports = dataclasses.replace(block(1, 30, source), kind=IMPORTS)
    assert len(chunk_text(imports)) == MAX_IMPORTS_TEXT_CHARS < len(chunk_text(block(1, 30, source)))
    assert chunk_text(imports).startswith("pkg/paths.py\nimport shop.module_0\n")
