"""Values for the params and tool arguments of the live targets: right ones, wrong in type, out of range, and
paths that lead out of the served repository (``..``, absolute paths and URIs of World.outside, a link to it,
relative paths, NULs, lone surrogates).
"""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

from tests.fuzz.harness import World, random_text

WORDS = ("total price", "hash a password", "Cart", "apply_discount", "remove item", "read private key", "deploy key",
         "salt", "README", "Prices", "verify_password", "*", '"', "NOT OR", "x \udcff", "a\x00b", "   ", "")
INTEGERS = (0, 1, 2, 3, 10, 50, 1000, 1001, -1, -(2**31), 2**31, 2**63, 2**64, 2**70, -(2**70))
FLOATS = (1.5, -0.0, 1e308, math.nan, math.inf, 3.0)
GLOBS = ("*", "*.py", "cart*", "[", "**/x", "", "\\", "x" * 1025, "x" * 100_000, "src/\x00*", "\udcff*", "../*")
LANGUAGES = ("python", "py", "markdown", "klingon", "", "\x00", "\udcff")


def places(world: World, repo: Path) -> tuple[str, ...]:
    """Paths and URIs a request may name: the served repository's, World.outside's, and odd ones."""
    secret = world.outside / "secret.py"
    return (
        str(repo), repo.as_uri(), str(repo / "cart.py"), (repo / "cart.py").as_uri(), "cart.py", str(repo / ".git"),
        str(world.outside), world.outside.as_uri(), str(secret), secret.as_uri(), "../outside/secret.py",
        str(repo / ".." / "outside" / "secret.py"), "leak.py", str(repo / "leak.py"), "secret.py", "outside", ".",
        "..", "", "/", "/etc/passwd", "/dev/zero", str(world.outside / ".codesearch"), str(repo / ".codesearch"),
        "cart.py\x00.txt", str(repo) + "\x00", "\udcff", "file://", "file:///%00", "file://host/etc", "file:relative",
        "http://example.com/x", "~", "~/x", "x" * 5000,
    )


def scalar(rng: random.Random, world: World, repo: Path) -> Any:
    shape = rng.randrange(8)
    if shape == 0:
        return rng.choice(places(world, repo))
    if shape == 1:
        return random_text(rng, 30)
    if shape == 2:
        return rng.choice(INTEGERS)
    if shape == 3:
        return rng.choice(FLOATS)
    if shape == 4:
        return rng.choice((None, True, False))
    if shape == 5:
        return rng.choice(WORDS)
    if shape == 6:
        return rng.choice(GLOBS)
    return (random_text(rng, 1) or "x") * rng.choice((2001, 100_000))


def value(rng: random.Random, world: World, repo: Path, depth: int = 0) -> Any:
    """Any JSON value, hostile more often than not."""
    shape = rng.randrange(10)
    if shape == 8 and depth < 2:
        return [value(rng, world, repo, depth + 1) for _ in range(rng.randint(0, 3))]
    if shape == 9 and depth < 2:
        return {random_text(rng, 8): value(rng, world, repo, depth + 1) for _ in range(rng.randint(0, 2))}
    return scalar(rng, world, repo)


def sensible(name: str, rng: random.Random, world: World, repo: Path) -> Any:
    """A value of the right type for param ``name``: often the right one, else a wrong or hostile one."""
    is_right = rng.random() < 0.5
    if name in ("query",):
        return rng.choice(WORDS[:8] if is_right else WORDS)
    if name in ("k", "limit", "line"):
        return rng.randint(1, 12) if is_right else rng.choice(INTEGERS)
    if name in ("languages", "lang"):
        return [rng.choice(LANGUAGES) for _ in range(rng.randint(0, 2))]
    if name == "path" or name == "file":  # a glob for search, a file for similar
        good = ("cart.py", "passwords.py", str(repo / "cart.py"), (repo / "passwords.py").as_uri(), "*.py")
        return rng.choice(good) if is_right else rng.choice(places(world, repo) + GLOBS)
    if name in ("includeCode", "include_code", "full", "exact", "ifServed", "create"):
        return rng.random() < 0.5
    if name in ("roots", "workspaceFolders"):
        paths = [rng.choice(places(world, repo)) for _ in range(rng.randint(0, 3))]
        return paths if name == "roots" else [{"uri": path, "name": "x"} for path in paths]
    return rng.choice((str(repo), repo.as_uri())) if is_right else rng.choice(places(world, repo))  # root, indexDir


def params(rng: random.Random, world: World, repo: Path, names: tuple[str, ...]) -> dict[str, Any]:
    """Some of ``names``, each with a sensible value or any value, and now and then a stray name."""
    chosen: dict[str, Any] = {}
    for name in rng.sample(names, rng.randint(0, len(names))):
        chosen[name] = sensible(name, rng, world, repo) if rng.random() < 0.7 else value(rng, world, repo)
    if rng.random() < 0.1:
        chosen[random_text(rng, 8)] = value(rng, world, repo)
    return chosen
