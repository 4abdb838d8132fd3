"""Settings: the one place that reads the environment and codesearch.toml.

Precedence, lowest to highest: built-in defaults < ``codesearch.toml`` (at the repository root)
< ``CODESEARCH_*`` environment variables < command-line flags. Settings are resolved once and
passed explicitly; nothing else reads ``os.environ``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codesearch.errors import ConfigError, SourceFileError
from codesearch.repository_files import VANISHED, read_repository_file

CONFIG_FILE_NAME = "codesearch.toml"
MAX_CONFIG_FILE_BYTES = 1 << 20  # every setting fits in a few hundred bytes
ENV_PREFIX = "CODESEARCH_"
DEFAULT_MODEL = "default"  # the encoder bundled with codesearch (see encoder.model.resolve_model_path)


@dataclass(frozen=True, slots=True)
class Settings:
    """Every tunable of codesearch. Flag names match field names (``--max-file-bytes``)."""

    model: str = DEFAULT_MODEL
    index_dir: str | None = None  # None: <repo>/.codesearch
    max_file_bytes: int = 1024 * 1024
    batch_size: int = 32
    threads: int = 0  # 0: let the encoder pick (physical cores)
    k: int = 10
    hnsw_m: int = 16
    hnsw_ef_construction: int = 200
    hnsw_ef_search: int = 64
    debounce_s: float = 0.3
    log_level: str = "WARNING"
    round_chunks: int = 2048  # definitions per commit round; big enough for well-filled encoder batches
    # Files without a grammar (docs, config, other languages) as sections and line windows. Their
    # size limit is lower than code's: past a few hundred KiB a text file is data (fixtures,
    # changelogs, API dumps) more than prose, and every ~1 KiB of it is one more record to embed.
    index_text_files: bool = True
    max_text_file_bytes: int = 256 * 1024
    text_include: tuple[str, ...] = ()  # globs of files to index as plain text though no format knows them
    text_exclude: tuple[str, ...] = ()  # globs of text files never to index (files with a grammar stay)
    # The machine-wide embedding cache (index/machine_cache.py): vectors shared by every index.
    embedding_cache: bool = True
    embedding_cache_dir: str | None = None  # None: the user cache folder (XDG_CACHE_HOME/codesearch)
    embedding_cache_max_mb: int = 2048


_FIELD_TYPES: dict[str, type] = {
    "model": str,
    "index_dir": str,
    "max_file_bytes": int,
    "batch_size": int,
    "threads": int,
    "k": int,
    "hnsw_m": int,
    "hnsw_ef_construction": int,
    "hnsw_ef_search": int,
    "debounce_s": float,
    "log_level": str,
    "round_chunks": int,
    "index_text_files": bool,
    "max_text_file_bytes": int,
    "text_include": tuple,
    "text_exclude": tuple,
    "embedding_cache": bool,
    "embedding_cache_dir": str,
    "embedding_cache_max_mb": int,
}
# Settings a repository's codesearch.toml may not set: it comes with the checkout, and these decide
# where codesearch writes (docs/threat-model.md).
_USER_ONLY = ("index_dir", "embedding_cache_dir")
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _shown(value: Any) -> str:
    """``value`` as a message quotes it, in at most ~60 characters: a value in codesearch.toml may be
    a string of megabytes, or an integer too long for ``repr`` (over 4,300 digits raises ValueError)."""
    if isinstance(value, int) and value.bit_length() > 128:
        return f"an integer of {value.bit_length()} bits"
    try:
        text = repr(value)
    except ValueError:  # such an integer inside a list or a table
        return f"a {type(value).__name__} holding an integer too long to print"
    return text if len(text) <= 60 else f"{text[:50]}... ({len(text)} characters)"


def _coerce(name: str, value: Any, source: str) -> Any:
    expected = _FIELD_TYPES[name]
    if expected is bool:
        return _coerce_bool(name, value, source)
    if expected is tuple:
        return _coerce_globs(name, value, source)
    if isinstance(value, expected) and not (expected is int and isinstance(value, bool)):
        return value
    if isinstance(value, str):
        try:
            return expected(value)
        except ValueError:
            pass
    if expected is float and isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError:
            pass  # an integer beyond any float: not a number of seconds
    raise ConfigError(f"{source}: {name} must be {expected.__name__}, got {_shown(value)}")


def _coerce_bool(name: str, value: Any, source: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower() if isinstance(value, str) else None
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise ConfigError(f"{source}: {name} must be true or false, got {_shown(value)}")


def _coerce_globs(name: str, value: Any, source: str) -> tuple[str, ...]:
    """A list of glob strings; in the environment, one string of comma-separated globs."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list | tuple) or not all(isinstance(item, str) for item in items):
        raise ConfigError(f"{source}: {name} must be a list of glob strings, got {_shown(value)}")
    return tuple(item.strip() for item in items if item.strip())


def read_config_file(repo_root: Path) -> dict[str, Any]:
    """Read ``codesearch.toml`` at ``repo_root``; a missing file gives no settings.

    The file comes with the checkout: it must be a regular file, not a link (never followed) nor a
    FIFO, of at most ``MAX_CONFIG_FILE_BYTES`` (``codesearch.repository_files``); else a ConfigError.
    """
    path = repo_root / CONFIG_FILE_NAME
    try:
        raw = read_repository_file(repo_root, CONFIG_FILE_NAME, MAX_CONFIG_FILE_BYTES)
    except SourceFileError as exc:
        if exc.reason == VANISHED:
            return {}
        raise ConfigError(f"cannot read {path}: {exc.detail}") from exc
    import tomllib  # only when the file exists: `codesearch ask` on a warm server counts milliseconds

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except ValueError as exc:  # TOMLDecodeError, undecodable bytes, an integer of 5,000 digits
        raise ConfigError(f"cannot read {path}: {exc}") from exc
    except RecursionError as exc:  # tomllib descends once per level of `a = [[[[...`
        raise ConfigError(f"cannot read {path}: values nested too deeply") from exc
    section = data.get("codesearch", data)
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: [codesearch] must be a table of settings, got {_shown(section)}")
    unknown = sorted(set(section) - set(_FIELD_TYPES))
    if unknown:
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise ConfigError(f"{path}: unknown setting(s) {', '.join(_shown(name) for name in unknown[:5])}{more}")
    for name in _USER_ONLY:
        if name in section:
            # The file comes with the checkout: a repository choosing where its index is written (and
            # so which recorded repository an index folder names) could point a server at any folder.
            raise ConfigError(
                f"{path}: {name} cannot be set in a repository's {CONFIG_FILE_NAME}; "
                f"use --{name.replace('_', '-')} or {ENV_PREFIX}{name.upper()}"
            )
    return {key: _coerce(key, value, str(path)) for key, value in section.items()}


def read_environment(environ: Mapping[str, str]) -> dict[str, Any]:
    """Pick ``CODESEARCH_<FIELD>`` variables out of ``environ``."""
    found: dict[str, Any] = {}
    for name in _FIELD_TYPES:
        key = ENV_PREFIX + name.upper()
        if key in environ and environ[key] != "":
            found[name] = _coerce(name, environ[key], key)
    return found


def resolve_settings(
    repo_root: Path | None,
    flags: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Combine defaults, the repo's codesearch.toml, the environment and flags (None flags are unset)."""
    values: dict[str, Any] = {}
    if repo_root is not None:
        values.update(read_config_file(repo_root))
    values.update(read_environment(os.environ if environ is None else environ))
    for name, value in (flags or {}).items():
        if value is not None:
            values[name] = _coerce(name, value, f"--{name.replace('_', '-')}")
    settings = dataclasses.replace(Settings(), **values)
    _validate(settings)
    return settings


# Every number a setting may hold, checked when settings are read, before any reaches a library:
# hnswlib segfaults on M = 0, and 100,000 threads took 17,094 threads and 16.6 GB for one `ask`.
_RANGES: dict[str, tuple[float, float]] = {
    "max_file_bytes": (1, 1 << 30),
    "max_text_file_bytes": (1, 1 << 30),
    "batch_size": (1, 4096),
    "embedding_cache_max_mb": (1, 1 << 20),
    "k": (1, 1000),
    "threads": (0, 256),  # 0: as many as the machine has physical cores
    "round_chunks": (1, 1_000_000),
    "hnsw_m": (2, 100),
    "hnsw_ef_construction": (1, 5000),
    "hnsw_ef_search": (1, 5000),
    "debounce_s": (0.0, 3600.0),
}
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def setting_range(name: str) -> tuple[float, float]:
    """The lowest and highest value the numeric setting ``name`` may hold (for values read back from an index)."""
    return _RANGES[name]


def _validate(settings: Settings) -> None:
    for name, (low, high) in _RANGES.items():
        value = getattr(settings, name)
        # A comparison, not math.isfinite: that overflows on an integer beyond a float (10**400);
        # NaN and the infinities fail the comparison all the same.
        if not low <= value <= high:
            raise ConfigError(f"{name} must be between {low} and {high}, got {_shown(value)}")
    if settings.log_level.upper() not in _LOG_LEVELS:
        raise ConfigError(f"log_level must be one of {', '.join(_LOG_LEVELS)}, got {_shown(settings.log_level)}")



CRASH_ENV = "CODESEARCH_TEST_CRASH_AT"


@dataclass(frozen=True, slots=True)
class CrashPlan:
    """A test hook of the reliability suite: kill -9 (or freeze) this process at a crash point.

    ``CODESEARCH_TEST_CRASH_AT`` is ``N`` (at the N-th crash point reached, any name) or
    ``NAME:N`` (the N-th time point NAME is reached), optionally followed by ``/STOP`` to freeze
    the process (SIGSTOP) instead of killing it; ``trace`` only names every point on stderr.
    See ``codesearch/crash_points.py``.
    """

    point: str  # a crash point name, or "*" for any
    count: int
    signal_name: str = "KILL"  # "KILL" or "STOP"
    is_trace: bool = False


def crash_plan(environ: Mapping[str, str] | None = None) -> CrashPlan | None:
    """The crash plan the environment asks for, if any."""
    value = (os.environ if environ is None else environ).get(CRASH_ENV, "").strip()
    if not value:
        return None
    if value == "trace":
        return CrashPlan("*", 0, is_trace=True)
    where, _, signal_name = value.partition("/")
    point, _, count = where.rpartition(":")
    if not count.isdigit() or int(count) < 1 or signal_name not in ("", "KILL", "STOP"):
        raise ConfigError(f"{CRASH_ENV} must look like 7, batch:committed:2 or 7/STOP, got {value!r}")
    return CrashPlan(point or "*", int(count), signal_name or "KILL")


def no_color(environ: Mapping[str, str] | None = None) -> bool:
    """Whether the user asked for no colour (the NO_COLOR convention: set and not empty)."""
    return bool((os.environ if environ is None else environ).get("NO_COLOR"))


def user_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The per-user cache folder (XDG_CACHE_HOME or ~/.cache)/codesearch."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_CACHE_HOME") or str(Path(env.get("HOME", str(Path.home()))) / ".cache")
    return Path(base) / "codesearch"


def user_runtime_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where the server's socket lives: $XDG_RUNTIME_DIR/codesearch, else the user cache folder."""
    env = os.environ if environ is None else environ
    runtime = env.get("XDG_RUNTIME_DIR")
    if runtime and Path(runtime).is_dir():
        return Path(runtime) / "codesearch"
    return user_cache_dir(env) / "run"
