"""Typed records that cross module boundaries: extracted chunks, skipped files, search hits.

Records are frozen, slotted dataclasses. No dicts cross module boundaries; JSON exists only at
the edges (cli --json, server/).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# The kinds of line records (see Chunk); every other kind is a definition's. Named here, in the
# vocabulary, because parsing makes them and the encoder's text and the ranking treat them apart.
BLOCK = "block"  # code lines between definitions (parsing/gaps.py)
IMPORTS = "imports"  # a block of only import, include and package lines (parsing/gaps.py)
SECTION = "section"  # a Markdown or reStructuredText section (parsing/text_records.py)
WINDOW = "window"  # a run of lines of a text file without sections (parsing/text_records.py)
LINE_RECORD_KINDS = frozenset({BLOCK, IMPORTS, SECTION, WINDOW})


@dataclass(frozen=True, slots=True)
class Chunk:
    """One record of a file: a function, method or class, or a run of lines outside them.

    Lines are 1-based and inclusive and cover the whole definition, decorators/attributes and doc
    comment included. Bytes are 0-based, end-exclusive offsets into the UTF-8 source.

    Line records (parsing/line_windows.py) are whole lines with ``code`` their exact text: ``block``
    and ``imports`` (code outside definitions), ``section`` (a heading's section of a document,
    named ``## Title``) and ``window`` (lines of a text file). Blocks, imports and windows have no
    name; their qualified name is a location label (``config.py:12-40``), and their signature and
    docstring fields are empty.
    """

    path: str  # repo-relative POSIX path
    language: str  # e.g. "python", "typescript"
    kind: str  # "function" | "method" | "class" | ... | "block" | "imports" | "section" | "window"
    name: str
    qualified_name: str  # "Class.method", "Type::fn", "(*T).Fn"
    start_line: int
    end_line: int
    signature_line: int  # line of the definition keyword/name (after decorators and doc comment)
    start_byte: int
    end_byte: int
    signature: str  # the definition's header, e.g. "def load(path: str) -> Config:"
    docstring_raw: str  # the doc text exactly as in the source (quotes/comment markers included)
    docstring: str  # the doc text with quotes/comment markers removed
    docstring_summary: str  # first paragraph, markup and @param/Args: sections stripped
    code: str  # the whole definition as in the source, doc comment included
    code_without_docstring: str  # the definition with its docstring/doc comment removed
    content_hash: str  # sha256 hex of `code`


@dataclass(frozen=True, slots=True)
class SkippedFile:
    """A file that discovery or extraction passed over, with the reason."""

    path: str  # repo-relative POSIX path (or the path as given)
    reason: str  # one of discovery.SKIP_REASONS or extraction reasons
    detail: str = ""


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file selected for extraction, and where it is read from (``parsing.source_text.read_source``)."""

    path: str  # repo-relative POSIX path
    absolute_path: str  # its real path: a link inside the repository is resolved at discovery
    language: str
    size_bytes: int
    mtime_ns: int
    root: str  # the real folder it is read beneath, following no link below it (the repository's)


@dataclass(frozen=True, slots=True)
class DiscoveryResult:
    """The files a repository walk selected and the ones it passed over, both sorted by path."""

    files: tuple[SourceFile, ...]
    skipped: tuple[SkippedFile, ...]

    def counts_by_reason(self) -> dict[str, int]:
        """How many skips each reason accounts for, keyed by reason in sorted order."""
        counts: dict[str, int] = {}
        for skipped in self.skipped:
            counts[skipped.reason] = counts.get(skipped.reason, 0) + 1
        return dict(sorted(counts.items()))


@dataclass(frozen=True, slots=True)
class FileExtraction:
    """The result of extracting one file."""

    path: str
    language: str
    chunks: tuple[Chunk, ...]
    has_syntax_errors: bool = False
    warnings: tuple[str, ...] = field(default_factory=tuple)
    # A limit of parsing.extract that cut this file short: "parse_timeout" (no chunks at all) or
    # "nested_too_deep" (definitions nested deeper than the limit were left out); None if none.
    limit_reached: str | None = None


@dataclass(frozen=True, slots=True)
class Hit:
    """One search result."""

    path: str
    start_line: int
    end_line: int
    name: str
    qualified_name: str
    kind: str
    language: str
    score: float
    signature: str = ""
    docstring_summary: str = ""
    code: str = ""
    dense_rank: int | None = None  # 1-based rank in the dense list, None if absent
    lexical_rank: int | None = None  # 1-based rank in the BM25 list, None if absent
    repository: str = ""  # which repository, in a search over several (search/multi_repository.py); else empty
    cosine: float | None = None  # query-definition cosine (None: no vector, or a keyword-only search)


@dataclass(frozen=True, slots=True)
class FileHit:
    """One file of a file-level answer (``ask --files``): its best definitions, best first."""

    path: str
    language: str
    score: float  # the score of its best hit
    hits: tuple[Hit, ...]


@dataclass(frozen=True, slots=True)
class ExtractionSummary:
    """Counts from one extraction run over some paths."""

    files_by_language: tuple[tuple[str, int], ...]
    chunks: int
    skipped_by_reason: tuple[tuple[str, int], ...]
    syntax_error_files: tuple[str, ...]
    failures: tuple[SkippedFile, ...]  # missing paths, unreadable files: these make the run fail
    seconds: float

    @property
    def files(self) -> int:
        return sum(count for _, count in self.files_by_language)

    @property
    def has_failures(self) -> bool:
        return bool(self.failures)


@dataclass(frozen=True, slots=True)
class IndexProgress:
    """Where an index update stands (passed to on_progress callbacks).

    An update commits every file first (searchable by keywords at once), then embeds: while
    ``chunks_to_embed`` is 0 it is reading files, afterwards it is embedding.
    """

    files_done: int
    files_total: int
    chunks_embedded: int
    embed_seconds: float  # time spent in the encoder so far
    chunks_to_embed: int = 0  # texts the embedding stage has to embed (0 until it starts)


@dataclass(frozen=True, slots=True)
class SemanticCoverage:
    """How much of an index the dense search sees: definitions with a vector, of all definitions.

    An index is built progressively (keywords first, vectors in rounds), so a search during a
    build, or after one was interrupted, finds the rest by keywords only.
    """

    embedded: int
    definitions: int

    @property
    def is_complete(self) -> bool:
        return self.embedded >= self.definitions

    def describe(self) -> str:
        """``semantic: 1,204 of 2,143 definitions``."""
        return f"semantic: {self.embedded:,} of {self.definitions:,} definitions"


@dataclass(frozen=True, slots=True)
class IndexSummary:
    """What one ``codesearch index`` run (or one watcher update) did."""

    files_total: int  # source files in the repository after the run
    files_new: int
    files_changed: int
    files_deleted: int
    files_unchanged: int
    chunks_total: int  # chunks in the index after the run
    chunks_embedded: int  # embedded by the encoder in this run
    chunks_cached: int  # new or changed chunks whose vector came from the embeddings cache
    skipped_by_reason: tuple[tuple[str, int], ...]
    syntax_error_files: tuple[str, ...]
    failures: tuple[SkippedFile, ...]
    seconds: float
    embed_seconds: float
    keywords_seconds: float = 0.0  # when every file was committed, searchable by keywords (the rest embeds)


@dataclass(frozen=True, slots=True)
class Answers:
    """The hits of each query of one ``ask``, and the index's semantic coverage when they were found."""

    hits: list[list[Hit]]
    coverage: SemanticCoverage | None  # None: not known (a server older than progressive indexing)
