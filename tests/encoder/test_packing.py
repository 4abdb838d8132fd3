"""The oneDNN packed-linear fast path against the plain model it replaces."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from torch import nn

from codesearch.encoder.packing import PackedLinear, pack_linear_layers


@pytest.mark.parametrize(("dtype", "atol"), [(torch.float32, 1e-5), (torch.bfloat16, 2e-2)])
def test_packed_model_matches_the_plain_model(tiny_bert: Path, dtype: torch.dtype, atol: float) -> None:
    from transformers import AutoModel

    plain = AutoModel.from_pretrained(str(tiny_bert), local_files_only=True).to(dtype).eval()
    packed = copy.deepcopy(plain)
    linears = sum(type(m) is nn.Linear for m in plain.modules())
    assert pack_linear_layers(packed) == linears > 0
    assert not any(type(m) is nn.Linear for m in packed.modules())
    ids = torch.randint(1000, 2000, (3, 11))
    mask = torch.ones_like(ids)
    mask[1, 7:] = 0
    with torch.inference_mode():
        expected = plain(input_ids=ids, attention_mask=mask).last_hidden_state.float()
        got = packed(input_ids=ids, attention_mask=mask).last_hidden_state.float()
    torch.testing.assert_close(got, expected, atol=atol, rtol=atol)


def test_packed_linear_without_bias() -> None:
    linear = nn.Linear(8, 4, bias=False)
    x = torch.randn(2, 3, 8)
    with torch.inference_mode():
        torch.testing.assert_close(PackedLinear(linear)(x), linear(x))
    assert "packed" in repr(PackedLinear(linear))
