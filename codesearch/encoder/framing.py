"""Framing: turning texts into token-id rows with special tokens and delimiters around them.

A row is ``leading specials + prefix + body + suffix + trailing specials`` (for BERT:
``[CLS] { body } [SEP]``). Only the body is truncated, so the end delimiter that end-delimiter
pooling reads is always present. Training uses the same functions, so the trained encoder sees
at inference exactly the rows it was trained on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from codesearch.errors import ModelLoadError

_PROBE_TEXT = "a"


@dataclass(frozen=True, slots=True)
class Framing:
    """Token ids wrapped around every body, and the row length limit."""

    leading: tuple[int, ...]  # the tokenizer's own start tokens, e.g. [CLS]
    prefix: tuple[int, ...]  # our opening delimiter, e.g. "{"
    suffix: tuple[int, ...]  # our closing delimiter, e.g. "}"
    trailing: tuple[int, ...]  # the tokenizer's own end tokens, e.g. [SEP]
    max_length: int

    @property
    def body_budget(self) -> int:
        """Most body tokens a row can hold."""
        return self.max_length - len(self.leading) - len(self.prefix) - len(self.suffix) - len(self.trailing)

    def frame(self, body: Sequence[int]) -> list[int]:
        """One row: the body (already truncated) with everything wrapped around it."""
        return [*self.leading, *self.prefix, *body, *self.suffix, *self.trailing]

    def end_index(self, row_length: int) -> int:
        """Position of the end delimiter's last token in a row; the final token if no suffix."""
        return row_length - 1 - (len(self.trailing) if self.suffix else 0)


def make_framing(tokenizer: Any, prefix: str, suffix: str, max_length: int) -> Framing:
    """Work out ``tokenizer``'s special tokens and tokenize the delimiters once.

    Args:
        tokenizer: a Hugging Face tokenizer (anything callable like one).
        prefix, suffix: delimiter texts, possibly empty.
        max_length: tokens per row, everything included.
    """
    plain = _ids(tokenizer, [_PROBE_TEXT], add_special_tokens=False)[0]
    full = _ids(tokenizer, [_PROBE_TEXT], add_special_tokens=True)[0]
    start = _find_sublist(full, plain)
    if start < 0:
        raise ModelLoadError("cannot work out where this tokenizer puts its special tokens")
    framing = Framing(
        leading=tuple(full[:start]),
        prefix=tuple(_ids(tokenizer, [prefix], add_special_tokens=False)[0]) if prefix else (),
        suffix=tuple(_ids(tokenizer, [suffix], add_special_tokens=False)[0]) if suffix else (),
        trailing=tuple(full[start + len(plain) :]),
        max_length=max_length,
    )
    if framing.body_budget < 1:
        raise ModelLoadError(f"max_length {max_length} leaves no room for text between the delimiters")
    return framing


def frame_texts(tokenizer: Any, framing: Framing, texts: Sequence[str]) -> list[list[int]]:
    """Token-id rows for ``texts``, bodies truncated to fit ``framing.max_length``."""
    if not texts:
        return []
    bodies = _ids(tokenizer, list(texts), add_special_tokens=False, max_length=framing.body_budget)
    return [framing.frame(body) for body in bodies]


def count_framed_tokens(tokenizer: Any, framing: Framing, texts: Sequence[str]) -> list[int]:
    """Untruncated row length of each text; more than ``framing.max_length`` means it is cut."""
    if not texts:
        return []
    extra = framing.max_length - framing.body_budget
    return [len(body) + extra for body in _ids(tokenizer, list(texts), add_special_tokens=False)]


def pad_token_id(tokenizer: Any) -> int:
    """The padding id; models without one pad with any id, as the attention mask hides it."""
    for candidate in (tokenizer.pad_token_id, tokenizer.eos_token_id, 0):
        if isinstance(candidate, int):
            return candidate
    return 0


def padded_batch(rows: Sequence[Sequence[int]], framing: Framing, pad_id: int) -> tuple[np.ndarray, ...]:
    """One batch as arrays: ids (batch, width), attention mask (batch, width), end index (batch,), int64.

    Every backend feeds its network from here, so padding and the pooled position are the same
    whichever computes the vectors.
    """
    width = max(len(row) for row in rows)
    ids = np.full((len(rows), width), pad_id, dtype=np.int64)  # (batch, width)
    mask = np.zeros((len(rows), width), dtype=np.int64)  # (batch, width)
    ends = np.empty(len(rows), dtype=np.int64)  # (batch,)
    for r, row in enumerate(rows):
        ids[r, : len(row)] = row
        mask[r, : len(row)] = 1
        ends[r] = framing.end_index(len(row))
    return ids, mask, ends


def _ids(
    tokenizer: Any, texts: list[str], *, add_special_tokens: bool, max_length: int | None = None
) -> list[list[int]]:
    encoded = tokenizer(
        texts,
        add_special_tokens=add_special_tokens,
        truncation=max_length is not None,
        max_length=max_length,
        return_attention_mask=False,
        return_token_type_ids=False,
        verbose=False,  # counting long texts is intended; no "longer than max length" warning
    )
    return [list(row) for row in encoded["input_ids"]]


def _find_sublist(haystack: Sequence[int], needle: Sequence[int]) -> int:
    for start in range(len(haystack) - len(needle) + 1):
        if list(haystack[start : start + len(needle)]) == list(needle):
            return start
    return -1
