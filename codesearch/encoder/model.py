"""The Encoder resource: turns queries and code into unit vectors with a loaded transformer.

Importing this module is cheap (no torch, no transformers); ``Encoder.load`` pays for them.
Throughput on CPU comes from: inputs sorted by length and padded per batch, batches bounded by
a token budget and split where padding would dominate, bf16 weights where the CPU has native
bf16, linears pre-packed for oneDNN (packing.py), SDPA attention, inference mode and one torch
thread per physical core. Figures are in bench/embed.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

import numpy as np

from codesearch.encoder.batching import embed_rows
from codesearch.encoder.fingerprint import HASH_CACHE_FILE_NAME, fingerprint
from codesearch.encoder.framing import (
    Framing,
    count_framed_tokens,
    frame_texts,
    make_framing,
    pad_token_id,
    padded_batch,
)
from codesearch.encoder.metadata import METADATA_FILE_NAME, EncoderMetadata, read_metadata
from codesearch.encoder.pooling import l2_normalize, pool
from codesearch.encoder.source import DEFAULT_MODEL_NAME, resolve_model
from codesearch.errors import ModelLoadError

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

_WARMUP_TEXT = "def warm_up(): pass"

ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class _Runtime:
    """What the loaded encoder computes with; private to this module."""

    network: Any  # torch.nn.Module
    tokenizer: Any
    device: torch.device
    pad_id: int
    query_framing: Framing
    code_framing: Framing
    backend: str  # "torch-<dtype>" on cpu, "torch-<dtype>-<device>" elsewhere


class Encoder:
    """A loaded text/code encoder. Use as a context manager, or call ``close()``.

    Example::

        with Encoder.load("default") as encoder:
            vectors = encoder.embed_code(["def f(): ..."])  # (1, encoder.dim) float32
    """

    def __init__(self, model_id: str, model_hash: str, metadata: EncoderMetadata, runtime: _Runtime) -> None:
        """Use ``Encoder.load``; this only stores what it built."""
        self._model_id = model_id
        self._model_hash = model_hash
        self._metadata = metadata
        self._runtime: _Runtime | None = runtime
        self._backend = runtime.backend
        # Warm-up pass: finds the embedding width and pays first-call costs before any query.
        warm_up = frame_texts(runtime.tokenizer, runtime.code_framing, [_WARMUP_TEXT])
        self._dim = int(self._forward(warm_up, runtime.code_framing).shape[1])

    @classmethod
    def load(
        cls,
        model: str = DEFAULT_MODEL_NAME,
        *,
        threads: int = 0,
        device: str = "cpu",
        dtype: str = "auto",
        cache_dir: Path | None = None,
    ) -> Encoder:
        """Load an encoder.

        Args:
            model: "default" (the bundled encoder), a model folder, or a Hugging Face hub name.
            threads: torch CPU threads, process-wide; 0 means one per physical core.
            device: "cpu", "cuda", "cuda:N" or "mps".
            dtype: "auto" (bfloat16 where the hardware has it natively, else float32),
                "float32" or "bfloat16".
            cache_dir: where the model-hash cache lives; None means the user cache folder.

        Raises:
            ModelLoadError: the model cannot be found or its files cannot be loaded.
            ConfigError: a bad device or dtype.
        """
        from codesearch.config import user_cache_dir
        from codesearch.encoder.network import load_network
        from codesearch.encoder.runtime import resolve_device, resolve_dtype, set_cpu_threads

        source = resolve_model(model)
        metadata = read_metadata(source.folder)
        torch_device = resolve_device(device)
        torch_dtype = resolve_dtype(dtype, torch_device)
        thread_count = set_cpu_threads(threads)
        cache_root = user_cache_dir() if cache_dir is None else Path(cache_dir)
        hash_cache = cache_root / HASH_CACHE_FILE_NAME
        network = load_network(source.folder, metadata, torch_device, torch_dtype, hash_cache)
        if torch_device.type == "cpu":
            from codesearch.encoder.packing import pack_linear_layers

            # Inference only (training needs gradients through plain weights), and last:
            # packed weights no longer follow .to().
            pack_linear_layers(network.model)
        model_hash = fingerprint(network.files, metadata.to_json(), hash_cache)
        backend = "torch-" + str(torch_dtype).removeprefix("torch.")
        if torch_device.type != "cpu":
            backend += f"-{torch_device.type}"
        runtime = _build_runtime(network.model, network.tokenizer, metadata, torch_device, backend)
        logger.info(
            "loaded %s (%s, %s, %d threads, max_length %d)",
            source.model_id,
            torch_device,
            torch_dtype,
            thread_count,
            metadata.max_length,
        )
        return cls(source.model_id, model_hash, metadata, runtime)

    @property
    def model_id(self) -> str:
        """What the user asked for, resolved: a hub name, an absolute folder, or the default's id."""
        return self._model_id

    @property
    def model_hash(self) -> str:
        """sha256 hex over weights, tokenizer, adapter and metadata."""
        return self._model_hash

    @property
    def dim(self) -> int:
        """Embedding width."""
        return self._dim

    @property
    def backend(self) -> str:
        """What computes the vectors, e.g. "torch-bfloat16" (the index records it per vector)."""
        return self._backend

    @property
    def max_length(self) -> int:
        """Tokens per input, delimiters and special tokens included; longer inputs are cut."""
        return self._metadata.max_length

    @property
    def metadata(self) -> EncoderMetadata:
        """The model folder's metadata, read or inferred."""
        return self._metadata

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed natural-language queries: (n, dim) float32, L2-normalised, in input order."""
        runtime = self._live()
        return self._embed(texts, runtime.query_framing, batch_size=32, on_progress=None)

    def embed_code(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 32,
        on_progress: ProgressCallback | None = None,
    ) -> np.ndarray:
        """Embed code snippets: (n, dim) float32, L2-normalised, in input order.

        Args:
            texts: the snippets.
            batch_size: most snippets per forward pass. Long snippets travel in smaller batches
                (at most batching.TOKEN_BUDGET padded tokens), and a much shorter snippet starts a new one.
            on_progress: called as ``on_progress(done, total)`` after every batch.
        """
        runtime = self._live()
        return self._embed(texts, runtime.code_framing, batch_size=batch_size, on_progress=on_progress)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Untruncated token count of each code text as framed for the model (compare with max_length)."""
        runtime = self._live()
        return count_framed_tokens(runtime.tokenizer, runtime.code_framing, texts)

    def close(self) -> None:
        """Drop the network; the encoder cannot embed afterwards."""
        self._runtime = None

    def __enter__(self) -> Encoder:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def _live(self) -> _Runtime:
        if self._runtime is None:
            raise ValueError("this Encoder is closed")
        return self._runtime

    def _embed(
        self,
        texts: Sequence[str],
        framing: Framing,
        *,
        batch_size: int,
        on_progress: ProgressCallback | None,
    ) -> np.ndarray:
        if batch_size < 1:
            raise ValueError("batch_size must be positive")
        runtime = self._live()
        rows = frame_texts(runtime.tokenizer, framing, texts)
        return embed_rows(rows, self._dim, batch_size, lambda batch: self._forward(batch, framing), on_progress)

    def _forward(self, rows: list[list[int]], framing: Framing) -> np.ndarray:
        """One batch through the network and pooling: rows of ids -> (len(rows), dim) float32."""
        import torch

        runtime = self._live()
        ids, mask, ends = padded_batch(rows, framing, runtime.pad_id)  # (batch, width) x2, (batch,)
        device = runtime.device
        input_ids, attention_mask = torch.from_numpy(ids).to(device), torch.from_numpy(mask).to(device)
        with torch.inference_mode():
            hidden = runtime.network(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            pooled = pool(hidden, attention_mask, torch.from_numpy(ends).to(device), self._metadata.pooling)
            if self._metadata.normalize:
                pooled = l2_normalize(pooled)
            return pooled.cpu().numpy()


def _build_runtime(
    network: Any, tokenizer: Any, metadata: EncoderMetadata, device: torch.device, backend: str
) -> _Runtime:
    positions = getattr(network.config, "max_position_embeddings", None)
    if isinstance(positions, int) and metadata.max_length > positions:
        raise ModelLoadError(
            f"max_length {metadata.max_length} exceeds the model's {positions} position embeddings; "
            f"lower max_length in {METADATA_FILE_NAME}"
        )
    return _Runtime(
        network=network,
        tokenizer=tokenizer,
        device=device,
        pad_id=pad_token_id(tokenizer),
        query_framing=make_framing(
            tokenizer, metadata.query_prefix, metadata.query_suffix, metadata.max_length
        ),
        code_framing=make_framing(tokenizer, metadata.code_prefix, metadata.code_suffix, metadata.max_length),
        backend=backend,
    )
