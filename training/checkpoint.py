"""Checkpoints: everything needed to resume a run exactly after it was killed.

One file, ``<run>/checkpoint.pt``, replaced atomically (written beside it, then renamed), so a kill
during a save leaves the previous checkpoint whole. It holds the config (and its recipe hash), the
base model id, the data fingerprint, the step, the weights, the temperature, the optimizer state,
the random generators' states and the training time so far (for a time budget). Batches depend
only on (seed, step), so nothing else is needed. Loaded with ``weights_only=True``: a checkpoint cannot run code.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from codesearch.errors import ConfigError, DataError

CHECKPOINT_FILE = "checkpoint.pt"
FORMAT_VERSION = 1


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A resumable state of a run."""

    step: int  # optimizer steps taken
    config_json: str
    recipe_hash: str
    model_id: str  # the base model training started from
    data_fingerprint: str
    model: dict[str, Any]  # state_dict of the DualEncoder
    temperature: dict[str, Any]
    optimizer: dict[str, Any]
    rng: dict[str, Any]  # see capture_rng()
    elapsed_s: float = 0.0  # training time so far, for a time budget (absent from older checkpoints)


def capture_rng(device: torch.device) -> dict[str, Any]:
    """The states of Python's, torch's CPU and (if used) CUDA random generators."""
    state: dict[str, Any] = {"python": random.getstate(), "torch": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def restore_rng(state: dict[str, Any], device: torch.device) -> None:
    random.setstate(_as_python_state(state["python"]))
    torch.set_rng_state(state["torch"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)


def _as_python_state(value: Any) -> Any:
    """random.setstate wants tuples; serialisation may hand back lists."""
    return tuple(_as_python_state(item) for item in value) if isinstance(value, list | tuple) else value


def save_checkpoint(folder: Path, checkpoint: Checkpoint) -> Path:
    """Write ``folder/checkpoint.pt`` atomically; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / CHECKPOINT_FILE
    scratch = folder / f".{CHECKPOINT_FILE}.{os.getpid()}.tmp"
    fields = {name: getattr(checkpoint, name) for name in Checkpoint.__slots__}
    payload = {"format_version": FORMAT_VERSION, **fields}
    torch.save(payload, scratch)
    os.replace(scratch, target)
    return target


def load_checkpoint(folder: Path) -> Checkpoint | None:
    """The checkpoint in ``folder`` (tensors on the CPU; load_state_dict moves them), or None."""
    path = folder / CHECKPOINT_FILE
    if not path.is_file():
        return None
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError) as exc:
        raise DataError(f"cannot read checkpoint {path}: {exc}") from exc
    if payload.get("format_version") != FORMAT_VERSION:
        found = payload.get("format_version")
        raise ConfigError(f"checkpoint {path} has format {found}, expected {FORMAT_VERSION}")
    return Checkpoint(**{name: payload[name] for name in Checkpoint.__slots__ if name in payload})
