"""The training loop end to end on a tiny BERT: export, log, evaluation, resume after a kill, NaN stop."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest
import torch

from codesearch.encoder import Encoder
from codesearch.errors import ConfigError
from codesearch.evaluation.pairs import Pair
from training import train as train_module
from training.checkpoint import load_checkpoint
from training.config import TrainConfig
from training.model import load_base
from training.train import train


def log_lines(out: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in (out / "run" / "log.jsonl").read_text().splitlines()]


def test_a_run_logs_evaluates_and_exports_a_model_codesearch_loads(
    config: TrainConfig, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    result = train(config, out)
    assert result.is_complete and result.steps == 4 and result.checkpoint_step == 4
    assert [evaluation.step for evaluation in result.evaluations] == [0, 2, 4]
    lines = log_lines(out)
    assert [line["step"] for line in lines if "loss" in line] == [1, 2, 3, 4]
    assert sum(1 for line in lines if line.get("event") == "eval") == 3
    with Encoder.load(str(out), dtype="float32", cache_dir=tmp_path / "hashes") as encoder:
        metadata = encoder.metadata
        assert (metadata.pooling, metadata.code_prefix, metadata.max_length) == ("end_delimiter", "{", 48)
        assert metadata.recipe_hash == config.recipe_hash and metadata.trained_from == config.base_model
        assert metadata.validation is not None and metadata.validation["mrr"] == pytest.approx(
            result.evaluations[-1].mrr, abs=1e-4
        )
        searched = encoder.embed_code(["def f(x):\n    return x + 1"])
    trained = load_base(str(out), config.encoder_metadata())
    trained.model.eval()
    with torch.no_grad():
        expected = trained.model.embed(trained.tokenizing.codes(["def f(x):\n    return x + 1"])).numpy()
    np.testing.assert_allclose(searched, expected, atol=1e-5)  # search embeds what training embedded


@pytest.mark.parametrize("variant", ["random", "repository batches and query styles"])
def test_a_killed_run_resumes_to_the_same_weights(config: TrainConfig, tmp_path: Path, variant: str) -> None:
    if variant != "random":
        config = dataclasses.replace(config, batch_mode="repository", repos_per_batch=2, query_style_rate=0.5)
    train(config, tmp_path / "straight")

    def kill_after_step_2(progress: object) -> None:
        if getattr(progress, "step", 0) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(config, tmp_path / "killed", on_progress=kill_after_step_2)
    assert load_checkpoint(tmp_path / "killed" / "run").step == 2  # type: ignore[union-attr]
    result = train(config, tmp_path / "killed", resume=True)
    assert result.steps == 4
    straight = load_checkpoint(tmp_path / "straight" / "run")
    resumed = load_checkpoint(tmp_path / "killed" / "run")
    assert straight is not None and resumed is not None
    for name, tensor in straight.model.items():
        assert torch.equal(tensor, resumed.model[name]), name
    assert torch.equal(straight.temperature["log_scale"], resumed.temperature["log_scale"])


def test_resuming_under_another_recipe_or_reusing_a_folder_is_refused(
    config: TrainConfig, tmp_path: Path
) -> None:
    train(dataclasses.replace(config, max_steps=2, eval_every=0), tmp_path / "out")
    with pytest.raises(ConfigError, match="already holds a run"):
        train(config, tmp_path / "out")
    with pytest.raises(ConfigError, match="another recipe"):
        train(dataclasses.replace(config, learning_rate=0.5), tmp_path / "out", resume=True)


def test_a_nan_loss_stops_the_run_and_keeps_the_last_good_checkpoint(
    config: TrainConfig, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []
    real_loss = train_module.batch_loss

    def poisoned(*args: object, **kwargs: object) -> torch.Tensor:
        calls.append(1)
        loss = real_loss(*args, **kwargs)  # type: ignore[arg-type]
        return loss * float("nan") if len(calls) == 3 else loss

    monkeypatch.setattr(train_module, "batch_loss", poisoned)
    out = tmp_path / "out"
    result = train(config, out)
    assert not result.is_complete and result.steps == 2 and result.checkpoint_step == 2
    assert result.stopped_reason is not None and "non-finite at step 3" in result.stopped_reason
    assert "last good checkpoint is step 2" in result.stopped_reason
    assert log_lines(out)[-1]["event"] == "stopped"
    assert not (out / "config.json").exists()  # nothing exported from a broken run
    checkpoint = load_checkpoint(out / "run")
    assert checkpoint is not None and checkpoint.step == 2
    assert all(torch.isfinite(tensor).all() for tensor in checkpoint.model.values())


def test_an_adapter_export_holds_only_the_trained_tensors_and_embeds_as_the_full_model(
    config: TrainConfig, tmp_path: Path
) -> None:
    frozen = ("embeddings.word_embeddings.",)
    full = dataclasses.replace(config, frozen=frozen, max_steps=2, eval_every=0)
    train(full, tmp_path / "full")
    train(dataclasses.replace(full, export_format="adapter"), tmp_path / "adapter")
    from safetensors.torch import load_file

    tensors = load_file(str(tmp_path / "adapter" / "adapter.safetensors"))
    assert tensors and all(t.dtype == torch.float16 for t in tensors.values())
    assert not any(name.startswith(frozen) or name.startswith("pooler.") for name in tensors)
    assert not (tmp_path / "adapter" / "model.safetensors").exists()
    base = load_base(config.base_model, config.encoder_metadata()).model.transformer.state_dict()
    full_state = load_base(str(tmp_path / "full"), config.encoder_metadata()).model.transformer.state_dict()
    assert torch.equal(full_state["embeddings.word_embeddings.weight"], base["embeddings.word_embeddings.weight"])
    code = ["def f(x):\n    return x + 1"]
    with Encoder.load(str(tmp_path / "adapter"), dtype="float32", cache_dir=tmp_path / "h") as encoder:
        assert encoder.metadata.base_sha256 is not None
        from_adapter = encoder.embed_code(code)
    with Encoder.load(str(tmp_path / "full"), dtype="float32", cache_dir=tmp_path / "h") as encoder:
        from_full = encoder.embed_code(code)
    np.testing.assert_allclose(from_adapter, from_full, atol=2e-3)  # float16 rounding of the weights


def test_a_frozen_prefix_that_matches_nothing_is_refused(config: TrainConfig, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="match no parameter"):
        train(dataclasses.replace(config, frozen=("no.such.layer",)), tmp_path / "out")


def test_step_queries_mix_styles_in_at_the_rate_and_repeat_per_step(config: TrainConfig) -> None:
    pairs = [Pair("Returns the number of items in the list.", "code", "python", "r", "p", "n")] * 64
    styled = dataclasses.replace(config, query_style_rate=0.5)
    texts = train_module.step_queries(pairs, 3, styled)
    assert texts == train_module.step_queries(pairs, 3, styled) != train_module.step_queries(pairs, 4, styled)
    assert 16 < sum(text != pairs[0].query for text in texts) < 48
    assert train_module.step_queries(pairs, 3, config) == [pair.query for pair in pairs]


def test_a_time_based_checkpoint_keeps_the_work_of_slow_steps_and_resume_starts_a_missing_run(
    config: TrainConfig, tmp_path: Path
) -> None:
    timed = dataclasses.replace(config, checkpoint_every=100, checkpoint_every_s=1e-9, eval_every=0)

    def kill_after_step_3(progress: object) -> None:
        if getattr(progress, "step", 0) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        train(timed, tmp_path / "timed", on_progress=kill_after_step_3)
    assert load_checkpoint(tmp_path / "timed" / "run").step == 3  # type: ignore[union-attr]  # not a step multiple
    assert train(timed, tmp_path / "timed", resume=True).steps == 4
    events = [(line.get("event"), line["step"]) for line in log_lines(tmp_path / "timed")]
    assert events[-2:] == [("resumed", 3), (None, 4)]
    # --resume on a folder that holds no run is a clean start, so one command starts and resumes
    fresh = train(dataclasses.replace(config, eval_every=0), tmp_path / "new", resume=True)
    assert fresh.steps == 4 and fresh.checkpoint_step == 4


def test_training_queries_are_cut_to_max_query_length_and_validation_queries_are_not(
    config: TrainConfig,
) -> None:
    short = dataclasses.replace(config, max_query_length=6)
    base = load_base(short.base_model, short.encoder_metadata(), query_length=short.max_query_length)
    text = ["one two three four five six seven eight nine ten"]
    assert base.tokenizing.train_queries(text).input_ids.shape[1] == 6
    assert base.tokenizing.queries(text).input_ids.shape[1] > 6
