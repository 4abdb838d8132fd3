"""Which definitions and scopes enclose which, found in one sweep over their byte ranges.

tree-sitter finds ``Node.parent`` by descending from the root, so walking up from every
definition costs depth squared each: a file nested 10,000 deep would take hours. Sorted by range
(start ascending, end descending), the enclosing nodes of each node are exactly the ones still
"open" on a stack, because ranges nest like the tree; the one exception, a node and its parent
with the same range, is ordered by ``_tie_depth`` (a few parent steps, only for such pairs).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from tree_sitter import Node

Label = tuple[str, str, str]  # (name, kind, separator) of an enclosing definition or scope
T = TypeVar("T")
_TIE_STEPS = 8  # parent steps that decide which of two same-range nodes encloses the other


def with_enclosing(containers: Sequence[tuple[Node, Label, T | None]]) -> Iterator[tuple[T, list[Label]]]:
    """Each container that carries a payload, with the labels of the containers around it, outermost first.

    ``containers`` are (node, label, payload) triples: definitions carry themselves as payload,
    scopes (which only qualify names) carry None and are never yielded.
    """
    spans = Counter((node.start_byte, node.end_byte) for node, _, _ in containers)
    entries = [
        (node.start_byte, -node.end_byte, _tie_depth(node) if spans[node.start_byte, node.end_byte] > 1 else 0,
         label, payload)
        for node, label, payload in containers
    ]
    entries.sort(key=lambda entry: entry[:3])
    open_: list[tuple[int, Label]] = []  # (end byte, label) of the nodes around the current one
    for start, negative_end, _, label, payload in entries:
        while open_ and (open_[-1][0] <= start or open_[-1][0] < -negative_end):
            open_.pop()
        if payload is not None:
            yield payload, [enclosing for _, enclosing in open_]
        open_.append((-negative_end, label))


def _tie_depth(node: Node) -> int:
    """How many parents up ``node`` keeps its own range (0 for the outermost of a same-range chain)."""
    steps = 0
    parent = node.parent
    while parent is not None and steps < _TIE_STEPS and (
        (parent.start_byte, parent.end_byte) == (node.start_byte, node.end_byte)
    ):
        steps += 1
        parent = parent.parent
    return steps
