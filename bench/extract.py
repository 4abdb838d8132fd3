"""Extraction speed over the Python standard library (and any other tree given with --root).

Prints JSON lines: the parse-only ceiling (tree-sitter parse of every file, bytes already in
memory), full extraction (read + parse + query + records), and their ratio, plus what extraction
found: definitions, the share with a doc summary and the files with syntax errors. One core.
Anchor measured here: tree-sitter parses the 3.11 stdlib (1,790 files) at ~785 files/s, 608 files/s
with a query-based extraction. Goal: extraction >= 60% of parse-only speed.
"""

from __future__ import annotations

import argparse
import json
import sysconfig
import time
from pathlib import Path

from codesearch.parsing.extraction_runs import extract_files, plan_files
from codesearch.parsing.languages import get_language
from codesearch.parsing.queries import parser_for
from codesearch.records import FileExtraction


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, action="append")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lang", action="append", help="only these languages")
    args = parser.parse_args()
    for root in args.root or [Path(sysconfig.get_paths()["stdlib"])]:
        languages = frozenset(args.lang) if args.lang else None
        plan = plan_files([root], max_file_bytes=1 << 20, languages=languages)
        sources = [(Path(f.absolute_path).read_bytes(), get_language(f.language)) for f in plan.files]
        chunks = documented = 0
        syntax_errors: set[str] = set()

        def count(extraction: FileExtraction, syntax_errors: set[str] = syntax_errors) -> None:
            nonlocal chunks, documented
            chunks += len(extraction.chunks)
            documented += sum(1 for chunk in extraction.chunks if chunk.docstring_summary)
            if extraction.has_syntax_errors:
                syntax_errors.add(extraction.path)

        parse_runs, extract_runs = [], []
        for _ in range(args.runs):  # interleaved, so that load from other processes hits both alike
            parse_runs.append(_time_parse(sources))
            chunks = documented = 0
            started = time.perf_counter()
            extract_files(plan, max_file_bytes=1 << 20, on_file=count)
            extract_runs.append(time.perf_counter() - started)
        parse_s, best = min(parse_runs), min(extract_runs)
        print(json.dumps({
            "root": str(root), "languages": sorted({f.language for f in plan.files}), "files": len(plan.files),
            "functions": chunks, "doc_summary_share": round(documented / max(chunks, 1), 3),
            "syntax_error_files": len(syntax_errors),
            "parse_only_files_per_s": round(len(plan.files) / parse_s, 1),
            "extract_files_per_s": round(len(plan.files) / best, 1),
            "extract_functions_per_s": round(chunks / best, 1),
            "extract_vs_parse_ratio": round(parse_s / best, 3),
            "anchor_parse_files_per_s": 785, "anchor_query_extract_files_per_s": 608, "goal_ratio": 0.6,
        }))


def _time_parse(sources: list[tuple[bytes, object]]) -> float:
    started = time.perf_counter()
    for data, language in sources:
        parser_for(language).parse(data)  # type: ignore[arg-type]
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
