"""Build a training data set from the command line, without a recipe (as nanoGPT's prepare.py).

    python -m training.prepare --blocklist ../shared/heldout-blocklist.txt \\
        --repo ~/src/myproject --clone https://github.com/owner/name.git@COMMIT \\
        --jsonl extracted.jsonl.gz --out data/mine

    python -m training.prepare --recipe training/recipes/minilm-code-v2.toml --out data/v2

Writes ``train.jsonl.gz``, ``validation.jsonl.gz`` and ``data-report.json`` into ``--out`` (the
layout a run keeps in ``run/data``) and prints the report as JSON. Every flag may repeat. The same
filters, held-out checks and split as a recipe apply; a recipe is still what pins a training run.
With ``--recipe``, the data set is exactly the one a run of that recipe builds (its sources, filters,
caps and split); copied into ``OUT/run/data`` of a run, it is used instead of mining again.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from codesearch.config import user_cache_dir
from codesearch.errors import CodesearchError
from training.config import load_recipe, recipe_dataset
from training.data import DataOptions, build_dataset, held_out_blocklist, save_dataset
from training.sources import SourceSpec


def source_specs(repos: Sequence[str], clones: Sequence[str], jsonl: Sequence[str]) -> list[SourceSpec]:
    """Specs for ``--repo PATH``, ``--clone URL@COMMIT`` and ``--jsonl FILE`` values, in that order."""
    specs = [SourceSpec("dir", path=str(Path(path).expanduser().resolve())) for path in repos]
    for value in clones:
        url, separator, rev = value.rpartition("@")
        if not separator or not url:
            raise CodesearchError(f"--clone {value!r}: write URL@COMMIT (a commit pins the data)")
        specs.append(SourceSpec("git", url=url, rev=rev))
    specs += [SourceSpec("jsonl", path=str(Path(path).expanduser().resolve())) for path in jsonl]
    return specs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build a (docstring, code) training data set")
    parser.add_argument("--repo", action="append", default=[], help="a folder or git repository to mine")
    parser.add_argument("--clone", action="append", default=[], help="URL@COMMIT of a git repository to mine")
    parser.add_argument("--jsonl", action="append", default=[], help="CodeSearchNet or extract JSON Lines")
    parser.add_argument("--recipe", type=Path, help="build the data set of this recipe (other flags ignored)")
    parser.add_argument("--blocklist", type=Path, help="the held-out blocklist (required without --recipe)")
    parser.add_argument("--exclude-manifest", action="append", default=[], type=Path)
    parser.add_argument("--exclude-repos", action="append", default=[], type=Path, help="a repo-level repos.json")
    parser.add_argument("--validation-fraction", type=float, default=0.1)
    parser.add_argument("--max-pairs-per-language", type=int, default=0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="prepare: %(message)s")
    try:
        if args.recipe is not None:
            dataset = recipe_dataset(load_recipe(args.recipe))
        else:
            if args.blocklist is None:
                raise CodesearchError("--blocklist is required without --recipe")
            blocklist = held_out_blocklist(args.blocklist, args.exclude_manifest, args.exclude_repos)
            options = DataOptions(
                max_pairs_per_language=args.max_pairs_per_language,
                validation_fraction=args.validation_fraction,
                seed=args.seed,
            )
            specs = source_specs(args.repo, args.clone, args.jsonl)
            dataset = build_dataset(specs, options, blocklist, user_cache_dir() / "training-corpora")
    except CodesearchError as exc:
        sys.stderr.write(f"prepare: error: {exc}\n")
        return 1
    save_dataset(dataset, args.out)
    report = {"fingerprint": dataset.fingerprint, **dataclasses.asdict(dataset.report)}
    sys.stdout.write(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
