"""Which paths a repository leaves out: built-in skip folders and the pattern files git and ripgrep read.

The pattern files are ``.gitignore`` and ``.ignore`` in any folder, and ``.git/info/exclude``.

pathspec's ``GitIgnoreSpec`` compiles and matches the patterns (git's wildmatch, negation, ``dir/``
and anchoring rules); this module decides which pattern files apply to a path and in what order,
following git: a pattern file in a folder applies to paths below it, relative to that folder;
deeper files override shallower ones; ``.git/info/exclude`` ranks below every ``.gitignore``; and
nothing below an excluded folder can be re-included. A folder's ``.ignore`` (ripgrep's convention)
overrides its ``.gitignore``.

Pattern files come with the checkout, so they are read as ``codesearch.repository_files`` reads
any file a repository holds: regular files only, no link followed (git does not follow a linked
``.gitignore`` either), at most ``MAX_PATTERN_FILE_BYTES``. One that is not is left out, and said so.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from pathspec import GitIgnoreSpec

from codesearch.errors import SourceFileError
from codesearch.repository_files import VANISHED, read_repository_file

logger = logging.getLogger(__name__)

METADATA_DIR = "metadata_dir"
VENDORED = "vendored"
IGNORED = "ignored"

METADATA_DIR_NAMES = frozenset({".git", ".hg", ".svn", ".codesearch"})
VENDORED_DIR_NAMES = frozenset(
    {"node_modules", "vendor", "third_party", "bower_components", ".venv", "venv", "site-packages",
     "__pycache__"}
)
IGNORE_FILE_NAMES = (".gitignore", ".ignore")  # lowest precedence first
# Real pattern files stay far below this (GitHub's own templates: under 10 KB); pathspec matches
# every path against every pattern, so a larger one would cost more than it could be worth.
MAX_PATTERN_FILE_BYTES = 1 << 20
_MAX_GIT_POINTER_BYTES = 1 << 16  # a worktree's `.git` file and its `commondir`: one line each

# The pattern files that apply inside one folder, highest precedence first, each as
# (strip, prepend, spec): the spec sees a root-relative path as `prepend + path[strip:]`, that is,
# relative to the folder holding the pattern file. Files below the root strip their folder's
# prefix; files in folders above the root (when the root is a subfolder of a repository) prepend
# the root's path relative to theirs.
IgnoreChain = tuple[tuple[int, str, GitIgnoreSpec], ...]


def builtin_dir_reason(name: str) -> str | None:
    """METADATA_DIR or VENDORED when a folder of this name is always skipped, else None."""
    if name in METADATA_DIR_NAMES:
        return METADATA_DIR
    if name in VENDORED_DIR_NAMES:
        return VENDORED
    return None


def chain_ignores(chain: IgnoreChain, rel_path: str, is_dir: bool) -> bool:
    """Whether the patterns in ``chain`` exclude ``rel_path`` itself (its parents are not checked)."""
    for strip, prepend, spec in chain:
        local = prepend + rel_path[strip:] + "/" if is_dir else prepend + rel_path[strip:]
        # separators=(): paths here are already POSIX, and skipping normalisation is measurably faster.
        verdict = spec.check_file(local, separators=()).include
        if verdict is not None:
            return verdict
    return False


def extend_chain(chain: IgnoreChain, prefix: str, specs: tuple[GitIgnoreSpec, ...]) -> IgnoreChain:
    """The chain inside folder ``prefix`` ("" or "a/b/") given its pattern files ``specs``, lowest first."""
    return tuple((len(prefix), "", spec) for spec in reversed(specs)) + chain


def enclosing_chain(root: str) -> IgnoreChain:
    """The pattern files of the folders between the enclosing repository's root and ``root``.

    Empty when ``root`` is itself a repository root, lies in no repository, or is a folder that
    repository leaves out: a user who points at an ignored folder (a build tree, an installed
    Python inside a pyenv checkout) wants its contents, not nothing. ``root``'s own pattern files
    are not included: walks read them when they list ``root``.
    """
    folder_path = Path(os.path.abspath(root))
    repo_root = find_repo_root(folder_path)
    if repo_root == folder_path or not folder_path.is_relative_to(repo_root):
        return ()
    # parents run innermost first; reversed, the repository root comes first.
    folders = [folder for folder in reversed(folder_path.parents) if folder.is_relative_to(repo_root)]
    specs_by_folder: dict[str, tuple[GitIgnoreSpec, ...]] = {}
    for folder in folders:
        names = {name for name in (".git", *IGNORE_FILE_NAMES) if os.path.lexists(folder / name)}
        specs = read_ignore_specs(os.fspath(folder), os.fspath(folder), names, is_root=folder == repo_root).logged()
        if specs:
            specs_by_folder[_folder_prefix(folder, repo_root)] = specs
    if IgnoreRules(specs_by_folder).is_ignored(folder_path.relative_to(repo_root).as_posix(), is_dir=True):
        return ()
    chain: IgnoreChain = ()
    for folder in folders:  # outermost first, so deeper pattern files end up ahead
        specs = specs_by_folder.get(_folder_prefix(folder, repo_root), ())
        prepend = folder_path.relative_to(folder).as_posix() + "/"
        chain = tuple((0, prepend, spec) for spec in reversed(specs)) + chain
    return chain


def _folder_prefix(folder: Path, repo_root: Path) -> str:
    return "" if folder == repo_root else folder.relative_to(repo_root).as_posix() + "/"


def find_repo_root(start: Path) -> Path:
    """The nearest folder at or above ``start`` holding ``.git`` (folder or file) or ``.codesearch``.

    Returns ``start`` itself, made absolute, when no such folder exists.
    """
    start = Path(start).absolute()
    try:
        folder = start.parent if start.is_file() else start
    except OSError:  # a name too long for the system, a folder that may not be searched: as if missing
        folder = start
    for candidate in (folder, *folder.parents):
        try:
            if (candidate / ".git").exists() or (candidate / ".codesearch").is_dir():
                return candidate
        except OSError:
            continue
    return start


class PatternFiles(NamedTuple):
    """The compiled pattern files of one folder, and those that could not be read."""

    specs: tuple[GitIgnoreSpec, ...]  # lowest precedence first
    unread: tuple[tuple[str, SourceFileError], ...]  # (path, why): a link, not a regular file, too large

    def logged(self) -> tuple[GitIgnoreSpec, ...]:
        """The specs, after a warning for each file left out (for callers that count no skips)."""
        for path, error in self.unread:
            logger.warning("pattern file %s left out: %s", path, error.detail)
        return self.specs


def read_ignore_specs(root: str, abs_dir: str, names: Collection[str], *, is_root: bool) -> PatternFiles:
    """Compile the pattern files of the folder ``abs_dir`` whose entries are ``names``, lowest first.

    ``abs_dir`` lies inside ``root``, and the files are read beneath ``root`` without following a
    link. At the root, ``.git/info/exclude`` comes first (a linked worktree's lies in the git folder
    its ``.git`` file names). A missing file is no pattern file; any other failure is in ``unread``.
    """
    places: list[tuple[str, str]] = []  # (folder read beneath, path)
    if is_root and ".git" in names:
        places.extend(_info_exclude_place(root, abs_dir))
    places.extend((root, os.path.join(abs_dir, name)) for name in IGNORE_FILE_NAMES if name in names)
    specs: list[GitIgnoreSpec] = []
    unread: list[tuple[str, SourceFileError]] = []
    for folder, path in places:
        try:
            spec = _compile(path, read_repository_file(folder, path, MAX_PATTERN_FILE_BYTES))
        except SourceFileError as exc:
            if exc.reason != VANISHED:
                unread.append((path, exc))
            continue
        if spec is not None:
            specs.append(spec)
    return PatternFiles(tuple(specs), tuple(unread))


@dataclass(frozen=True, slots=True)
class IgnoreRules:
    """The compiled pattern files of one repository, by folder. Pure data: share it between threads.

    Attributes:
        specs_by_folder: folder prefix ("" or "a/b/") -> its specs, lowest precedence first.
        enclosing: the pattern files above the root, when the root is a repository's subfolder.
    """

    specs_by_folder: Mapping[str, tuple[GitIgnoreSpec, ...]]
    enclosing: IgnoreChain = ()

    def reason_for(self, rel_path: str, is_dir: bool) -> str | None:
        """METADATA_DIR, VENDORED or IGNORED when ``rel_path`` or a folder above it is left out, else None.

        ``rel_path`` is a repo-relative POSIX path such as ``"src/app/main.py"``.
        """
        parts = [part for part in rel_path.split("/") if part not in ("", ".")]
        chain = self.enclosing
        prefix = ""
        for index, name in enumerate(parts):
            part_is_dir = is_dir or index < len(parts) - 1
            chain = extend_chain(chain, prefix, self.specs_by_folder.get(prefix, ()))
            reason = builtin_dir_reason(name) if part_is_dir else None
            if reason is not None:
                return reason
            if chain_ignores(chain, prefix + name, part_is_dir):
                return IGNORED
            prefix = f"{prefix}{name}/"
        return None

    def is_ignored(self, rel_path: str, is_dir: bool) -> bool:
        """Whether ``rel_path`` is left out, by a built-in folder name or by a pattern file."""
        return self.reason_for(rel_path, is_dir) is not None


def load_ignore_rules(root: Path) -> IgnoreRules:
    """Read every pattern file under ``root`` that git would read.

    Walks folders only, without following symlinks (as git does) and without entering built-in skip
    folders or excluded folders, so a rebuild after a ``.gitignore`` edit costs one folder walk.
    """
    root_dir = os.path.abspath(root)
    enclosing = enclosing_chain(root_dir)
    specs_by_folder: dict[str, tuple[GitIgnoreSpec, ...]] = {}
    pending: list[tuple[str, str, IgnoreChain]] = [(root_dir, "", enclosing)]
    while pending:
        abs_dir, prefix, chain = pending.pop()
        try:
            with os.scandir(abs_dir) as scan:
                entries = list(scan)
        except OSError as exc:
            logger.debug("cannot list %s: %s", abs_dir, exc)
            continue
        names = {entry.name for entry in entries}
        specs = read_ignore_specs(root_dir, abs_dir, names, is_root=prefix == "").logged()
        if specs:
            specs_by_folder[prefix] = specs
            chain = extend_chain(chain, prefix, specs)
        for entry in entries:
            rel = prefix + entry.name
            if not entry.is_dir(follow_symlinks=False) or builtin_dir_reason(entry.name) is not None:
                continue
            if not chain_ignores(chain, rel, is_dir=True):
                pending.append((entry.path, rel + "/", chain))
    return IgnoreRules(MappingProxyType(specs_by_folder), enclosing)


def _compile(path: str, data: bytes) -> GitIgnoreSpec | None:
    lines = data.decode("utf-8", errors="replace").splitlines()
    try:
        spec = GitIgnoreSpec.from_lines(lines)
    except ValueError:  # pathspec refuses a pattern git just ignores ("!", "\\"): drop only those
        kept = [line for line in lines if _compiles(line)]
        logger.warning("%s: ignoring %d invalid pattern(s)", path, len(lines) - len(kept))
        spec = GitIgnoreSpec.from_lines(kept)
    # Comments and blank lines compile to patterns that never match; drop files made only of them.
    return spec if any(pattern.include is not None for pattern in spec.patterns) else None


def _compiles(line: str) -> bool:
    try:
        GitIgnoreSpec.from_lines([line])
    except ValueError:
        return False
    return True


def _info_exclude_place(root: str, abs_dir: str) -> list[tuple[str, str]]:
    """Where ``info/exclude`` of the repository at ``abs_dir`` is, as (folder read beneath, path).

    ``.git`` may be a folder or a linked worktree's file naming its git folder, which shares
    ``info/exclude`` with the main repository through its ``commondir`` file. The git folder a
    ``.git`` file names is outside the repository: it is read beneath that folder, links not followed.
    """
    dot_git = os.path.join(abs_dir, ".git")
    if os.path.isdir(dot_git):
        if os.path.islink(dot_git):  # a link to the git folder (as Android's `repo` makes)
            git_dir = os.path.realpath(dot_git)
            return [(git_dir, os.path.join(git_dir, "info", "exclude"))]
        return [(root, os.path.join(dot_git, "info", "exclude"))]
    try:
        first_line = _first_line(root, dot_git)
    except SourceFileError:
        return []
    if not first_line.startswith("gitdir:"):
        return []
    git_dir = os.path.normpath(os.path.join(abs_dir, first_line.removeprefix("gitdir:").strip()))
    try:
        common = _first_line(git_dir, os.path.join(git_dir, "commondir"))
    except SourceFileError:
        common = ""
    git_dir = os.path.normpath(os.path.join(git_dir, common)) if common else git_dir
    return [(git_dir, os.path.join(git_dir, "info", "exclude"))]


def _first_line(folder: str, path: str) -> str:
    data = read_repository_file(folder, path, _MAX_GIT_POINTER_BYTES)
    lines = data.decode("utf-8", errors="replace").splitlines()
    return lines[0].strip() if lines else ""
