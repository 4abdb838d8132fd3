"""Loading a bench/ script as a module, for tests of its model-free and network-free parts."""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType

REPO_ROOT = Path(__file__).resolve().parents[2]


def load_bench_script(name: str) -> ModuleType:
    """``bench/<name>.py`` as the module ``bench.<name>`` (its ``main`` is not run)."""
    return importlib.import_module(f"bench.{name}")
