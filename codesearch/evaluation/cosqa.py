"""The CoSQA retrieval benchmark: 500 test / 500 dev web queries against one pool of 6,267 Python functions.

Protocol (see the README next to the data): rank all 6,267 functions for each query, report the
MRR of the single gold function over the full ranking, with no cutoff. Tune on ``dev``, report
``test``. The functions keep their docstrings, as in the published protocol; the queries are web
searches, not docstrings, so that is not a leak.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from codesearch.errors import DataError
from codesearch.evaluation.records import Benchmark

COSQA_SPLITS = ("test", "dev")
CODE_MAP_FILE = "code_idx_map.txt"  # a JSON object: function source -> integer id, despite the name
_SPLIT_FILES = {"test": "cosqa-retrieval-test-500.json", "dev": "cosqa-retrieval-dev-500.json"}
_POOL = "cosqa"


def cosqa_dir(shared_dir: Path) -> Path:
    """Where the CoSQA files live under the project's shared folder (``<shared>/benchmarks/cosqa``)."""
    return shared_dir / "benchmarks" / "cosqa"


def load_cosqa(directory: Path, split: str = "test") -> Benchmark:
    """The CoSQA retrieval ``split`` ("test" or "dev") as a Benchmark named ``cosqa-<split>``.

    Query ids are the CoSQA pair ids (``cosqa-train-12467``); doc ids are the function ids of
    ``code_idx_map.txt`` as decimal strings. Raises DataError for a missing or inconsistent file.
    """
    if split not in _SPLIT_FILES:
        raise DataError(f"unknown CoSQA split {split!r}; choose one of {', '.join(COSQA_SPLITS)}")
    code_to_id = _read_json(directory / CODE_MAP_FILE)
    if not isinstance(code_to_id, dict):
        raise DataError(f"{directory / CODE_MAP_FILE}: expected a JSON object of code -> id")
    corpus = {str(doc_id): code for code, doc_id in code_to_id.items()}
    if len(corpus) != len(code_to_id):
        raise DataError(f"{directory / CODE_MAP_FILE}: function ids are not unique")
    queries: dict[str, str] = {}
    relevant: dict[str, frozenset[str]] = {}
    for record in _read_split(directory / _SPLIT_FILES[split]):
        query_id, gold = str(record["idx"]), str(record["retrieval_idx"])
        if corpus.get(gold) != record["code"]:
            raise DataError(f"CoSQA {split}: gold function {gold} of {query_id} does not match the code map")
        if query_id in queries:
            raise DataError(f"CoSQA {split}: duplicate query id {query_id}")
        queries[query_id] = str(record["doc"])
        relevant[query_id] = frozenset({gold})
    return Benchmark(
        name=f"cosqa-{split}",
        queries=queries,
        corpus=corpus,
        relevant=relevant,
        doc_language=dict.fromkeys(corpus, "python"),
        doc_group=dict.fromkeys(corpus, _POOL),
    )


def _read_split(path: Path) -> list[dict[str, Any]]:
    records = _read_json(path)
    fields = ("idx", "doc", "code", "retrieval_idx")
    if not isinstance(records, list) or not all(
        isinstance(record, dict) and all(field in record for field in fields) for record in records
    ):
        raise DataError(f"{path}: expected a JSON array of objects with {', '.join(fields)}")
    return records


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataError(f"CoSQA file not found: {path}") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read CoSQA file {path}: {exc}") from exc
