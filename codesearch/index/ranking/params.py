"""RankingParams: every knob of the hybrid ranking, one switch per signal, with the tuned defaults.

Scores are in z-units (standard deviations of a retriever's scores over its own candidates), so a
bonus of 1.0 moves a candidate as far as one spread of the dense list. Each default names the dev
figure that chose it in docs/quality.md "Ranking constants"; ``with_overrides`` applies NAME=VALUE strings
(the benches' ``--set``) so that every ablation runs on the same code path as ``ask``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RankingParams:
    """Knobs of the fusion and its signals; defaults are the tuned values."""

    # Fusion of the two retrievers: z_dense + weight * z_bm25.
    lexical_weight: float = 0.25  # 0.15 until issue 20: docs/quality.md "Ranking constants"
    candidates_per_side: int = 100
    lexical_path_weight: float = 1.0  # BM25 weight of the path column (name 10, qualified name 5, code 3, doc 2)
    exact_name_bonus: float = 3.0  # in z-units, at least: exact matches end above every other candidate
    exact_shallowest_first: bool = True  # among exact matches of one tier, the file nearest the root first
    # Lexical standout: a query whose best BM25 candidate stands far above the rest (its words are
    # in that code, e.g. in its docstring) gives BM25 more weight.
    lexical_standout: bool = True
    standout_from: float = 4.0  # the best BM25 z-score at which the weight starts to grow
    standout_gain: float = 0.25  # extra weight per z-unit above standout_from
    standout_max_weight: float = 1.0
    # Term coverage: candidates holding every term of a long query rise.
    term_coverage: bool = True
    term_coverage_bonus: float = 3.0
    term_coverage_min_terms: int = 4
    # Definitions: identifiers in the query boost the chunks that define them and the files named after them.
    definitions: bool = True
    definition_bonus: float = 1.5
    stem_bonus: float = 1.0
    # Path match: the query's words against file stems and directory names.
    path_match: bool = True
    path_match_bonus: float = 3.0
    # Path priors: tests, examples, compat/legacy code, package markers and type declarations rank lower.
    path_priors: bool = True
    path_prior_penalty: float = 1.5
    text_record_penalty: float = 2.0
    # Header declarations: a C/C++ header ranks below its sibling source file when both are candidates.
    header_declarations: bool = True
    header_declaration_penalty: float = 0.75
    # File coherence: a file's best chunk rises by the share of the candidates' score mass its file holds.
    file_coherence: bool = True
    coherence_weight: float = 5.0
    # Diversity: the 2nd, 3rd... chunk of one file fall by this much per chunk ahead of them.
    diversity: bool = True
    diversity_decay: float = 0.3
    # Line records (blocks, imports) lose this much for a question in words (line_records.py).
    line_record_demotion: bool = False  # off: +0.001 function level, -0.002 architecture (docs/quality.md)
    line_record_penalty: float = 0.5
    imports_record_penalty: float = 1.0
    # Within the ranks one file holds, its definitions before its line records (line_records.py).
    definitions_first: bool = True
    # Within the ranks one file holds, a definition after the candidates inside it, for a sentence query.
    members_first: bool = True


def with_overrides(params: RankingParams, overrides: Mapping[str, str]) -> RankingParams:
    """``params`` with NAME=VALUE strings applied (booleans: true/false/1/0); ValueError on a bad one.

    >>> with_overrides(RankingParams(), {"path_match": "false", "lexical_weight": "0.3"}).path_match
    False
    """
    types = {field.name: field.type for field in dataclasses.fields(params)}
    values: dict[str, object] = {}
    for name, raw in overrides.items():
        if name not in types:
            raise ValueError(f"unknown ranking parameter {name!r}; known: {', '.join(sorted(types))}")
        kind = str(types[name])
        if kind == "bool":
            if raw.lower() not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError(f"{name} takes true or false, got {raw!r}")
            values[name] = raw.lower() in ("1", "true", "yes")
        else:
            values[name] = int(raw) if kind == "int" else float(raw)
    return dataclasses.replace(params, **values)  # type: ignore[arg-type]
