"""Block records: the code of a file that no definition covers, cut into line windows.

Definitions (functions, methods, classes and the like) are records of their own; whatever lies
outside all of them (imports, constants, tables, module-level statements, ``if __name__ ==
"__main__":``, macros, namespace and ``impl`` lines, or the whole file when it has no definition)
becomes records of kind BLOCK, so that nothing in a code file is invisible to search.

A class record holds its whole class, fields and class-level statements included, so lines
inside a class are covered and get no block: the class record already carries them (all of them
in its lexical text; its start, where fields are usually declared, in its embedding).

Which lines hold code is read from the syntax tree: a line belongs to a gap if no definition
covers it, and it holds code if a syntax node other than a comment lies on it. A window starts at
its first code line, together with the comment lines right above it (the way a doc comment
belongs to a definition), so a licence header separated by a blank line is left out; windows with
only comments, blank lines or punctuation are dropped (line_windows.has_content).

A window whose code is only imports (``import``, ``use``, ``#include``, ``package``, ``using``) is
of kind IMPORTS: searchable by its words like any block, but embedded from a short text
(encoder/embedding_text.py), since its vector says little and there is one such window in most files.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import accumulate
from typing import TYPE_CHECKING

from codesearch.parsing.line_windows import SourceLines, content_windows, line_chunk
from codesearch.records import BLOCK, IMPORTS, Chunk

if TYPE_CHECKING:
    from tree_sitter import Node

# Syntax nodes looked at to find code lines: beyond this (a pathological file), the lines of the
# nodes still to look at all count as code, which only makes a few more windows.
MAX_NODES_VISITED = 200_000
# Preprocessor conditionals (C, C++, C#): containers whose own lines are not code.
_LICENCE = re.compile(rb"copyright|licen[cs]e|spdx-license-identifier", re.IGNORECASE)
MAX_NON_CODE_LINES = 5  # blank and comment lines that may separate code within one stretch
_CONDITIONAL_NODE_TYPES = frozenset({"preproc_if", "preproc_ifdef", "preproc_elif", "preproc_elifdef", "preproc_else"})
# Node types (by part of their name, across the grammars) of imports, includes and package lines.
_IMPORT_TYPE_PARTS = ("import", "include", "package", "use_declaration", "using_directive", "using_declaration",
                      "extern_crate")
_CODE, _IMPORT = 1, 2  # what a line holds, in the bytearray of _code_lines (0: nothing)


def gap_blocks(
    path: str, language: str, source: bytes, root: Node | None, definitions: Sequence[Chunk]
) -> list[Chunk]:
    """The block records of the lines no definition in ``definitions`` covers.

    ``root`` is the file's syntax tree; None (the parse gave up) counts every non-blank line as code.
    """
    lines = SourceLines.of(source)
    covered = bytearray(lines.count + 2)  # index = 1-based line number
    for chunk in definitions:
        covered[chunk.start_line : chunk.end_line + 1] = b"\x01" * (chunk.end_line - chunk.start_line + 1)
    if root is None:
        code = bytearray(lines.count + 2)
        for number in range(1, lines.count + 1):
            code[number] = _CODE if not covered[number] and not lines.is_blank(number) else 0
    else:
        code = _code_lines(root, covered, lines.count)
    blocks: list[Chunk] = []
    for first, last in _gap_runs(covered, lines.count):
        for span in _code_spans(lines, code, first, last):
            for start, end in content_windows(lines, *span, lambda n: bool(code[n])):
                kind = BLOCK if _CODE in code[start : end + 1] else IMPORTS
                blocks.append(line_chunk(path, language, kind, lines, start, end))
    return blocks


def _code_lines(root: Node, covered: bytearray, line_count: int) -> bytearray:
    """_CODE for each line outside the definitions that a named, non-comment syntax node lies on,
    _IMPORT where such nodes are only imports.

    Anonymous nodes are punctuation and keywords (a closing ``}``, ``end``, ``#endif``): a line of
    nothing else holds no code worth a record. Preprocessor conditionals are looked through: the
    code they enclose counts, their ``#ifdef NAME`` lines do not. Neither does the header of a
    block around definitions (``impl Drop for Guard {``, ``namespace io {``, ``extern "C" {``):
    the definitions inside carry it in their qualified names, or do not need it.
    """
    code = bytearray(line_count + 2)
    covered_before = list(accumulate(covered, initial=0))  # covered_before[n]: covered lines < n
    stack = [root]
    visited = 0
    while stack:
        node = stack.pop()
        skipped = _condition_ids(node) if node.type in _CONDITIONAL_NODE_TYPES else ()
        body = node.child_by_field_name("body") if node is not root else None
        header_end = body.start_byte if body is not None else -1
        for child in node.children:
            visited += 1
            first, last = child.start_point[0] + 1, _last_line(child)
            inside = covered_before[last + 1] - covered_before[first]
            if inside == last - first + 1 or child.id in skipped or child.end_byte <= header_end or \
                    not _may_hold_code(child):
                continue
            if child.child_count and visited < MAX_NODES_VISITED and (inside or child.type in _CONDITIONAL_NODE_TYPES):
                stack.append(child)  # partly inside definitions: look at its parts
                continue
            held = _IMPORT if _is_import(child) else _CODE
            for number in range(first, last + 1):
                if not covered[number] and code[number] != _CODE:
                    code[number] = held
    return code


def _may_hold_code(node: Node) -> bool:
    """False for comments, punctuation and keywords, and for ``#define NAME`` without a value
    (an include guard or a feature flag: nothing to search for beyond the name)."""
    if not node.is_named or "comment" in node.type:
        return False
    return node.type != "preproc_def" or node.child_by_field_name("value") is not None


def _is_import(node: Node) -> bool:
    """An import, include, ``use`` or package line, or a Rust ``mod name;`` (a module file's import)."""
    if node.type == "mod_item":
        return node.child_by_field_name("body") is None
    return any(part in node.type for part in _IMPORT_TYPE_PARTS)


def _condition_ids(node: Node) -> tuple[int, ...]:
    """The ids of a preprocessor conditional's condition (``#if X``) or name (``#ifdef NAME``)."""
    parts = (node.child_by_field_name("condition"), node.child_by_field_name("name"))
    return tuple(part.id for part in parts if part is not None)


def _last_line(node: Node) -> int:
    row, column = node.end_point
    return row if column == 0 and row > node.start_point[0] else row + 1


def _gap_runs(covered: bytearray, line_count: int) -> list[tuple[int, int]]:
    """Maximal runs of lines (1-based, inclusive) that no definition covers."""
    runs = []
    number = 1
    while number <= line_count:
        if covered[number]:
            number += 1
            continue
        first = number
        while number <= line_count and not covered[number]:
            number += 1
        runs.append((first, number - 1))
    return runs


def _code_spans(lines: SourceLines, code: bytearray, first: int, last: int) -> list[tuple[int, int]]:
    """The stretches of code in a run, each with the comment lines right above it.

    A stretch ends where more than MAX_NON_CODE_LINES lines without code follow (a licence or a
    long comment between two pieces of code), so that such text does not fill a window of its own.
    """
    code_lines = [n for n in range(first, last + 1) if code[n]]
    spans: list[tuple[int, int]] = []
    for index, number in enumerate(code_lines):
        if index and number - code_lines[index - 1] <= MAX_NON_CODE_LINES + 1:
            spans[-1] = (spans[-1][0], number)
            continue
        start = number
        floor = spans[-1][1] + 1 if spans else first
        while start > floor and not lines.is_blank(start - 1):
            start -= 1
        if _LICENCE.search(b"\n".join(lines.line(n) for n in range(start, number))):
            start = number  # a licence header right above the first line of code is no doc of it
        spans.append((start, number))
    return spans
