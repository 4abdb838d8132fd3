"""Mining (docstring, code) pairs from source trees through codesearch's extractor.

A tree is a local folder, a git repository (its HEAD commit is recorded), or a clone of a git URL
at a pinned commit. Discovery is the one ``codesearch index`` uses (ignore files, vendored and
generated files skipped); a chunk becomes a pair when ``codesearch.parsing.pairs.is_training_pair``
accepts it, and its code loses the docstrings of nested definitions too. Files under a folder
named like a held-out project (a vendored copy) are skipped.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from codesearch.errors import CodesearchError, DataError
from codesearch.evaluation.blocklist import Blocklist
from codesearch.evaluation.mined import remove_nested_docstrings
from codesearch.evaluation.pairs import Pair, make_pair
from codesearch.parsing.discovery import discover_files, read_source
from codesearch.parsing.extract import extract_chunks
from codesearch.parsing.languages import get_language
from codesearch.parsing.pairs import is_training_pair
from codesearch.records import Chunk

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 512 * 1024  # larger files are generated or bundled code
_COMMIT = re.compile(r"^[0-9a-f]{7,40}$")


@dataclass(frozen=True, slots=True)
class MinedTree:
    """The pairs of one source tree and what mining it cost."""

    repo: str
    revision: str  # the git commit mined, "" for a folder that is not a git repository
    pairs: tuple[Pair, ...]
    file_count: int
    skipped: tuple[tuple[str, int], ...]  # (reason, count)


def mine_tree(
    root: Path, repo: str, blocklist: Blocklist, languages: frozenset[str] | None = None
) -> MinedTree:
    """Every training pair in the files under ``root``, recorded as coming from ``repo``."""
    if not root.is_dir():
        raise DataError(f"cannot mine {root}: not a folder")
    found = discover_files(root, max_file_bytes=MAX_FILE_BYTES, languages=languages)
    pairs: list[Pair] = []
    skipped: Counter[str] = Counter()
    for source_file in found.files:
        if blocklist.blocked_path_part(source_file.path) is not None:
            skipped["blocked_folder"] += 1
            continue
        try:
            data = read_source(source_file.absolute_path, MAX_FILE_BYTES, root=source_file.root)
        except (OSError, CodesearchError) as exc:
            logger.warning("%s: cannot read %s: %s", repo, source_file.path, exc)
            skipped["unreadable"] += 1
            continue
        extraction = extract_chunks(source_file.path, data, get_language(source_file.language))
        for chunk in extraction.chunks:
            if not is_training_pair(chunk):
                continue
            result = chunk_pair(chunk, extraction.chunks, repo)
            if isinstance(result, Pair):
                pairs.append(result)
            else:
                skipped[result] += 1
    logger.info("%s: %d pairs from %d files", repo, len(pairs), len(found.files))
    return MinedTree(repo, git_revision(root), tuple(pairs), len(found.files), tuple(sorted(skipped.items())))


def chunk_pair(chunk: Chunk, file_chunks: tuple[Chunk, ...], repo: str) -> Pair | str:
    """The pair of one extracted chunk, with nested definitions' docstrings removed from its code."""
    nested = [
        other.docstring_raw
        for other in file_chunks
        if other is not chunk
        and other.docstring_raw
        and chunk.start_byte <= other.start_byte
        and other.end_byte <= chunk.end_byte
    ]
    code = remove_nested_docstrings(chunk.code_without_docstring, nested)
    return make_pair(chunk.docstring_summary, code, chunk.language, repo, chunk.path, chunk.qualified_name)


def git_revision(root: Path) -> str:
    """The commit checked out at ``root`` when it is the top of a git repository, else ""."""
    if not (root / ".git").exists() or shutil.which("git") is None:
        return ""
    result = subprocess.run(
        ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() if result.returncode == 0 else ""


def repo_name_from_url(url: str) -> str:
    """``owner/name`` from a git URL: ``https://github.com/psf/black.git`` -> ``psf/black``."""
    parts = [part for part in re.split(r"[/:]", url.removesuffix("/").removesuffix(".git")) if part]
    return "/".join(parts[-2:]) if len(parts) >= 2 else (parts[-1] if parts else url)


def clone_repository(url: str, revision: str, cache_dir: Path) -> Path:
    """A checkout of ``url`` at commit ``revision`` under ``cache_dir`` (reused when present).

    Raises:
        DataError: git is missing, the revision is not a commit id, or the fetch fails.
    """
    if not _COMMIT.match(revision):
        raise DataError(f"git source {url}: rev must be a commit id (7-40 hex digits), got {revision!r}")
    if shutil.which("git") is None:
        raise DataError(f"git source {url}: git is not installed")
    key = hashlib.sha256(url.encode("utf-8")).hexdigest()[:12]
    target = cache_dir / "repos" / f"{key}-{revision}"
    if (target / ".git").is_dir() and git_revision(target).startswith(revision):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".clone-", dir=target.parent))
    try:
        _git(scratch, "clone", "--quiet", "--no-checkout", url, ".")
        _git(scratch, "checkout", "--quiet", "--detach", revision)
        if not git_revision(scratch).startswith(revision):
            raise DataError(f"git source {url}: {revision} did not check out")
        shutil.rmtree(target, ignore_errors=True)
        scratch.rename(target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target


def _git(cwd: Path, *args: str) -> None:
    result = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip().splitlines()
        raise DataError(f"git {args[0]} failed: {message[-1] if message else result.returncode}")
