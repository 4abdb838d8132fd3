"""Base against trained encoder, per benchmark and language, from the JSON lines the evaluators print.

    python -m bench.compare_models --base B.jsonl [B2.jsonl ...] --trained T.jsonl [T2.jsonl ...]

Inputs are the lines of ``codesearch eval --json`` (pairs files under the csn and corpus protocols,
CoSQA) and of ``bench/eval_search.py --json-out`` (the mined set and CoSQA through the real index,
dense and hybrid). Prints one Markdown table per (benchmark, system): MRR and R@10 of both models per
language, the difference, and whether the trained model wins; a last line counts the losses.
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

Key = tuple[str, str]  # (benchmark, system)


def read(paths: list[Path]) -> dict[Key, dict[str, dict[str, float]]]:
    rows: dict[Key, dict[str, dict[str, float]]] = defaultdict(dict)
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                record = json.loads(line)
                rows[(record["benchmark"], record["system"])][record["language"]] = record
    return rows


def table(key: Key, base: dict[str, dict[str, float]], trained: dict[str, dict[str, float]]) -> tuple[str, int]:
    lines = [
        f"**{key[0]}, {key[1]}**",
        "",
        "| language | queries | base MRR | trained MRR | Δ MRR | base R@10 | trained R@10 |",
        "|---|---|---|---|---|---|---|",
    ]
    losses = 0
    languages = sorted(set(base) & set(trained), key=lambda name: (name == "all", name))
    for language in languages:
        before, after = base[language], trained[language]
        delta = after["mrr"] - before["mrr"]
        losses += delta <= 0
        name = f"**{language}**" if language == "all" else language
        lines.append(
            f"| {name} | {after['queries']} | {before['mrr']:.3f} | {after['mrr']:.3f} | {delta:+.3f} "
            f"| {before['recall@10']:.3f} | {after['recall@10']:.3f} |"
        )
    return "\n".join(lines), losses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", type=Path, nargs="+", required=True)
    parser.add_argument("--trained", type=Path, nargs="+", required=True)
    args = parser.parse_args()
    base, trained = read(args.base), read(args.trained)
    total_losses = 0
    for key in sorted(set(base) & set(trained)):
        text, losses = table(key, base[key], trained[key])
        total_losses += losses
        print(text + "\n")
    print(f"rows where the trained model does not beat the base: {total_losses}")


if __name__ == "__main__":
    main()
