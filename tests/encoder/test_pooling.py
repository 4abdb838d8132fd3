from __future__ import annotations

import pytest
import torch

from codesearch.encoder.pooling import l2_normalize, pool

# (batch=2, seq=4, dim=3); row 0 has 2 real tokens, row 1 has 4.
HIDDEN = torch.tensor(
    [
        [[1.0, 2.0, 3.0], [3.0, 4.0, 5.0], [100.0, 100.0, 100.0], [-100.0, 7.0, 9.0]],
        [[0.0, 0.0, 1.0], [0.0, 2.0, 0.0], [4.0, 0.0, 0.0], [0.0, 0.0, 8.0]],
    ]
)
MASK = torch.tensor([[1, 1, 0, 0], [1, 1, 1, 1]])
ENDS = torch.tensor([1, 2])


def test_mean_ignores_padding() -> None:
    pooled = pool(HIDDEN, MASK, ENDS, "mean")
    assert torch.allclose(pooled, torch.tensor([[2.0, 3.0, 4.0], [1.0, 0.5, 2.25]]))


def test_cls_is_the_first_position() -> None:
    assert torch.equal(pool(HIDDEN, MASK, ENDS, "cls"), HIDDEN[:, 0])


def test_end_delimiter_is_the_given_position_per_row() -> None:
    assert torch.equal(pool(HIDDEN, MASK, ENDS, "end_delimiter"), torch.stack([HIDDEN[0, 1], HIDDEN[1, 2]]))


def test_pooling_returns_float32_from_bf16() -> None:
    assert pool(HIDDEN.bfloat16(), MASK, ENDS, "mean").dtype == torch.float32


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown pooling"):
        pool(HIDDEN, MASK, ENDS, "max")  # type: ignore[arg-type]


def test_l2_normalize_gives_unit_rows_and_keeps_zero_rows() -> None:
    rows = l2_normalize(torch.tensor([[3.0, 4.0], [0.0, 0.0]]))
    assert torch.allclose(rows, torch.tensor([[0.6, 0.8], [0.0, 0.0]]))
