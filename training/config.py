"""The training configuration: every hyper-parameter, the pinned data sources and the seed.

A recipe (``training/recipes/*.toml``) is this dataclass as TOML: flat ``key = value`` lines plus
one ``[[source]]`` table per data source (see ``training/sources.py``). Unknown keys and wrong
types are errors. Relative paths in a recipe are relative to the recipe file. The recipe hash
(sha256 of the canonical JSON of the resolved config) identifies a run: checkpoints and the
exported model carry it, and a resume under another recipe is refused.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from codesearch.config import user_cache_dir
from codesearch.encoder.metadata import POOLING_MODES, EncoderMetadata, PoolingMode
from codesearch.errors import ConfigError, DataError
from training.batching import BATCH_MODES
from training.cleaning import LengthLimits
from training.data import DataOptions, Dataset, build_dataset, held_out_blocklist
from training.sources import SourceSpec

SCHEDULES = ("cosine", "linear", "constant")
DTYPES = ("auto", "float32", "bfloat16")
PROTOCOLS = ("csn", "corpus")
EXPORT_FORMATS = ("full", "adapter")


@dataclass(frozen=True, slots=True)
class TrainConfig:
    """One training run. Defaults follow cpt-code where they apply (delimiters, end-token pooling)."""

    # --- model: what to start from and how inputs are framed and pooled
    base_model: str = "sentence-transformers/all-MiniLM-L6-v2"  # a folder or a hub name ("default" is itself trained)
    pooling: str = "end_delimiter"  # "mean", "cls" or "end_delimiter"
    query_prefix: str = "["
    query_suffix: str = "]"
    code_prefix: str = "{"
    code_suffix: str = "}"
    max_length: int = 128  # tokens per input, delimiters included
    # Tokens per training query, delimiters included; 0 = max_length. Summaries are short, and a batch
    # pads to its longest row, so one long docstring would widen every query of its batch. Validation and
    # search keep max_length.
    max_query_length: int = 0
    # Parameter name prefixes (e.g. "embeddings.word_embeddings.") kept at the base's values: the
    # word embeddings are half of MiniLM's weights, and an adapter without them ships in < 25 MB.
    frozen: tuple[str, ...] = ()
    export_format: str = "full"  # "full" (HF folder) or "adapter" (fp16 trained tensors over the base)
    # --- data: pinned sources, held-out lists, filters, split
    sources: tuple[SourceSpec, ...] = ()
    blocklist: str = ""  # the held-out blocklist file (required)
    exclude_manifests: tuple[str, ...] = ()  # evaluation corpora whose packages are held out too
    exclude_repo_lists: tuple[str, ...] = ()  # repo-level dev sets (repos.json) whose repositories are too
    cache_dir: str = ""  # fetched packages and clones; "" = <user cache>/codesearch/training-corpora
    min_query_words: int = 3
    max_query_words: int = 256
    min_code_lines: int = 3
    max_code_lines: int = 400
    max_code_chars: int = 20_000
    max_pairs_per_language: int = 0  # 0 = no cap
    max_pairs_per_repository: int = 0  # 0 = no cap; so no project dominates
    validation_fraction: float = 0.1  # of pairs, as whole repositories
    validation_pairs: int = 2000  # most validation pairs scored per evaluation (seeded draw)
    eval_protocol: str = "csn"  # "csn" (999 distractors) or "corpus" (whole repository)
    # --- optimisation
    batch_size: int = 32  # global: pairs per step over all processes
    grad_cache_chunk: int = 0  # rows per forward with GradCache; 0 = plain loss
    # "random" batches, or "repository": pieces of repos_per_batch repositories, so the in-batch
    # negatives are sibling functions (training/batching.py)
    batch_mode: str = "random"
    repos_per_batch: int = 1
    # share of training queries rewritten as people type them (training/query_styles.py); 0 = none
    query_style_rate: float = 0.0
    learning_rate: float = 2e-5
    min_learning_rate: float = 0.0
    warmup_steps: int = 100
    max_steps: int = 1000
    schedule: str = "cosine"
    weight_decay: float = 0.01
    beta1: float = 0.9
    beta2: float = 0.999
    grad_clip: float = 1.0  # max global gradient norm; 0 = no clipping
    initial_temperature: float = 0.05
    learn_temperature: bool = True
    # --- run
    seed: int = 0
    device: str = "cpu"
    dtype: str = "auto"  # "auto" = bfloat16 autocast where the hardware has native bf16
    threads: int = 0  # torch CPU threads; 0 = one per physical core
    log_every: int = 10
    eval_every: int = 200  # 0 = only at the end
    checkpoint_every: int = 200
    # Also checkpoint once this many seconds have passed since the last one, so a kill costs at most that
    # much work however slow the steps are (shared CPUs); 0 = by steps only.
    checkpoint_every_s: float = 0.0
    # Wall seconds of training (steps, evaluations, checkpoints; summed over resumes) after which the run
    # ends, its learning rate decayed over that time rather than over max_steps (then an upper bound):
    # a run on shared cores ends on time, having seen as many pairs as the cores gave. 0 = by steps.
    time_budget_s: float = 0.0

    def __post_init__(self) -> None:
        _check(self)

    @property
    def recipe_hash(self) -> str:
        """sha256 hex of the canonical JSON of every field."""
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> TrainConfig:
        """The config ``to_json`` wrote (checkpoints store it)."""
        data = json.loads(text)
        data["sources"] = [SourceSpec(**{k: _tuple(v) for k, v in s.items()}) for s in data["sources"]]
        return cls(**{key: _tuple(value) for key, value in data.items()})

    def encoder_metadata(self) -> EncoderMetadata:
        """Framing and pooling of the trained model (the same at training and search time)."""
        return EncoderMetadata(
            pooling=cast(PoolingMode, self.pooling),  # checked in __post_init__
            max_length=self.max_length,
            query_prefix=self.query_prefix,
            query_suffix=self.query_suffix,
            code_prefix=self.code_prefix,
            code_suffix=self.code_suffix,
        )

    def data_options(self) -> DataOptions:
        limits = LengthLimits(
            self.min_query_words,
            self.max_query_words,
            self.min_code_lines,
            self.max_code_lines,
            self.max_code_chars,
        )
        return DataOptions(
            limits,
            self.max_pairs_per_language,
            self.max_pairs_per_repository,
            self.validation_fraction,
            self.seed,
        )


def _check(config: TrainConfig) -> None:
    choices = {
        "pooling": POOLING_MODES,
        "schedule": SCHEDULES,
        "dtype": DTYPES,
        "eval_protocol": PROTOCOLS,
        "export_format": EXPORT_FORMATS,
        "batch_mode": BATCH_MODES,
    }
    for name, allowed in choices.items():
        if getattr(config, name) not in allowed:
            raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {getattr(config, name)!r}")
    positive = (
        "max_length",
        "batch_size",
        "max_steps",
        "log_every",
        "checkpoint_every",
        "validation_pairs",
        "repos_per_batch",
    )
    for name in positive:
        if getattr(config, name) < 1:
            raise ConfigError(f"{name} must be positive")
    if config.learning_rate <= 0 or not 0 <= config.min_learning_rate <= config.learning_rate:
        raise ConfigError("learning_rate must be positive and min_learning_rate within [0, learning_rate]")
    if (
        min(
            config.warmup_steps,
            config.grad_cache_chunk,
            config.eval_every,
            config.max_pairs_per_language,
            config.max_pairs_per_repository,
            config.max_query_length,
            config.checkpoint_every_s,
            config.time_budget_s,
        )
        < 0
    ):
        raise ConfigError(
            "warmup_steps, grad_cache_chunk, eval_every, max_query_length, checkpoint_every_s, "
            "time_budget_s and the pair caps must be >= 0"
        )
    if not 0.0 <= config.validation_fraction < 1.0:
        raise ConfigError("validation_fraction must be in [0, 1)")
    if not 0.0 <= config.query_style_rate <= 1.0:
        raise ConfigError("query_style_rate must be in [0, 1]")
    if config.batch_size % config.repos_per_batch:
        raise ConfigError("batch_size must be a multiple of repos_per_batch")


def load_recipe(path: Path) -> TrainConfig:
    """Read a recipe TOML file into a TrainConfig, with paths made absolute."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read recipe {path}: {exc}") from exc
    base = path.resolve().parent
    fields = {field.name: field for field in dataclasses.fields(TrainConfig)}
    tables = data.pop("source", [])
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(unknown)}")
    values = {name: _typed(path, name, value, getattr(TrainConfig(), name)) for name, value in data.items()}
    for name in ("blocklist", "cache_dir"):
        if values.get(name):
            values[name] = str(base / values[name])
    for name in ("exclude_manifests", "exclude_repo_lists"):
        values[name] = tuple(str(base / p) for p in values.get(name, ()))
    try:
        values["sources"] = tuple(_source(path, base, table) for table in tables)
        return TrainConfig(**values)
    except (DataError, TypeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def _source(path: Path, base: Path, table: Any) -> SourceSpec:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [[source]] entries must be tables")
    known = {field.name for field in dataclasses.fields(SourceSpec)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown source key(s) {', '.join(unknown)}")
    values = {key: _tuple(value) for key, value in table.items()}
    for key in ("path", "cache_dir"):
        if values.get(key):
            values[key] = str(base / values[key])
    return SourceSpec(**values)


def _typed(path: Path, name: str, value: Any, default: Any) -> Any:
    if isinstance(default, bool) or isinstance(value, bool):
        ok = isinstance(value, bool) and isinstance(default, bool)
    elif isinstance(default, float):
        ok = isinstance(value, int | float)
        value = float(value) if ok else value
    elif isinstance(default, tuple):
        ok = isinstance(value, list) and all(isinstance(item, str) for item in value)
        value = tuple(value) if ok else value
    else:
        ok = isinstance(value, type(default))
    if not ok:
        raise ConfigError(f"{path}: {name} must be {type(default).__name__}, got {value!r}")
    return value


def _tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def recipe_dataset(config: TrainConfig) -> Dataset:
    """The data set a run of ``config`` trains on: its sources, held-out lists, filters, caps and split.

    Here rather than in data.py, which knows nothing of recipes (it was a cycle: config -> data -> config).
    """
    blocklist = held_out_blocklist(
        Path(config.blocklist),
        [Path(path) for path in config.exclude_manifests],
        [Path(path) for path in config.exclude_repo_lists],
    )
    cache = Path(config.cache_dir) if config.cache_dir else user_cache_dir() / "training-corpora"
    return build_dataset(config.sources, config.data_options(), blocklist, cache)
