"""Settings precedence: defaults < codesearch.toml < CODESEARCH_* < flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesearch.config import CrashPlan, Settings, crash_plan, resolve_settings, user_runtime_dir
from codesearch.errors import ConfigError


def test_defaults(tmp_path: Path) -> None:
    assert resolve_settings(tmp_path, environ={}) == Settings()


def test_precedence(tmp_path: Path) -> None:
    (tmp_path / "codesearch.toml").write_text("[codesearch]\nk = 5\nbatch_size = 8\nmodel = 'from-file'\n")
    env = {"CODESEARCH_K": "7", "CODESEARCH_MODEL": "from-env"}
    settings = resolve_settings(tmp_path, {"k": 9, "model": None}, environ=env)
    assert (settings.k, settings.batch_size, settings.model) == (9, 8, "from-env")


def test_bad_values_are_config_errors(tmp_path: Path) -> None:
    (tmp_path / "codesearch.toml").write_text("k = 'many'\n")
    with pytest.raises(ConfigError, match="k must be int"):
        resolve_settings(tmp_path, environ={})
    (tmp_path / "codesearch.toml").write_text("colour = 'blue'\n")
    with pytest.raises(ConfigError, match="unknown setting"):
        resolve_settings(tmp_path, environ={})
    (tmp_path / "codesearch.toml").write_text("k = [\n")
    with pytest.raises(ConfigError, match="cannot read"):
        resolve_settings(tmp_path, environ={})
    with pytest.raises(ConfigError, match="between 1 and 1000"):
        resolve_settings(None, {"k": 0}, environ={})


def test_runtime_dir_falls_back_to_cache(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "XDG_RUNTIME_DIR": str(tmp_path / "missing")}
    assert user_runtime_dir(env) == tmp_path / ".cache" / "codesearch" / "run"
    env["XDG_RUNTIME_DIR"] = str(tmp_path)
    assert user_runtime_dir(env) == tmp_path / "codesearch"


def test_round_chunks_comes_from_the_environment(tmp_path: Path) -> None:
    assert resolve_settings(tmp_path, environ={"CODESEARCH_ROUND_CHUNKS": "64"}).round_chunks == 64
    with pytest.raises(ConfigError):
        resolve_settings(tmp_path, environ={"CODESEARCH_ROUND_CHUNKS": "0"})


@pytest.mark.parametrize(
    ("value", "plan"),
    [
        ("", None),
        ("7", CrashPlan("*", 7)),
        ("batch:committed:2", CrashPlan("batch:committed", 2)),
        ("atomic:renaming:1/STOP", CrashPlan("atomic:renaming", 1, "STOP")),
        ("trace", CrashPlan("*", 0, is_trace=True)),
    ],
)
def test_crash_plan(value: str, plan: CrashPlan | None) -> None:
    assert crash_plan({"CODESEARCH_TEST_CRASH_AT": value}) == plan


@pytest.mark.parametrize("value", ["x", "0", "batch:", "7/TERM"])
def test_bad_crash_plans_are_config_errors(value: str) -> None:
    with pytest.raises(ConfigError, match="CODESEARCH_TEST_CRASH_AT"):
        crash_plan({"CODESEARCH_TEST_CRASH_AT": value})
