"""Builders of fake chunks, files and vectors for the index tests (no model, no parser)."""

from __future__ import annotations

import hashlib

import numpy as np

from codesearch.index.records import Embedding, FileUpdate, IndexBatch, IndexParams, PendingChunk
from codesearch.records import Chunk

DIM = 16
PARAMS = IndexParams(model_id="fake-model", model_hash="f" * 64, dim=DIM, hnsw_m=8, hnsw_ef_construction=64)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def vector_for(text: str, dim: int = DIM) -> np.ndarray:
    """A deterministic unit vector per text (dim,) float32."""
    rng = np.random.default_rng(int(sha(text)[:12], 16))
    vector = rng.standard_normal(dim).astype(np.float32)
    return vector / np.linalg.norm(vector)


def random_unit_vectors(n: int, dim: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n, dim)).astype(np.float32)  # (n, dim)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def low_rank_unit_vectors(n: int, dim: int, rank: int = 32, seed: int = 0) -> np.ndarray:
    """Random unit vectors (n, dim) float32 spanning a random rank-``rank`` subspace.

    Sentence embeddings have a low intrinsic dimension; i.i.d. Gaussian vectors in 384 dimensions
    do not (their distances concentrate), which makes them a worst case for any graph index.
    """
    rng = np.random.default_rng(seed)
    basis = rng.standard_normal((rank, dim)).astype(np.float32)  # (rank, dim)
    vectors = rng.standard_normal((n, rank)).astype(np.float32) @ basis  # (n, dim)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def make_chunk(
    path: str,
    name: str,
    *,
    body: str = "return 1",
    docstring: str = "",
    language: str = "python",
    line: int = 1,
    qualified_name: str | None = None,
) -> Chunk:
    code = f"def {name}():\n    {body}\n"
    return Chunk(
        path=path,
        language=language,
        kind="function",
        name=name,
        qualified_name=qualified_name or name,
        start_line=line,
        end_line=line + 1,
        signature_line=line,
        start_byte=0,
        end_byte=len(code),
        signature=f"def {name}():",
        docstring_raw=f'"""{docstring}"""' if docstring else "",
        docstring=docstring,
        docstring_summary=docstring.split("\n\n")[0],
        code=code,
        code_without_docstring=code,
        content_hash=sha(code),
    )


def embed_text(chunk: Chunk) -> str:
    """What a fake encoder 'embeds': signature, docstring and code (so lines do not matter)."""
    return f"{chunk.qualified_name}\n{chunk.docstring}\n{chunk.code}"


def pending(chunk: Chunk) -> PendingChunk:
    return PendingChunk(chunk=chunk, embed_hash=sha(embed_text(chunk)))


def file_update(path: str, chunks: list[Chunk], *, language: str = "python", mtime_ns: int = 1) -> FileUpdate:
    content = "".join(chunk.code for chunk in chunks)
    return FileUpdate(
        path=path,
        language=language,
        size_bytes=len(content),
        mtime_ns=mtime_ns,
        content_hash=sha(content),
        chunks=tuple(pending(chunk) for chunk in chunks),
    )


def batch_of(
    upserts: list[FileUpdate],
    deletions: tuple[str, ...] = (),
    *,
    skip_embeddings: frozenset[str] = frozenset(),
) -> IndexBatch:
    """A batch carrying a vector for every chunk (except embed hashes in ``skip_embeddings``)."""
    embeddings: dict[str, Embedding] = {}
    for update in upserts:
        for item in update.chunks:
            if item.embed_hash not in skip_embeddings:
                embeddings[item.embed_hash] = Embedding(item.embed_hash, vector_for(embed_text(item.chunk)))
    return IndexBatch(upserts=tuple(upserts), deletions=deletions, embeddings=tuple(embeddings.values()))
