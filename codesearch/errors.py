"""Errors meant for users: every subclass of CodesearchError carries a message a person can act on.

cli/commands.py catches CodesearchError in one place and exits 1 with the message; anything else is a bug
and keeps its traceback.
"""

from __future__ import annotations


class CodesearchError(Exception):
    """Base class of every error whose message is written for the user."""


class IndexNotFoundError(CodesearchError):
    """No index exists where one was looked for."""


class IndexMismatchError(CodesearchError):
    """The index was built with another model, dimension, HNSW parameters or schema."""


class IndexCorruptError(CodesearchError):
    """An index file is truncated, corrupt, or disagrees with the metadata."""


class IndexLockedError(CodesearchError):
    """Another process holds the index write lock."""


class IndexWriteError(CodesearchError):
    """The index folder cannot be written: a full disk, a read-only folder, an I/O error.

    Whatever was committed before stays usable; nothing half-written is left behind.
    """


class UnsupportedLanguageError(CodesearchError):
    """A language name or file type that codesearch has no grammar for."""


class GrammarError(CodesearchError):
    """A grammar or its query file failed to load or compile."""


class ModelLoadError(CodesearchError):
    """The encoder's weights, tokenizer or metadata could not be loaded."""


class QueryError(CodesearchError):
    """A search query that cannot be answered (empty, oversized, bad filter)."""


class ConfigError(CodesearchError):
    """A bad value in codesearch.toml, the environment, or a flag."""


class ProtocolError(CodesearchError):
    """A malformed message on the server socket."""

    def __init__(self, message: str, code: int = -32600) -> None:
        super().__init__(message)
        self.code = code


class DataError(CodesearchError):
    """Training or evaluation data that is missing, malformed or empty after filtering."""


class SourceFileError(CodesearchError):
    """A source file that cannot be read or is not worth reading.

    ``reason`` is one of ``parsing.discovery.SKIP_REASONS``; ``detail`` says why without the path.
    """

    def __init__(self, message: str, reason: str, detail: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.detail = detail


class ClusterError(CodesearchError):
    """Distributed embedding cannot run: the ``ray`` extra is missing, the cluster is unreachable,
    or its workers cannot load the model (see codesearch/distributed/)."""
