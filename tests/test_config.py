"""Settings precedence: defaults < codesearch.toml < CODESEARCH_* < flags."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from codesearch.config import MAX_CONFIG_FILE_BYTES, CrashPlan, Settings, crash_plan, resolve_settings, user_runtime_dir
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


def test_text_file_settings_from_file_environment_and_flags(tmp_path: Path) -> None:
    (tmp_path / "codesearch.toml").write_text(
        "[codesearch]\nindex_text_files = false\ntext_include = ['*.tmpl', 'Jenkinsfile']\n"
        "text_exclude = ['docs/archive/*']\nmax_text_file_bytes = 65536\n"
    )
    from_file = resolve_settings(tmp_path, environ={})
    assert from_file.index_text_files is False and from_file.max_text_file_bytes == 65536
    assert from_file.text_include == ("*.tmpl", "Jenkinsfile") and from_file.text_exclude == ("docs/archive/*",)
    env = {"CODESEARCH_INDEX_TEXT_FILES": "yes", "CODESEARCH_TEXT_EXCLUDE": "*.json, fixtures/* ,"}
    from_env = resolve_settings(tmp_path, environ=env)
    assert from_env.index_text_files is True and from_env.text_exclude == ("*.json", "fixtures/*")
    from_flag = resolve_settings(tmp_path, {"index_text_files": False, "text_include": None}, environ=env)
    assert from_flag.index_text_files is False and from_flag.text_include == ("*.tmpl", "Jenkinsfile")
    assert Settings().index_text_files is True and Settings().max_text_file_bytes < Settings().max_file_bytes


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ("index_text_files = 'sometimes'\n", "index_text_files must be true or false"),
        ("text_include = '*.md'\n", None),  # one string is one glob
        ("text_include = [1, 2]\n", "text_include must be a list of glob strings"),
        ("max_text_file_bytes = 0\n", "max_text_file_bytes must be between 1 and"),
    ],
)
def test_bad_text_file_settings(tmp_path: Path, toml: str, message: str | None) -> None:
    (tmp_path / "codesearch.toml").write_text(toml)
    if message is None:
        assert resolve_settings(tmp_path, environ={}).text_include == ("*.md",)
        return
    with pytest.raises(ConfigError, match=message):
        resolve_settings(tmp_path, environ={})
    with pytest.raises(ConfigError, match="CODESEARCH_INDEX_TEXT_FILES"):
        resolve_settings(None, environ={"CODESEARCH_INDEX_TEXT_FILES": "2"})


def test_a_repository_cannot_choose_where_its_index_is_written(tmp_path: Path) -> None:
    """codesearch.toml comes with the checkout; index_dir comes only from the user (docs/threat-model.md)."""
    (tmp_path / "codesearch.toml").write_text("[codesearch]\nindex_dir = '/tmp/elsewhere'\n")
    with pytest.raises(ConfigError, match=r"index_dir cannot be set in a repository's codesearch\.toml"):
        resolve_settings(tmp_path, environ={})
    (tmp_path / "codesearch.toml").write_text("k = 5\n")
    chosen = resolve_settings(tmp_path, {"index_dir": None}, environ={"CODESEARCH_INDEX_DIR": "/tmp/mine"})
    assert (chosen.k, chosen.index_dir) == (5, "/tmp/mine")
    assert resolve_settings(tmp_path, {"index_dir": "/tmp/flag"}, environ={}).index_dir == "/tmp/flag"


@pytest.mark.parametrize(
    ("toml", "message"),
    [("threads = 100000\n", "threads must be between 0 and 256"), ("hnsw_m = 0\n", "hnsw_m must be between 2 and 100"),
     ("hnsw_m = -1\n", "hnsw_m must be between"), ("hnsw_ef_construction = -3\n", "hnsw_ef_construction must be"),
     ("hnsw_ef_search = 0\n", "hnsw_ef_search must be"), ("debounce_s = nan\n", "debounce_s must be"),
     ("batch_size = 1000000\n", "batch_size must be"), ("log_level = 'loud'\n", "log_level must be one of"),
     ("codesearch = 5\n", r"\[codesearch\] must be a table")],
)
def test_settings_out_of_range_are_refused_when_read(tmp_path: Path, toml: str, message: str) -> None:
    """Hostile input row 3: a checkout's codesearch.toml never hands a library a value it cannot take."""
    (tmp_path / "codesearch.toml").write_text(toml)
    with pytest.raises(ConfigError, match=message):
        resolve_settings(tmp_path, environ={})


@pytest.mark.parametrize(("variable", "value"), [("CODESEARCH_THREADS", "100000"), ("CODESEARCH_HNSW_M", "0"),
                                                 ("CODESEARCH_DEBOUNCE_S", "inf")])
def test_the_same_ranges_hold_for_the_environment_and_flags(variable: str, value: str) -> None:
    name = variable.removeprefix("CODESEARCH_").lower()
    with pytest.raises(ConfigError, match=f"{name} must be between"):
        resolve_settings(None, environ={variable: value})
    with pytest.raises(ConfigError, match=f"{name} must be between"):
        resolve_settings(None, {name: value}, environ={})


@pytest.mark.parametrize(
    ("toml", "message"),
    [("k = " + "1" * 5000 + "\n", "cannot read .*digits"),  # past int()'s limit: tomllib's ValueError
     ("k = " + "[" * 100_000 + "]" * 100_000 + "\n", "nested too deeply"),  # tomllib's RecursionError
     (f"threads = {10**400}\n", "threads must be between 0 and 256, got an integer of 1329 bits"),
     ("debounce_s = " + str(2**1100) + "\n", "debounce_s must be float, got an integer of 1101 bits"),
     ("embedding_cache = [true, 0x" + "f" * 5000 + "]\n", "must be true or false, got a list holding an integer"),
     ("k = '" + "x" * 100_000 + "'\n", r"k must be int, got 'x{40,}\.\.\. \(100002 characters\)")],
)
def test_found_by_the_fuzz_suite_each_a_one_line_config_error(tmp_path: Path, toml: str, message: str) -> None:
    """Each was a traceback (OverflowError, ValueError, RecursionError) or a line of megabytes (tests/fuzz/)."""
    (tmp_path / "codesearch.toml").write_text(toml)
    with pytest.raises(ConfigError, match=message) as raised:
        resolve_settings(tmp_path, environ={})
    assert "\n" not in str(raised.value) and len(str(raised.value)) < 500


def test_a_number_beyond_any_float_from_a_flag_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="debounce_s must be float"):
        resolve_settings(None, {"debounce_s": 10**400}, environ={})
    with pytest.raises(ConfigError, match="k must be between 1 and 1000, got an integer of"):
        resolve_settings(None, {"k": 10**400}, environ={})


@pytest.mark.parametrize("kind", ["fifo", "link to /dev/zero", "link to a file", "too large"])
def test_a_codesearch_toml_that_is_no_regular_file_is_one_line(tmp_path: Path, kind: str) -> None:
    """Hostile input row 4: the file comes with the checkout; it is read as a regular file, capped, never waited on."""
    path = tmp_path / "codesearch.toml"
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "too large":
        path.write_text("k = 5\n" + "#\n" * MAX_CONFIG_FILE_BYTES)
    else:
        (tmp_path / "shared.toml").write_text("k = 5\n")
        path.symlink_to("/dev/zero" if kind == "link to /dev/zero" else tmp_path / "shared.toml")
    why = r"(not a regular file|a symbolic link|\d+ bytes is over the limit)"
    with pytest.raises(ConfigError, match=rf"cannot read .*codesearch\.toml: {why}"):
        resolve_settings(tmp_path, environ={})
