"""Plain-text rendering of run summaries for people (the CLI prints these to stderr).

Each line is escaped on its own (cli/safe_text.py): a path or a failure's detail quoted in it may come
from the checkout, and a newline in one must not start a line of its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from codesearch.cli.safe_text import terminal_safe
from codesearch.records import ExtractionSummary, IndexSummary, SemanticCoverage

if TYPE_CHECKING:
    from codesearch.indexer.status import IndexStatus


def render_extraction_summary(summary: ExtractionSummary) -> str:
    """A few lines: files by language, functions, skipped by reason, failures, seconds."""
    languages = ", ".join(f"{name} {count}" for name, count in summary.files_by_language) or "none"
    lines = [
        f"extracted {summary.chunks} definitions from {summary.files} files in {summary.seconds:.2f} s",
        f"  files by language: {languages}",
    ]
    if summary.skipped_by_reason:
        skipped = ", ".join(f"{reason} {count}" for reason, count in summary.skipped_by_reason)
        lines.append(f"  skipped: {skipped}")
    if summary.syntax_error_files:
        lines.append(f"  files with syntax errors (extracted as far as they parse): {len(summary.syntax_error_files)}")
    for failure in summary.failures:
        lines.append(f"  failed: {failure.path}: {failure.reason}: {failure.detail}")
    return _joined(lines)


def render_index_summary(summary: IndexSummary) -> str:
    """The closing lines of ``codesearch index``."""
    rate = summary.chunks_embedded / summary.embed_seconds if summary.embed_seconds > 0 else 0.0
    lines = [
        f"indexed {summary.files_total} files, {summary.chunks_total} records in {summary.seconds:.1f} s "
        f"(searchable by keywords after {summary.keywords_seconds:.1f} s)",
        f"  files: {summary.files_new} new, {summary.files_changed} changed, {summary.files_deleted} deleted, "
        f"{summary.files_unchanged} unchanged",
        f"  records: {summary.chunks_embedded} embedded ({rate:.0f}/s), {summary.chunks_cached} from cache",
    ]
    if summary.skipped_by_reason:
        lines.append("  skipped: " + ", ".join(f"{r} {n}" for r, n in summary.skipped_by_reason))
    if summary.syntax_error_files:
        lines.append(f"  files with syntax errors (indexed as far as they parse): {len(summary.syntax_error_files)}")
    lines.extend(f"  failed: {f.path}: {f.reason}: {f.detail}" for f in summary.failures)
    return _joined(lines)


def render_coverage_notice(coverage: SemanticCoverage) -> str:
    """The stderr line of an ``ask`` answered while part of the index has no vectors yet."""
    return f"{coverage.describe()}; the rest matched by keywords only (still being embedded, or run `codesearch index`)"


def _coverage_text(embedded: int, definitions: int) -> str:
    if embedded >= definitions:
        return "every record embedded"
    return (f"{embedded:,} of {definitions:,} records embedded; the rest are found by keywords only "
            "until `codesearch index` (or a running server) embeds them")


def render_status(status: IndexStatus) -> str:
    """``codesearch status`` for people."""
    updated = datetime.fromtimestamp(status.updated_at_s).strftime("%Y-%m-%d %H:%M:%S")
    stale = "up to date" if status.stale_files == 0 else (
        f"{status.stale_files} files changed on disk since (new {status.stale_new}, modified "
        f"{status.stale_modified}, deleted {status.stale_deleted}); run `codesearch index`"
    )
    lines = [
        f"index:        {status.index_dir}",
        f"repository:   {status.repo_root}",
        f"model:        {status.model_id} ({status.model_hash[:12]}, dim {status.dim})",
        *_newer_model_lines(status.newer_default_model),
        f"contents:     {status.files} files, {status.chunks} records, {status.live_vectors} vectors",
        f"semantic:     {_coverage_text(status.embedded_chunks, status.chunks)}",
        f"size on disk: {status.size_bytes / 1e6:.1f} MB",
        f"last update:  {updated}",
        f"freshness:    {stale}",
    ]
    if status.integrity is not None:
        problems = status.integrity.problems
        lines.append("integrity:    ok" if not problems else f"integrity:    {len(problems)} problem(s)")
        lines.extend(f"  - {problem}" for problem in problems)
    return _joined(lines)


def _newer_model_lines(newer: str | None) -> list[str]:
    if newer is None:
        return []
    return [f"newer model:  {newer} is the default now; `codesearch index --full` rebuilds the index with it"]


def _joined(lines: list[str]) -> str:
    return "\n".join(terminal_safe(line) for line in lines)
