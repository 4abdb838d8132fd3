"""The systems under evaluation: codesearch's own index and ranking, built over a benchmark pool.

Every document becomes a Chunk in a real IndexStore (SQLite + FTS5 + HNSW) and every query goes
through ``index.search.search`` in one of three modes: ``lexical`` (BM25 alone), ``dense`` (the
encoder alone) or ``hybrid`` (the fused ranking ``codesearch ask`` uses). Rankings are cut at
``DEPTH`` (1,000, as UniXcoder's CoSQA evaluator does; it moves MRR by < 0.001).
"""

from __future__ import annotations

import hashlib
import random
import tempfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from codesearch.encoder.embedding_text import DEFAULT_REPRESENTATION, Representation, chunk_text, text_hash
from codesearch.evaluation.embedding_cache import EmbeddingCache
from codesearch.evaluation.records import Benchmark
from codesearch.evaluation.runner import Ranker
from codesearch.index.hybrid_search import SearchRequest, search
from codesearch.index.ranking import RankingParams
from codesearch.index.records import Embedding, FileUpdate, IndexBatch, IndexParams, PendingChunk
from codesearch.index.store import IndexStore
from codesearch.parsing.extract import extract_chunks
from codesearch.parsing.languages import get_language
from codesearch.records import Chunk

DEPTH = 1000
MODES = ("lexical", "dense", "hybrid")
QueryEmbedder = Callable[[Sequence[str]], np.ndarray]


def document_chunk(doc_id: str, text: str, language: str) -> Chunk:
    """A Chunk for one benchmark document.

    Mined doc ids (``package:path:line:qualified.name``) give the path, line and name; other ids
    (CoSQA's numbers) get a path of their own and the name the extractor finds in the code.
    """
    parts = doc_id.split(":", 3)
    if len(parts) == 4 and parts[2].isdigit():
        _, path, line, qualified_name = parts
        name = qualified_name.replace("::", ".").replace("#", ".").split(".")[-1]
        return _synthetic_chunk(path, int(line), qualified_name, name, text, language)
    path = f"{doc_id}{get_language(language).extensions[0]}"
    found = extract_chunks(path, text.encode("utf-8"), get_language(language)).chunks
    if found:
        outer = max(found, key=lambda chunk: chunk.end_byte - chunk.start_byte)
        return outer
    return _synthetic_chunk(path, 1, doc_id, doc_id, text, language)


def _synthetic_chunk(path: str, line: int, qualified_name: str, name: str, text: str, language: str) -> Chunk:
    return Chunk(
        path=path, language=language, kind="function", name=name, qualified_name=qualified_name,
        start_line=line, end_line=line + text.count("\n"), signature_line=line, start_byte=0,
        end_byte=len(text.encode("utf-8")), signature=text.split("\n", 1)[0][:400], docstring_raw="",
        docstring="", docstring_summary="", code=text, code_without_docstring=text,
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


class PoolIndex:
    """A temporary index over one benchmark pool; rank queries with ``ranker(mode)``.

    ``embedded_share`` below 1 stores only that (seeded) share of the vectors, as an index looks
    while a progressive build is still embedding: the rest are found by keywords only.
    """

    def __init__(self, pool: Benchmark, cache: EmbeddingCache, embed_queries: QueryEmbedder,
                 params: IndexParams, representation: Representation = DEFAULT_REPRESENTATION,
                 ranking: RankingParams = RankingParams(),  # noqa: B008 - frozen
                 embedded_share: float = 1.0) -> None:
        self._workdir = tempfile.TemporaryDirectory(prefix="codesearch-eval-")
        self._embed_queries = embed_queries
        self._ranking = ranking
        self._query_vectors: dict[str, np.ndarray] = {}
        chunks = {doc_id: document_chunk(doc_id, text, pool.doc_language[doc_id])
                  for doc_id, text in pool.corpus.items()}
        self._doc_of = {(c.path, c.start_line, c.qualified_name): doc_id for doc_id, c in chunks.items()}
        texts = {doc_id: chunk_text(chunk, representation) for doc_id, chunk in chunks.items()}
        vectors = cache.embed(list(texts.values()))
        self._store = IndexStore.open(Path(self._workdir.name), expected=params, create=True)
        by_path: dict[str, list[PendingChunk]] = defaultdict(list)
        for doc_id, chunk in chunks.items():
            by_path[chunk.path].append(PendingChunk(chunk, text_hash(texts[doc_id])))
        updates = tuple(
            FileUpdate(path, found[0].chunk.language, 0, 0, path, tuple(found)) for path, found in by_path.items()
        )
        kept = sorted(vectors)
        if embedded_share < 1.0:
            kept = random.Random(f"{pool.name}-{len(kept)}").sample(kept, round(embedded_share * len(kept)))
        embeddings = tuple(Embedding(h, vectors[h]) for h in kept)
        self._store.apply_batch(IndexBatch(upserts=updates, embeddings=embeddings))

    def ranker(self, mode: str, depth: int = DEPTH, ranking: RankingParams | None = None) -> Ranker:
        """Rank a batch of queries in ``mode`` ("lexical", "dense" or "hybrid"); ``ranking``
        overrides the pool's fusion parameters (weight sweeps reuse one pool and its query vectors)."""
        params = ranking or self._ranking

        def rank(queries: list[str]) -> list[list[str]]:
            if mode != "lexical":
                self._embed_missing(queries)
            rankings = []
            for query in queries:
                embed = None if mode == "lexical" else _fixed(self._query_vectors[query])
                hits = search(self._store, embed, SearchRequest(query, depth, mode=mode), params, ef=depth)
                rankings.append([self._doc_of[(h.path, h.start_line, h.qualified_name)] for h in hits])
            return rankings

        return rank

    def retrieve(self, query: str, depth: int = 100) -> tuple[list[tuple[str, float]], ...]:
        """Both retrievers' lists for ``query`` by doc id, best first, and the exact cosines of the
        lexical candidates the dense list lacks: the inputs of the fusion (bench/fusion_features.py)."""
        self._embed_missing([query])
        vector = self._query_vectors[query]
        dense = self._store.dense_search(vector, depth, ef=depth)
        lexical = self._store.lexical_search(query, depth)
        in_dense = {s.chunk_id for s in dense}
        extra = self._store.dense_scores(vector, [s.chunk_id for s in lexical if s.chunk_id not in in_dense])
        ids = [s.chunk_id for s in (*dense, *lexical, *extra)]
        doc = {c.chunk_id: self._doc_of[(c.chunk.path, c.chunk.start_line, c.chunk.qualified_name)]
               for c in self._store.get_chunks(ids)}
        return tuple([(doc[s.chunk_id], s.score) for s in found] for found in (dense, lexical, extra))

    def _embed_missing(self, queries: list[str]) -> None:
        missing = list(dict.fromkeys(q for q in queries if q not in self._query_vectors))
        if missing:
            self._query_vectors.update(zip(missing, self._embed_queries(missing), strict=True))  # (dim,) each

    def close(self) -> None:
        self._store.close()
        self._workdir.cleanup()


def _fixed(vector: np.ndarray) -> QueryEmbedder:
    return lambda texts: vector[None, :]


def group_rankers(
    cache: EmbeddingCache, embed_queries: QueryEmbedder, params: IndexParams, mode: str,
    representation: Representation = DEFAULT_REPRESENTATION,
    ranking: RankingParams = RankingParams(),  # noqa: B008 - frozen
) -> tuple[Callable[[Benchmark], Ranker], Callable[[], None]]:
    """A ``make_ranker`` for runner.evaluate_by_group, and a function that frees its indexes."""
    opened: list[PoolIndex] = []

    def make_ranker(pool: Benchmark) -> Ranker:
        index = PoolIndex(pool, cache, embed_queries, params, representation, ranking)
        opened.append(index)
        return index.ranker(mode)

    def close_all() -> None:
        for index in opened:
            index.close()

    return make_ranker, close_all
