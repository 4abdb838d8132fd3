"""The BM25 prefilter never changes the top k: pruned searches equal full ones on a Zipf corpus."""

from __future__ import annotations

import doctest
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from codesearch.index import bm25_bound, lexical
from codesearch.index.filters import ChunkFilter
from codesearch.index.records import LexicalWeights, ScoredId
from codesearch.index.store import IndexStore
from tests.index.fakes import PARAMS, batch_of, file_update, make_chunk

WORDS = [f"w{i}" for i in range(300)]
ZIPF = [1.0 / (rank + 1) for rank in range(len(WORDS))]
ROWS = 800
COMMON = 40  # stands in for COMMON_TERM_ROWS on a corpus this small


def test_docstring_examples_hold() -> None:
    result = doctest.testmod(bm25_bound)
    assert result.attempted >= 3
    assert result.failed == 0


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sqlite3.Connection]:
    rng = random.Random(7)
    updates = []
    for row in range(ROWS):
        name = "_".join(rng.choices(WORDS, ZIPF, k=2))
        body = " ".join(rng.choices(WORDS, ZIPF, k=rng.randint(3, 40)))
        path = f"m{row}.py"
        updates.append(file_update(path, [make_chunk(path, name, body=body)]))
    with IndexStore.open(tmp_path_factory.mktemp("bm25"), expected=PARAMS, create=True) as store:
        store.apply_batch(batch_of(updates))
        with store._database() as conn:
            yield conn


def full_ranking(conn: sqlite3.Connection, query: str, k: int) -> list[ScoredId]:
    terms = lexical.query_terms(query)
    rows_with = lexical.rows_with_terms(conn, terms)
    total = conn.execute("SELECT count(*) FROM chunks").fetchone()[0]
    kept = lexical.selective_terms(terms, rows_with, total)
    return lexical._ranked(conn, kept, k, ChunkFilter(), LexicalWeights(), None) if kept else []


def test_pruned_search_returns_the_full_top_k(corpus: sqlite3.Connection, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bm25_bound, "COMMON_TERM_ROWS", COMMON)
    rng = random.Random(11)
    pruned = 0
    for _ in range(300):
        query = " ".join(rng.choices(WORDS[:80], k=rng.randint(1, 6)))
        k = rng.choice([1, 5, 20])
        found = lexical.search(corpus, query, k, ChunkFilter(), LexicalWeights())
        assert found == full_ranking(corpus, query, k), query
        terms = lexical.query_terms(query)
        rows_with = lexical.rows_with_terms(corpus, terms)
        bound = bm25_bound.single_common_term_bound(ROWS, terms, rows_with)
        if bm25_bound.prefilter_expression(terms, rows_with) and len(found) == k and found[-1].score > bound:
            pruned += 1
    assert pruned >= 30  # the prefilter really answered many of them


def test_a_row_with_one_common_term_that_beats_the_prefiltered_rows_is_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "file" is common; a short function named "file" outscores the one long function holding the
    # rare "csv". The prefilter excludes it (one common term, no rare one), so only the bound
    # check, which sends this query to the full ranking, finds it.
    monkeypatch.setattr(bm25_bound, "COMMON_TERM_ROWS", 20)
    filler = [make_chunk(f"f{i}.py", f"other_{i}", body=f"file = x{i}") for i in range(60)]
    filler += [make_chunk(f"g{i}.py", f"more_{i}", body=f"y{i} = 1") for i in range(300)]
    named = make_chunk("file.py", "file", body="pass")
    long_csv = make_chunk("csv.py", "convert", body="csv = 1\n" + "\n".join(f"z{i} = w{i}" for i in range(40)))
    with IndexStore.open(tmp_path / "index", expected=PARAMS, create=True) as store:
        store.apply_batch(batch_of([file_update(c.path, [c]) for c in [*filler, named, long_csv]]))
        top = store.get_chunks([hit.chunk_id for hit in store.lexical_search("csv file", 1)])
    assert [stored.chunk.name for stored in top] == ["file"]


def test_the_bound_is_never_beaten_by_one_common_term(corpus: sqlite3.Connection) -> None:
    # A row's score from one term never exceeds (k1 + 1) * idf, whatever the column weights.
    weights = LexicalWeights(name=100.0, qualified_name=100.0, path=100.0, identifiers=100.0, docstring=100.0)
    for word in WORDS[:30]:
        rows_with = lexical.rows_with_terms(corpus, [word])
        best = lexical._ranked(corpus, [word], 1, ChunkFilter(), weights, None)
        assert best[0].score <= (bm25_bound.FTS5_BM25_K1 + 1) * bm25_bound.fts5_idf(ROWS, rows_with[word]) + 1e-9


def test_no_prefilter_without_common_terms_or_with_too_many() -> None:
    rare = {f"r{i}": 5 for i in range(3)}
    common = {f"c{i}": 5000 for i in range(bm25_bound.MAX_COMMON_TERMS + 1)}
    assert bm25_bound.prefilter_expression(list(rare), rare) is None
    assert bm25_bound.prefilter_expression(list(common), common) is None
    assert bm25_bound.prefilter_expression(["c0"], common) is None  # nothing to score but c0's rows
    assert bm25_bound.prefilter_expression(["c0", "c1"], common) == '("c0" AND "c1")'
