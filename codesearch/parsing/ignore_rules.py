"""Which paths a repository leaves out: built-in skip folders and the pattern files git and ripgrep read.

The pattern files are ``.gitignore`` and ``.ignore`` in any folder, and ``.git/info/exclude``.

pathspec's ``GitIgnoreSpec`` compiles and matches the patterns (git's wildmatch, negation, ``dir/``
and anchoring rules); this module decides which pattern files apply to a path and in what order,
following git: a pattern file in a folder applies to paths below it, relative to that folder;
deeper files override shallower ones; ``.git/info/exclude`` ranks below every ``.gitignore``; and
nothing below an excluded folder can be re-included. A folder's ``.ignore`` (ripgrep's convention)
overrides its ``.gitignore``.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from pathspec import GitIgnoreSpec

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
        specs = read_ignore_specs(os.fspath(folder), names, is_root=folder == repo_root)
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


def read_ignore_specs(abs_dir: str, names: Collection[str], *, is_root: bool) -> tuple[GitIgnoreSpec, ...]:
    """Compile the pattern files of the folder ``abs_dir`` whose entries are ``names``, lowest first.

    At the root, ``.git/info/exclude`` comes first. Unreadable pattern files are logged and skipped.
    """
    paths: list[str] = []
    if is_root and ".git" in names:
        exclude_path = _info_exclude_path(abs_dir)
        if exclude_path is not None:
            paths.append(exclude_path)
    paths.extend(os.path.join(abs_dir, name) for name in IGNORE_FILE_NAMES if name in names)
    specs = (_compile(path) for path in paths)
    return tuple(spec for spec in specs if spec is not None)


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
    enclosing = enclosing_chain(os.fspath(root))
    specs_by_folder: dict[str, tuple[GitIgnoreSpec, ...]] = {}
    pending: list[tuple[str, str, IgnoreChain]] = [(os.fspath(root), "", enclosing)]
    while pending:
        abs_dir, prefix, chain = pending.pop()
        try:
            with os.scandir(abs_dir) as scan:
                entries = list(scan)
        except OSError as exc:
            logger.debug("cannot list %s: %s", abs_dir, exc)
            continue
        specs = read_ignore_specs(abs_dir, {entry.name for entry in entries}, is_root=prefix == "")
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


def _compile(path: str) -> GitIgnoreSpec | None:
    try:
        with open(path, "rb") as handle:
            text = handle.read().decode("utf-8", errors="replace")
    except OSError as exc:
        if not isinstance(exc, FileNotFoundError):
            logger.warning("ignoring unreadable pattern file %s: %s", path, exc)
        return None
    lines = text.splitlines()
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


def _info_exclude_path(root: str) -> str | None:
    """``info/exclude`` of the repository at ``root``; ``.git`` may be a folder or a worktree's link file."""
    dot_git = os.path.join(root, ".git")
    if os.path.isdir(dot_git):
        return os.path.join(dot_git, "info", "exclude")
    try:
        with open(dot_git, encoding="utf-8", errors="replace") as handle:
            first_line = handle.readline().strip()
    except OSError:
        return None
    if not first_line.startswith("gitdir:"):
        return None
    git_dir = os.path.join(root, first_line.removeprefix("gitdir:").strip())
    # Linked worktrees share info/exclude with the main repository, named by their `commondir` file.
    try:
        with open(os.path.join(git_dir, "commondir"), encoding="utf-8", errors="replace") as handle:
            git_dir = os.path.join(git_dir, handle.read().strip())
    except OSError:
        pass
    return os.path.join(git_dir, "info", "exclude")
