"""Fixtures for training tests: small source trees with documented functions, and a tiny BERT.

The tiny BERT (2 layers, 32 wide, random weights) borrows the bundled encoder's tokenizer, so
framing and truncation behave as with the real model while a step costs milliseconds.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.encoder.conftest import build_tiny_bert
from training.config import TrainConfig
from training.sources import SourceSpec

VERBS = ("Parse", "Render", "Merge", "Split", "Encode", "Decode", "Sort", "Filter", "Load", "Store")
NOUNS = (
    "the config file",
    "a list of users",
    "two dictionaries",
    "an HTTP header",
    "the cache entry",
    "a date string",
    "the output table",
    "a binary tree",
    "the session token",
    "an email address",
)


def python_function(index: int) -> str:
    """A documented Python function whose summary and body differ for every ``index``."""
    verb, noun = VERBS[index % len(VERBS)], NOUNS[(index // len(VERBS)) % len(NOUNS)]
    return (
        f"def task_{index}(value, extra=None):\n"
        f'    """{verb} {noun} and return the result number {index}.\n\n    Longer notes here.\n    """\n'
        f"    result = value * {index} + {index % 7}\n"
        f"    if extra is not None:\n"
        f"        result += extra - {index}\n"
        f"    return result\n\n\n"
    )


def javascript_function(index: int) -> str:
    verb, noun = VERBS[index % len(VERBS)], NOUNS[(index // len(VERBS)) % len(NOUNS)]
    return (
        f"/**\n * {verb} {noun} in the browser, variant {index}.\n * @param {{number}} value input\n */\n"
        f"function job{index}(value) {{\n  const doubled = value * {index};\n"
        f"  return doubled + {index % 5};\n}}\n\n"
    )


def write_repo(root: Path, start: int, count: int, javascript: int = 0) -> Path:
    """A folder with ``count`` Python functions (numbered from ``start``) and ``javascript`` JS ones."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "mod.py").write_text("".join(python_function(start + i) for i in range(count)), encoding="utf-8")
    if javascript:
        js = "".join(javascript_function(start + i) for i in range(javascript))
        (root / "lib.js").write_text(js, encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def tiny_bert_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture
def tiny_bert(tiny_bert_template: Path, tmp_path: Path) -> Path:
    """A fresh copy per test."""
    return Path(shutil.copytree(tiny_bert_template, tmp_path / "tiny-bert"))


@pytest.fixture
def config(tmp_path: Path, tiny_bert: Path) -> TrainConfig:
    (tmp_path / "blocklist.txt").write_text("requests\n")
    sources = tuple(
        SourceSpec("dir", path=str(write_repo(tmp_path / "src" / name, start, 12)), name=name)
        for name, start in (("one", 0), ("two", 20), ("three", 40))
    )
    return TrainConfig(
        base_model=str(tiny_bert),
        max_length=48,
        sources=sources,
        blocklist=str(tmp_path / "blocklist.txt"),
        cache_dir=str(tmp_path / "cache"),
        validation_fraction=0.3,
        batch_size=8,
        learning_rate=1e-3,
        warmup_steps=1,
        max_steps=4,
        dtype="float32",
        threads=1,
        log_every=1,
        eval_every=2,
        checkpoint_every=2,
    )
