"""From watchdog events to the repo-relative paths a Watcher records, cheaply, on watchdog's thread.

Dropped here, before they can even delay an update: events inside version-control folders and
the index folder (``.git`` churns during checkouts, and every commit writes the index, which must
not wake the watcher), opened/closed-without-writing/attribute events (indexing reads files), and
files that are neither source in a known language, nor a text file the settings take, nor a
pattern file. Ignore rules are applied
later, by the worker, because they need the compiled rules and folders' kinds.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)

from codesearch.parsing.ignore_rules import IGNORE_FILE_NAMES, METADATA_DIR_NAMES
from codesearch.parsing.languages import language_for_path
from codesearch.parsing.text_formats import TextFiles

EXCLUDE_FILE = ".git/info/exclude"  # git's per-repository ignore patterns
EVENT_TYPES: list[type[FileSystemEvent]] = [
    FileCreatedEvent,
    FileModifiedEvent,
    FileClosedEvent,
    FileDeletedEvent,
    FileMovedEvent,
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
]


def is_pattern_file(rel: str) -> bool:
    """Whether a change to ``rel`` changes which files are ignored (so everything must be rechecked)."""
    return rel.rpartition("/")[2] in IGNORE_FILE_NAMES or rel == EXCLUDE_FILE


class PathFilter:
    """Maps absolute paths under ``root`` to repo-relative ones, or None for paths never indexed."""

    def __init__(self, root: Path, excluded: Iterable[Path] = (), text_files: TextFiles | None = None) -> None:
        self.root = root
        self._root_prefix = str(root) + os.sep
        self._excluded = tuple(_relative_prefixes(root, excluded))
        self._text_files = text_files

    def relative_path(self, absolute: str) -> str | None:
        if not absolute.startswith(self._root_prefix):
            return None
        rel = absolute[len(self._root_prefix) :].replace(os.sep, "/")
        if rel == EXCLUDE_FILE:
            return rel
        if any(part in METADATA_DIR_NAMES for part in rel.split("/")):
            return None
        if any(rel == prefix or rel.startswith(prefix + "/") for prefix in self._excluded):
            return None
        return rel

    def may_matter(self, rel: str, is_directory: bool) -> bool:
        """Cheap test by name: a folder, a source file of a known language, a text file, or a pattern file."""
        if is_directory or is_pattern_file(rel) or language_for_path(rel.rpartition("/")[2]) is not None:
            return True
        return self._text_files is not None and self._text_files.format_for(rel) is not None


class EventRecorder(FileSystemEventHandler):
    """watchdog's callback: turns an event into repo-relative paths and records them, nothing more."""

    def __init__(self, paths: PathFilter, record: Callable[[list[str]], None]) -> None:
        self._paths = paths
        self._record = record

    def on_any_event(self, event: FileSystemEvent) -> None:
        raw_paths = [event.src_path, event.dest_path] if event.dest_path else [event.src_path]
        kept = []
        for raw in raw_paths:
            rel = self._paths.relative_path(os.fsdecode(raw))
            if rel is not None and self._paths.may_matter(rel, event.is_directory):
                kept.append(rel)
        if kept:
            self._record(kept)


def _relative_prefixes(root: Path, folders: Iterable[Path]) -> list[str]:
    prefixes = []
    for folder in folders:
        try:
            rel = folder.resolve().relative_to(root).as_posix()
        except ValueError:
            continue  # outside the root: its events never arrive
        if rel != ".":
            prefixes.append(rel)
    return prefixes
