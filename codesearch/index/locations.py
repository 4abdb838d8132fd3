"""Where an index lives: ``<repo>/.codesearch`` found by walking up like git, or ``--index-dir``.

Which repository an index indexes decides what the server watches, indexes and returns, so it is
never read from a file a checkout can carry (docs/threat-model.md). An index in the default place
indexes the folder that holds it, whatever is written inside it: a checkout may commit a
``.codesearch/`` of its own. Only an index kept elsewhere, a place the user names (``--index-dir`` or
``CODESEARCH_INDEX_DIR``; never ``codesearch.toml``), records its repository (file ``repo_root``), and
that record is believed only when the user's own ``codesearch index`` could have written it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from codesearch.errors import ConfigError, IndexNotFoundError

INDEX_DIR_NAME = ".codesearch"
DB_FILE_NAME = "index.sqlite3"
REPO_ROOT_FILE = "repo_root"


def index_dir_for(repo_root: Path, override: str | None) -> Path:
    """The folder that holds (or will hold) the index of ``repo_root``.

    Raises ConfigError for an ``override`` named ``.codesearch`` outside ``repo_root``: a folder of
    that name is always the index of the folder that holds it (``repo_root_of``); and for the
    repository's own folder or a folder above it: the index's ``.gitignore`` of ``*`` would hide every
    file of the repository from its next update (a server asked for that emptied the index it served).
    """
    if not override:
        refuse_linked_index_dir(repo_root / INDEX_DIR_NAME)
        return repo_root / INDEX_DIR_NAME
    folder = Path(override).expanduser().resolve()
    if folder.name == INDEX_DIR_NAME and folder.parent != repo_root.resolve():
        raise ConfigError(
            f"--index-dir {override}: a folder named {INDEX_DIR_NAME} is the index of the folder that holds it, "
            f"not of {repo_root}; give the index another name"
        )
    if repo_root.resolve().is_relative_to(folder):
        raise ConfigError(
            f"--index-dir {override}: the index of {repo_root} cannot be the repository's own folder or a folder "
            "above it; give it a folder of its own"
        )
    return folder


def find_index_dir(start: Path, override: str | None) -> Path:
    """The index for ``start``: ``override``, else the nearest ``.codesearch`` in it or a parent."""
    if override:
        folder = Path(override).expanduser().resolve()
        try:
            if not (folder / DB_FILE_NAME).is_file():
                raise IndexNotFoundError(f"no index in {folder}; run `codesearch index --index-dir {override}` first")
        except OSError as exc:  # a name too long for the system, a folder that may not be searched
            raise IndexNotFoundError(f"cannot look for an index in {folder}: {exc.strerror}") from exc
        return folder
    here = start.resolve()
    for folder in (here, *here.parents):
        candidate = folder / INDEX_DIR_NAME
        try:
            refuse_linked_index_dir(candidate)
            if (candidate / DB_FILE_NAME).is_file():
                return candidate
        except OSError:  # as above: no index to be found there
            continue
    raise IndexNotFoundError(
        f"no index found in {here} or any parent folder; run `codesearch index` at the repository root"
    )


def refuse_linked_index_dir(index_dir: Path) -> None:
    """IndexNotFoundError when ``index_dir`` is a ``.codesearch`` that is a symbolic link.

    A folder of that name is the index of the folder that holds it (``repo_root_of``); a link of that
    name, which a checkout may carry, made another repository's index answer for this one (its code in
    every answer) and this one's updates rewrite it. An index kept elsewhere is named with --index-dir.
    """
    if index_dir.name == INDEX_DIR_NAME and index_dir.is_symlink():
        raise IndexNotFoundError(
            f"{index_dir} is a symbolic link, not an index folder of {index_dir.parent}; remove it "
            "(an index kept elsewhere is named with --index-dir)"
        )


def record_repo_root(index_dir: Path, repo_root: Path) -> None:
    """Remember which repository ``index_dir`` indexes."""
    from codesearch.index.database import translate_write_failure

    target = index_dir / REPO_ROOT_FILE
    if not target.is_file() or target.read_text(encoding="utf-8").strip() != str(repo_root):
        temporary = target.with_suffix(".tmp")
        with translate_write_failure(index_dir):
            temporary.write_text(str(repo_root) + "\n", encoding="utf-8")
            temporary.replace(target)


def repo_root_of(index_dir: Path) -> Path:
    """The repository ``index_dir`` indexes.

    ``<repo>/.codesearch``: ``<repo>``, always; its ``repo_root`` file is not read. Elsewhere: the
    recorded root, believed only if the record and the folder holding it are the current user's
    own (or root's) and not writable by every user, and it names an existing folder by an absolute path.

    Raises IndexNotFoundError when an index kept elsewhere names no repository it may index.
    """
    if index_dir.name == INDEX_DIR_NAME:
        return index_dir.parent
    recorded = index_dir / REPO_ROOT_FILE
    problem = _untrusted(index_dir) or _untrusted(recorded)
    root = None
    if problem is None:
        try:
            root = Path(recorded.read_text(encoding="utf-8").strip())
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            problem = f"cannot read it ({exc.__class__.__name__})"
    if root is not None and problem is None and not (root.is_absolute() and _is_folder(root)):
        problem = "it does not name an existing folder you can read"
    if problem is not None or root is None:
        raise IndexNotFoundError(
            f"{index_dir} does not say which repository it indexes ({recorded.name}: {problem}); "
            f"run `codesearch index REPO --index-dir {index_dir}` again"
        )
    return root


def _is_folder(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:  # a folder on the way that this user may not enter
        return False


def _untrusted(path: Path) -> str | None:
    """Why ``path`` may not be believed (another user's, or writable by others), or None."""
    try:
        info = path.lstat()
    except OSError:
        return "missing"
    if stat.S_ISLNK(info.st_mode):
        return "a symbolic link"
    if info.st_uid not in (os.geteuid(), 0):  # root could change anything anyway (a shared read-only index)
        return f"owned by user {info.st_uid}, not by you"
    if info.st_mode & stat.S_IWOTH:  # (group-writable is common under a umask of 002, with a group of one)
        return "writable by every user"
    return None
