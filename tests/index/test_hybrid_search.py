"""Answering queries over a real IndexStore with chosen vectors: hybrid fusion gets exact dense
scores for lexical-only candidates, and exact name matches come first."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from codesearch.index.hybrid_search import SearchRequest, search
from codesearch.index.ranking import RankingParams
from codesearch.index.records import Embedding, IndexBatch
from codesearch.index.store import IndexStore
from codesearch.records import Chunk
from tests.index.fakes import DIM, PARAMS, file_update, make_chunk, pending


def unit(*weights: float) -> np.ndarray:
    vector = np.zeros(DIM, dtype=np.float32)
    vector[: len(weights)] = weights
    return vector / np.linalg.norm(vector)


QUERY_VECTOR = unit(1.0)
CHUNKS: list[tuple[Chunk, np.ndarray]] = [
    # Lexical-only candidates first, so they get the lower ids: a tie between them falls to the id.
    (make_chunk("b.py", "bravo", body="return settings"), unit(-1.0, 0.1)),
    (make_chunk("a.py", "alpha", body="return settings"), unit(0.8, 0.6)),
    (make_chunk("d.py", "near_one", body="return 1"), unit(1.0)),
    (make_chunk("e.py", "near_two", body="return 2"), unit(0.95, 0.05)),
    (make_chunk("f.py", "load_config", body="return 3"), unit(-0.2, 0.0, 1.0)),
]


def embed_query(texts: Sequence[str]) -> np.ndarray:
    return np.stack([QUERY_VECTOR for _ in texts])  # (n, dim)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[IndexStore]:
    updates = tuple(file_update(chunk.path, [chunk]) for chunk, _ in CHUNKS)
    embeddings = tuple(Embedding(pending(chunk).embed_hash, vector) for chunk, vector in CHUNKS)
    with IndexStore.open(tmp_path / "index", expected=PARAMS, create=True) as opened:
        opened.apply_batch(IndexBatch(upserts=updates, embeddings=embeddings))
        yield opened


def names(store: IndexStore, query: str, params: RankingParams, mode: str = "hybrid") -> list[str]:
    return [hit.name for hit in search(store, embed_query, SearchRequest(query, 10, mode=mode), params)]


def test_dense_scores_are_exact_cosines(store: IndexStore) -> None:
    ids = {stored.chunk.name: stored.chunk_id for stored in store.get_chunks(range(1, 20))}
    scored = store.dense_scores(QUERY_VECTOR, [ids["bravo"], ids["alpha"], 999])
    assert [s.chunk_id for s in scored] == [ids["alpha"], ids["bravo"]]  # best first; 999 is no chunk
    assert scored[0].score == pytest.approx(float(unit(0.8, 0.6) @ QUERY_VECTOR), abs=1e-6)
    assert store.dense_scores(QUERY_VECTOR, []) == []


def test_every_hit_carries_its_exact_cosine_also_outside_the_dense_list(store: IndexStore) -> None:
    params = RankingParams(candidates_per_side=2)  # alpha and bravo come from the lexical side only
    hits = search(store, embed_query, SearchRequest("settings", 10), params)
    vectors = {chunk.name: vector for chunk, vector in CHUNKS}
    assert {"alpha", "bravo"} <= {hit.name for hit in hits}
    for hit in hits:
        assert hit.cosine == pytest.approx(float(vectors[hit.name] @ QUERY_VECTOR), abs=1e-5), hit.name


def test_a_keyword_search_has_no_cosines(store: IndexStore) -> None:
    hits = search(store, None, SearchRequest("settings", 10, mode="lexical"))
    assert hits and all(hit.cosine is None for hit in hits)


def test_lexical_only_candidates_are_ordered_by_their_true_dense_score(store: IndexStore) -> None:
    params = RankingParams(candidates_per_side=2)  # the dense side returns near_one and near_two only
    assert names(store, "settings", params, mode="dense")[:2] == ["near_one", "near_two"]
    lexical = names(store, "settings", params, mode="lexical")
    assert set(lexical[:2]) == {"alpha", "bravo"}  # a BM25 tie
    ranked = names(store, "settings", params)
    assert ranked.index("alpha") < ranked.index("bravo")  # alpha is far nearer the query


def test_an_exact_name_match_comes_first_even_outside_both_candidate_lists(tmp_path: Path) -> None:
    # Many methods named Shelf.* outrank the class Shelf in BM25 (long class body, shared prefix);
    # with one candidate per side, the class is in neither list, yet the query names it.
    methods = [(make_chunk("s.py", f"m{i}", qualified_name=f"Shelf.m{i}", body="return shelf"), unit(1.0))
               for i in range(5)]
    shelf = (make_chunk("s.py", "Shelf", body="pass\n" + "x = 1\n" * 200, line=50), unit(-1.0))
    rows = [*methods, shelf]
    updates = (file_update("s.py", [chunk for chunk, _ in rows]),)
    embeddings = tuple(Embedding(pending(chunk).embed_hash, vector) for chunk, vector in rows)
    with IndexStore.open(tmp_path / "index", expected=PARAMS, create=True) as opened:
        opened.apply_batch(IndexBatch(upserts=updates, embeddings=embeddings))
        params = RankingParams(candidates_per_side=1)
        assert "Shelf" not in names(opened, "Shelf", params, mode="lexical")[:1]
        assert names(opened, "Shelf", params)[0] == "Shelf"
        assert names(opened, "Shelf", params) == names(opened, "Shelf()", params)
        hits = search(opened, embed_query, SearchRequest("Shelf", 10, path_glob="other/*"), params)
        assert hits == []  # filters still apply to exact-name lookups


def test_an_exact_name_match_comes_first(store: IndexStore) -> None:
    params = RankingParams(candidates_per_side=2)
    assert "load_config" not in names(store, "load_config", params, mode="dense")[:2]
    assert names(store, "load_config", params)[0] == "load_config"


def test_a_candidate_without_a_vector_stands_as_strong_as_its_keywords(tmp_path: Path) -> None:
    """While a progressive build embeds, a strong keyword match must not sink below every dense hit."""
    waiting = make_chunk("w.py", "parse_settings_file", body="return parse(settings_file)")
    weak = make_chunk("x.py", "unrelated_settings", body="return 0")
    dense_only = [(make_chunk(f"d{i}.py", f"near_{i}", body=f"return {i}"), unit(1.0, 0.1 * i)) for i in range(6)]
    updates = tuple(file_update(chunk.path, [chunk]) for chunk in [waiting, weak] + [c for c, _ in dense_only])
    embeddings = tuple(Embedding(pending(c).embed_hash, v) for c, v in [*dense_only, (weak, unit(0.0, 1.0))])
    with IndexStore.open(tmp_path / "index", expected=PARAMS, create=True) as store:
        store.apply_batch(IndexBatch(upserts=updates, embeddings=embeddings))  # no vector for `waiting`
        assert store.semantic_coverage().embedded == 7
        ranked = names(store, "parse settings file", RankingParams())
        assert ranked[0] == "parse_settings_file"
        assert ranked.index("unrelated_settings") > ranked.index("parse_settings_file")


def _indexed(tmp_path: Path, rows: list[tuple[Chunk, np.ndarray]]) -> IndexStore:
    by_path: dict[str, list[Chunk]] = {}
    for chunk, _ in rows:
        by_path.setdefault(chunk.path, []).append(chunk)
    updates = tuple(file_update(path, chunks, language=chunks[0].language) for path, chunks in by_path.items())
    embeddings = tuple(Embedding(pending(chunk).embed_hash, vector) for chunk, vector in rows)
    opened = IndexStore.open(tmp_path / "index", expected=PARAMS, create=True)
    opened.apply_batch(IndexBatch(upserts=updates, embeddings=embeddings))
    return opened


def _line_record(path: str, code: str, kind: str, language: str, line: int = 1) -> Chunk:
    end = line + code.count("\n")
    return dataclasses.replace(make_chunk(path, "", language=language, line=line), kind=kind, name="",
                               qualified_name=f"{path}:{line}-{end}", signature="", end_line=end, code=code,
                               code_without_docstring=code)


def test_a_name_defined_outside_the_repository_is_found_where_it_is_re_exported(tmp_path: Path) -> None:
    # `FromRequest` comes from another crate: the module that re-exports it is where users find it,
    # while many handlers that merely use it sit nearer the query in both retrievers.
    users = [(dataclasses.replace(make_chunk(f"src/h{i}.rs", f"handler{i}", language="rust",
                                             body="FromRequest::from_request(req) FromRequest"),
                                  qualified_name=f"handler{i}"), unit(1.0)) for i in range(8)]
    reexport = (_line_record("src/extract/mod.rs", "pub use axum_core::extract::{FromRef, FromRequest};\n",
                             "imports", "rust"), unit(-1.0))
    defined = (dataclasses.replace(make_chunk("src/from_ref.rs", "FromRef", language="rust"), kind="class"),
               unit(-1.0))
    with _indexed(tmp_path, [*users, reexport, defined]) as opened:
        hits = search(opened, embed_query, SearchRequest("FromRequest", 5), RankingParams())
        assert hits[0].path == "src/extract/mod.rs"
        # A definition in the repository wins over any re-export of its name.
        assert search(opened, embed_query, SearchRequest("FromRef", 5), RankingParams())[0].path == "src/from_ref.rs"


def test_python_re_exports_count_only_when_listed_in_all(tmp_path: Path) -> None:
    init = [(_line_record("pkg/__init__.py", "from requests_toolbelt import Session, Retry\n", "imports", "python"),
             unit(-1.0)),
            (_line_record("pkg/__init__.py", '__all__ = ["Session"]\n', "block", "python", line=3), unit(-1.0))]
    users = [(make_chunk(f"pkg/u{i}.py", f"use{i}", body="Session() Retry() Session"), unit(1.0)) for i in range(4)]
    with _indexed(tmp_path, [*init, *users]) as opened:
        first = search(opened, embed_query, SearchRequest("Session", 5), RankingParams())[0]
        assert (first.path, first.kind) == ("pkg/__init__.py", "imports")
        assert search(opened, embed_query, SearchRequest("Retry", 5), RankingParams())[0].path != "pkg/__init__.py"


def test_a_top_level_definition_comes_before_members_of_the_same_name(tmp_path: Path) -> None:
    # Go: `type Handler interface` in one file, and methods named Handler on many types elsewhere.
    methods = [(make_chunk(f"s{i}.go", "Handler", qualified_name=f"(*S{i}).Handler", language="go",
                           body="return Handler(x)"), unit(1.0)) for i in range(6)]
    interface = (dataclasses.replace(make_chunk("handler.go", "Handler", language="go", body="ServeHTTP()"),
                                     kind="class"), unit(-1.0))
    with _indexed(tmp_path, [*methods, interface]) as opened:
        assert search(opened, embed_query, SearchRequest("Handler", 5), RankingParams())[0].path == "handler.go"


def test_the_name_lookup_keeps_the_exact_name_among_many_longer_ones(tmp_path: Path) -> None:
    longer = [(make_chunk(f"h{i}.py", f"handler_{i}"), unit(1.0)) for i in range(300)]
    exact = (make_chunk("z.py", "handler"), unit(1.0))
    with _indexed(tmp_path, [*longer, exact]) as opened:
        ids = {s.chunk.name: s.chunk_id for s in opened.get_chunks(opened.chunks_named("handler", 200))}
        assert "handler" in ids
