from __future__ import annotations

import json
import math

from codesearch.evaluation.metrics import build_report, score_query
from codesearch.evaluation.records import RetrievalReport
from codesearch.evaluation.render import render_table, report_json_lines


def _report(system: str) -> RetrievalReport:
    outcomes = [score_query("q1", "python", ["a", "b"], {"b"}), score_query("q2", "go", ["c"], {"c"})]
    return build_report("mined", system, outcomes, doc_count=3)


def test_json_lines_have_one_object_per_language_after_the_overall_one() -> None:
    lines = report_json_lines(_report("bm25"))
    records = [json.loads(line) for line in lines]
    assert [record["language"] for record in records] == ["all", "go", "python"]
    overall = records[0]
    assert overall == {
        "benchmark": "mined", "system": "bm25", "language": "all", "queries": 2, "docs": 3, "mrr": 0.75,
        "recall@1": 0.5, "recall@5": 1.0, "recall@10": 1.0,
        "ndcg@10": round((1 / math.log2(3) + 1) / 2, 4),
    }


def test_table_aligns_a_row_per_system_and_language() -> None:
    table = render_table([_report("bm25"), _report("dense")])
    lines = table.splitlines()
    header = ["benchmark", "system", "language", "queries", "MRR", "R@1", "R@5", "R@10", "nDCG@10"]
    assert lines[0].split() == header
    assert len(lines) == 1 + 2 * 3
    assert lines[1].split()[:5] == ["mined", "bm25", "all", "2", "0.750"]
    assert lines[4].split()[1:3] == ["dense", "all"]
    assert len({len(line) for line in lines}) == 1  # every column padded to one width
    assert render_table([]) == ""
