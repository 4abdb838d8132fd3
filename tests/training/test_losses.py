"""The contrastive loss, the temperature, and GradCache against the plain loss on a tiny BERT.

As sentence-transformers' tests/test_cmnrl.py does for its cached loss: the same batch through the
plain loss and through GradCache must give the same loss and the same gradient for every weight.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path

import pytest
import torch

from codesearch.encoder.metadata import EncoderMetadata
from training.grad_cache import grad_cache_backward
from training.losses import LearnedTemperature, batch_loss, same_query_mask, symmetric_info_nce
from training.model import LoadedBase, load_base

QUERIES = [
    "add two numbers",
    "read a json file from disk",
    "sort users by name",
    "parse a date string",
    "open a socket",
    "compute the mean of a list",
    "retry a failing call",
    "escape html entities",
]
CODES = [
    "def add(a, b):\n    return a + b",
    "def load(p):\n    return json.load(open(p))",
    "users.sort(key=lambda u: u.name)",
    "datetime.strptime(text, '%Y-%m-%d')",
    "s = socket.socket()\ns.connect((host, port))",
    "sum(xs) / len(xs)",
    "for _ in range(3):\n    try:\n        return call()\n    except IOError:\n        pass",
    "html.escape(text)",
]


def identity(local: torch.Tensor) -> torch.Tensor:
    return local


def test_the_loss_is_the_mean_of_both_cross_entropies() -> None:
    queries = torch.nn.functional.normalize(torch.randn(4, 8), dim=1)
    codes = torch.nn.functional.normalize(torch.randn(4, 8), dim=1)
    scale = torch.tensor(20.0)
    logits = 20.0 * queries @ codes.T
    rows = -torch.log_softmax(logits, dim=1).diagonal().mean()
    columns = -torch.log_softmax(logits, dim=0).diagonal().mean()
    expected = ((rows + columns) / 2).item()
    assert symmetric_info_nce(queries, codes, scale).item() == pytest.approx(expected, rel=1e-6)


def test_perfect_alignment_at_high_scale_gives_a_near_zero_loss() -> None:
    same = torch.eye(4)
    assert symmetric_info_nce(same, same, torch.tensor(100.0)).item() < 1e-6


def test_same_text_queries_are_no_negatives_of_each_other() -> None:
    same = same_query_mask(["Returns the name.", "Sorts a list", "returns  the NAME."])
    assert same.tolist() == [[False, False, True], [False, False, False], [True, False, False]]
    queries = torch.nn.functional.normalize(torch.randn(3, 8), dim=1)
    codes = torch.nn.functional.normalize(torch.randn(3, 8), dim=1)
    scale = torch.tensor(20.0)
    # Rows 0 and 2 as the plain loss would see them without each other: a 2-pair batch each.
    logits = scale * queries @ codes.T
    logits[0, 2] = logits[2, 0] = float("-inf")
    labels = torch.arange(3)
    cross_entropy = torch.nn.functional.cross_entropy
    expected = (cross_entropy(logits, labels) + cross_entropy(logits.T, labels)) / 2
    masked = symmetric_info_nce(queries, codes, scale, same)
    assert masked.item() == pytest.approx(expected.item(), rel=1e-6)
    assert masked.item() < symmetric_info_nce(queries, codes, scale).item()  # fewer negatives, lower loss
    assert math.isfinite(symmetric_info_nce(queries, codes, scale, ~torch.eye(3, dtype=torch.bool)).item())


def test_the_temperature_is_learned_in_log_space_and_clamped_like_clip() -> None:
    temperature = LearnedTemperature(initial_temperature=0.05)
    assert temperature().item() == pytest.approx(20.0)
    assert temperature.temperature == pytest.approx(0.05)
    with torch.no_grad():
        temperature.log_scale.fill_(10.0)
    temperature.clamp_()
    assert temperature().item() == pytest.approx(100.0)
    with pytest.raises(ValueError, match="initial temperature"):
        LearnedTemperature(initial_temperature=0.001)
    assert math.isclose(LearnedTemperature(1.0)().item(), 1.0)


def loaded(tiny_bert: Path, pooling: str = "mean") -> LoadedBase:
    metadata = EncoderMetadata(
        pooling=pooling,
        max_length=32,
        query_prefix="[",
        query_suffix="]",  # type: ignore[arg-type]
        code_prefix="{",
        code_suffix="}",
    )
    return load_base(str(tiny_bert), metadata)


def gradients(model: torch.nn.Module, temperature: LearnedTemperature) -> dict[str, torch.Tensor]:
    found = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}
    assert temperature.log_scale.grad is not None
    found["temperature"] = temperature.log_scale.grad.clone()
    return found


def plain_and_cached(
    base: LoadedBase, chunk_size: int, seed: int = 0, same: torch.Tensor | None = None
) -> tuple[float, float, dict, dict]:
    queries, codes = base.tokenizing.queries(QUERIES), base.tokenizing.codes(CODES)
    results = []
    for use_cache in (False, True):
        model, temperature = copy.deepcopy(base.model), LearnedTemperature(0.07)
        torch.manual_seed(seed)
        if use_cache:
            loss = grad_cache_backward(model, temperature, queries, codes, chunk_size, identity, same=same)
        else:
            loss = batch_loss(model, temperature, queries, codes, identity, same=same)
            loss.backward()
        results.append((loss.item(), gradients(model, temperature)))
    (plain_loss, plain_grads), (cached_loss, cached_grads) = results
    return plain_loss, cached_loss, plain_grads, cached_grads


def assert_same_gradients(expected: dict[str, torch.Tensor], actual: dict[str, torch.Tensor]) -> None:
    assert expected.keys() == actual.keys()
    assert not any(name.startswith("transformer.pooler") for name in expected)  # frozen, never trained
    for name, grad in expected.items():
        torch.testing.assert_close(actual[name], grad, rtol=1e-4, atol=1e-6, msg=name)
    assert any(grad.abs().sum() > 0 for grad in expected.values())


@pytest.mark.parametrize(("chunk_size", "pooling"), [(1, "mean"), (3, "end_delimiter"), (8, "cls")])
def test_grad_cache_matches_the_plain_loss_without_dropout(
    tiny_bert: Path, chunk_size: int, pooling: str
) -> None:
    base = loaded(tiny_bert, pooling)
    base.model.eval()  # no dropout: chunking cannot change any activation
    plain_loss, cached_loss, plain_grads, cached_grads = plain_and_cached(base, chunk_size)
    assert cached_loss == pytest.approx(plain_loss, rel=1e-5)
    assert_same_gradients(plain_grads, cached_grads)


def test_grad_cache_replays_dropout_masks(tiny_bert: Path) -> None:
    base = loaded(tiny_bert)
    assert base.model.training
    # One chunk per side consumes the random stream exactly like the plain forward, so only a
    # faithful replay of each chunk's random state in the second pass gives equal gradients.
    plain_loss, cached_loss, plain_grads, cached_grads = plain_and_cached(base, len(QUERIES), seed=5)
    assert cached_loss == pytest.approx(plain_loss, rel=1e-5)
    assert_same_gradients(plain_grads, cached_grads)


def test_grad_cache_matches_the_plain_loss_with_a_same_query_mask(tiny_bert: Path) -> None:
    base = loaded(tiny_bert)
    base.model.eval()
    same = same_query_mask(["one", "two", "one", "three", "two", "four", "five", "six"])
    plain_loss, cached_loss, plain_grads, cached_grads = plain_and_cached(base, 3, same=same)
    unmasked_loss = plain_and_cached(base, 3)[0]
    assert cached_loss == pytest.approx(plain_loss, rel=1e-5) and plain_loss != pytest.approx(unmasked_loss)
    assert_same_gradients(plain_grads, cached_grads)
