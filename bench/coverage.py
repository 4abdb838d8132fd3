"""What coverage costs: records by kind and the tokens the encoder embeds, definitions alone vs everything.

For each tree (``--root``, repeatable), discovers files as ``codesearch index`` does (text files
by the default settings), extracts every record, and prints one JSON line: files by language,
records by kind, and the embedded tokens (each text cut at the encoder's max length, the work the
encoder does) of definitions alone (the same-run baseline: what the index held before blocks and
text files) and of the line records on top, with the growth in percent. Tokens are the measure
because index time on a shared machine is too noisy for a few-percent difference; the encoder's
batches are sorted by length, so its time follows the tokens (it grows a little less: short texts
are cheaper per token). Loads the tokenizer, not the network.

    python -m bench.coverage --root /tmp/repos/tokio/tokio/src --root /tmp/repos/curl/lib
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

from codesearch.config import Settings
from codesearch.encoder.embedding_text import chunk_text
from codesearch.encoder.model import Encoder
from codesearch.parsing.discovery import read_source
from codesearch.parsing.extraction_runs import plan_files
from codesearch.parsing.file_records import extract_records
from codesearch.parsing.text_formats import TextFiles
from codesearch.records import LINE_RECORD_KINDS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, action="append", required=True)
    parser.add_argument("--model", default="default")
    args = parser.parse_args()
    with Encoder.load(args.model) as encoder:
        for root in args.root:
            print(json.dumps(_measure(root, encoder)), flush=True)


def _measure(root: Path, encoder: Encoder) -> dict[str, object]:
    settings = Settings()
    plan = plan_files([root], max_file_bytes=settings.max_file_bytes, text_files=TextFiles.from_settings(settings))
    kinds: Counter[str] = Counter()
    texts: dict[str, list[str]] = {"definitions": [], "line_records": []}
    started = time.perf_counter()
    for source_file in plan.files:
        data = read_source(source_file.absolute_path, max(source_file.size_bytes * 2, 1 << 20), root=source_file.root)
        for chunk in extract_records(source_file.path, data, source_file.language).chunks:
            kinds[chunk.kind] += 1
            texts["line_records" if chunk.kind in LINE_RECORD_KINDS else "definitions"].append(chunk_text(chunk))
    extract_s = time.perf_counter() - started
    tokens = {family: sum(min(n, encoder.max_length) for n in encoder.count_tokens(found)) if found else 0
              for family, found in texts.items()}
    growth = 100 * tokens["line_records"] / tokens["definitions"] if tokens["definitions"] else None
    return {
        "root": str(root), "files": len(plan.files),
        "files_by_language": dict(Counter(f.language for f in plan.files).most_common()),
        "records_by_kind": dict(kinds.most_common()), "extract_s": round(extract_s, 2),
        "definition_tokens": tokens["definitions"], "line_record_tokens": tokens["line_records"],
        "token_growth_pct": None if growth is None else round(growth, 1),
    }


if __name__ == "__main__":
    main()
