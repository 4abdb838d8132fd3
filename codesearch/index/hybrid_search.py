"""Answering a query over an open index: dense and lexical candidates, fused, filtered, as Hits.

Filters (language, path glob) are applied inside both searches, before any top-k cut, so a
filtered query returns k results whenever k matching chunks exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from codesearch.errors import QueryError
from codesearch.index.filters import require_plain_text, validate_path_glob
from codesearch.index.lexical import query_terms
from codesearch.index.ranking import (
    ExactNames,
    QueryFacts,
    RankingInputs,
    RankingParams,
    fuse,
    identifier_text,
    is_identifier_like,
    query_facts,
)
from codesearch.index.ranking.definitions import stem_keys, symbol_names
from codesearch.index.records import LexicalWeights, StoredChunk
from codesearch.index.store import IndexStore
from codesearch.parsing.reexports import reexported_names
from codesearch.records import BLOCK, IMPORTS, Hit

MAX_QUERY_CHARS = 2000
_REEXPORT_POOL = 50  # best lexical candidates searched for exact names and re-exports
_NAMED_LOOKUP_LIMIT = 200  # chunks whose name holds the identifier; more means a name too common to matter
_SYMBOL_LOOKUP_LIMIT = 50  # per symbol of the query, for the definitions signal
_STEM_FILES_LIMIT = 5  # files named after the query's symbols
_STEM_CHUNKS_PER_FILE = 30
QueryEmbedder = Callable[[Sequence[str]], np.ndarray]  # texts -> (n, dim) float32, normalised


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """One query and its filters."""

    query: str
    k: int = 10
    languages: tuple[str, ...] | None = None
    path_glob: str | None = None
    mode: str = "hybrid"  # "hybrid" | "dense" | "lexical" (the latter two for evaluation)


def validate_query(query: str) -> str:
    """The query stripped of surrounding whitespace; QueryError when empty or oversized."""
    text = query.strip()
    if not text:
        raise QueryError("the query is empty; describe what the code does, e.g. 'parse json config'")
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is {len(text)} characters long; the limit is {MAX_QUERY_CHARS}")
    require_plain_text(text, "the query")
    return text


def validate_filters(languages: Sequence[str] | None, path_glob: str | None) -> None:
    """QueryError for a filter SQLite cannot take: the path glob as ``validate_path_glob`` checks it, and
    a language holding a lone surrogate (bytes that are not UTF-8, a JSON ``\\udcff`` escape), which
    failed as a UnicodeEncodeError inside the search."""
    validate_path_glob(path_glob)
    for language in languages or ():
        require_plain_text(language, "a language filter")


def search(
    store: IndexStore,
    embed_queries: QueryEmbedder | None,
    request: SearchRequest,
    params: RankingParams = RankingParams(),  # noqa: B008 - frozen
    ef: int = 64,
) -> list[Hit]:
    """The top ``request.k`` hits for ``request.query`` (``embed_queries`` may be None for lexical)."""
    query = validate_query(request.query)
    validate_filters(request.languages, request.path_glob)
    pool = max(params.candidates_per_side, request.k)
    dense: list[tuple[int, float]] = []
    lexical: list[tuple[int, float]] = []
    vector = None
    if request.mode in ("hybrid", "dense"):
        if embed_queries is None:
            raise QueryError("dense search needs an encoder")
        vector = embed_queries([query])[0]  # (dim,)
        found = store.dense_search(vector, pool, ef=max(ef, pool), languages=request.languages,
                                   path_glob=request.path_glob)
        dense = [(s.chunk_id, s.score) for s in found]
    if request.mode in ("hybrid", "lexical"):
        found = store.lexical_search(query, pool, languages=request.languages, path_glob=request.path_glob,
                                     weights=LexicalWeights(path=params.lexical_path_weight))
        lexical = [(s.chunk_id, s.score) for s in found]
    if request.mode == "dense":
        ranked = dense
    elif request.mode == "lexical" or vector is None:
        ranked = lexical
    else:
        ranked = _fused(store, request, query, vector, dense, lexical, params)
    top = ranked[: request.k]
    stored = {s.chunk_id: s for s in store.get_chunks([chunk_id for chunk_id, _ in top])}
    dense_rank = {chunk_id: rank for rank, (chunk_id, _) in enumerate(dense, start=1)}
    lexical_rank = {chunk_id: rank for rank, (chunk_id, _) in enumerate(lexical, start=1)}
    cosines = _cosines(store, vector, dense, [chunk_id for chunk_id, _ in top])
    return [
        _hit(stored[chunk_id], score, dense_rank.get(chunk_id), lexical_rank.get(chunk_id), cosines.get(chunk_id))
        for chunk_id, score in top
        if chunk_id in stored
    ]


def _cosines(store: IndexStore, vector: np.ndarray | None, dense: Sequence[tuple[int, float]],
             chunk_ids: Sequence[int]) -> dict[int, float]:
    """The exact cosine of each of ``chunk_ids`` that has a vector (none without a query vector):
    a score that means the same in every index of one model, unlike the fused one (search/multi_repository.py)."""
    if vector is None:
        return {}
    known = dict(dense)
    missing = [chunk_id for chunk_id in chunk_ids if chunk_id not in known]
    known.update((s.chunk_id, s.score) for s in store.dense_scores(vector, missing))
    return {chunk_id: known[chunk_id] for chunk_id in chunk_ids if chunk_id in known}


def _fused(store: IndexStore, request: SearchRequest, query: str, vector: np.ndarray,
           dense: list[tuple[int, float]], lexical: list[tuple[int, float]],
           params: RankingParams) -> list[tuple[int, float]]:
    """The hybrid ranking; candidates the dense search missed get their exact cosine.

    A lexical candidate with no vector yet (a progressive build is still embedding it) gets the
    cosine that would put it as far from the dense mean as its BM25 score is from the lexical
    mean (see ``stand_in_cosines``); with every chunk embedded there is none.
    """
    facts = query_facts(query)
    exact = _exact_names(store, request, query, lexical)
    looked_up = _looked_up(store, request, facts, params) if params.definitions else []
    in_dense = {chunk_id for chunk_id, _ in dense[: params.candidates_per_side]}
    others = [chunk_id for chunk_id, _ in lexical[: params.candidates_per_side]] + sorted(exact.any_case) + looked_up
    extra = [(s.chunk_id, s.score) for s in store.dense_scores(vector, [i for i in others if i not in in_dense])]
    scored = in_dense | {chunk_id for chunk_id, _ in extra}
    unembedded = [chunk_id for chunk_id, _ in lexical[: params.candidates_per_side] if chunk_id not in scored]
    if unembedded and dense:
        extra += stand_in_cosines(unembedded, dense[: params.candidates_per_side],
                                  lexical[: params.candidates_per_side])
    candidate_ids = list(dict.fromkeys([*(i for i, _ in dense), *(i for i, _ in lexical), *(i for i, _ in extra)]))
    heads = {head.chunk_id: head for head in store.chunk_heads(candidate_ids)}
    terms = query_terms(query)
    covering = (store.chunks_with_all_terms(terms, candidate_ids)
                if params.term_coverage and len(terms) >= params.term_coverage_min_terms else set())
    inputs = RankingInputs(dense, lexical, extra, heads, exact, frozenset(covering), len(terms))
    return [(c.chunk_id, c.score) for c in fuse(inputs, params, facts)]


def _looked_up(store: IndexStore, request: SearchRequest, facts: QueryFacts, params: RankingParams) -> list[int]:
    """Chunks the query's symbols name, found in the whole index: definitions by name, files by stem."""
    found: list[int] = []
    for name in symbol_names(facts):
        found += store.chunks_named(name, _SYMBOL_LOOKUP_LIMIT, languages=request.languages,
                                    path_glob=request.path_glob)
    found += store.chunks_in_files_named(stem_keys(facts), per_file=_STEM_CHUNKS_PER_FILE,
                                         max_files=_STEM_FILES_LIMIT, languages=request.languages,
                                         path_glob=request.path_glob)
    return list(dict.fromkeys(found))


UNEMBEDDED_SCORE = "lexical"  # "lexical" | "neutral" | "floor" (the last: as fuse() treats a missing score)


def stand_in_cosines(chunk_ids: Sequence[int], dense: Sequence[tuple[int, float]],
                     lexical: Sequence[tuple[int, float]]) -> list[tuple[int, float]]:
    """Cosines standing in for chunks without a vector, so fusion neither buries nor favours them.

    fuse() gives a candidate without a dense score the dense list's lowest z-score: right for one
    the dense search saw and ranked low, wrong for one it could not see. "lexical" (the default)
    assumes the dense side would agree with BM25: its z-score on both sides is its BM25 z-score.
    "neutral" gives it the dense mean. Measured on the mined set with half the vectors missing:
    docs/architecture.md "Progressive index".
    """
    if UNEMBEDDED_SCORE == "floor":
        return []
    dense_mean, dense_spread = _moments([score for _, score in dense])
    lexical_mean, lexical_spread = _moments([score for _, score in lexical])
    lexical_score = dict(lexical)
    found = []
    for chunk_id in chunk_ids:
        z = 0.0
        if UNEMBEDDED_SCORE == "lexical" and lexical_spread > 1e-9:
            z = (lexical_score[chunk_id] - lexical_mean) / lexical_spread
        found.append((chunk_id, dense_mean + z * dense_spread))
    return found


def _moments(scores: Sequence[float]) -> tuple[float, float]:
    mean = sum(scores) / len(scores)
    return mean, (sum((s - mean) ** 2 for s in scores) / len(scores)) ** 0.5


def _exact_names(store: IndexStore, request: SearchRequest, query: str,
                 lexical: list[tuple[int, float]]) -> ExactNames:
    """The chunks whose name or qualified name is the identifier the query names.

    They are looked for among the best lexical candidates and, by name alone, in the whole index
    (filters applied): a class whose name prefixes many methods' qualified names can rank low in
    BM25 (``ForwardRefTests`` came 99th), yet it is what the query names. Top-level ones (the
    qualified name is the name typed: a type, not a method of that name) come first. When nothing
    in the index defines the name, the lines that re-export it (``pub use other::FromRequest``)
    are where it is defined for this repository (parsing/reexports.py).
    """
    if not is_identifier_like(query):
        return ExactNames()
    typed = identifier_text(query)
    last_part = re.split(r"\.|::|#|->", typed)[-1]
    named = store.chunks_named(last_part, _NAMED_LOOKUP_LIMIT, languages=request.languages,
                               path_glob=request.path_glob)
    candidate_ids = list(dict.fromkeys([*(chunk_id for chunk_id, _ in lexical[:_REEXPORT_POOL]), *named]))
    candidates = store.get_chunks(candidate_ids)
    any_case = {s.chunk_id for s in candidates if _is_named(s, typed.lower(), fold_case=True)}
    same_case = {s.chunk_id for s in candidates if _is_named(s, typed, fold_case=False)}
    top_level = {s.chunk_id for s in candidates
                 if s.chunk_id in any_case and s.chunk.qualified_name.lower() == typed.lower()}
    if not any_case and last_part == typed:
        sites = _reexport_sites(store, candidates, typed)
        any_case = {chunk_id for chunk_id, spelled in sites.items() if spelled.lower() == typed.lower()}
        same_case = {chunk_id for chunk_id, spelled in sites.items() if spelled == typed}
    return ExactNames(frozenset(any_case), frozenset(same_case), frozenset(top_level))


def _reexport_sites(store: IndexStore, candidates: Sequence[StoredChunk], typed: str) -> dict[int, str]:
    """Line records among ``candidates`` that re-export ``typed`` (any case), with the name as spelled there."""
    sites: dict[int, str] = {}
    wanted = typed.lower()
    for stored in candidates:
        chunk = stored.chunk
        if chunk.kind not in (IMPORTS, BLOCK) or wanted not in chunk.code.lower():
            continue
        module_text = ""
        if chunk.language == "python":
            module_text = "\n".join(s.chunk.code for s in store.chunks_in_file(chunk.path, (IMPORTS, BLOCK)))
        for name in reexported_names(chunk.code, chunk.language, module_text):
            if name.lower() == wanted:
                sites[stored.chunk_id] = name
    return sites


def _is_named(stored: StoredChunk, typed: str, *, fold_case: bool) -> bool:
    name, qualified_name = stored.chunk.name, stored.chunk.qualified_name
    if fold_case:
        name, qualified_name = name.lower(), qualified_name.lower()
    return typed in (name, qualified_name) or qualified_name.endswith(("." + typed, "::" + typed, "#" + typed))


def _hit(stored: StoredChunk, score: float, dense_rank: int | None, lexical_rank: int | None,
         cosine: float | None = None) -> Hit:
    chunk = stored.chunk
    return Hit(
        path=chunk.path, start_line=chunk.start_line, end_line=chunk.end_line, name=chunk.name,
        qualified_name=chunk.qualified_name, kind=chunk.kind, language=chunk.language, score=round(score, 6),
        signature=chunk.signature, docstring_summary=chunk.docstring_summary, code=chunk.code,
        dense_rank=dense_rank, lexical_rank=lexical_rank, cosine=None if cosine is None else round(cosine, 6),
    )
