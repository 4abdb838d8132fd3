"""Fuzz targets ``codesearch.toml`` and ``settings``: what a checkout's configuration file, the environment
and flags may hold, through ``resolve_settings``, the one reader of configuration.

The file comes with a checkout, so anything goes: every known setting with values of every type (huge
and negative integers, infinities, NaN, strings with control characters, dates, arrays, tables), unknown
keys, ``codesearch`` that is not a table, deep nesting, mutated and cut text, bytes that are not UTF-8.
Every input gives ``Settings`` whose numbers are in range, or a one-line ``ConfigError``.
"""

from __future__ import annotations

import dataclasses
import json
import math
import random
from collections.abc import Callable
from typing import Any

from codesearch.config import CONFIG_FILE_NAME, ENV_PREFIX, Settings, resolve_settings
from codesearch.errors import ConfigError
from tests.fuzz.harness import ANSWERED, REFUSED, Failure, Target, World, random_text, register

FIELDS = tuple(field.name for field in dataclasses.fields(Settings))
STRINGS = ("", "default", "WARNING", "debug", "1", "true", "off", "-1", "1e999", "nan", "0x10", "\x1b[2J", "../../etc",
           "*.py", "python")
DATES = ("1979-05-27T07:32:00Z", "07:32:00", "1979-05-27")
FIXED = ("codesearch = 5\n", "codesearch = []\n", "[[codesearch]]\nk = 3\n", "[codesearch.k]\n", "k = 3\nk = 4\n",
         "[codesearch]\n[codesearch]\n", "= 3\n", "\ufeffk = 3\n", "", "[codesearch]\nk = 3\n[other]\nx = 1\n",
         "k = 3 # note\n")


def integer(rng: random.Random) -> int:
    shape = rng.randrange(4)
    if shape == 0:
        return rng.randint(-3, 300)
    if shape == 1:
        return rng.randint(-(2**64), 2**64)
    if shape == 2:  # past 64 bits, past a float, past Python's 4,300 digits
        return rng.choice((1, -1)) * 2 ** rng.choice((63, 64, 1100, 1400, 20_000))
    return rng.choice((0, 1, 2, 100, 256, 257, 1000, 1001, 5000, 5001, 1 << 30, (1 << 30) + 1))


def scalar(rng: random.Random) -> Any:
    shape = rng.randrange(6)
    if shape == 0:
        return integer(rng)
    if shape == 1:
        return rng.choice((math.inf, -math.inf, math.nan, 0.0, -0.0, 0.5, 1e308, 3600.0, 3600.5, rng.uniform(-9, 9)))
    if shape == 2:
        return rng.choice(STRINGS)
    if shape == 3:
        return random_text(rng, 30, surrogates=False)
    if shape == 4:
        return rng.random() < 0.5
    return _Raw(rng.choice(DATES))


@dataclasses.dataclass(frozen=True)
class _Raw:
    """TOML text written as it is (a date or a time, which have no JSON spelling)."""

    text: str


def value(rng: random.Random) -> Any:
    shape = rng.randrange(6)
    if shape == 4:
        return [scalar(rng) for _ in range(rng.randint(0, 3))]
    if shape == 5:
        return {rng.choice(FIELDS): scalar(rng) for _ in range(rng.randint(0, 2))}
    return scalar(rng)


def toml_value(given: Any) -> str:
    """``given`` as a TOML value (inline arrays and tables)."""
    if isinstance(given, _Raw):
        return given.text
    if isinstance(given, bool):
        return "true" if given else "false"
    if isinstance(given, int):
        return str(given) if given.bit_length() < 10_000 else f"0x{given:x}"  # past 4,300 digits: hex
    if isinstance(given, float):
        return "nan" if math.isnan(given) else ("inf" if given > 0 else "-inf") if math.isinf(given) else repr(given)
    if isinstance(given, str):
        return json.dumps(given, ensure_ascii=False)  # JSON's escapes of C0 controls are TOML's too
    if isinstance(given, list):
        return "[" + ", ".join(toml_value(item) for item in given) + "]"
    return "{" + ", ".join(f"{json.dumps(key)} = {toml_value(item)}" for key, item in given.items()) + "}"


def document(rng: random.Random) -> str:
    keys = [rng.choice(FIELDS) if rng.random() < 0.8 else random_text(rng, 12, surrogates=False)
            for _ in range(rng.randint(0, 5))]
    lines = [f"{json.dumps(key, ensure_ascii=False)} = {toml_value(value(rng))}" for key in keys]
    return ("[codesearch]\n" if rng.random() < 0.5 else "") + "\n".join(lines) + "\n"


def config_file(world: World, rng: random.Random) -> bytes:
    shape = rng.randrange(8)
    if shape <= 2:
        text = document(rng)
    elif shape == 3:  # mutated: characters replaced, inserted, cut
        text = document(rng)
        for _ in range(rng.randint(1, 4)):
            at = rng.randint(0, len(text))
            text = text[:at] + random_text(rng, 3, surrogates=False) + text[at + rng.randint(0, 2):]
    elif shape == 4:
        text = rng.choice(FIXED)
    elif shape == 5:  # nesting: tomllib descends once per level
        depth = rng.choice((10, 400, 5000, 100_000))
        text = f"k = {'[' * depth}{rng.choice(('', '1', '['))}{']' * depth}\n" if rng.random() < 0.7 else (
            "k = " + "{a = " * depth + "1" + "}" * depth + "\n")
    elif shape == 6:
        return rng.randbytes(rng.randint(0, 200))
    else:
        text = random_text(rng, 200, surrogates=False)
    return text.encode("utf-8")


def check_config_file(world: World, data: bytes) -> str:
    (world.scratch / CONFIG_FILE_NAME).write_bytes(data)
    return _resolved(lambda: resolve_settings(world.scratch, {}, environ={}))


def environment_value(rng: random.Random) -> str:
    """What a variable may hold: any text without NUL, undecodable bytes as U+DC80-U+DCFF, long numbers."""
    shape = rng.randrange(5)
    if shape == 0:
        return random_text(rng, 30, surrogates=False, nul=False) + rng.choice(("", "\udcff"))
    if shape == 1:
        return str(rng.randint(-(2**64), 2**64))
    if shape == 2:  # past a float, past int()'s 4,300 digits
        return "9" * rng.choice((25, 400, 5000))
    if shape == 3:
        return toml_value(scalar(rng)).strip('"')
    return rng.choice(("true", "no", "1e999", "-0", " 5 ", "3.0", "", "inf", "nan"))


def environment_and_flags(world: World, rng: random.Random) -> tuple[dict[str, str], dict[str, Any]]:
    environ = {ENV_PREFIX + rng.choice(FIELDS).upper(): environment_value(rng) for _ in range(rng.randint(0, 4))}
    flags = {rng.choice(FIELDS): None if rng.random() < 0.2 else scalar(rng) for _ in range(rng.randint(0, 3))}
    return environ, {name: given.text if isinstance(given, _Raw) else given for name, given in flags.items()}


def check_settings(world: World, given: tuple[dict[str, str], dict[str, Any]]) -> str:
    environ, flags = given
    return _resolved(lambda: resolve_settings(None, flags, environ=environ))


def _resolved(resolve: Callable[[], Settings]) -> str:
    try:
        settings = resolve()
    except ConfigError as error:
        if "\n" in str(error) or len(str(error)) > 2000:
            raise Failure(f"a ConfigError of {len(str(error))} characters or several lines") from error
        return REFUSED
    if not (0 <= settings.threads <= 256 and 2 <= settings.hnsw_m <= 100 and 1 <= settings.k <= 1000):
        raise Failure(f"out of range: {settings!r}")
    return ANSWERED


register(Target("codesearch.toml", config_file, check_config_file, inputs=3000, timeout_s=10.0))
register(Target("settings (environment, flags)", environment_and_flags, check_settings, inputs=1500, timeout_s=10.0))
