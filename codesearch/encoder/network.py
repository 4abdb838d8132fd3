"""The network: tokenizer and transformer weights loaded from a model folder, adapter applied.

Loading goes through plain ``transformers`` AutoTokenizer/AutoModel with ``local_files_only``
(every source is a folder on disk by now, see source.py), never sentence-transformers, whose
import costs seconds. A folder whose metadata names a ``base_model`` takes the network from
there and applies this folder's adapter file over it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from codesearch.encoder.fingerprint import fingerprint
from codesearch.encoder.metadata import EncoderMetadata
from codesearch.encoder.source import resolve_model
from codesearch.errors import ModelLoadError

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

WEIGHT_PATTERNS = ("config.json", "*.safetensors", "pytorch_model*.bin")
TOKENIZER_PATTERNS = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "*.model",
)


@dataclass(frozen=True, slots=True)
class Network:
    """A loaded tokenizer and model, plus the files they came from (for the fingerprint)."""

    tokenizer: Any  # transformers tokenizer
    model: Any  # torch.nn.Module in eval mode, on its device and dtype
    files: tuple[tuple[str, Path], ...]  # (label, path) of every file that shapes the output


def load_network(
    folder: Path,
    metadata: EncoderMetadata,
    device: torch.device,
    dtype: torch.dtype,
    hash_cache: Path | None = None,
) -> Network:
    """Load tokenizer and weights for ``folder`` (or its base model) and apply any adapter.

    ``hash_cache`` is the file-digest cache used to check an adapter's base (None: hash afresh).
    """
    files, weights_folder, tokenizer_folder = network_files(folder, metadata)
    check_base_weights(files, metadata, hash_cache)
    tokenizer = _load_tokenizer(tokenizer_folder)
    model = _load_model(weights_folder)
    if metadata.adapter is not None:
        apply_adapter(model, folder / metadata.adapter, metadata.adapter_mode)
    model = model.to(device=device, dtype=dtype).eval()
    return Network(tokenizer=tokenizer, model=model, files=files)


def network_files(
    folder: Path, metadata: EncoderMetadata
) -> tuple[tuple[tuple[str, Path], ...], Path, Path]:
    """The (label, path) files that shape the output, and the weights and tokenizer folders.

    Needs no torch: the index uses it to identify a model without loading it.
    """
    weights_folder = folder
    if metadata.base_model is not None:
        weights_folder = resolve_model(metadata.base_model, relative_to=folder).folder
    tokenizer_folder = folder if _matching(folder, TOKENIZER_PATTERNS) else weights_folder
    files = [("weights/" + p.name, p) for p in _matching(weights_folder, WEIGHT_PATTERNS)]
    files += [("tokenizer/" + p.name, p) for p in _matching(tokenizer_folder, TOKENIZER_PATTERNS)]
    if not any(p.suffix in {".safetensors", ".bin"} for _, p in files):
        raise ModelLoadError(f"{weights_folder} holds no model weights (*.safetensors)")
    if metadata.adapter is not None:
        files.append(("adapter", folder / metadata.adapter))
    return tuple(files), weights_folder, tokenizer_folder


def weights_digest(files: tuple[tuple[str, Path], ...], hash_cache: Path | None) -> str:
    """sha256 over the weight files alone (config and tensors), as ``base_sha256`` records it."""
    return fingerprint([(label, path) for label, path in files if label.startswith("weights/")], "", hash_cache)


def check_base_weights(
    files: tuple[tuple[str, Path], ...], metadata: EncoderMetadata, hash_cache: Path | None
) -> None:
    """Refuse an adapter whose recorded base digest differs from the base found on disk."""
    if metadata.adapter is None or metadata.base_sha256 is None:
        return
    found = weights_digest(files, hash_cache)
    if found != metadata.base_sha256:
        raise ModelLoadError(
            f"the adapter was trained over base model {metadata.base_model!r} with weights "
            f"{metadata.base_sha256[:12]}…, but the weights found there hash to {found[:12]}…; "
            "install the base model version the adapter was made for"
        )


def _load_tokenizer(folder: Path) -> Any:
    from transformers import AutoTokenizer

    try:
        return AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ModelLoadError(f"cannot load a tokenizer from {folder}: {exc}") from exc


def _load_model(folder: Path) -> Any:
    """float32 weights (adapters apply in full precision; the caller casts afterwards)."""
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    # The "Loading weights" bar would land in the CLI's stderr; progress belongs to the CLI.
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    options: dict[str, Any] = {"local_files_only": True, "dtype": torch.float32}
    try:
        try:
            model = AutoModel.from_pretrained(str(folder), attn_implementation="sdpa", **options)
        except ValueError as exc:  # architectures without SDPA support say so with ValueError
            logger.info("SDPA attention unavailable for %s (%s); using the default", folder, exc)
            model = AutoModel.from_pretrained(str(folder), **options)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise ModelLoadError(f"cannot load model weights from {folder}: {exc}") from exc
    if getattr(model.config, "is_encoder_decoder", False):
        model = model.get_encoder()  # T5-style: only the encoder half embeds
    return model


def apply_adapter(model: Any, path: Path, mode: str) -> None:
    """Overwrite ("replace") or add to ("add") ``model``'s tensors with those in ``path``."""
    import torch
    from safetensors.torch import load_file

    try:
        tensors = load_file(str(path))
    except (OSError, RuntimeError) as exc:
        raise ModelLoadError(f"cannot read adapter {path}: {exc}") from exc
    state = model.state_dict()
    unknown = sorted(name for name in tensors if name not in state)
    if unknown:
        example = next(iter(state), "")
        raise ModelLoadError(
            f"adapter {path} has tensors the model lacks: {', '.join(unknown[:3])} "
            f"(model names look like {example!r})"
        )
    with torch.no_grad():
        for name, tensor in tensors.items():
            target = state[name]
            if target.shape != tensor.shape:
                raise ModelLoadError(
                    f"adapter {path}: {name} has shape {tuple(tensor.shape)}, model has {tuple(target.shape)}"
                )
            if mode == "add":
                target.add_(tensor.to(target.dtype))
            else:
                target.copy_(tensor)
    logger.info("applied adapter %s (%s, %d tensors)", path, mode, len(tensors))


def _matching(folder: Path, patterns: tuple[str, ...]) -> list[Path]:
    found = {path for pattern in patterns for path in folder.glob(pattern) if path.is_file()}
    return sorted(found)
