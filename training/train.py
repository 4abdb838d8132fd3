"""The training loop: contrastive pre-training of the code encoder, laid out like nanoGPT's train.py.

Read top to bottom: set up the process group, the data (built once, saved in the run folder), the
model, temperature and optimizer; resume from the checkpoint if asked; then one loop of steps with
a log line every ``log_every``, an evaluation every ``eval_every`` and a checkpoint every
``checkpoint_every`` steps or ``checkpoint_every_s`` seconds, until ``max_steps`` or, when set, the
``time_budget_s`` of training time is spent; finally export the model folder.

``--resume`` continues from the run folder's checkpoint; where there is none (a new folder, or a
run killed before its first checkpoint) it starts from step 0, so one command both starts and
resumes a run.

Single process: ``codesearch train --recipe R``. Several (GPUs or CPU processes, one node or many):
``torchrun --nproc-per-node N -m training.train --recipe R --out DIR``; the global batch is split
across ranks and the embeddings are gathered so every rank sees all negatives (distributed.py).

Run folder layout::

    OUT/                    the exported model: config.json, model.safetensors, tokenizer files,
                            codesearch-encoder.json
    OUT/run/log.jsonl       one JSON object per log line, evaluation and stop
    OUT/run/checkpoint.pt   the latest checkpoint (checkpoint.py)
    OUT/run/data/           the training and validation pairs and the data report
"""

from __future__ import annotations

import argparse
import logging
import math
import random
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch.nn.parallel import DistributedDataParallel

from codesearch.encoder.runtime import has_fast_bf16, set_cpu_threads
from codesearch.errors import ConfigError
from codesearch.evaluation.pairs import Pair
from training import data as training_data
from training.batching import BatchOf, batch_schedule
from training.checkpoint import Checkpoint, capture_rng, load_checkpoint, restore_rng, save_checkpoint
from training.config import TrainConfig, load_recipe, recipe_dataset
from training.distributed import (
    ProcessGroup,
    all_ranks_agree,
    barrier,
    gather_with_grad,
    start_process_group,
    stop_process_group,
)
from training.evaluate import sample_pairs, validate
from training.export import export_model
from training.grad_cache import grad_cache_backward
from training.losses import Autocast, LearnedTemperature, batch_loss, same_query_mask
from training.model import DualEncoder, LoadedBase, TokenBatch, load_base
from training.query_styles import styled_query
from training.records import Evaluation, TrainProgress, TrainResult
from training.run_log import RunLog, evaluation_record
from training.schedule import learning_rate_at

logger = logging.getLogger(__name__)

RUN_DIR = "run"
LOG_FILE = "log.jsonl"
ProgressCallback = Callable[[TrainProgress], None]


def make_autocast(config: TrainConfig, device: torch.device) -> Autocast:
    """bf16 autocast where asked for (or "auto" on hardware with native bf16), else no autocast."""
    if config.dtype == "float32" or (config.dtype == "auto" and not has_fast_bf16(device)):
        return nullcontext
    return lambda: torch.autocast(device_type=device.type, dtype=torch.bfloat16)


def parameter_groups(
    model: DualEncoder, temperature: LearnedTemperature, weight_decay: float
) -> list[dict[str, Any]]:
    """AdamW groups: weight decay on matrices only (not biases, norms or the temperature)."""
    trained = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    decayed = [p for name, p in trained if p.dim() >= 2]
    plain = [p for name, p in trained if p.dim() < 2]
    groups = [{"params": decayed, "weight_decay": weight_decay}, {"params": plain, "weight_decay": 0.0}]
    if temperature.log_scale.requires_grad:
        groups.append({"params": [temperature.log_scale], "weight_decay": 0.0})
    return groups


def train(
    config: TrainConfig, out_dir: Path, *, resume: bool = False, on_progress: ProgressCallback | None = None
) -> TrainResult:
    """Run (or resume) training; returns what happened. See the module docstring for the layout.

    Raises:
        ConfigError: a bad recipe, or ``resume`` with a checkpoint from another recipe.
        DataError: held-out, missing or empty data.
    """
    if not config.blocklist:
        raise ConfigError("the recipe must name the held-out blocklist (blocklist = PATH)")
    group = start_process_group(config.device)
    try:
        return _run(config, out_dir, group, resume, on_progress)
    finally:
        stop_process_group()


@dataclass(frozen=True, slots=True)
class _Session:
    """Everything a run holds while it trains (private to this module)."""

    config: TrainConfig
    group: ProcessGroup
    run_dir: Path
    dataset: training_data.Dataset
    validation: list[Pair]  # the sample scored at each evaluation
    batch_of: BatchOf  # step -> the global batch (random or repository batches)
    base: LoadedBase
    ddp: torch.nn.Module  # base.model, wrapped in DDP when there are several processes
    temperature: LearnedTemperature
    optimizer: torch.optim.Optimizer
    autocast: Autocast
    log: RunLog


def _run(
    config: TrainConfig,
    out_dir: Path,
    group: ProcessGroup,
    resume: bool,
    on_progress: ProgressCallback | None,
) -> TrainResult:
    run, checkpoint = _open(config, out_dir, group, resume)
    step = checkpoint.step if checkpoint is not None else 0
    if checkpoint is not None:
        # Lines a killed run logged after its last checkpoint are redone from here: readers of the log
        # drop the lines of steps above this one that came before it.
        run.log.write({"event": "resumed", "step": step})
    checkpoint_step = step if checkpoint is not None else None
    evaluations: list[Evaluation] = []
    last_loss: float | None = None
    rates: list[float] = []
    clock = _Clock(checkpoint.elapsed_s if checkpoint is not None else 0.0)
    saved_at = time.monotonic()
    if config.eval_every and step == 0:
        _evaluate(run, step, evaluations)  # the base model's score: the reference for every later one
    is_last = _is_last(config, step, clock)
    while not is_last:
        started = time.perf_counter()
        lr = learning_rate_at(step, config, clock.elapsed_s)
        loss, grad_norm = _forward_backward(run, step, lr)
        if not all_ranks_agree(math.isfinite(loss) and math.isfinite(grad_norm), group.device):
            reason = (
                f"loss or gradient became non-finite at step {step + 1} (loss {loss}); the update was not "
                f"applied; the last good checkpoint is step {checkpoint_step} in {run.run_dir}"
            )
            run.log.write({"event": "stopped", "step": step + 1, "reason": reason})
            logger.error("%s", reason)
            return TrainResult(
                out_dir, step, last_loss, tuple(evaluations), checkpoint_step, reason, _mean(rates)
            )
        run.optimizer.step()
        run.optimizer.zero_grad(set_to_none=True)
        run.temperature.clamp_()
        step, last_loss = step + 1, loss
        rates.append(config.batch_size / (time.perf_counter() - started))
        is_last = _is_last(config, step, clock)
        if step % config.log_every == 0 or is_last:
            run.log.write(
                {
                    "step": step,
                    "loss": round(loss, 5),
                    "temperature": round(run.temperature.temperature, 5),
                    "lr": lr,
                    "grad_norm": round(grad_norm, 4),
                    "pairs_per_s": round(rates[-1], 2),
                }
            )
        if config.eval_every and (step % config.eval_every == 0 or is_last):
            _evaluate(run, step, evaluations)
        if is_last or _is_checkpoint_due(config, step, time.monotonic() - saved_at, group.device):
            _save(run, step, clock.elapsed_s)
            checkpoint_step, saved_at = step, time.monotonic()
        if on_progress is not None:
            latest = evaluations[-1].mrr if evaluations else None
            on_progress(
                TrainProgress(
                    step, config.max_steps, loss, run.temperature.temperature, lr, rates[-1], latest
                )
            )
    if group.is_main:
        final = evaluations[-1] if evaluations else None
        export_model(
            out_dir, run.base.model, run.base.tokenizing.tokenizer, config, run.base.source.model_id, final
        )
    barrier()
    return TrainResult(out_dir, step, last_loss, tuple(evaluations), checkpoint_step, None, _mean(rates))


def _open(
    config: TrainConfig, out_dir: Path, group: ProcessGroup, resume: bool
) -> tuple[_Session, Checkpoint | None]:
    """Data, model, temperature and optimizer, restored from the checkpoint when resuming."""
    run_dir = out_dir / RUN_DIR
    if group.is_main and not resume and (run_dir / LOG_FILE).exists():
        raise ConfigError(
            f"{out_dir} already holds a run; pass --resume to continue it or choose another --out"
        )
    set_cpu_threads(config.threads)
    torch.manual_seed(config.seed + group.rank)  # dropout differs per rank, and is the same on every rerun
    dataset = _prepare_data(config, run_dir, group)
    if config.time_budget_s and group.world_size > 1:
        # each process's clock would give its own learning rate, and the replicas would drift apart
        raise ConfigError("time_budget_s is for one process; give several processes max_steps instead")
    if len(dataset.train) < config.batch_size or config.batch_size % group.world_size:
        raise ConfigError(
            f"batch_size {config.batch_size} must be <= the {len(dataset.train)} training pairs "
            f"and a multiple of the {group.world_size} processes"
        )
    base = load_base(config.base_model, config.encoder_metadata(), config.frozen, config.max_query_length)
    model = base.model.to(group.device)
    temperature = LearnedTemperature(config.initial_temperature).to(group.device)
    temperature.log_scale.requires_grad_(config.learn_temperature)
    optimizer = torch.optim.AdamW(
        parameter_groups(model, temperature, config.weight_decay),
        lr=config.learning_rate,
        betas=(config.beta1, config.beta2),
    )
    checkpoint = load_checkpoint(run_dir) if resume else None
    if checkpoint is not None:
        _restore(checkpoint, config, dataset.fingerprint, model, temperature, optimizer, group.device)
        logger.info("resumed %s at step %d", out_dir, checkpoint.step)
    ddp: torch.nn.Module = model
    if group.world_size > 1:
        ddp = DistributedDataParallel(
            model, device_ids=[group.device.index] if group.device.type == "cuda" else None
        )
    validation = sample_pairs(dataset.validation, config.validation_pairs, config.seed)
    repos = [pair.repo for pair in dataset.train]
    run = _Session(
        config,
        group,
        run_dir,
        dataset,
        validation,
        batch_schedule(config.batch_mode, repos, config.batch_size, config.repos_per_batch, config.seed),
        base,
        ddp,
        temperature,
        optimizer,
        make_autocast(config, group.device),
        RunLog(run_dir / LOG_FILE if group.is_main else None),
    )
    return run, checkpoint


def _forward_backward(run: _Session, step: int, lr: float) -> tuple[float, float]:
    """Gradients of this process's share of step ``step``'s batch; returns (loss, gradient norm)."""
    config, group = run.config, run.group
    for param_group in run.optimizer.param_groups:
        param_group["lr"] = lr
    rows = config.batch_size // group.world_size
    batch = [run.dataset.train[i] for i in run.batch_of(step)]
    texts = step_queries(batch, step, config)
    # Same-text queries (many getters share "Returns the name.") are no negatives of each other; every
    # rank builds the global mask from the global batch, in the order the gather concatenates it.
    same = same_query_mask(texts).to(group.device)  # (N, N)
    mine = slice(group.rank * rows, (group.rank + 1) * rows)
    queries = _to(run.base.tokenizing.train_queries(texts[mine]), group.device)
    codes = _to(run.base.tokenizing.codes([pair.code for pair in batch[mine]]), group.device)
    if config.grad_cache_chunk:
        loss = grad_cache_backward(
            run.ddp,
            run.temperature,
            queries,
            codes,
            config.grad_cache_chunk,
            gather_with_grad,
            run.autocast,
            same,
        )
    else:
        loss = batch_loss(run.ddp, run.temperature, queries, codes, gather_with_grad, run.autocast, same)
        loss.backward()  # type: ignore[no-untyped-call]
    # .item() waits for the device: once per step is the price of catching a NaN before it is applied.
    return loss.item(), _clip(run.base.model, config.grad_clip)


class _Clock:
    """A run's training time: what its checkpoint recorded, plus this process's time since it started."""

    def __init__(self, elapsed_before_s: float) -> None:
        self._base_s, self._started = elapsed_before_s, time.monotonic()

    @property
    def elapsed_s(self) -> float:
        return self._base_s + time.monotonic() - self._started


def _is_last(config: TrainConfig, step: int, clock: _Clock) -> bool:
    """Whether the run ends at ``step``: its last step, or its time budget spent."""
    return step >= config.max_steps or bool(config.time_budget_s and clock.elapsed_s >= config.time_budget_s)


def _is_checkpoint_due(config: TrainConfig, step: int, since_save_s: float, device: torch.device) -> bool:
    """Every ``checkpoint_every`` steps, and once ``checkpoint_every_s`` has passed since the last save;
    the clocks of several processes differ, so they save when any of them says so."""
    if step % config.checkpoint_every == 0:
        return True
    if not config.checkpoint_every_s:
        return False
    return not all_ranks_agree(since_save_s < config.checkpoint_every_s, device)


def step_queries(batch: list[Pair], step: int, config: TrainConfig) -> list[str]:
    """The batch's query texts at ``step``: docstring summaries, ``query_style_rate`` of them rewritten
    (a draw seeded by the step, so a resumed run and every rank see the same texts)."""
    rng = random.Random(f"{config.seed}/queries/{step}")
    return [styled_query(pair.query, pair.language, config.query_style_rate, rng) for pair in batch]


def _evaluate(run: _Session, step: int, evaluations: list[Evaluation]) -> None:
    """Rank 0 scores the validation sample; the other ranks wait for it."""
    if run.group.is_main and run.validation:
        found = validate(
            run.base.model,
            run.base.tokenizing,
            run.validation,
            run.config.eval_protocol,
            step,
            run.group.device,
            run.autocast,
        )
        evaluations.append(found)
        run.log.write({"event": "eval", **evaluation_record(found)})
    barrier()


def _prepare_data(config: TrainConfig, run_dir: Path, group: ProcessGroup) -> training_data.Dataset:
    """Rank 0 builds and saves the data set once; a resumed run and the other ranks read it back."""
    data_dir = run_dir / "data"
    if group.is_main and not (data_dir / training_data.REPORT_FILE).is_file():
        dataset = recipe_dataset(config)
        training_data.save_dataset(dataset, data_dir)
        logger.info("data: %d training and %d validation pairs", len(dataset.train), len(dataset.validation))
    barrier()
    return training_data.load_dataset(data_dir)


def _restore(
    checkpoint: Checkpoint,
    config: TrainConfig,
    data_fingerprint: str,
    model: DualEncoder,
    temperature: LearnedTemperature,
    optimizer: torch.optim.Optimizer,
    device: torch.device,
) -> None:
    if checkpoint.recipe_hash != config.recipe_hash:
        raise ConfigError(
            "the checkpoint was written under another recipe; resume with the recipe it was made with"
        )
    if checkpoint.data_fingerprint != data_fingerprint:
        raise ConfigError("the run's saved data set is not the one the checkpoint was trained on")
    model.load_state_dict(checkpoint.model)
    temperature.load_state_dict(checkpoint.temperature)
    optimizer.load_state_dict(checkpoint.optimizer)
    restore_rng(checkpoint.rng, device)


def _save(run: _Session, step: int, elapsed_s: float) -> None:
    if run.group.is_main:
        config = run.config
        save_checkpoint(
            run.run_dir,
            Checkpoint(
                step=step,
                config_json=config.to_json(),
                recipe_hash=config.recipe_hash,
                model_id=run.base.source.model_id,
                data_fingerprint=run.dataset.fingerprint,
                model=run.base.model.state_dict(),
                temperature=run.temperature.state_dict(),
                optimizer=run.optimizer.state_dict(),
                rng=capture_rng(run.group.device),
                elapsed_s=elapsed_s,
            ),
        )
    barrier()


def _clip(model: DualEncoder, max_norm: float) -> float:
    """Clip the global gradient norm (when max_norm > 0) and return the norm before clipping."""
    parameters = [p for p in model.parameters() if p.grad is not None]
    limit = max_norm if max_norm > 0 else float("inf")
    return float(torch.nn.utils.clip_grad_norm_(parameters, limit).item())


def _to(batch: TokenBatch, device: torch.device) -> TokenBatch:
    return TokenBatch(*(tensor.to(device) for tensor in batch))


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def main() -> None:
    """``torchrun ... -m training.train --recipe R --out DIR [--resume]`` (no display; logs to stderr)."""
    parser = argparse.ArgumentParser(description="Contrastive training of the codesearch encoder")
    parser.add_argument("--recipe", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="train: %(levelname)s: %(message)s")
    result = train(load_recipe(args.recipe), args.out, resume=args.resume)
    if result.stopped_reason:
        raise SystemExit(result.stopped_reason)


if __name__ == "__main__":
    main()
