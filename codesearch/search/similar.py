"""Similar definitions in an open index: those whose vectors are nearest the one at a file and line.

Shared by the server's ``similar`` (``server/repos.py``) and ``codesearch mcp``
(in process, when no server runs). The innermost definition spanning the line is the
target, it is left out of its own answer, the score is the cosine similarity and the dense rank is
the rank. No model is needed: the target's vector comes from the index's embeddings cache.
Line records (import blocks, windows, sections) are neither targets nor answers: they are there for
text search, and "similar to this function" asks for functions, methods and classes.
"""

from __future__ import annotations

from codesearch.errors import CodesearchError, QueryError
from codesearch.index.records import StoredChunk
from codesearch.index.store import IndexStore
from codesearch.records import LINE_RECORD_KINDS, Hit

MAX_CHUNKS_PER_FILE = 100_000
MAX_FETCH = 4_096  # nearest records looked at, at most, to find k definitions among line records


def similar_definitions(store: IndexStore, rel_path: str, line: int, k: int, *, ef: int = 64) -> list[Hit]:
    """The ``k`` definitions most like the one around ``rel_path:line`` (1-based), best first.

    Raises:
        QueryError: no indexed definition spans that line.
    """
    target = definition_at(store, rel_path, line)
    vector = store.cached_embeddings([target.embed_hash]).get(target.embed_hash)  # (dim,) float32
    if vector is None:
        raise CodesearchError(
            f"{target.chunk.qualified_name} is not embedded yet (the index is still being built); "
            "try again when `codesearch index` has finished"
        )
    definitions: list[tuple[StoredChunk, float]] = []
    fetch = k + 1
    while True:
        found = store.dense_search(vector, fetch, ef=max(ef, fetch))
        stored = {s.chunk_id: s for s in store.get_chunks([scored.chunk_id for scored in found])}
        definitions = [
            (stored[scored.chunk_id], scored.score)
            for scored in found
            if scored.chunk_id != target.chunk_id
            and scored.chunk_id in stored
            and stored[scored.chunk_id].chunk.kind not in LINE_RECORD_KINDS
        ]
        # Line records took some of the places: ask for more, until k definitions or no more vectors.
        if len(definitions) >= k or len(found) < fetch or fetch >= MAX_FETCH:
            break
        fetch = min(fetch * 4, MAX_FETCH)
    return [_hit(chunk, score, rank) for rank, (chunk, score) in enumerate(definitions[:k], 1)]


def definition_at(store: IndexStore, rel_path: str, line: int) -> StoredChunk:
    """The innermost indexed function, method or class of ``rel_path`` spanning ``line``."""
    try:
        rel_path.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate, from a JSON escape: SQLite cannot take it, no path holds it
        raise QueryError(f"no indexed file has that name: it holds a character that is not valid Unicode at "
                         f"position {exc.start}") from exc
    in_file = sorted(store.chunk_ids_matching(literal_glob(rel_path)))[:MAX_CHUNKS_PER_FILE]
    around = [
        stored
        for stored in store.get_chunks(in_file)
        if stored.chunk.start_line <= line <= stored.chunk.end_line and stored.chunk.kind not in LINE_RECORD_KINDS
    ]
    if not around:
        raise QueryError(f"no indexed function, method or class at {rel_path}:{line}")
    return min(around, key=lambda stored: stored.chunk.end_line - stored.chunk.start_line)


def literal_glob(path: str) -> str:
    """An fnmatch pattern matching exactly ``path``."""
    return "".join(f"[{char}]" if char in "*?[" else char for char in path)


def _hit(stored: StoredChunk, score: float, rank: int) -> Hit:
    chunk = stored.chunk
    return Hit(
        path=chunk.path,
        start_line=chunk.start_line,
        end_line=chunk.end_line,
        name=chunk.name,
        qualified_name=chunk.qualified_name,
        kind=chunk.kind,
        language=chunk.language,
        score=round(score, 6),
        signature=chunk.signature,
        docstring_summary=chunk.docstring_summary,
        code=chunk.code,
        dense_rank=rank,
    )
