"""Source discovery: walk a repository, pick the files to extract, and count every skip by reason.

The walk lists each folder once with ``os.scandir`` and never enters a folder that is left out
(built-in skip folders, pattern files, see ``ignore_rules``), so ignored trees cost nothing. Files
are judged cheapest test first: name patterns, language, then one small read (``source_text``).
A ``.h`` file's language (C or C++) comes from that read and its folder's names (``header_language``).

Symlinks are followed only inside the root, and only after the real tree has been walked, so a real
path always wins over a link to it; each real folder is walked once, which also breaks link loops.
A file is then read by its real path beneath the real root without following any link
(``codesearch.repository_files``): a link swapped in after the walk, or a FIFO, is a counted skip
(SYMLINK_IN_PATH, NOT_REGULAR), never followed or waited on. Pattern files are read the same way.
Records carry repo-relative POSIX paths and come back sorted by path. A skipped folder is recorded
once, with a trailing "/", instead of once per file inside it.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from pathlib import Path
from typing import NamedTuple

from codesearch.config import Settings
from codesearch.errors import SourceFileError
from codesearch.parsing.header_language import header_language, is_shared_header
from codesearch.parsing.ignore_rules import (
    IGNORED,
    METADATA_DIR,
    METADATA_DIR_NAMES,
    VENDORED,
    IgnoreChain,
    IgnoreRules,
    builtin_dir_reason,
    chain_ignores,
    enclosing_chain,
    extend_chain,
    find_repo_root,
    load_ignore_rules,
    read_ignore_specs,
)
from codesearch.parsing.languages import LanguageSpec, language_for_path
from codesearch.parsing.source_text import (
    BINARY,
    GENERATED,
    MINIFIED,
    MINIFIED_AVG_LINE_BYTES,
    NOT_REGULAR,
    PROSE_MINIFIED_AVG_LINE_BYTES,
    SYMLINK_IN_PATH,
    TOO_LARGE,
    UNREADABLE,
    VANISHED,
    decode_source,
    read_source,
    sniff_source,
)
from codesearch.parsing.text_formats import TextFiles, get_format, is_lock_file, record_language
from codesearch.records import DiscoveryResult, SkippedFile, SourceFile
from codesearch.repository_files import open_repository_folder

__all__ = [
    "SKIP_REASONS", "DiscoveryResult", "IgnoreRules", "SkippedFile", "SourceFile", "check_path",
    "decode_source", "discover_files", "find_repo_root", "load_ignore_rules", "read_source",
]

logger = logging.getLogger(__name__)

UNSUPPORTED = "unsupported"  # no language has this file's extension
EXCLUDED_LANGUAGE = "excluded_language"  # a supported language left out by the `languages` filter
SYMLINK_LOOP = "symlink_loop"  # a link to a folder above itself, or a cycle of links
SYMLINK_DUPLICATE = "symlink_duplicate"  # a link to a file or folder the walk already took
SYMLINK_OUTSIDE_ROOT = "symlink_outside_root"
BROKEN_SYMLINK = "broken_symlink"
UNDECODABLE_NAME = "undecodable_name"  # a name that is not valid UTF-8 could not be stored or printed
LOCK_FILE = "lock_file"  # a dependency lock file (text files only): never indexed
EXCLUDED_TEXT = "excluded_text"  # a text file a `text_exclude` glob leaves out

SKIP_REASONS = (
    METADATA_DIR, VENDORED, IGNORED, UNSUPPORTED, EXCLUDED_LANGUAGE, MINIFIED, GENERATED, BINARY,
    TOO_LARGE, NOT_REGULAR, UNREADABLE, VANISHED, SYMLINK_LOOP, SYMLINK_DUPLICATE, SYMLINK_OUTSIDE_ROOT,
    BROKEN_SYMLINK, UNDECODABLE_NAME, LOCK_FILE, EXCLUDED_TEXT, SYMLINK_IN_PATH,
)
# Routine skips: worth counting, not worth a warning.
QUIET_REASONS = frozenset({
    METADATA_DIR, VENDORED, IGNORED, UNSUPPORTED, EXCLUDED_LANGUAGE, MINIFIED, GENERATED, SYMLINK_DUPLICATE,
    LOCK_FILE, EXCLUDED_TEXT,
})

DEFAULT_MAX_FILE_BYTES = Settings().max_file_bytes
MINIFIED_NAME_SUFFIXES = (
    ".min.js", ".min.mjs", ".min.cjs", ".min.css", "-min.js", ".bundle.js", "-bundle.js"
)
_BY_NAME = attrgetter("name")
_BY_PATH = attrgetter("path")


def discover_files(
    root: Path,
    *,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    languages: frozenset[str] | None = None,
    text_files: TextFiles | None = None,
) -> DiscoveryResult:
    """Every file under ``root`` worth extracting, and every file or folder passed over, with why.

    Args:
        root: the repository folder, or a single file (then its record's path is its name).
        max_file_bytes: files larger than this are skipped as TOO_LARGE.
        languages: language or text-format ids or aliases to keep (None: all); others count as
            EXCLUDED_LANGUAGE.
        text_files: which files without a grammar to take as text (None: none, they count as
            UNSUPPORTED); their language is their text format's name.

    Raises:
        SourceFileError: ``root`` does not exist or cannot be listed.
        UnsupportedLanguageError: an unknown name in ``languages``.
    """
    wanted = _canonical_languages(languages)
    abs_root = os.path.abspath(root)
    if not os.path.isdir(abs_root):
        return _discover_single(abs_root, max_file_bytes, wanted, text_files)
    walk = _Walk(os.path.realpath(abs_root), max_file_bytes, wanted, text_files)
    walk.visited_dirs.add(walk.real_root)
    walk.frames.append(_Frame(abs_root, "", walk.real_root, enclosing_chain(abs_root)))
    while walk.frames or walk.links:
        if walk.frames:
            _walk_folder(walk, walk.frames.pop())
        else:
            _follow_link(walk, walk.links.popleft())
    result = DiscoveryResult(
        tuple(sorted(walk.files, key=_BY_PATH)), tuple(sorted(walk.skipped, key=_BY_PATH))
    )
    logger.debug("found %d files under %s; skipped %s", len(result.files), root, result.counts_by_reason())
    return result


def check_path(
    root: Path,
    rel_path: str,
    *,
    rules: IgnoreRules,
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
    languages: frozenset[str] | None = None,
    text_files: TextFiles | None = None,
) -> SourceFile | SkippedFile | None:
    """Judge one repo-relative path the way ``discover_files`` would, for incremental updates.

    Returns:
        A SourceFile to extract; a SkippedFile (a deleted file comes back as VANISHED, so callers can
        drop it from the index); or None when the path is a folder or not in a wanted language.
    """
    rel = "/".join(part for part in rel_path.replace(os.sep, "/").split("/") if part not in ("", "."))
    reason = rules.reason_for(rel, is_dir=False)
    if reason is not None:
        return SkippedFile(rel, reason)
    language, reason = _judge_name((), rel, _canonical_languages(languages), text_files)
    if reason in (UNSUPPORTED, EXCLUDED_LANGUAGE):
        return None
    if reason is not None:
        return SkippedFile(rel, reason)
    abs_path = os.path.join(os.path.abspath(root), rel)
    try:
        if stat.S_ISDIR(os.stat(abs_path).st_mode):
            return None
    except OSError as exc:
        return _stat_failure(abs_path, rel, exc)
    real = os.path.realpath(abs_path)
    real_root = os.path.realpath(root)
    if not _is_within(real, real_root):
        return SkippedFile(rel, SYMLINK_OUTSIDE_ROOT, f"resolves to {real}")
    record = _probe(real, rel, language, max_file_bytes, _canonical_languages(languages), text_files, real_root)
    return None if isinstance(record, SkippedFile) and record.reason == EXCLUDED_LANGUAGE else record


class _Frame(NamedTuple):
    abs_dir: str
    prefix: str  # repo-relative folder path with a trailing "/", "" for the root
    real_dir: str
    chain: IgnoreChain


class _Link(NamedTuple):
    abs_path: str
    rel: str
    real_parent: str
    chain: IgnoreChain
    folder_names: frozenset[str]  # the entries beside the link (a linked .h file is judged by them)


@dataclass(slots=True)
class _Walk:
    """The accumulators of one discover_files call."""

    real_root: str
    max_file_bytes: int
    wanted: frozenset[str] | None
    text_files: TextFiles | None
    frames: list[_Frame] = field(default_factory=list)
    links: deque[_Link] = field(default_factory=deque)  # symlinks, taken once the real tree is done
    visited_dirs: set[str] = field(default_factory=set)  # real paths
    taken_files: set[str] = field(default_factory=set)  # real paths
    files: list[SourceFile] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)

    def skip(self, rel: str, reason: str, detail: str = "") -> None:
        self.skipped.append(SkippedFile(rel, reason, detail))


def _walk_folder(walk: _Walk, frame: _Frame) -> None:
    try:
        entries = _scan_dir(frame.abs_dir)
    except OSError as exc:
        if not frame.prefix:
            detail = exc.strerror or type(exc).__name__
            raise SourceFileError(f"cannot list {frame.abs_dir}: {detail}", UNREADABLE, detail) from exc
        reason = VANISHED if exc.errno in (errno.ENOENT, errno.ENOTDIR) else UNREADABLE
        walk.skip(frame.prefix, reason, exc.strerror or "")
        return
    names = frozenset(entry.name for entry in entries)
    chain = frame.chain
    unread: set[str] = set()  # pattern files left out: counted once, as such
    if not names.isdisjoint((".gitignore", ".ignore", ".git")):
        pattern_files = read_ignore_specs(walk.real_root, frame.real_dir, names, is_root=not frame.prefix)
        chain = extend_chain(chain, frame.prefix, pattern_files.specs)
        unread = _record_unread(walk, frame, pattern_files.unread)
    folder = _Folder(walk.real_root, frame.real_dir)
    try:
        _sort_entries(walk, frame, entries, names - unread, chain, folder)
    finally:
        folder.close()


def _sort_entries(
    walk: _Walk, frame: _Frame, entries: list[os.DirEntry[str]], names: frozenset[str], chain: IgnoreChain,
    folder: _Folder,
) -> None:
    """Take, skip or queue each entry of one folder; ``names`` are those still to judge (not unread pattern files)."""
    subfolders: list[_Frame] = []
    for entry in entries:
        rel = frame.prefix + entry.name
        if entry.name not in names:
            continue
        if not _is_utf8(entry.name):
            shown = os.fsencode(rel).decode("utf-8", errors="replace")
            walk.skip(shown + "/" if entry.is_dir(follow_symlinks=False) else shown, UNDECODABLE_NAME)
        elif entry.name in METADATA_DIR_NAMES:  # also a worktree's `.git` link file
            walk.skip(rel + "/" if entry.is_dir(follow_symlinks=False) else rel, METADATA_DIR)
        elif entry.is_symlink():
            walk.links.append(_Link(entry.path, rel, frame.real_dir, chain, names))
        elif entry.is_dir(follow_symlinks=False):
            real_dir = os.path.join(frame.real_dir, entry.name)
            if _folder_is_kept(walk, chain, rel, entry.name):
                walk.visited_dirs.add(real_dir)
                subfolders.append(_Frame(entry.path, rel + "/", real_dir, chain))
        elif not entry.is_file(follow_symlinks=False):
            if _file_name_is_kept(walk, chain, rel):
                walk.skip(rel, NOT_REGULAR, "not a regular file")
        elif _file_name_is_kept(walk, chain, rel):
            _take_file(walk, rel, os.path.join(frame.real_dir, entry.name), names, folder.descriptor())
    walk.frames.extend(reversed(subfolders))  # pop() then visits folders in name order


@dataclass(slots=True)
class _Folder:
    """One real folder of the walk, opened beneath the root (no link followed) when its first file is taken.

    Its files are then opened from its descriptor rather than each from the root, which would cost
    one open per folder on the way for every file (a third of discovery's time on the stdlib).
    """

    real_root: str
    real_dir: str
    fd: int | None = None
    is_unopenable: bool = False

    def descriptor(self) -> int | None:
        """The folder's descriptor; None if it cannot be opened (each file's own read then says why)."""
        if self.fd is None and not self.is_unopenable:
            try:
                self.fd = open_repository_folder(self.real_root, self.real_dir)
            except SourceFileError:
                self.is_unopenable = True
        return self.fd

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _record_unread(walk: _Walk, frame: _Frame, unread: Iterable[tuple[str, SourceFileError]]) -> set[str]:
    """Count each pattern file left out (a link, a FIFO, too large) as a skip; the names of those in the folder."""
    names: set[str] = set()
    inside = frame.real_dir.rstrip(os.sep) + os.sep
    for path, error in unread:
        if path.startswith(inside):  # else a linked worktree's info/exclude, in its git folder
            local = path[len(inside):]
            names.add(local)
            path = frame.prefix + local.replace(os.sep, "/")
        walk.skip(path, error.reason, f"pattern file not read: {error.detail}")
    return names


def _follow_link(walk: _Walk, link: _Link) -> None:
    try:
        is_dir = stat.S_ISDIR(os.stat(link.abs_path).st_mode)
    except OSError as exc:
        if _file_name_is_kept(walk, link.chain, link.rel):
            walk.skipped.append(_stat_failure(link.abs_path, link.rel, exc))
        return
    if is_dir:
        is_kept = _folder_is_kept(walk, link.chain, link.rel, link.rel.rpartition("/")[2])
    else:
        is_kept = _file_name_is_kept(walk, link.chain, link.rel)
    if not is_kept:
        return
    real = os.path.realpath(link.abs_path)
    shown = link.rel + "/" if is_dir else link.rel
    if not _is_within(real, walk.real_root):
        walk.skip(shown, SYMLINK_OUTSIDE_ROOT, f"resolves to {real}")
    elif is_dir and _is_within(link.real_parent, real):
        walk.skip(shown, SYMLINK_LOOP, f"links to {real}, a folder above it")
    elif real in (walk.visited_dirs if is_dir else walk.taken_files):
        walk.skip(shown, SYMLINK_DUPLICATE, f"links to {real}, already taken")
    elif is_dir:
        walk.visited_dirs.add(real)
        walk.frames.append(_Frame(link.abs_path, shown, real, link.chain))
    else:
        _take_file(walk, link.rel, real, link.folder_names)


def _folder_is_kept(walk: _Walk, chain: IgnoreChain, rel: str, name: str) -> bool:
    reason = builtin_dir_reason(name)
    if reason is None and chain and chain_ignores(chain, rel, is_dir=True):
        reason = IGNORED
    if reason is not None:
        walk.skip(rel + "/", reason)
    return reason is None


def _file_name_is_kept(walk: _Walk, chain: IgnoreChain, rel: str) -> bool:
    _, reason = _judge_name(chain, rel, walk.wanted, walk.text_files)
    if reason is not None:
        walk.skip(rel, reason)
    return reason is None


def _take_file(walk: _Walk, rel: str, real: str, folder_names: frozenset[str], folder_fd: int | None = None) -> None:
    language, _ = _judge_name((), rel, walk.wanted, walk.text_files)  # _file_name_is_kept let it through
    record = _probe(
        real, rel, language, walk.max_file_bytes, walk.wanted, walk.text_files, walk.real_root, folder_names,
        folder_fd,
    )
    if isinstance(record, SourceFile):
        walk.taken_files.add(real)
        walk.files.append(record)
    else:
        walk.skipped.append(record)


def _judge_name(
    chain: IgnoreChain, rel: str, wanted: frozenset[str] | None, text_files: TextFiles | None
) -> tuple[str, str | None]:
    """The language of a file judging by its path alone, or "" and the reason it is skipped.

    A language with a grammar claims its extensions first; only then may a text format take the
    file. A ``.h`` file comes back as C; its bytes decide later whether it is C++ (``_probe``).
    """
    if chain and chain_ignores(chain, rel, is_dir=False):
        return "", IGNORED
    if rel.lower().endswith(MINIFIED_NAME_SUFFIXES):
        return "", MINIFIED
    spec = language_for_path(rel)
    if spec is not None:
        if wanted is not None and wanted.isdisjoint(_possible_languages(rel, spec)):
            return "", EXCLUDED_LANGUAGE
        return spec.name, None
    if text_files is None:
        return "", UNSUPPORTED
    if is_lock_file(rel):
        return "", LOCK_FILE
    if text_files.is_excluded(rel):
        return "", EXCLUDED_TEXT
    text_format = text_files.format_for(rel)
    if text_format is None:
        return "", UNSUPPORTED
    if wanted is not None and text_format.name not in wanted:
        return "", EXCLUDED_LANGUAGE
    return text_format.name, None


def _possible_languages(rel: str, language: LanguageSpec) -> tuple[str, ...]:
    """The languages a file of this name can turn out to be (a ``.h`` file: C or C++)."""
    return ("c", "cpp") if is_shared_header(rel) else (language.name,)


def _probe(
    real: str,
    rel: str,
    language: str,
    max_file_bytes: int,
    wanted: frozenset[str] | None,
    text_files: TextFiles | None,
    real_root: str,
    folder_names: Iterable[str] | None = None,
    folder_fd: int | None = None,
) -> SourceFile | SkippedFile:
    """The record of a file whose name passed: sniffed, and a ``.h`` file's language decided.

    ``real`` is the file's real path inside ``real_root``: it is opened beneath the root without
    following a link, so a link swapped in since the walk looked is refused, not followed. A text
    file has its own size limit, and prose a looser minified test. ``folder_names`` are the entries
    of the file's folder; None lists the folder when it is needed. ``folder_fd``: a descriptor of the
    file's folder, opened beneath the root, to open the file from (None: from the root).
    """
    average_line_bytes = MINIFIED_AVG_LINE_BYTES
    if text_files is not None and language_for_path(rel) is None:
        max_file_bytes = min(max_file_bytes, text_files.max_file_bytes)
        if get_format(language).is_prose:
            average_line_bytes = PROSE_MINIFIED_AVG_LINE_BYTES
    try:
        size_bytes, mtime_ns, sample = sniff_source(
            real if folder_fd is None else os.path.basename(real), max_file_bytes,
            root=real_root if folder_fd is None else folder_fd, minified_avg_line_bytes=average_line_bytes,
        )
    except SourceFileError as exc:
        return SkippedFile(rel, exc.reason, exc.detail)
    if is_shared_header(rel):
        language = header_language(sample, _folder_names(real) if folder_names is None else folder_names)
        if wanted is not None and language not in wanted:
            return SkippedFile(rel, EXCLUDED_LANGUAGE)
    return SourceFile(rel, real, language, size_bytes, mtime_ns, real_root)


def _folder_names(abs_path: str) -> list[str]:
    try:
        return os.listdir(os.path.dirname(abs_path))
    except OSError:
        return []  # the folder went away: the read that follows reports it


def _discover_single(
    abs_path: str, max_file_bytes: int, wanted: frozenset[str] | None, text_files: TextFiles | None
) -> DiscoveryResult:
    if not os.path.lexists(abs_path):
        raise SourceFileError(f"{abs_path}: no such file or folder", VANISHED, "no such file or folder")
    name = os.path.basename(abs_path)
    language, reason = _judge_name((), name, wanted, text_files)
    record: SourceFile | SkippedFile
    if reason is not None:
        record = SkippedFile(name, reason)
    else:
        # A file named on its own is the caller's choice, links and all: read where it really is.
        real = os.path.realpath(abs_path)
        record = _probe(real, name, language, max_file_bytes, wanted, text_files, os.path.dirname(real))
    if isinstance(record, SourceFile):
        return DiscoveryResult((record,), ())
    return DiscoveryResult((), (record,))


def _stat_failure(abs_path: str, rel: str, exc: OSError) -> SkippedFile:
    if exc.errno == errno.ELOOP:
        return SkippedFile(rel, SYMLINK_LOOP, "symlinks form a cycle")
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        if os.path.islink(abs_path):
            return SkippedFile(rel, BROKEN_SYMLINK, "its target does not exist")
        return SkippedFile(rel, VANISHED, "no longer exists")
    return SkippedFile(rel, UNREADABLE, exc.strerror or type(exc).__name__)


def _scan_dir(abs_dir: str) -> list[os.DirEntry[str]]:
    with os.scandir(abs_dir) as scan:
        return sorted(scan, key=_BY_NAME)


def _canonical_languages(languages: Iterable[str] | None) -> frozenset[str] | None:
    return None if languages is None else frozenset(record_language(name) for name in languages)


def _is_within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def _is_utf8(name: str) -> bool:
    if name.isascii():
        return True
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # os.scandir smuggles undecodable bytes in as lone surrogates
        return False
    return True
