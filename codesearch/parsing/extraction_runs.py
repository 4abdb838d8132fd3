"""Extraction runs: discover the files under some paths, read and parse each, count everything.

The library streams each file's result to a callback (so ``codesearch extract`` can write JSON
Lines as it goes) and returns an ExtractionSummary. A file that cannot be read is a counted
failure and the run goes on; a file with syntax errors is extracted as far as it parses.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from codesearch.errors import CodesearchError
from codesearch.parsing.discovery import discover_files, find_repo_root, read_source
from codesearch.parsing.extract import extract_chunks
from codesearch.parsing.languages import get_language
from codesearch.parsing.text_formats import TextFiles
from codesearch.records import ExtractionSummary, FileExtraction, SkippedFile, SourceFile

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[int, int], None]


@dataclasses.dataclass(frozen=True, slots=True)
class PlannedFiles:
    """The files an extraction run will read, and what discovery skipped."""

    root: Path  # repository root the record paths are relative to
    files: tuple[SourceFile, ...]
    skipped: tuple[SkippedFile, ...]
    failures: tuple[SkippedFile, ...]


def plan_files(
    paths: Sequence[Path],
    *,
    max_file_bytes: int,
    languages: frozenset[str] | None = None,
    text_files: TextFiles | None = None,
) -> PlannedFiles:
    """Discover the files under ``paths``; record paths are relative to the first path's repo root.

    ``text_files`` (None: none) says which files without a grammar to take (see discover_files).
    """
    root = find_repo_root(paths[0].resolve() if paths else Path.cwd())
    files: dict[str, SourceFile] = {}
    skipped: list[SkippedFile] = []
    failures: list[SkippedFile] = []
    for given in paths:
        path = given.resolve()
        try:
            exists = path.exists()
        except OSError as exc:  # a name too long for the system, a folder that may not be searched
            failures.append(SkippedFile(str(given), "unreadable", exc.strerror or str(exc)))
            continue
        if not exists:
            failures.append(SkippedFile(str(given), "missing", "no such file or directory"))
            continue
        prefix = _relative_prefix(path if path.is_dir() else path.parent, root)
        result = discover_files(path, max_file_bytes=max_file_bytes, languages=languages, text_files=text_files)
        for found in result.files:
            rel = _join(prefix, found.path if path.is_dir() else path.name)
            files.setdefault(rel, dataclasses.replace(found, path=rel))
        skipped.extend(dataclasses.replace(s, path=_join(prefix, s.path)) for s in result.skipped)
    return PlannedFiles(root, tuple(sorted(files.values(), key=lambda f: f.path)), tuple(skipped), tuple(failures))


def _relative_prefix(directory: Path, root: Path) -> str:
    try:
        rel = directory.relative_to(root).as_posix()
    except ValueError:
        return ""
    return "" if rel == "." else rel


def _join(prefix: str, rel: str) -> str:
    return f"{prefix}/{rel}" if prefix else rel


def extract_files(
    plan: PlannedFiles,
    *,
    max_file_bytes: int,
    on_file: Callable[[FileExtraction], None],
    on_progress: ProgressCallback | None = None,
) -> ExtractionSummary:
    """Extract every planned file, calling ``on_file`` with each result, and count the run."""
    started = time.perf_counter()
    by_language: Counter[str] = Counter()
    failures = list(plan.failures)
    limits: Counter[str] = Counter()  # files cut short by an extraction limit, by limit
    syntax_errors: list[str] = []
    chunk_count = 0
    for done, source_file in enumerate(plan.files, start=1):
        try:
            data = read_source(source_file.absolute_path, max_file_bytes, root=source_file.root)
        except (OSError, CodesearchError) as exc:
            failures.append(SkippedFile(source_file.path, "unreadable", str(exc)))
            logger.warning("%s: cannot read: %s", source_file.path, exc)
            continue
        extraction = extract_chunks(source_file.path, data, get_language(source_file.language))
        for warning in extraction.warnings:
            logger.warning("%s", warning)
        if extraction.has_syntax_errors:
            syntax_errors.append(source_file.path)
        if extraction.limit_reached is not None:
            limits[extraction.limit_reached] += 1
        by_language[source_file.language] += 1
        chunk_count += len(extraction.chunks)
        on_file(extraction)
        if on_progress is not None:
            on_progress(done, len(plan.files))
    return ExtractionSummary(
        files_by_language=tuple(sorted(by_language.items())),
        chunks=chunk_count,
        skipped_by_reason=tuple(sorted((Counter(s.reason for s in plan.skipped) + limits).items())),
        syntax_error_files=tuple(syntax_errors),
        failures=tuple(failures),
        seconds=time.perf_counter() - started,
    )

