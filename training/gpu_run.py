"""One run of a recipe on a GPU machine: packed data in, the trained adapter and its figures out.

    python -m training.gpu_run --pack .gpu/pack.npz --base .gpu/base.npz --out $OUT [--deadline-s 500]
    python -m training.gpu_run collect --from FILES_AT --out runs/minilm-code-v2-gpu     # back here

The machine has no corpora and no pip base model: everything comes from the two files that
``training/gpu_pack.py`` writes. Each step is train.py's (same batches, query-style draws, same-query
mask, loss, schedule, clipping, temperature clamp) on rows that are already token ids; there are no
checkpoints (a run is minutes) and no GradCache unless ``--grad-cache`` (in bfloat16 a batch of 1,024
pairs of 128 tokens holds ~11 GB of activations, an H100 80 GB). After 30 steps the schedule is
shortened to what ``--deadline-s`` has room for (the learning rate still decays to its end), and
training stops at the deadline anyway, so a slower machine still sends a model back. At the end the
whole validation split, and the held-out pairs when the pack has them, are scored under both protocols
of ``codesearch eval``. ``--out`` gets:

    adapter.part1, adapter.part2   adapter.safetensors in two halves (a file coming back is <= 16 MiB)
    codesearch-encoder.json        its metadata, as ``codesearch train`` writes it
    figures.json                   learning curve, final scores, timings, device
    log.jsonl                      train.py's run log lines
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from codesearch.evaluation.pair_ranking import evaluate_pairs
from codesearch.evaluation.pairs import Pair
from codesearch.evaluation.records import RetrievalReport
from training.base_bundle import read_bundle
from training.batching import batch_schedule
from training.config import TrainConfig
from training.evaluate import embedder, sample_pairs, validate
from training.export import ADAPTER_FILE_NAME, export_model
from training.grad_cache import grad_cache_backward
from training.losses import LearnedTemperature, batch_loss, same_query_mask
from training.model import DualEncoder, TokenBatch
from training.query_styles import STYLES, drawn_style
from training.records import Evaluation
from training.run_log import RunLog, evaluation_record
from training.schedule import learning_rate_at
from training.token_pack import QUERY_FORMS, PackedSplit, Rows, TokenPack, read_pack
from training.train import make_autocast, parameter_groups

REPO_ROOT = Path(__file__).resolve().parents[1]
PARTS = 2
FIT_AT_STEP = 30  # steps timed before the schedule is fitted to the deadline (the first ones warm up)


class SplitRows:
    """One split's rows as token batches; for evaluation, texts are keys: ``"q<i>"`` the query of pair
    i, ``"c<i>"`` the code of the first pair of copy group i (``evaluate.PairRows``)."""

    def __init__(self, split: PackedSplit, pad_id: int, query_end_back: int, code_end_back: int) -> None:
        self.split, self.pad_id = split, pad_id
        self._ends = (query_end_back, code_end_back)
        self._query_starts, self._code_starts = split.queries.starts, split.codes.starts
        self._group_pair = {int(g): i for i, g in reversed(list(enumerate(split.copy_groups)))}

    def query_rows(self, rows: Sequence[int]) -> TokenBatch:
        return _batch(self.split.queries, self._query_starts, rows, self.pad_id, self._ends[0])

    def code_rows(self, pairs: Sequence[int]) -> TokenBatch:
        return _batch(self.split.codes, self._code_starts, pairs, self.pad_id, self._ends[1])

    def queries(self, texts: Sequence[str]) -> TokenBatch:
        return self.query_rows([int(text[1:]) * self.split.forms for text in texts])

    def codes(self, texts: Sequence[str]) -> TokenBatch:
        return self.code_rows([self._group_pair[int(text[1:])] for text in texts])

    def pairs(self, repos: Sequence[str], languages: Sequence[str]) -> list[Pair]:
        """Stand-ins for the split's pairs: the protocols read language, repository and code copies."""
        split = self.split
        return [
            Pair(f"q{i}", f"c{split.copy_groups[i]}", languages[split.languages[i]], repos[split.repos[i]], "", "")
            for i in range(len(split))
        ]


def split_rows(pack: TokenPack, name: str) -> SplitRows:
    """The rows of the pack's split ``name``."""
    meta = pack.meta
    return SplitRows(pack.splits[name], meta["pad_id"], meta["query_end_back"], meta["code_end_back"])


def _batch(rows: Rows, starts: np.ndarray, indices: Sequence[int], pad_id: int, end_back: int) -> TokenBatch:
    index = np.asarray(indices, dtype=np.int64)  # (n,)
    lengths = rows.lengths[index].astype(np.int64)  # (n,)
    width = int(lengths.max())
    mask = np.arange(width)[None, :] < lengths[:, None]  # (n, width)
    ids = np.full((len(index), width), pad_id, dtype=np.int64)  # (n, width)
    ids[mask] = rows.ids[(starts[index][:, None] + np.arange(width)[None, :])[mask]]
    ends = lengths - 1 - end_back  # (n,) the end delimiter, as Framing.end_index puts it
    return TokenBatch(torch.from_numpy(ids), torch.from_numpy(mask.astype(np.int64)), torch.from_numpy(ends))


def style_rows(pairs: Sequence[int], step: int, config: TrainConfig, lengths: np.ndarray) -> list[int]:
    """Query rows of step ``step``'s batch: the draws ``train.step_queries`` makes, as pack rows."""
    rng = random.Random(f"{config.seed}/queries/{step}")
    rows = []
    for pair in pairs:
        style = drawn_style(config.query_style_rate, rng)
        row = pair * QUERY_FORMS + (0 if style is None else 1 + STYLES.index(style))
        rows.append(row if lengths[row] else pair * QUERY_FORMS)  # an empty form is the summary itself
    return rows


def load_model(pack: TokenPack, base_path: Path, config: TrainConfig) -> DualEncoder:
    """The base, rebuilt from its bundle over the tracked reference adapter, vocabulary cut to the pack's."""
    from transformers import AutoConfig, AutoModel

    settings, state = read_bundle(base_path, REPO_ROOT / pack.meta["reference_adapter"], pack.meta["pad_id"])
    model_type = settings.pop("model_type")
    transformer = AutoModel.from_config(  # type: ignore[no-untyped-call]
        AutoConfig.for_model(model_type, **settings), attn_implementation="sdpa"
    )
    missing, unexpected = transformer.load_state_dict(state, strict=False)
    if unexpected or any(not name.startswith(("pooler.", "embeddings.position_ids")) for name in missing):
        raise ValueError(f"the base bundle does not fit the model: missing {missing}, unexpected {unexpected}")
    model = DualEncoder(transformer, config.pooling, True, config.frozen)
    model.train()
    return model


def train_packed(
    pack: TokenPack,
    base_path: Path,
    config: TrainConfig,
    out: Path,
    deadline_s: float,
    device: torch.device,
    fit_deadline: bool = True,
    score_pairs: int = 0,
) -> dict[str, Any]:
    """Train on the pack (see the module docstring); writes the model folder into ``out``; returns the figures.

    ``fit_deadline``: after FIT_AT_STEP steps, shorten the schedule to the steps the deadline has room
    for, so the learning rate still decays to its end (a cut cosine ends at a high rate).
    ``score_pairs``: score a seeded sample of this many pairs per split at the end (0 = all).
    """
    started = time.monotonic()
    torch.manual_seed(config.seed)  # as train.py's single process: the same dropout on every rerun
    model = load_model(pack, base_path, config).to(device)
    temperature = LearnedTemperature(config.initial_temperature).to(device)
    temperature.log_scale.requires_grad_(config.learn_temperature)
    groups = parameter_groups(model, temperature, config.weight_decay)
    optimizer = torch.optim.AdamW(groups, lr=config.learning_rate, betas=(config.beta1, config.beta2))
    meta, train = pack.meta, pack.splits["train"]
    rows, valid = split_rows(pack, "train"), split_rows(pack, "validation")
    sample = sample_pairs(valid.pairs(pack.repos, pack.languages), config.validation_pairs, config.seed)
    repos = [pack.repos[number] for number in train.repos]
    batch_of = batch_schedule(config.batch_mode, repos, config.batch_size, config.repos_per_batch, config.seed)
    log = RunLog(out / "log.jsonl")
    curve = [_evaluate(model, valid, sample, config, 0, device, log)] if config.eval_every else []
    step, stopped, rates, planned_steps = 0, None, [], config.max_steps
    while step < config.max_steps and stopped is None:
        tick = time.perf_counter()
        lr = learning_rate_at(step, config)
        for group in optimizer.param_groups:
            group["lr"] = lr
        loss, grad_norm = _forward_backward(model, temperature, rows, batch_of(step), step, config, device)
        if not (math.isfinite(loss) and math.isfinite(grad_norm)):
            stopped = f"loss or gradient became non-finite at step {step + 1}; nothing was exported"
            break
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        temperature.clamp_()
        step += 1
        rates.append(config.batch_size / (time.perf_counter() - tick))
        if step % config.log_every == 0 or step == config.max_steps:
            log.write({"step": step, "loss": round(loss, 5), "temperature": round(temperature.temperature, 5),
                       "lr": lr, "grad_norm": round(grad_norm, 4), "pairs_per_s": round(rates[-1], 2)})
        if config.eval_every and (step % config.eval_every == 0 or step == config.max_steps):
            curve.append(_evaluate(model, valid, sample, config, step, device, log))
        if step == FIT_AT_STEP and fit_deadline:
            config = _fitted(config, rates[FIT_AT_STEP // 2 :], step, deadline_s - (time.monotonic() - started))
        if time.monotonic() - started > deadline_s and step < config.max_steps:
            stopped = f"stopped at the {deadline_s:.0f} s deadline after {step} of {config.max_steps} steps"
    figures: dict[str, Any] = {
        "data_fingerprint": meta["data_fingerprint"],
        "device": _device_name(device),
        "steps": step,
        "max_steps": config.max_steps,
        "recipe_max_steps": planned_steps,
        "batch_size": config.batch_size,
        "pairs_seen": step * config.batch_size,
        "stopped": stopped,
        "train_s": round(time.monotonic() - started, 1),
        "median_pairs_per_s": round(float(np.median(rates)), 1) if rates else 0.0,
        "learning_curve": [{**evaluation_record(e), "pairs_seen": e.step * config.batch_size} for e in curve],
    }
    if stopped is None or "deadline" in stopped:
        figures["final"] = _final_scores(model, pack, device, make_autocast(config, device), score_pairs)
        recipe = TrainConfig.from_json(meta["recipe"])
        # GradCache and the device leave the gradient as it was: the model is the recipe's (its hash), unless
        # a smoke test or the deadline changed the steps or the batch
        ran = dataclasses.replace(config, device=recipe.device, grad_cache_chunk=recipe.grad_cache_chunk)
        exported = export_model(out, model, None, ran, meta["base_model_id"], curve[-1] if curve else None,
                                base_sha256=meta["base_sha256"])
        figures["recipe_hash"] = exported.recipe_hash
    figures["total_s"] = round(time.monotonic() - started, 1)
    return figures


def _fitted(config: TrainConfig, rates: list[float], step: int, remaining_s: float) -> TrainConfig:
    """``config`` with max_steps cut to what ``remaining_s`` holds at the recent step rate (10% kept for
    the evaluations), or unchanged when the recipe fits."""
    per_step_s = config.batch_size / float(np.median(rates))
    affordable = step + int(0.9 * remaining_s / per_step_s)
    if affordable >= config.max_steps:
        return config
    return dataclasses.replace(config, max_steps=max(affordable, config.warmup_steps + 1, step + 1))


def _forward_backward(
    model: DualEncoder,
    temperature: LearnedTemperature,
    rows: SplitRows,
    pairs: list[int],
    step: int,
    config: TrainConfig,
    device: torch.device,
) -> tuple[float, float]:
    """train.py's step on packed rows: gradients of step ``step``; returns (loss, gradient norm)."""
    query_rows = style_rows(pairs, step, config, rows.split.queries.lengths)
    queries, codes = rows.query_rows(query_rows), rows.code_rows(pairs)
    # token ids stand for the texts train.py compares: the tokenizer folds case and spaces the same way
    widths = queries.attention_mask.sum(1).tolist()
    keys = [" ".join(map(str, row[:n])) for row, n in zip(queries.input_ids.tolist(), widths, strict=True)]
    same = same_query_mask(keys).to(device)  # (N, N)
    queries, codes = _to(queries, device), _to(codes, device)
    autocast = make_autocast(config, device)
    if config.grad_cache_chunk:
        loss = grad_cache_backward(model, temperature, queries, codes, config.grad_cache_chunk, _one, autocast, same)
    else:
        loss = batch_loss(model, temperature, queries, codes, _one, autocast, same)
        loss.backward()  # type: ignore[no-untyped-call]
    limit = config.grad_clip if config.grad_clip > 0 else float("inf")
    trained = [parameter for parameter in model.parameters() if parameter.grad is not None]
    grad_norm = float(torch.nn.utils.clip_grad_norm_(trained, limit).item())
    return loss.item(), grad_norm  # .item() waits for the GPU: once a step, to stop before a NaN is applied


def _evaluate(model: DualEncoder, valid: SplitRows, sample: list[Pair], config: TrainConfig, step: int,
              device: torch.device, log: RunLog) -> Evaluation:
    found = validate(model, valid, sample, config.eval_protocol, step, device, make_autocast(config, device))
    log.write({"event": "eval", **evaluation_record(found)})
    return found


@torch.no_grad()
def _final_scores(
    model: DualEncoder, pack: TokenPack, device: torch.device, autocast: Any, limit: int = 0
) -> dict[str, Any]:
    """Every validation and held-out pair (a seeded ``limit`` of them, when given) under both protocols,
    overall and per language."""
    scores: dict[str, Any] = {}
    model.eval()
    for name in ("validation", "heldout"):
        if name not in pack.splits:
            continue
        rows = split_rows(pack, name)
        pairs = rows.pairs(pack.repos, pack.languages)
        pairs = sample_pairs(pairs, limit, 0) if limit else pairs
        embed_queries = _once(embedder(model, rows.queries, device, autocast))
        embed_code = _once(embedder(model, rows.codes, device, autocast))
        for protocol in ("csn", "corpus"):  # the second protocol ranks the same vectors
            report = evaluate_pairs(pairs, embed_queries, embed_code, protocol, name=name)
            scores[f"{name}/{protocol}"] = _scores(report)
    model.train()
    return scores


def _once(embed: Callable[[Sequence[str]], np.ndarray]) -> Callable[[Sequence[str]], np.ndarray]:
    """``embed``, remembering its last answer: both protocols ask for the same texts."""
    last: list[tuple[tuple[str, ...], np.ndarray]] = []

    def remembered(texts: Sequence[str]) -> np.ndarray:
        if not last or last[0][0] != tuple(texts):
            last[:] = [(tuple(texts), embed(texts))]
        return last[0][1]

    return remembered


def _scores(report: RetrievalReport) -> dict[str, Any]:
    return {
        scores.label: {"pairs": scores.query_count, "mrr": round(scores.mrr, 4), "r@10": round(scores.recall_at(10), 4)}
        for scores in (report.overall, *report.by_language)
    }


def _one(local: torch.Tensor) -> torch.Tensor:
    return local  # one process: the local batch is the global one


def _to(batch: TokenBatch, device: torch.device) -> TokenBatch:
    return TokenBatch(*(tensor.to(device, non_blocking=True) for tensor in batch))


def _device_name(device: torch.device) -> str:
    return torch.cuda.get_device_name(device) if device.type == "cuda" else f"cpu ({torch.get_num_threads()} threads)"


def run_config(
    recipe: TrainConfig, device: str, keep_grad_cache: bool, max_steps: int | None, batch_size: int | None
) -> TrainConfig:
    """The recipe as this machine runs it: its device, GradCache only when asked (same gradient, more
    compute), and a smoke test's step count or batch."""
    changes: dict[str, Any] = {"device": device, "grad_cache_chunk": recipe.grad_cache_chunk if keep_grad_cache else 0}
    changes.update({name: value for name, value in (("max_steps", max_steps), ("batch_size", batch_size)) if value})
    return dataclasses.replace(recipe, **changes)


def split_adapter(model_dir: Path, out: Path) -> None:
    """``model_dir``'s adapter into PARTS byte ranges in ``out``, with the metadata beside them."""
    data = (model_dir / ADAPTER_FILE_NAME).read_bytes()
    size = -(-len(data) // PARTS)
    for part in range(PARTS):
        (out / f"adapter.part{part + 1}").write_bytes(data[part * size : (part + 1) * size])
    shutil.copy(model_dir / "codesearch-encoder.json", out / "codesearch-encoder.json")


def collect(found: Path, out: Path) -> None:
    """A model folder from what a GPU run sent back: the adapter joined, metadata, figures and log."""
    out.mkdir(parents=True, exist_ok=True)
    parts = [found / f"adapter.part{part + 1}" for part in range(PARTS)]
    (out / ADAPTER_FILE_NAME).write_bytes(b"".join(path.read_bytes() for path in parts))
    for name in ("codesearch-encoder.json", "figures.json", "log.jsonl"):
        if (found / name).is_file():
            shutil.copy(found / name, out / name)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    if argv[:1] == ["collect"]:
        parser.add_argument("--from", dest="found", type=Path, required=True)
        parser.add_argument("--out", type=Path, required=True)
        args = parser.parse_args(argv[1:])
        collect(args.found, args.out)
        return 0
    parser.add_argument("--pack", type=Path, default=Path(".gpu/pack.npz"))
    parser.add_argument("--base", type=Path, default=Path(".gpu/base.npz"))
    parser.add_argument("--out", type=Path, required=True)
    # 500 s of training leaves a 600 s command time for loading, the final scores and the export
    parser.add_argument("--deadline-s", type=float, default=500.0, help="stop training after this long")
    parser.add_argument("--grad-cache", action="store_true", help="keep the recipe's GradCache chunks")
    parser.add_argument("--no-fit", action="store_true", help="keep max_steps even if the deadline cuts it")
    parser.add_argument("--score-pairs", type=int, default=0, help="score this many pairs per split (a smoke test)")
    parser.add_argument("--max-steps", type=int, help="override the recipe (a smoke test)")
    parser.add_argument("--batch-size", type=int, help="override the recipe (a smoke test)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)
    pack = read_pack(args.pack)
    config = run_config(TrainConfig.from_json(pack.meta["recipe"]), args.device, args.grad_cache, args.max_steps,
                        args.batch_size)
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        figures = train_packed(
            pack, args.base, config, Path(scratch), args.deadline_s, torch.device(args.device), not args.no_fit,
            args.score_pairs,
        )
        if (Path(scratch) / ADAPTER_FILE_NAME).is_file():
            split_adapter(Path(scratch), args.out)
        shutil.copy(Path(scratch) / "log.jsonl", args.out / "log.jsonl")
    (args.out / "figures.json").write_text(json.dumps(figures, indent=1) + "\n", encoding="utf-8")
    sys.stdout.write(json.dumps({k: v for k, v in figures.items() if k != "learning_curve"}, indent=1) + "\n")
    return 0 if figures["stopped"] is None or "deadline" in figures["stopped"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
