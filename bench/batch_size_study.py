"""The batch-size study of training/README.md: held-out MRR against effective batch size at equal pairs seen.

    python -m bench.batch_size_study --out runs/batch-study [--train] [--png PATH]

With ``--train`` the four recipes of ``training/recipes/batch-study/`` (effective batch 32, 128, 512 and
2,048 through GradCache, every one seeing 6,144 pairs) run one after another into OUT/bs<N>; without it
the runs already there are read. Prints a Markdown table (validation MRR before and after, steps,
pairs/s) and writes a PNG plot of MRR against batch size.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
RECIPES = REPO_ROOT / "training" / "recipes" / "batch-study"
BATCH_SIZES = (32, 128, 512, 2048)


@dataclass(frozen=True, slots=True)
class StudyRun:
    batch_size: int
    steps: int
    pairs_seen: int
    mrr_before: float
    mrr_after: float
    recall_at_1: float
    pairs_per_s: float
    wall_s: float


def read_run(folder: Path, batch_size: int) -> StudyRun:
    lines = [json.loads(line) for line in (folder / "run" / "log.jsonl").read_text().splitlines()]
    evals = [line for line in lines if line.get("event") == "eval"]
    steps = [line for line in lines if "loss" in line]
    if len(evals) < 2 or not steps:
        raise SystemExit(f"{folder}: the run is not finished (no final evaluation)")
    last_step = steps[-1]["step"]
    wall_s = evals[-1]["time"] - evals[0]["time"]
    return StudyRun(
        batch_size,
        last_step,
        last_step * batch_size,
        evals[0]["mrr"],
        evals[-1]["mrr"],
        evals[-1]["recall_at_1"],
        sum(line["pairs_per_s"] for line in steps) / len(steps),
        wall_s,
    )


def train_all(out: Path) -> None:
    for batch_size in BATCH_SIZES:
        command = [sys.executable, "-m", "training.train", "--recipe", str(RECIPES / f"bs{batch_size}.toml")]
        subprocess.run([*command, "--out", str(out / f"bs{batch_size}")], check=True, cwd=REPO_ROOT)


def table(runs: list[StudyRun]) -> str:
    rows = [
        "| Effective batch | Steps | Pairs seen | Validation MRR (base → trained) | R@1 | Pairs/s |",
        "|---|---|---|---|---|---|",
    ]
    for run in runs:
        rows.append(
            f"| {run.batch_size:,} | {run.steps} | {run.pairs_seen:,} | {run.mrr_before:.3f} → "
            f"**{run.mrr_after:.3f}** | {run.recall_at_1:.3f} | {run.pairs_per_s:.1f} |"
        )
    return "\n".join(rows)


def plot(runs: list[StudyRun], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 4))
    sizes = [run.batch_size for run in runs]
    axes.plot(sizes, [run.mrr_after for run in runs], marker="o", label="after 6,144 pairs")
    axes.axhline(runs[0].mrr_before, color="grey", linestyle="--", label="base model (no training)")
    axes.set_xscale("log", base=2)
    axes.set_xticks(sizes, [f"{size:,}" for size in sizes])
    axes.set_xlabel("effective batch size (in-batch negatives + 1)")
    axes.set_ylabel("validation MRR (csn protocol, 1,000 pairs)")
    axes.set_title("all-MiniLM-L6-v2, equal pairs seen, 2 CPU cores")
    axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder holding bs<N> run folders")
    parser.add_argument("--train", action="store_true", help="run the four recipes first")
    parser.add_argument("--png", type=Path, default=REPO_ROOT / "training" / "batch-size-study.png")
    args = parser.parse_args()
    if args.train:
        train_all(args.out)
    runs = [read_run(args.out / f"bs{size}", size) for size in BATCH_SIZES]
    print(table(runs))
    plot(runs, args.png)
    print(f"\nplot: {args.png}")


if __name__ == "__main__":
    main()
