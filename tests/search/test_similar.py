"""search/similar.py (the in-process `similar`) against its reference, the server's ServedRepo.similar,
on the same index (built by a server with the hashing stand-in encoder: no model needed)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from codesearch.errors import QueryError
from codesearch.index.store import IndexStore
from codesearch.records import LINE_RECORD_KINDS
from codesearch.search.similar import definition_at, literal_glob, similar_definitions
from codesearch.server.repos import ServedRepo
from tests.server.helpers import CART, PASSWORDS, TIMEOUT_S, start_server


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServedRepo]:
    repo = tmp_path / "shop"
    (repo / "server").mkdir(parents=True)
    (repo / "server" / "cart.py").write_text(CART)
    (repo / "server" / "passwords.py").write_text(PASSWORDS)
    (repo / "server" / "we[i]rd*.py").write_text("def odd():\n    return 1\n")
    routes = "import json\nimport hashlib\n\nROUTES = {'/cart': 'cart', '/pay': 'pay'}\n"
    (repo / "server" / "routes.py").write_text(routes)
    socket_dir = Path(tempfile.mkdtemp(prefix="cs-"))
    server = start_server(socket_dir / "server.sock")
    try:
        repository = server.registry.get(repo.resolve(), None, create=True)
        assert repository.watcher.wait_for(1, TIMEOUT_S) is not None
        yield repository
    finally:
        server.stop()
        shutil.rmtree(socket_dir, ignore_errors=True)


@pytest.fixture
def store(served: ServedRepo) -> Iterator[IndexStore]:
    with IndexStore.open(served.index_dir, readonly=True) as opened:
        yield opened


@pytest.mark.parametrize(("path", "line"), [("server/passwords.py", 7), ("server/cart.py", 3), ("server/cart.py", 11)])
def test_same_answer_as_the_server(served: ServedRepo, store: IndexStore, path: str, line: int) -> None:
    assert similar_definitions(store, path, line, 3) == served.similar(path, line, 3)


def test_the_target_is_left_out_and_scores_are_cosines(store: IndexStore) -> None:
    hits = similar_definitions(store, "server/passwords.py", 7, 10)
    assert "verify_password" not in [hit.name for hit in hits]
    assert [hit.dense_rank for hit in hits] == list(range(1, len(hits) + 1))
    assert all(-1.0 <= hit.score <= 1.0 for hit in hits)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)


def test_the_innermost_definition_is_the_target(store: IndexStore) -> None:
    assert definition_at(store, "server/cart.py", 3).chunk.qualified_name == "Cart.total_price"
    assert definition_at(store, "server/cart.py", 5).chunk.qualified_name == "Cart"  # the blank line between
    assert definition_at(store, "server/we[i]rd*.py", 2).chunk.name == "odd"


def test_a_line_outside_every_definition_is_a_query_error(store: IndexStore) -> None:
    with pytest.raises(QueryError, match=r"server/cart\.py:9"):
        similar_definitions(store, "server/cart.py", 9, 3)
    for line in (1, 4):  # a block of imports and a table: indexed, but not a definition
        with pytest.raises(QueryError, match="no indexed function"):
            similar_definitions(store, "server/routes.py", line, 3)
    with pytest.raises(QueryError):
        definition_at(store, "server/missing.py", 1)


def test_a_path_that_is_not_valid_unicode_is_a_query_error(served: ServedRepo, store: IndexStore) -> None:
    """Found by tests/fuzz/live_socket.py: ``similar`` of ``"\\udcff*"`` (a JSON escape) raised UnicodeEncodeError
    inside SQLite, which the server answered as an internal error."""
    for find in (lambda: definition_at(store, "server/\udcff.py", 1), lambda: served.similar("\udcff*", 3, 3)):
        with pytest.raises(QueryError, match="not valid Unicode at position"):
            find()


def test_literal_glob_escapes_wildcards() -> None:
    assert literal_glob("a/b[1]*?.py") == "a/b[[]1][*][?].py"


def test_line_records_are_never_answers_and_k_definitions_still_come(store: IndexStore) -> None:
    kinds = {stored.chunk.kind for stored in store.get_chunks(sorted(store.chunk_ids_matching("*")))}
    assert kinds & LINE_RECORD_KINDS, f"the fixture has no line records to leave out: {kinds}"
    definitions = [
        stored for stored in store.get_chunks(sorted(store.chunk_ids_matching("*")))
        if stored.chunk.kind not in LINE_RECORD_KINDS
    ]
    k = len(definitions) - 1  # every other definition: line records are among the nearest
    hits = similar_definitions(store, "server/passwords.py", 7, k)
    assert len(hits) == k
    assert not [hit for hit in hits if hit.kind in LINE_RECORD_KINDS]
