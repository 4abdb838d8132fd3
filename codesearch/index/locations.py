"""Where an index lives: ``<repo>/.codesearch`` found by walking up like git, or ``--index-dir``.

An index folder records the repository root it indexes (file ``repo_root``), so an index kept
elsewhere with ``--index-dir`` still knows what its relative paths are relative to.
"""

from __future__ import annotations

from pathlib import Path

from codesearch.errors import IndexNotFoundError

INDEX_DIR_NAME = ".codesearch"
DB_FILE_NAME = "index.sqlite3"
REPO_ROOT_FILE = "repo_root"


def index_dir_for(repo_root: Path, override: str | None) -> Path:
    """The folder that holds (or will hold) the index of ``repo_root``."""
    return Path(override).expanduser().resolve() if override else repo_root / INDEX_DIR_NAME


def find_index_dir(start: Path, override: str | None) -> Path:
    """The index for ``start``: ``override``, else the nearest ``.codesearch`` in it or a parent."""
    if override:
        folder = Path(override).expanduser().resolve()
        if not (folder / DB_FILE_NAME).is_file():
            raise IndexNotFoundError(f"no index in {folder}; run `codesearch index --index-dir {override}` first")
        return folder
    here = start.resolve()
    for folder in (here, *here.parents):
        candidate = folder / INDEX_DIR_NAME
        if (candidate / DB_FILE_NAME).is_file():
            return candidate
    raise IndexNotFoundError(
        f"no index found in {here} or any parent folder; run `codesearch index` at the repository root"
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
    """The repository ``index_dir`` indexes (its parent folder for the default location)."""
    recorded = index_dir / REPO_ROOT_FILE
    if recorded.is_file():
        text = recorded.read_text(encoding="utf-8").strip()
        if text:
            return Path(text)
    return index_dir.parent
