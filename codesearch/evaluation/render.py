"""Rendering of retrieval reports: one JSON object per (system, language) line, and a plain-text table.

JSON keys: benchmark, system, language ("all" for the overall row), queries, docs, mrr,
``recall@<k>`` for each k, ndcg@10. Numbers are rounded to 4 decimals.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from codesearch.evaluation.records import RetrievalReport, Scores

_DECIMALS = 4


def _rows(report: RetrievalReport) -> list[Scores]:
    return [report.overall, *report.by_language]


def report_json_lines(report: RetrievalReport) -> list[str]:
    """One JSON line for the overall scores, then one per language."""
    lines = []
    for scores in _rows(report):
        record: dict[str, object] = {
            "benchmark": report.benchmark,
            "system": report.system,
            "language": scores.label,
            "queries": scores.query_count,
            "docs": report.doc_count,
            "mrr": round(scores.mrr, _DECIMALS),
        }
        for k, value in zip(scores.ks, scores.recall, strict=True):
            record[f"recall@{k}"] = round(value, _DECIMALS)
        record["ndcg@10"] = round(scores.ndcg_at_10, _DECIMALS)
        lines.append(json.dumps(record, sort_keys=False))
    return lines


def render_table(reports: Sequence[RetrievalReport]) -> str:
    """A fixed-width table with a row per (benchmark, system, language), overall rows first.

    All reports must have been computed with the same ks (those of the first report are shown).
    """
    if not reports:
        return ""
    ks = reports[0].ks
    header = ["benchmark", "system", "language", "queries", "MRR", *(f"R@{k}" for k in ks), "nDCG@10"]
    body = [
        [report.benchmark, report.system, scores.label, str(scores.query_count), f"{scores.mrr:.3f}",
         *(f"{scores.recall_at(k):.3f}" for k in ks), f"{scores.ndcg_at_10:.3f}"]
        for report in reports
        for scores in _rows(report)
    ]
    widths = [max(len(row[column]) for row in [header, *body]) for column in range(len(header))]
    text_columns = 3  # benchmark, system and language are left-aligned, numbers right-aligned

    def line(cells: list[str]) -> str:
        return "  ".join(
            cell.ljust(width) if column < text_columns else cell.rjust(width)
            for column, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(header), *(line(row) for row in body)])
