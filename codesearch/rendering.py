"""Plain-text rendering of run summaries for people (the CLI prints these to stderr)."""

from __future__ import annotations

from codesearch.records import ExtractionSummary


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
    return "\n".join(lines)
