"""The fuzz suite's machinery: a registry of targets, seeded inputs, a deadline per input, the outcome counts.

A target is a generator of inputs plus a check that feeds one input to codesearch and says how it was
answered: ``answered`` (a result) or ``refused`` (one line, an error written for the user). Anything else
raises ``Failure`` (a traceback, a second line, a wrong exit code, an unexpected exception type) or
``Hang`` (no answer within the target's deadline). A new surface is one more module that calls
``register``; test_fuzz.py runs every registered target the same way. A target that feeds a live
process (a server, ``codesearch lsp``, ``codesearch mcp``) starts it in ``live``, a context manager
whose value the check gets instead of the world, and whose exit checks how the process ended.

Input ``i`` of target ``T`` comes from ``random.Random(f"{T}/{i}")``: the same inputs every run, and a
failure names the one input that replays it alone. Plain ``random`` rather than Hypothesis (a test
dependency, used by tests/reliability/): Hypothesis took 1.5-5 ms to draw each input on these 2 cores,
so 10,000 inputs would have spent most of a minute in drawing alone; these generators take microseconds.
"""

from __future__ import annotations

import random
import re
import reprlib
import signal
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codesearch.search.searcher import Searcher

ANSWERED = "answered"
REFUSED = "refused"
MARKER = "zq5c2dxk"  # in the code of World.outside only: an answer that holds it came from outside the repository


class Failure(AssertionError):
    """codesearch answered an input with something other than a result or one line of error."""


class Hang(BaseException):
    """No answer within the deadline (a BaseException: no ``except Exception`` on the way may keep it)."""


@dataclass(frozen=True)
class World:
    """What every target may use: a small real repository, its indexes, a searcher, and spare folders."""

    repo: Path  # two Python files and a README, indexed (files, records, BM25; no vectors: no model loads)
    hashed_repo: Path  # the same files, indexed with the hashing stand-in encoder (vectors, an HNSW graph)
    searcher: Searcher  # open on hashed_repo's index: dense and keyword search, the hashing encoder for queries
    scratch: Path  # a folder targets may write in
    nowhere: Path  # a folder that holds no index
    inputs: Path  # files to name on command lines: queries (good, not UTF-8, with a NUL, long, empty)
    outside: Path  # an indexed git repository beside the others, its code holding MARKER: no answer may show it


@dataclass(frozen=True)
class Target:
    """One surface of outside input: how to make an input, and how to feed it."""

    name: str
    generate: Callable[[World, random.Random], Any]  # the world gives the paths an input may name
    check: Callable[[Any, Any], str]  # (the world, or what live gives; input) -> ANSWERED or REFUSED, or raises
    inputs: int
    timeout_s: float  # per input
    live: Callable[[World], AbstractContextManager[Any]] | None = None  # a process for all inputs, checked at exit
    start_s: float = 60.0  # to start and to end ``live``


TARGETS: dict[str, Target] = {}
COUNTS: dict[str, Counter[str]] = {}  # target -> outcome -> inputs, printed by conftest.py
_COUNTS_LOCK = threading.Lock()


def register(target: Target) -> Target:
    if target.name in TARGETS:
        raise ValueError(f"two fuzz targets named {target.name!r}")
    TARGETS[target.name] = target
    return target


def input_of(target: Target, world: World, index: int) -> Any:
    """Input ``index`` of ``target``: the same on every run."""
    return target.generate(world, random.Random(f"{target.name}/{index}"))


def record(target: str, outcome: str) -> None:
    with _COUNTS_LOCK:
        COUNTS.setdefault(target, Counter())[outcome] += 1


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Raise Hang in this (the main) thread when the block runs longer than ``seconds``."""

    def expire(signum: int, frame: object) -> None:
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_SHORT = reprlib.Repr()  # keyword arguments only from Python 3.12
_SHORT.maxstring = _SHORT.maxother = 120
_SHORT.maxlist = _SHORT.maxdict = 30


def shown(value: object) -> str:
    """``value`` for a failure message: long strings and lists cut, so a 1 MB input stays readable."""
    return _SHORT.repr(value)


def clipped(text: str) -> str:
    """``text`` (a traceback, a stderr) with runs of one character cut: an input of 10,000 x's shows as x...x."""
    return re.sub(r"(.)\1{40,}", lambda run: f"{run.group(1) * 3}...({len(run.group())})", text)[-4000:]


def one_line_error(stderr: str) -> str:
    """REFUSED when ``stderr`` is exactly one line ``Error: ...``; else a Failure."""
    lines = stderr.splitlines()
    if len(lines) != 1 or not lines[0].startswith("Error: ") or "Traceback" in stderr:
        raise Failure(f"not one line of error: {clipped(stderr)!r}")
    return REFUSED


# -- text -----------------------------------------------------------------------------------------

_ALPHABETS = (
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ ",
    "".join(map(chr, range(0x20))) + "\x7f",  # C0 controls (NUL, ESC, CR, LF, BEL) and DEL
    "".join(map(chr, range(0x80, 0xA0))),  # C1 controls (CSI is U+009B)
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u2028\u2029\ufeff\u200b",  # bidi, separators
    "".join(map(chr, range(0xD800, 0xD810))) + "".join(map(chr, range(0xDC80, 0xDD00))),  # lone surrogates
    "éüßøΩЖ中文日本語한국어\u0301\u0308\U0001f600\U0001d11e\U0010fffd",  # letters, combining marks, astral
    "\"'`*():^-+{}[]\\~!@#$%&|<>?,./;=",  # syntax of shells, globs, FTS5, TOML, JSON
)
SURROGATES = 4  # the index of lone surrogates in _ALPHABETS


def random_text(rng: random.Random, max_size: int, *, surrogates: bool = True, nul: bool = True) -> str:
    """Text of up to ``max_size`` characters drawn in runs from alphabets of awkward characters."""
    size = rng.choice((0, 1, 2, 3, 5, 8, 13, max_size, rng.randint(0, max_size)))
    chars: list[str] = []
    while len(chars) < size:
        index = rng.randrange(len(_ALPHABETS))
        if index == SURROGATES and not surrogates:
            continue
        alphabet = _ALPHABETS[index]
        chars.extend(rng.choice(alphabet) for _ in range(min(size - len(chars), rng.randint(1, 6))))
    text = "".join(chars)
    return text if nul else text.replace("\x00", " ")
