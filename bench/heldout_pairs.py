"""The held-out pairs file for `codesearch eval --pairs` (csn and corpus protocols), from the evaluation corpora.

    python -m bench.heldout_pairs [--corpora-dir DIR] [--per-language 1000] --out pairs.jsonl

Runs ``codesearch extract --pairs`` over every package of ``bench/corpora.toml`` that
``bench/fetch_corpora.py`` fetched (none of them is in any training recipe), names each record's
repository after its package, and keeps a seeded sample of at most ``--per-language`` pairs per
language (CodeSearchNet's protocol ranks each gold function among 999 distractors of its language).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

from codesearch.evaluation.corpora import default_corpora_dir

REPO_ROOT = Path(__file__).resolve().parents[1]


def extract_package(tree: Path, language: str, out: Path) -> list[dict[str, object]]:
    command = [sys.executable, "-m", "codesearch", "extract", "--pairs", "--lang", language, "--out", str(out)]
    subprocess.run([*command, str(tree)], check=False, cwd=REPO_ROOT, capture_output=True)
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines() if line.strip()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora-dir", type=Path, default=default_corpora_dir())
    parser.add_argument("--per-language", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    by_language: dict[str, list[dict[str, object]]] = defaultdict(list)
    with tempfile.TemporaryDirectory() as scratch:
        for tree in sorted(args.corpora_dir.glob("*/*/tree")):
            language, package = tree.parent.parent.name, tree.parent.name
            for record in extract_package(tree, language, Path(scratch) / f"{package}.jsonl"):
                record["repo"] = package
                by_language[language].append(record)
    rng = random.Random(args.seed)
    with args.out.open("w", encoding="utf-8") as handle:
        for language in sorted(by_language):
            records = by_language[language]
            rng.shuffle(records)
            for record in records[: args.per_language]:
                handle.write(json.dumps(record) + "\n")
            print(f"{language}: {min(len(records), args.per_language)} of {len(records)} pairs")


if __name__ == "__main__":
    main()
