"""Weight-space interpolation of a trained adapter with its base (WiSE-FT).

    python -m training.interpolate --model runs/minilm-code-v1 --alpha 0.3 --max-length 256 --out OUT

Wortsman et al. 2022, "Robust fine-tuning of zero-shot models": the weights
``alpha * trained + (1 - alpha) * base`` keep most of what fine-tuning gained on its own
distribution and recover the base model's robustness on others. Here the fine-tuning data are
docstring summaries, and web-style questions (CoSQA) are the other distribution. The result is an
adapter folder like the input (float16, same tensors, same base and base digest) with ``alpha``
recorded in its metadata's validation field as ``interpolation_alpha``, and optionally another max
length for search time (a model trained at 128 tokens may embed longer functions whole).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from codesearch.encoder.metadata import EncoderMetadata, read_metadata
from codesearch.encoder.network import load_network
from codesearch.encoder.source import resolve_model
from codesearch.errors import ModelLoadError

logger = logging.getLogger(__name__)


def interpolate_adapter(model: Path, alpha: float, out: Path, max_length: int | None = None) -> EncoderMetadata:
    """Write ``out``: the adapter of ``model`` moved toward its base by ``1 - alpha``."""
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    metadata = read_metadata(model)
    if metadata.adapter is None or metadata.base_model is None or metadata.adapter_mode != "replace":
        raise ModelLoadError(f"{model} is not a replace-mode adapter over a base model")
    base_folder = resolve_model(metadata.base_model, relative_to=model).folder
    base = load_network(base_folder, read_metadata(base_folder), torch.device("cpu"), torch.float32)
    base_state = base.model.state_dict()
    trained = load_file(str(model / metadata.adapter))
    mixed = {
        name: (alpha * tensor.float() + (1.0 - alpha) * base_state[name]).to(tensor.dtype).contiguous()
        for name, tensor in trained.items()
    }
    out.mkdir(parents=True, exist_ok=False)
    save_file(mixed, str(out / metadata.adapter))
    validation = {"interpolation_alpha": alpha}
    result = dataclasses.replace(
        metadata, validation=validation, max_length=metadata.max_length if max_length is None else max_length
    )
    result.save(out)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True, help="an adapter folder (export_format = adapter)")
    parser.add_argument("--alpha", type=float, required=True, help="weight of the trained tensors, in [0, 1]")
    parser.add_argument("--max-length", type=int, default=None, help="tokens per input at search time")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    interpolate_adapter(args.model, args.alpha, args.out, args.max_length)


if __name__ == "__main__":
    main()
