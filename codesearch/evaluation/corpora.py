"""The mining manifest and its download cache: which pinned packages to mine, and where they lie.

The manifest (``bench/corpora.toml``) lists ``[[package]]`` tables with ``name``, ``version``,
``language``, ``source`` (pypi, npm, apt, apt-source), ``upstream`` and an optional ``subdir``.
``bench/fetch_corpora.py`` downloads each into ``<cache>/<language>/<name>-<version>/tree`` and
writes a ``.complete`` marker last, so a folder with the marker is whole.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from codesearch.config import user_cache_dir
from codesearch.errors import CodesearchError, DataError
from codesearch.evaluation.blocklist import Blocklist
from codesearch.evaluation.records import CorpusPackage, PackageSource
from codesearch.parsing.languages import get_language

SOURCES = ("pypi", "npm", "apt", "apt-source")
COMPLETE_MARKER = ".complete"
TREE_DIR = "tree"
_REQUIRED = ("name", "version", "language", "source", "upstream")
_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")


def default_corpora_dir(environ: Mapping[str, str] | None = None) -> Path:
    """``<user cache>/corpora`` (``~/.cache/codesearch/corpora`` by default)."""
    return user_cache_dir(environ) / "corpora"


def parse_manifest(text: str, origin: str = "manifest") -> tuple[CorpusPackage, ...]:
    """The packages listed in a manifest's text; raises DataError for a malformed entry."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"{origin}: {exc}") from exc
    tables = data.get("package", [])
    if not isinstance(tables, list) or not tables:
        raise DataError(f"{origin}: expected one or more [[package]] tables")
    packages = tuple(_package(table, origin) for table in tables)
    names = [package.name.lower() for package in packages]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise DataError(f"{origin}: packages listed twice: {', '.join(duplicates)}")
    return packages


def _package(table: Any, origin: str) -> CorpusPackage:
    if not isinstance(table, dict):
        raise DataError(f"{origin}: a [[package]] entry is not a table")
    label = f"{origin}: package {table.get('name', '?')!r}"
    missing = [key for key in _REQUIRED if not isinstance(table.get(key), str) or not table[key].strip()]
    if missing:
        raise DataError(f"{label}: missing or empty {', '.join(missing)}")
    unknown = sorted(set(table) - {*_REQUIRED, "subdir"})
    if unknown:
        raise DataError(f"{label}: unknown key(s) {', '.join(unknown)}")
    if table["source"] not in SOURCES:
        raise DataError(f"{label}: source must be one of {', '.join(SOURCES)}")
    try:
        language = get_language(table["language"]).name
    except CodesearchError as exc:
        raise DataError(f"{label}: {exc}") from exc
    subdir = str(table.get("subdir", "")).strip("/")
    if ".." in Path(subdir).parts:
        raise DataError(f"{label}: subdir must stay inside the package")
    return CorpusPackage(
        name=table["name"], version=table["version"], language=language, source=table["source"],
        upstream=table["upstream"], subdir=subdir,
    )


def load_manifest(path: Path) -> tuple[CorpusPackage, ...]:
    """Read and check the manifest at ``path``."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read the corpus manifest {path}: {exc}") from exc
    return parse_manifest(text, str(path))


def blocked_packages(packages: Sequence[CorpusPackage], blocklist: Blocklist) -> list[str]:
    """A line for each package whose name or upstream repository is on the blocklist."""
    found = []
    for package in packages:
        for name in (package.name, package.upstream):
            entry = blocklist.blocked_entry(name)
            if entry is not None:
                found.append(f"{package.name} ({name} matches blocklist entry {entry!r})")
                break
    return found


def package_dir(cache_dir: Path, package: CorpusPackage) -> Path:
    """The cache folder of one package version: ``<cache>/<language>/<name>-<version>``."""
    slug = _UNSAFE.sub("-", f"{package.name.lstrip('@')}-{package.version}")
    return cache_dir / package.language / slug


def source_root(cache_dir: Path, package: CorpusPackage) -> Path:
    """The folder whose files are mined: the unpacked tree, narrowed to ``subdir``."""
    tree = package_dir(cache_dir, package) / TREE_DIR
    return tree / package.subdir if package.subdir else tree


def is_fetched(cache_dir: Path, package: CorpusPackage) -> bool:
    """Whether the package was downloaded and unpacked completely."""
    return (package_dir(cache_dir, package) / COMPLETE_MARKER).is_file()


def package_sources(packages: Sequence[CorpusPackage], cache_dir: Path) -> list[PackageSource]:
    """The fetched source folders of ``packages``; raises DataError naming any not yet fetched."""
    missing = [package.name for package in packages if not is_fetched(cache_dir, package)]
    if missing:
        raise DataError(
            f"corpora not fetched into {cache_dir}: {', '.join(missing)} (run bench/fetch_corpora.py)"
        )
    return [
        PackageSource(package.name, package.language, source_root(cache_dir, package)) for package in packages
    ]
