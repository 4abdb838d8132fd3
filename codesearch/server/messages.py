"""Records as JSON and back: hits, index summaries, progress, semantic coverage, LSP symbols.

JSON exists only at the edges; this module is the one place that spells the wire shapes, so
``codesearch ask --json`` and the server's ``search`` give the same hit objects by construction.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from codesearch.errors import ProtocolError
from codesearch.records import FileHit, Hit, IndexProgress, IndexSummary, SemanticCoverage, SkippedFile

HIT_FIELDS = (
    "path",
    "start_line",
    "end_line",
    "name",
    "qualified_name",
    "kind",
    "language",
    "score",
    "signature",
    "docstring_summary",
    "dense_rank",
    "lexical_rank",
)
# LSP SymbolKind numbers.
# Blocks of module-level code are Module (2), their imports Package (4), sections and windows of text
# files File (1).
_SYMBOL_KINDS = {"class": 5, "method": 6, "function": 12, "block": 2, "imports": 4, "section": 1, "window": 1}
_SYMBOL_KIND_OTHER = 13  # Variable: never produced today, kept for unknown kinds


def hit_to_json(hit: Hit, *, include_code: bool = False) -> dict[str, Any]:
    """A hit as ``ask --json`` prints it; ``include_code`` adds the definition's source."""
    data = {name: getattr(hit, name) for name in HIT_FIELDS}
    if include_code:
        data["code"] = hit.code
    return data


def file_hit_to_json(file_hit: FileHit) -> dict[str, Any]:
    """A file of ``ask --files --json``: path, language, score, and its best hits as ``ask --json`` prints them."""
    return {"path": file_hit.path, "language": file_hit.language, "score": file_hit.score,
            "hits": [hit_to_json(hit) for hit in file_hit.hits]}


def hit_from_json(data: Any) -> Hit:
    """The Hit a server sent (``code`` is empty unless it was asked for)."""
    try:
        return Hit(**{name: data[name] for name in HIT_FIELDS}, code=data.get("code", ""))
    except (KeyError, TypeError) as exc:
        raise ProtocolError(f"malformed hit from the server: {exc}") from None


def summary_to_json(summary: IndexSummary) -> dict[str, Any]:
    return {
        "files_total": summary.files_total,
        "files_new": summary.files_new,
        "files_changed": summary.files_changed,
        "files_deleted": summary.files_deleted,
        "files_unchanged": summary.files_unchanged,
        "chunks_total": summary.chunks_total,
        "chunks_embedded": summary.chunks_embedded,
        "chunks_cached": summary.chunks_cached,
        "skipped_by_reason": [[reason, count] for reason, count in summary.skipped_by_reason],
        "syntax_error_files": list(summary.syntax_error_files),
        "failures": [[f.path, f.reason, f.detail] for f in summary.failures],
        "seconds": round(summary.seconds, 4),
        "embed_seconds": round(summary.embed_seconds, 4),
        "keywords_seconds": round(summary.keywords_seconds, 4),
    }


def summary_from_json(data: Any) -> IndexSummary:
    try:
        return IndexSummary(
            files_total=int(data["files_total"]),
            files_new=int(data["files_new"]),
            files_changed=int(data["files_changed"]),
            files_deleted=int(data["files_deleted"]),
            files_unchanged=int(data["files_unchanged"]),
            chunks_total=int(data["chunks_total"]),
            chunks_embedded=int(data["chunks_embedded"]),
            chunks_cached=int(data["chunks_cached"]),
            skipped_by_reason=tuple((str(reason), int(count)) for reason, count in data["skipped_by_reason"]),
            syntax_error_files=tuple(str(path) for path in data["syntax_error_files"]),
            failures=tuple(SkippedFile(str(p), str(r), str(d)) for p, r, d in data["failures"]),
            seconds=float(data["seconds"]),
            embed_seconds=float(data["embed_seconds"]),
            keywords_seconds=float(data.get("keywords_seconds", 0.0)),  # absent from older servers
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ProtocolError(f"malformed index summary from the server: {exc}") from None


def progress_to_json(progress: IndexProgress) -> dict[str, Any]:
    return {
        "files_done": progress.files_done,
        "files_total": progress.files_total,
        "chunks_embedded": progress.chunks_embedded,
        "embed_seconds": round(progress.embed_seconds, 3),
        "chunks_to_embed": progress.chunks_to_embed,
    }


def progress_from_json(data: Any) -> IndexProgress:
    try:
        return IndexProgress(
            int(data["files_done"]),
            int(data["files_total"]),
            int(data["chunks_embedded"]),
            float(data["embed_seconds"]),
            int(data.get("chunks_to_embed", 0)),  # absent from servers older than progressive indexing
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ProtocolError(f"malformed progress from the server: {exc}") from None


def coverage_to_json(coverage: SemanticCoverage) -> dict[str, int]:
    """``{"embedded": 1204, "definitions": 2143}``: the ``semantic`` field of a search answer."""
    return {"embedded": coverage.embedded, "definitions": coverage.definitions}


def coverage_from_json(data: Any) -> SemanticCoverage | None:
    """The coverage a server reported, or None (a server older than progressive indexing sends none)."""
    if not isinstance(data, dict):
        return None
    try:
        return SemanticCoverage(int(data["embedded"]), int(data["definitions"]))
    except (KeyError, TypeError, ValueError):
        return None


def symbol_information(hit: Hit, repo_root: Path) -> dict[str, Any]:
    """An LSP SymbolInformation: 0-based lines; the range runs to the start of the line after the end."""
    if not hit.name:  # a block or window: its location label is all the name it has
        container, separator = "", ""
    else:
        container, separator, _ = hit.qualified_name.rpartition(hit.name)
    symbol: dict[str, Any] = {
        "name": hit.name or hit.qualified_name,
        "kind": _SYMBOL_KINDS.get(hit.kind, _SYMBOL_KIND_OTHER),
        "location": {
            "uri": (repo_root / hit.path).as_uri(),
            "range": {
                "start": {"line": hit.start_line - 1, "character": 0},
                "end": {"line": hit.end_line, "character": 0},
            },
        },
    }
    container = container.rstrip(".:#") if separator else ""
    if container:
        symbol["containerName"] = container
    return symbol
