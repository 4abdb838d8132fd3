"""Recipes: TOML into TrainConfig, relative paths, refusals, and the recipe hash."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from codesearch.errors import ConfigError
from training.config import TrainConfig, load_recipe

RECIPE = """
base_model = "default"
pooling = "mean"
max_length = 64
blocklist = "../shared/heldout-blocklist.txt"
exclude_manifests = ["bench/corpora.toml"]
learning_rate = 1
max_steps = 10

[[source]]
kind = "dir"
path = "src/one"
name = "one"

[[source]]
kind = "git"
url = "https://example.com/a/b.git"
rev = "abcdef1"
languages = ["python", "go"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "recipes" / "r.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_recipe_loads_with_paths_relative_to_it(tmp_path: Path) -> None:
    config = load_recipe(write(tmp_path, RECIPE))
    folder = tmp_path / "recipes"
    assert config.pooling == "mean" and config.max_steps == 10 and config.learning_rate == 1.0
    assert config.blocklist == str(folder / "../shared/heldout-blocklist.txt")
    assert config.exclude_manifests == (str(folder / "bench/corpora.toml"),)
    assert config.sources[0].path == str(folder / "src/one")
    assert config.sources[1].languages == ("python", "go") and config.sources[1].rev == "abcdef1"
    assert config.warmup_steps == TrainConfig().warmup_steps  # unset keys keep their defaults


def test_the_hash_changes_with_any_setting_and_json_round_trips(tmp_path: Path) -> None:
    config = load_recipe(write(tmp_path, RECIPE))
    assert TrainConfig.from_json(config.to_json()) == config
    assert len(config.recipe_hash) == 64
    assert dataclasses.replace(config, seed=1).recipe_hash != config.recipe_hash


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("max_stepz = 3\n", "unknown setting"),
        ("max_steps = 'ten'\n", "max_steps must be int"),
        ("learn_temperature = 1\n", "learn_temperature must be bool"),
        ("pooling = 'max'\n", "pooling must be one of"),
        ("batch_size = 0\n", "batch_size must be positive"),
        ("[[source]]\nkind = 'dir'\n", "dir source needs path"),
        ("[[source]]\nkind = 'dir'\npath = 'x'\nbranch = 'main'\n", "unknown source key"),
        ("max_steps = \n", "cannot read recipe"),
        ("batch_mode = 'language'\n", "batch_mode must be one of"),
        ("batch_size = 30\nrepos_per_batch = 4\n", "multiple of repos_per_batch"),
        ("query_style_rate = 1.5\n", "query_style_rate must be in"),
        ("max_pairs_per_repository = -1\n", "pair caps must be >= 0"),
    ],
)
def test_bad_recipes_are_refused_with_the_reason(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_recipe(write(tmp_path, text))


def test_the_bundled_recipes_load() -> None:
    folder = Path(__file__).resolve().parents[2] / "training" / "recipes"
    recipes = [path for path in sorted(folder.glob("*.toml")) if not path.name.startswith("packages")]
    assert recipes
    for path in recipes:
        config = load_recipe(path)
        assert config.sources and Path(config.blocklist).name == "heldout-blocklist.txt", path


def test_the_cpu_schedule_trains_on_the_v2_data_set_so_one_prepare_serves_both() -> None:
    folder = Path(__file__).resolve().parents[2] / "training" / "recipes"
    gpu, cpu = (load_recipe(folder / name) for name in ("minilm-code-v2.toml", "minilm-code-v2-cpu.toml"))
    assert cpu.data_options() == gpu.data_options() and cpu.sources == gpu.sources
    assert (cpu.blocklist, cpu.exclude_manifests, cpu.exclude_repo_lists) == (
        gpu.blocklist, gpu.exclude_manifests, gpu.exclude_repo_lists
    )
    assert cpu.time_budget_s <= 2.5 * 3600 and 0 < cpu.checkpoint_every_s <= 15 * 60 and cpu.grad_cache_chunk == 0
