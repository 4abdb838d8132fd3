"""The import rules of docs/architecture.md, checked by walking every import of the package with ast.

A lower layer never imports a higher one, peers never import each other, nothing but the entry
points imports the CLI, and the warm ``ask`` path stays free of click, torch and transformers.
Imports inside functions and under ``TYPE_CHECKING`` count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGE = REPO_ROOT / "codesearch"
ARCHITECTURE = REPO_ROOT / "docs" / "architecture.md"

# Each layer's rank, bottom to top: a module imports its own package and lower ranks only.
# Packages of one rank are peers and never import each other.
LAYERS: dict[str, int] = {
    "vocabulary": 0,
    "parsing": 1,
    "encoder": 1,
    "index": 2,
    "indexer": 3,
    "search": 3,
    "server": 4,
    "lsp": 5,
    "distributed": 5,
    "evaluation": 5,
    "cli": 6,
    "__main__": 7,
}
VOCABULARY = {"records", "errors", "config", "crash_points", "repository_files"}
# `codesearch train` and `codesearch eval` run the optional training package, lazily.
MAY_IMPORT_TRAINING = {"codesearch.cli.commands"}
WARM_PATH_ROOTS = ("codesearch.cli.entry", "codesearch.cli.warm_ask")
NOT_ON_WARM_PATH = ("click", "rich", "torch", "transformers")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_sources() -> dict[str, str]:
    """Every module of the package by dotted name, with its source."""
    return {module_name(path): path.read_text(encoding="utf-8") for path in sorted(PACKAGE.rglob("*.py"))}


def imports_of(source: str, *, top_level_only: bool = False) -> Iterator[str]:
    """Every module ``source`` imports (``from a import b`` yields both ``a`` and ``a.b``)."""
    tree = ast.parse(source)
    for node in tree.body if top_level_only else ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1 or parts[1] in VOCABULARY:
        return "vocabulary"
    return parts[1] if parts[1] in LAYERS else "unplaced"


def layer_violations(sources: Mapping[str, str]) -> Iterator[str]:
    for name, source in sources.items():
        own = layer_of(name)
        for target in sorted(set(imports_of(source))):
            if target.split(".")[0] == "training" and name not in MAY_IMPORT_TRAINING:
                yield f"{name} imports {target}: codesearch never imports training/"
            if target not in sources:  # not a module of ours (or `from a import b`, b a name: checked as a)
                continue
            other = layer_of(target)
            if other == own:
                continue
            if LAYERS[other] > LAYERS[own]:
                yield f"{name} ({own}) imports {target} ({other}): a lower layer imports a higher one"
            elif LAYERS[other] == LAYERS[own]:
                yield f"{name} ({own}) imports {target} ({other}): peers never import each other"


def test_every_module_belongs_to_a_layer() -> None:
    unplaced = [name for name in package_sources() if layer_of(name) == "unplaced"]
    assert unplaced == [], f"put these in a layer package and add it to docs/architecture.md: {unplaced}"


def test_the_root_holds_only_the_vocabulary_and_main() -> None:
    loose = {path.stem for path in PACKAGE.glob("*.py")} - VOCABULARY - {"__init__", "__main__"}
    assert loose == set(), f"loose modules at the root belong in a layer package: {sorted(loose)}"


def test_no_layer_imports_a_higher_one_or_a_peer() -> None:
    assert list(layer_violations(package_sources())) == []


def test_an_upward_or_sideways_import_is_reported() -> None:
    """The walk is not vacuous: planted imports of a higher layer and of a peer are both caught."""
    sources = package_sources()
    sources["codesearch.index.atomic"] += "\nfrom codesearch.search.searcher import Searcher\n"
    sources["codesearch.parsing.gaps"] += "\ndef f():\n    import codesearch.encoder.pooling\n"
    sources["codesearch.search.similar"] += "\nfrom codesearch.indexer.updates import update_paths\n"
    sources["codesearch.index.meta"] += "\nfrom training.config import TrainConfig\n"
    found = "\n".join(layer_violations(sources))
    assert "codesearch.index.atomic (index) imports codesearch.search.searcher (search): a lower" in found
    assert "codesearch.parsing.gaps (parsing) imports codesearch.encoder.pooling (encoder): peers" in found
    assert "codesearch.search.similar (search) imports codesearch.indexer.updates (indexer): peers" in found
    assert "codesearch.index.meta imports training.config" in found


def test_only_the_entry_points_import_the_cli() -> None:
    importers = {
        name
        for name, source in package_sources().items()
        if layer_of(name) not in ("cli", "__main__")
        and any(target.split(".")[:2] == ["codesearch", "cli"] for target in imports_of(source))
    }
    assert importers == set()


def test_the_library_never_imports_click_rich_or_tqdm() -> None:
    importers = {
        name
        for name, source in package_sources().items()
        if layer_of(name) != "cli" and any(t.split(".")[0] in ("click", "rich", "tqdm") for t in imports_of(source))
    }
    assert importers == set()


def warm_path_imports(sources: Mapping[str, str]) -> dict[str, str]:
    """Every module the warm ask path loads, each with the module that brings it in.

    The roots' lazy imports run on the warm path (that is how it stays small), so they count; below
    them, module-level imports are what loading runs. ``entry`` falls back to the click CLI
    (``cli.commands``) when no server can answer: that fallback is the cold path, not this one.
    """
    reached: dict[str, str] = {}
    stack = [(root, "") for root in WARM_PATH_ROOTS]
    while stack:
        name, parent = stack.pop()
        if name in reached or name == "codesearch.cli.commands":
            continue
        reached[name] = parent
        if "." in name:  # importing a.b runs a/__init__.py first
            stack.append((name.rsplit(".", 1)[0], name))
        if name in sources:
            lazy_too = name in WARM_PATH_ROOTS
            stack += [(target, name) for target in imports_of(sources[name], top_level_only=not lazy_too)]
    return reached


@pytest.mark.parametrize("heavy", NOT_ON_WARM_PATH)
def test_the_warm_ask_path_never_imports(heavy: str) -> None:
    reached = warm_path_imports(package_sources())
    assert "codesearch.server.client" in reached  # the walk reaches what the warm path really uses
    bringers = sorted({parent for name, parent in reached.items() if name.split(".")[0] == heavy})
    assert bringers == [], f"{heavy} is imported on the warm ask path by {bringers}"


def test_the_rules_are_the_documented_ones() -> None:
    """docs/architecture.md names every layer package this test knows, so the two cannot drift."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    assert "## Import rules" in text
    missing = [layer for layer in LAYERS if layer not in ("vocabulary", "__main__") and f"{layer}/" not in text]
    assert missing == []


def test_a_heavy_import_on_the_warm_path_is_reported() -> None:
    sources = package_sources()
    sources["codesearch.cli.summaries"] += "\nimport torch\n"  # warm_ask imports it lazily
    reached = warm_path_imports(sources)
    assert reached["torch"] == "codesearch.cli.summaries"
