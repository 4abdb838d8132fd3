"""Hits as LSP symbols (``workspace/symbol``)."""

from __future__ import annotations

from pathlib import Path

from codesearch.records import Hit
from codesearch.server.messages import symbol_information


def test_a_method_is_named_within_its_class(tmp_path: Path) -> None:
    hit = Hit("cart.py", 2, 5, "total_price", "Cart.total_price", "method", "python", 1.0)
    symbol = symbol_information(hit, tmp_path)
    assert (symbol["name"], symbol["kind"], symbol["containerName"]) == ("total_price", 6, "Cart")


def test_a_block_without_a_name_is_named_by_its_location(tmp_path: Path) -> None:
    hit = Hit("pkg/routes.py", 1, 12, "", "routes.py:1-12", "block", "python", 1.0)
    symbol = symbol_information(hit, tmp_path)
    assert (symbol["name"], symbol["kind"]) == ("routes.py:1-12", 2) and "containerName" not in symbol
    assert symbol["location"]["range"]["start"] == {"line": 0, "character": 0}
