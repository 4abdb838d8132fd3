"""Training data sources: what a recipe may name, how each is pinned, and reading one into pairs.

Kinds (``[[source]]`` tables of a recipe):

- ``jsonl``: a CodeSearchNet or ``codesearch extract --pairs`` file (``.jsonl`` / ``.jsonl.gz``),
  pinned by ``sha256``. A record from a held-out repository makes the source an error, unless
  ``drop_blocked = true`` (needed for the full CodeSearchNet corpus), which drops and counts it.
- ``dir``: a local folder or git repository, mined through the extractor; ``rev`` pins the commit
  when the folder is a git repository, ``sha256`` pins the mined pairs of any folder (the digest a
  run reports for the source).
- ``git``: a git ``url`` cloned at commit ``rev`` into the cache.
- ``manifest``: a ``bench/corpora.toml``-format list of packages pinned by version, fetched with
  ``bench/fetch_corpora.py --manifest FILE --cache-dir DIR``; each package is its own repository, or,
  with ``repo_names = "upstream"``, packages of one upstream repository (a monorepo's packages, one
  project's several Debian packages) are one repository for the per-repository cap and the split.

A source whose name, path, URL or package (or package's upstream) is held out raises DataError.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

from codesearch.encoder.runtime import physical_core_count
from codesearch.errors import DataError
from codesearch.evaluation.blocklist import Blocklist
from codesearch.evaluation.corpora import blocked_packages, load_manifest, package_sources
from codesearch.evaluation.pairs import BadLine, Pair, read_pair_file
from codesearch.parsing.languages import get_language
from training.mining import MinedTree, clone_repository, git_revision, mine_tree, repo_name_from_url

SOURCE_KINDS = ("jsonl", "dir", "git", "manifest")
REPO_NAMES = ("package", "upstream")
_REQUIRED_FIELDS = {"jsonl": ("path",), "dir": ("path",), "git": ("url", "rev"), "manifest": ("path",)}


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """One ``[[source]]`` of a recipe. Paths are absolute once the recipe is loaded."""

    kind: str
    path: str = ""  # jsonl file, folder or manifest
    url: str = ""  # git
    rev: str = ""  # git commit: required for git, checked for a dir when given
    name: str = ""  # repository name (dir, git) or label (jsonl); default from the path or URL
    sha256: str = ""  # jsonl: the file's digest; dir: the digest of the mined pairs
    languages: tuple[str, ...] = ()  # dir, git: only these languages (default all)
    drop_blocked: bool = False  # jsonl: drop records of held-out repositories instead of failing
    cache_dir: str = ""  # manifest: where the packages were fetched; git: where clones go
    repo_names: str = "package"  # manifest: name each pair's repository after its package or its upstream

    def __post_init__(self) -> None:
        if self.kind not in SOURCE_KINDS:
            raise DataError(f"source kind must be one of {', '.join(SOURCE_KINDS)}, got {self.kind!r}")
        if self.repo_names not in REPO_NAMES:
            raise DataError(f"repo_names must be one of {', '.join(REPO_NAMES)}, got {self.repo_names!r}")
        needs = _REQUIRED_FIELDS[self.kind]
        missing = [field for field in needs if not getattr(self, field)]
        if missing:
            raise DataError(f"{self.kind} source needs {', '.join(missing)}")

    @property
    def label(self) -> str:
        """How reports name this source."""
        return f"{self.kind}:{self.name or self.url or self.path}"


@dataclass(frozen=True, slots=True)
class SourcePairs:
    """What one source gave."""

    label: str
    pin: str  # file sha256, git commit, or the manifest's name==version list digest
    pairs: tuple[Pair, ...]
    bad_lines: tuple[BadLine, ...]
    skipped: tuple[tuple[str, int], ...]  # (reason, count)


def read_source(spec: SourceSpec, blocklist: Blocklist, default_cache: Path) -> SourcePairs:
    """Read or mine one source; raises DataError for held-out or unpinned-as-promised sources."""
    for name in (spec.name, spec.url, Path(spec.path).name if spec.path else ""):
        entry = held_out_entry(blocklist, name) if name else None
        if entry is not None:
            raise DataError(f"source {spec.label} is held out for evaluation (blocklist entry {entry!r})")
    if spec.kind == "jsonl":
        return _read_jsonl(spec, blocklist)
    if spec.kind == "manifest":
        return _read_manifest(spec, blocklist, default_cache)
    if spec.kind == "git":
        root = clone_repository(spec.url, spec.rev, Path(spec.cache_dir) if spec.cache_dir else default_cache)
        return _mine(spec, root, spec.name or repo_name_from_url(spec.url), blocklist)
    root = Path(spec.path)
    revision = git_revision(root)
    if spec.rev and not revision.startswith(spec.rev):
        found = revision or "no commit"
        raise DataError(f"source {spec.label}: pinned to {spec.rev} but {root} is at {found}")
    return _mine(spec, root, spec.name or root.resolve().name, blocklist)


def held_out_entry(blocklist: Blocklist, name: str) -> str | None:
    """The blocklist entry ``name`` matches, also by its last part (``psf/requests`` is ``requests``)."""
    return blocklist.blocked_entry(name) or blocklist.blocked_entry(name.rstrip("/").rsplit("/", 1)[-1])


def _mine(spec: SourceSpec, root: Path, repo: str, blocklist: Blocklist) -> SourcePairs:
    languages = frozenset(get_language(name).name for name in spec.languages) or None
    tree = mine_tree(root, repo, blocklist, languages)
    digest = pairs_digest(tree.pairs)
    if spec.sha256 and digest != spec.sha256.lower():
        raise DataError(f"source {spec.label}: its pairs digest is {digest}, the recipe pins {spec.sha256}")
    return SourcePairs(spec.label, tree.revision or digest, tree.pairs, (), tree.skipped)


def pairs_digest(pairs: tuple[Pair, ...]) -> str:
    """sha256 over every field of every pair, in order: equal digests, equal pairs."""
    digest = hashlib.sha256()
    for pair in pairs:
        fields = (pair.repo, pair.path, pair.name, pair.language, pair.query, pair.code)
        digest.update("\0".join(fields).encode("utf-8") + b"\1")
    return digest.hexdigest()


def _read_jsonl(spec: SourceSpec, blocklist: Blocklist) -> SourcePairs:
    path = Path(spec.path)
    digest = _file_sha256(path)
    if spec.sha256 and digest != spec.sha256.lower():
        raise DataError(f"source {spec.label}: sha256 is {digest}, the recipe pins {spec.sha256}")
    found = read_pair_file(path)
    default_repo = spec.name or path.name.split(".")[0]
    pairs = [pair if pair.repo else dataclasses.replace(pair, repo=default_repo) for pair in found.pairs]
    blocked = Counter(pair.repo for pair in pairs if held_out_entry(blocklist, pair.repo) is not None)
    if blocked and not spec.drop_blocked:
        names = ", ".join(sorted(blocked)[:10])
        raise DataError(
            f"source {spec.label} holds records of held-out repositories ({names}); remove them, or set "
            "drop_blocked = true on the source to drop them"
        )
    kept = tuple(pair for pair in pairs if pair.repo not in blocked)
    skipped = Counter(dict(found.skipped))
    if blocked:
        skipped["blocked_repository"] = sum(blocked.values())
    return SourcePairs(spec.label, digest, kept, found.bad_lines, tuple(sorted(skipped.items())))


def _read_manifest(spec: SourceSpec, blocklist: Blocklist, default_cache: Path) -> SourcePairs:
    packages = load_manifest(Path(spec.path))
    refused = blocked_packages(packages, blocklist)
    if refused:
        raise DataError(f"source {spec.label} lists held-out packages: {'; '.join(refused)}")
    cache = Path(spec.cache_dir) if spec.cache_dir else default_cache
    jobs = [
        (source.root, package.upstream if spec.repo_names == "upstream" else package.name, package.language)
        for package, source in zip(packages, package_sources(packages, cache), strict=True)
    ]
    pairs: list[Pair] = []
    skipped: Counter[str] = Counter()
    # Parsing is the cost (hundreds of thousands of files); packages are independent, so they are mined
    # one per core. map() keeps the manifest's order, so the pairs do not depend on the worker count.
    workers = min(physical_core_count(), len(jobs))
    with ProcessPoolExecutor(workers) if workers > 1 else nullcontext() as pool:
        mapper = pool.map if pool is not None else map
        for tree in mapper(_mine_package, jobs, repeat(blocklist)):
            pairs.extend(tree.pairs)
            skipped.update(dict(tree.skipped))
    pins = "\n".join(sorted(f"{package.name}=={package.version}" for package in packages))
    pin = hashlib.sha256(pins.encode("utf-8")).hexdigest()
    return SourcePairs(spec.label, pin, tuple(pairs), (), tuple(sorted(skipped.items())))


def _mine_package(job: tuple[Path, str, str], blocklist: Blocklist) -> MinedTree:
    root, repo, language = job
    return mine_tree(root, repo, blocklist, frozenset({language}))


def _file_sha256(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        raise DataError(f"cannot read source file {path}: {exc}") from exc
