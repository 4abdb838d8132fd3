"""Pack a recipe's prepared data set and its base model for a GPU machine (the input of ``gpu_run.py``).

    python -m training.gpu_pack --recipe training/recipes/minilm-code-v2.toml \\
        --data runs/minilm-code-v2/run/data [--heldout-pairs heldout-pairs.jsonl] --out .gpu

Writes ``OUT/pack.npz`` (token_pack.py: every pair's token ids) and ``OUT/base.npz`` (base_bundle.py:
the base's weights, relative to the shipped default's adapter) and prints their sizes as JSON. A device
call carries at most 64 MiB with the tracked tree (~25 MB of it), so the two files must stay under
~40 MB together; ``.gpu/`` is ignored by git and named in the call's ``carry``, never committed, because a
committed pack would ride along with every device call of the project.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from codesearch.encoder.source import DEFAULT_MODEL_FOLDER, resolve_model
from codesearch.errors import CodesearchError, ConfigError
from codesearch.evaluation.pairs import Pair, read_pair_file
from training.base_bundle import WORD_EMBEDDINGS, write_bundle
from training.config import TrainConfig, load_recipe
from training.data import load_dataset
from training.export import base_weights_digest
from training.model import load_base
from training.query_styles import STYLES
from training.token_pack import pack_pairs, read_pack, write_pack

logger = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[1]
PACK_FILE = "pack.npz"
BASE_FILE = "base.npz"
REFERENCE_ADAPTER = DEFAULT_MODEL_FOLDER / "adapter.safetensors"  # tracked: it travels with the tree


def pack_for_gpu(
    config: TrainConfig,
    data_dir: Path,
    heldout: Sequence[Pair],
    out: Path,
    reference_adapter: Path = REFERENCE_ADAPTER,
) -> dict[str, object]:
    """Write both files into ``out``; returns what was written (sizes, counts).

    ``reference_adapter``: a tracked adapter over the same base, so the base travels as differences
    from it (base_bundle.py); recorded relative to the repository root when it lies inside it.
    """
    if config.export_format != "adapter" or not any(WORD_EMBEDDINGS.startswith(p) for p in config.frozen):
        raise ConfigError("a GPU run trains an adapter over frozen word embeddings (export_format, frozen)")
    dataset = load_dataset(data_dir)
    base = load_base(config.base_model, config.encoder_metadata(), config.frozen, config.max_query_length)
    tokenizing = base.tokenizing
    if len(tokenizing.tokenizer) > 2**16:
        raise ConfigError("the base's vocabulary does not fit 16-bit token ids")
    splits = {"train": dataset.train, "validation": dataset.validation, "heldout": tuple(heldout)}
    repos = sorted({pair.repo for pairs in splits.values() for pair in pairs})
    languages = sorted({pair.language for pairs in splits.values() for pair in pairs})
    arrays = {
        name: pack_pairs(pairs, tokenizing, repos, languages, is_training=name == "train")
        for name, pairs in splits.items()
        if pairs
    }
    train_framing = tokenizing.train_query_framing or tokenizing.query_framing
    meta = {
        "recipe": config.to_json(),
        "data_fingerprint": dataset.fingerprint,
        "base_model_id": base.source.model_id,
        "base_sha256": base_weights_digest(config.base_model),
        "reference_adapter": str(_repo_relative(reference_adapter)),
        "repos": repos,
        "languages": languages,
        "styles": list(STYLES),
        "train_query_length": train_framing.max_length,
        "query_end_back": len(train_framing.trailing) if train_framing.suffix else 0,
        "code_end_back": len(tokenizing.code_framing.trailing) if tokenizing.code_framing.suffix else 0,
        "pairs": {name: len(pairs) for name, pairs in splits.items()},
    }
    pack_bytes = write_pack(out / PACK_FILE, meta, arrays, tokenizing.pad_id)
    vocabulary = read_pack(out / PACK_FILE).vocabulary
    base_bytes = write_bundle(out / BASE_FILE, resolve_model(config.base_model).folder, reference_adapter, vocabulary)
    return {
        "pack_bytes": pack_bytes,
        "base_bytes": base_bytes,
        "total_mib": round((pack_bytes + base_bytes) / 2**20, 2),
        "vocabulary": len(vocabulary),
        "pairs": meta["pairs"],
        "tokens": {name: int(found["code_lengths"].sum() + found["query_lengths"].sum()) for name, found in
                   arrays.items()},
    }


def _repo_relative(path: Path) -> Path:
    resolved = path.resolve()
    return resolved.relative_to(REPO_ROOT) if resolved.is_relative_to(REPO_ROOT) else resolved


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", type=Path, required=True)
    parser.add_argument("--data", type=Path, required=True, help="the prepared data set (run/data of a run)")
    parser.add_argument("--heldout-pairs", type=Path, help="bench/heldout_pairs.py output, scored at the end")
    parser.add_argument("--out", type=Path, default=Path(".gpu"))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="gpu_pack: %(message)s")
    try:
        heldout = read_pair_file(args.heldout_pairs).pairs if args.heldout_pairs else ()
        report = pack_for_gpu(load_recipe(args.recipe), args.data, heldout, args.out)
    except CodesearchError as exc:
        sys.stderr.write(f"gpu_pack: error: {exc}\n")
        return 1
    sys.stdout.write(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
