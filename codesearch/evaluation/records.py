"""Records of the retrieval evaluation: a benchmark, per-query outcomes and the scored report.

``Benchmark`` deliberately holds plain mappings (query id -> text, doc id -> text, query id -> set
of relevant doc ids), the same inputs as sentence-transformers' InformationRetrievalEvaluator, so
that any loader can build one and any ranker can consume it without adapters. They are the one
exception to "no dicts across module boundaries" and are never mutated after construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Benchmark:
    """Queries, a corpus of documents and the relevance judgements between them.

    ``doc_group`` names each document's candidate pool: under the corpus protocol a query is ranked
    only against the documents of its gold document's group (for mined sets: the package). A
    benchmark with one shared pool (CoSQA) puts every document in the same group.
    """

    name: str
    queries: Mapping[str, str]  # query id -> query text
    corpus: Mapping[str, str]  # doc id -> document text (code)
    relevant: Mapping[str, frozenset[str]]  # query id -> ids of the relevant docs (non-empty)
    doc_language: Mapping[str, str]  # doc id -> language id ("python", "go", ...)
    doc_group: Mapping[str, str]  # doc id -> candidate pool name


@dataclass(frozen=True, slots=True)
class QueryOutcome:
    """How one query fared: its metrics, computed from the ranked list the system returned."""

    query_id: str
    language: str
    first_relevant_rank: int | None  # 1-based rank of the first relevant doc, None if not returned
    reciprocal_rank: float
    recall: tuple[float, ...]  # Recall@k for each k of the report's ``ks``, same order
    ndcg_at_10: float


@dataclass(frozen=True, slots=True)
class Scores:
    """Mean metrics over a set of queries (one language, or all of them)."""

    label: str  # a language id, or "all"
    query_count: int
    mrr: float
    ks: tuple[int, ...]
    recall: tuple[float, ...]  # mean Recall@k, aligned with ``ks``
    ndcg_at_10: float

    def recall_at(self, k: int) -> float:
        """Mean Recall@k; raises KeyError for a k the report was not computed for."""
        if k not in self.ks:
            raise KeyError(f"Recall@{k} was not computed (ks={self.ks})")
        return self.recall[self.ks.index(k)]


@dataclass(frozen=True, slots=True)
class RetrievalReport:
    """The scores of one system on one benchmark, overall and per language."""

    benchmark: str
    system: str  # e.g. "bm25", "dense", "hybrid"
    doc_count: int
    ks: tuple[int, ...]
    overall: Scores
    by_language: tuple[Scores, ...]  # sorted by language id
    outcomes: tuple[QueryOutcome, ...]  # sorted by query id


@dataclass(frozen=True, slots=True)
class PackageSource:
    """A folder of one package's source files, mined for docstring -> code pairs in one language."""

    name: str  # package name, also the candidate pool name
    language: str  # language id; only files of this language are read
    root: Path


@dataclass(frozen=True, slots=True)
class PackageStats:
    """What mining one package produced, for reports."""

    name: str
    language: str
    file_count: int
    function_count: int  # functions and methods in the corpus
    documented_count: int  # of which have a usable docstring summary (before dedupe and sampling)
    query_count: int  # queries kept in the benchmark (after dedupe and sampling)


@dataclass(frozen=True, slots=True)
class MinedBenchmark:
    """A mined benchmark with per-package statistics."""

    benchmark: Benchmark
    packages: tuple[PackageStats, ...]


@dataclass(frozen=True, slots=True)
class CorpusPackage:
    """One pinned package of the mining manifest (``bench/corpora.toml``)."""

    name: str  # the registry's name: PyPI / npm / Debian (binary or source) package
    version: str  # exact version as the registry spells it
    language: str  # language id of the files to mine
    source: str  # "pypi" | "npm" | "apt" (binary .deb) | "apt-source" (upstream tarball)
    upstream: str  # the project's repository, "owner/name", checked against the blocklist too
    subdir: str = ""  # folder inside the unpacked archive that holds the code ("" = all of it)
