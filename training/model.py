"""The trainable dual encoder: one shared transformer for queries and code, framed and pooled
exactly as ``codesearch.encoder`` does at inference.

Framing (start/end delimiters per side, truncation of the body only) and pooling (mean, cls or the
hidden state at the end delimiter, as in Neelakantan et al. 2022) come from ``codesearch.encoder``,
so the exported model embeds at search time the same rows it was trained on. Weights stay float32;
mixed precision comes from autocast in the training loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

import torch
from torch import Tensor, nn

from codesearch.encoder.framing import Framing, frame_texts, make_framing
from codesearch.encoder.metadata import EncoderMetadata, read_metadata
from codesearch.encoder.network import load_network
from codesearch.encoder.pooling import l2_normalize, pool
from codesearch.encoder.source import ModelSource, resolve_model
from codesearch.errors import ConfigError


class TokenBatch(NamedTuple):
    """Padded token rows of one side. A NamedTuple because DDP moves those between devices."""

    input_ids: Tensor  # (batch, width) int64
    attention_mask: Tensor  # (batch, width) int64, 1 for real tokens
    end_index: Tensor  # (batch,) int64, position of each row's end delimiter

    def rows(self, start: int, stop: int) -> TokenBatch:
        """Rows ``start:stop``, trimmed to the longest of them."""
        mask = self.attention_mask[start:stop]
        width = int(mask.sum(dim=1).max().item()) if len(mask) else 0
        return TokenBatch(self.input_ids[start:stop, :width], mask[:, :width], self.end_index[start:stop])


class DualEncoder(nn.Module):
    """The shared transformer plus pooling; ``forward`` embeds any number of batches in one pass
    (one DDP forward may then feed both sides of the loss)."""

    def __init__(
        self, transformer: nn.Module, pooling: str, normalize: bool = True, frozen: tuple[str, ...] = ()
    ) -> None:
        super().__init__()
        self.transformer = transformer
        self.pooling = pooling
        self.normalize = normalize
        # A BERT-style pooler head is never used by these poolings; frozen, DDP does not wait for it.
        # ``frozen`` name prefixes stay at the base's values (and out of an exported adapter).
        for name, parameter in transformer.named_parameters():
            if name.startswith(("pooler.", *frozen)):
                parameter.requires_grad_(False)

    def trained_tensors(self) -> dict[str, Tensor]:
        """The transformer's tensors that training changes, by state-dict name (for an adapter)."""
        return {
            name: parameter.detach()
            for name, parameter in self.transformer.named_parameters()
            if parameter.requires_grad
        }

    def forward(self, *batches: TokenBatch) -> tuple[Tensor, ...]:
        """One (batch, dim) float32 embedding tensor per input batch."""
        return tuple(self.embed(batch) for batch in batches)

    def embed(self, batch: TokenBatch) -> Tensor:
        output = self.transformer(input_ids=batch.input_ids, attention_mask=batch.attention_mask)
        hidden = output.last_hidden_state  # (batch, width, dim)
        pooled = pool(hidden, batch.attention_mask, batch.end_index, self.pooling)  # type: ignore[arg-type]
        return l2_normalize(pooled) if self.normalize else pooled


@dataclass(frozen=True, slots=True)
class Tokenizing:
    """Turns query and code texts into TokenBatches the way the runtime Encoder frames them."""

    tokenizer: Any
    query_framing: Framing
    code_framing: Framing
    pad_id: int
    train_query_framing: Framing | None = None  # shorter rows for training queries; None = query_framing

    def queries(self, texts: Sequence[str]) -> TokenBatch:
        return self._batch(texts, self.query_framing)

    def train_queries(self, texts: Sequence[str]) -> TokenBatch:
        """Queries as a training step frames them (``max_query_length``)."""
        return self._batch(texts, self.train_query_framing or self.query_framing)

    def codes(self, texts: Sequence[str]) -> TokenBatch:
        return self._batch(texts, self.code_framing)

    def _batch(self, texts: Sequence[str], framing: Framing) -> TokenBatch:
        rows = frame_texts(self.tokenizer, framing, texts)
        width = max(len(row) for row in rows)
        ids = torch.full((len(rows), width), self.pad_id, dtype=torch.int64)  # (batch, width)
        mask = torch.zeros((len(rows), width), dtype=torch.int64)  # (batch, width)
        for index, row in enumerate(rows):
            ids[index, : len(row)] = torch.tensor(row, dtype=torch.int64)
            mask[index, : len(row)] = 1
        ends = torch.tensor([framing.end_index(len(row)) for row in rows], dtype=torch.int64)  # (batch,)
        return TokenBatch(ids, mask, ends)


@dataclass(frozen=True, slots=True)
class LoadedBase:
    """A base model ready to train: where it came from, its network and how to tokenize for it."""

    source: ModelSource
    model: DualEncoder
    tokenizing: Tokenizing


def load_base(
    base_model: str, metadata: EncoderMetadata, frozen: tuple[str, ...] = (), query_length: int = 0
) -> LoadedBase:
    """Load ``base_model`` ("default", a folder or a hub name) in float32, in training mode.

    ``metadata`` is the trained model's: its pooling, delimiters and max length apply from now on.
    ``frozen``: parameter name prefixes that keep the base's values. ``query_length``: tokens per
    training query (``Tokenizing.train_queries``); 0 = the metadata's max length.
    """
    source = resolve_model(base_model)
    network = load_network(source.folder, read_metadata(source.folder), torch.device("cpu"), torch.float32)
    tokenizer = network.tokenizer
    length = metadata.max_length
    tokenizing = Tokenizing(
        tokenizer=tokenizer,
        query_framing=make_framing(tokenizer, metadata.query_prefix, metadata.query_suffix, length),
        code_framing=make_framing(tokenizer, metadata.code_prefix, metadata.code_suffix, length),
        pad_id=_pad_id(tokenizer),
        train_query_framing=make_framing(tokenizer, metadata.query_prefix, metadata.query_suffix, query_length)
        if 0 < query_length < length
        else None,
    )
    model = DualEncoder(network.model, metadata.pooling, metadata.normalize, frozen)
    names = [name for name, _ in model.transformer.named_parameters()]
    unknown = [prefix for prefix in frozen if not any(name.startswith(prefix) for name in names)]
    if unknown:
        raise ConfigError(f"frozen prefix(es) {', '.join(unknown)} match no parameter of {base_model}")
    model.train()
    return LoadedBase(source, model, tokenizing)


def save_transformer(model: DualEncoder, tokenizer: Any, folder: Path) -> None:
    """The transformer's weights (safetensors) and the tokenizer, in Hugging Face layout."""
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # progress is the CLI's
    folder.mkdir(parents=True, exist_ok=True)
    model.transformer.save_pretrained(str(folder), safe_serialization=True)  # type: ignore[operator]
    tokenizer.save_pretrained(str(folder))


def _pad_id(tokenizer: Any) -> int:
    """The padding id; without one any id will do, as the attention mask hides it."""
    for candidate in (tokenizer.pad_token_id, tokenizer.eos_token_id, 0):
        if isinstance(candidate, int):
            return candidate
    return 0
