"""What belongs above (and just after) an extracted definition: doc comments, attributes, directives.

The run of nodes directly above a definition, with no blank line between, that the record takes in:
doc comments (by the row's ``doc_comment_prefixes`` or captured ``@doc``), attributes (the row's
``attribute_node_types`` or loose ``@attribute`` captures) and directives (``//go:``, ``# shellcheck``).
A doc captured after its definition counts only on the next line, and is then no other's.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from codesearch.parsing.languages import LanguageSpec

if TYPE_CHECKING:
    from tree_sitter import Node


@dataclass(frozen=True, slots=True)
class AnyOf:
    """Node ids in any of ``sets``, without copying them (a file's loose docs can be many)."""

    sets: tuple[set[int], ...]

    def __contains__(self, node_id: object) -> bool:
        return any(node_id in ids for ids in self.sets)

    def __bool__(self) -> bool:
        return any(self.sets)


@dataclass(slots=True)
class LooseCaptures:
    """Node ids captured as @doc or @attribute by patterns without a name: they belong to the
    definition right after them."""

    docs: set[int] = field(default_factory=set)
    attributes: set[int] = field(default_factory=set)
    trailing: set[int] = field(default_factory=set)  # docs captured after their definition: never another's


def is_trailing_doc(doc: Node, node: Node) -> bool:
    """Whether ``doc`` comes after ``node`` with no blank line between (ocamldoc's doc after an item)."""
    return doc.start_byte >= node.end_byte and doc.start_point[0] <= end_line(node)


def is_doc_comment(source: bytes, node: Node, language: LanguageSpec, captured: Container[int]) -> bool:
    if node.id in captured:
        return True
    text = node_text(source, node).lstrip()
    return (
        "comment" in node.type
        and text.startswith(language.doc_comment_prefixes)
        and not text.startswith(language.directive_comment_prefixes)
    )


def _is_directive(source: bytes, node: Node, language: LanguageSpec) -> bool:
    return "comment" in node.type and node_text(source, node).lstrip().startswith(language.directive_comment_prefixes)


def _is_trailing(node: Node) -> bool:
    """Whether ``node`` starts on the line where the code before it ends (``x = 1  # note``):
    such a comment documents that code, not the definition below it."""
    before = node.prev_sibling
    return before is not None and end_line(before) == node.start_point[0] + 1


def _previous_named(node: Node) -> Node | None:
    """The named node just before ``node``, looking out through parents it is the first child of
    (tree-sitter-ruby puts the comments above a body's first statement before the body node)."""
    while node.prev_sibling is None and node.parent is not None:
        node = node.parent
    return node.prev_named_sibling


def run_above(
    source: bytes, outer: Node, language: LanguageSpec, captured: AnyOf, loose: LooseCaptures
) -> list[Node]:
    """Doc comments, directives and attributes directly above ``outer``, with no blank line between."""
    attributes = loose.attributes
    if not (language.doc_comment_prefixes or language.attribute_node_types or captured or attributes):
        return []
    run: list[Node] = []
    boundary_row = outer.start_point[0]
    sibling = _previous_named(outer)
    while sibling is not None and end_line(sibling) >= boundary_row:
        sibling = _captured_tail(source, sibling, AnyOf((*captured.sets, attributes)))
        is_attribute = (
            sibling.type in language.attribute_node_types or sibling.id in attributes
            or _is_directive(source, sibling, language)
        )
        if not (is_attribute or is_doc_comment(source, sibling, language, captured)) or _is_trailing(sibling):
            break
        if sibling.id in loose.trailing:
            break  # the doc of the definition above
        run.insert(0, sibling)
        boundary_row = sibling.start_point[0]
        sibling = _previous_named(sibling)
    return run


def _captured_tail(source: bytes, node: Node, captured: Container[int]) -> Node:
    """``node``, or the captured node it ends with: tree-sitter-haskell puts the Haddock comment
    above the first declaration inside the import list before it."""
    tail = node
    while tail.named_child_count and tail.id not in captured:
        last = tail.named_child(tail.named_child_count - 1)
        if last is None or source[last.end_byte : tail.end_byte].strip():
            break
        tail = last
    return tail if tail.id in captured else node


def end_line(node: Node) -> int:
    row, column = node.end_point
    if column == 0 and row > node.start_point[0]:
        return row  # the node ends with a newline: its last line is the previous one
    return row + 1


def node_text(source: bytes, node: Node) -> str:
    # Sliced here: the tree was parsed from a callable, so Node.text would call back into Python.
    return source[node.start_byte : node.end_byte].decode("utf-8", errors="replace")
