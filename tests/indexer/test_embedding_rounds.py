"""The embedding stage's text rebuilding: one text per hash, and never a text under another's hash."""

from __future__ import annotations

import pytest

from codesearch.encoder.embedding_text import chunk_text, text_hash
from codesearch.index.records import StoredChunk
from codesearch.indexer.embedding_rounds import texts_by_hash
from tests.index.fakes import make_chunk


def stored(chunk_id: int, name: str, embed_hash: str | None = None) -> StoredChunk:
    chunk = make_chunk("a.py", name)
    return StoredChunk(chunk_id, chunk, embed_hash or text_hash(chunk_text(chunk)))


def test_each_text_once_in_chunk_order() -> None:
    first, twin, other = stored(1, "load"), stored(2, "load"), stored(3, "save")
    texts = texts_by_hash([first, twin, other])
    assert list(texts) == [first.embed_hash, other.embed_hash]
    assert texts[first.embed_hash] == chunk_text(first.chunk)


def test_a_row_whose_text_is_made_differently_now_is_left_out(caplog: pytest.LogCaptureFixture) -> None:
    outdated = stored(1, "load", embed_hash="0" * 64)  # what an older chunk_text would have hashed
    assert texts_by_hash([outdated, stored(2, "save")]).keys() == {stored(2, "save").embed_hash}
    assert "another codesearch version" in caplog.text
