"""Incremental index updates, shared by ``codesearch index``, the watcher and the server.

A file is re-read only when its size or mtime changed, re-extracted only when its content hash
changed, and a chunk is embedded only when the embeddings cache has no vector for its exact text
under this model. An index whose rows an older extraction made (``RECORDS_VERSION``) has every
file re-extracted once by the next full update; only records with new text are embedded. Work
is committed in rounds (one SQLite transaction each), so an interrupted run keeps every finished
round and the next run resumes from there.

Progressive: an update runs in two stages. The first (here) reads, extracts and commits every
changed file (rows, keywords, and the vectors the cache already has), so the whole repository is
searchable by keywords within seconds; the second (indexer/embedding_rounds.py) embeds every chunk still
without a vector, this update's and any an interrupted run left, in committed rounds. ``ask``
meanwhile answers with what is there.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from codesearch.config import Settings
from codesearch.encoder.embedding_text import chunk_text, text_hash
from codesearch.errors import CodesearchError, IndexCorruptError
from codesearch.index.records import FileState, FileUpdate, IndexBatch, PendingChunk
from codesearch.index.store import IndexStore
from codesearch.indexer.embedding_rounds import (
    CodeEmbedder,
    EmbeddingTally,
    EncoderProvider,
    LazyEncoder,
    embed_unembedded,
    open_machine_cache,
)
from codesearch.indexer.healing import set_aside
from codesearch.parsing.discovery import QUIET_REASONS, check_path, load_ignore_rules, read_source
from codesearch.parsing.extraction_runs import plan_files
from codesearch.parsing.file_records import RECORDS_VERSION, extract_records
from codesearch.parsing.header_language import is_folder_evidence, is_shared_header
from codesearch.parsing.source_text import VANISHED
from codesearch.parsing.text_formats import TextFiles
from codesearch.records import IndexProgress, IndexSummary, SkippedFile, SourceFile

logger = logging.getLogger(__name__)

ROUND_FILES = 1000  # files per round at most (Settings.round_chunks bounds its definitions)


ProgressCallback = Callable[[IndexProgress], None]


@dataclass
class _Tally:
    """Running counts of one update (mutable, private to this module)."""

    files_total: int = 0
    new: int = 0
    changed: int = 0
    deleted: int = 0
    unchanged: int = 0
    cached: int = 0
    files_done: int = 0
    keywords_done_s: float = 0.0  # perf_counter() when every file was committed
    embedding: EmbeddingTally = field(default_factory=EmbeddingTally)
    is_reextracting: bool = False  # extract even files whose content hash is unchanged
    syntax_errors: list[str] = field(default_factory=list)
    failures: list[SkippedFile] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)


def update_repository(
    store: IndexStore,
    root: Path,
    settings: Settings,
    encoder: EncoderProvider,
    on_progress: ProgressCallback | None = None,
) -> IndexSummary:
    """Bring ``store`` up to date with every source file under ``root``."""
    started = time.perf_counter()
    plan = plan_files([root], max_file_bytes=settings.max_file_bytes, text_files=TextFiles.from_settings(settings))
    tally = _Tally(failures=list(plan.failures))
    tally.skipped.update(s.reason for s in plan.skipped)
    for skipped in plan.skipped:
        if skipped.reason not in QUIET_REASONS:
            logger.warning("skipped %s: %s %s", skipped.path, skipped.reason, skipped.detail)
    states = store.all_file_states()
    present = {f.path for f in plan.files}
    deletions = tuple(sorted(path for path in states if path not in present))
    tally.is_reextracting = store.meta.records_version != RECORDS_VERSION
    candidates = [f for f in plan.files if tally.is_reextracting or _stat_changed(f, states.get(f.path))]
    tally.unchanged = len(plan.files) - len(candidates)
    tally.files_total = len(plan.files)
    _apply(store, candidates, deletions, states, settings, LazyEncoder(encoder), tally, on_progress)
    if tally.is_reextracting:
        store.set_records_version(RECORDS_VERSION)
    return _summary(store, tally, started)


def update_paths(
    store: IndexStore,
    root: Path,
    rel_paths: Iterable[str],
    settings: Settings,
    encoder: EncoderProvider,
    on_progress: ProgressCallback | None = None,
) -> IndexSummary:
    """Bring the given repo-relative paths (files or folders, present or gone) up to date.

    The watcher calls this with the paths it saw change. A folder path covers every file under
    it; a path that is now missing, ignored or unsupported is dropped from the index, and so is
    every indexed file under it (a folder deleted, or moved out of the repository, arrives as
    one path for the folder alone). A C or C++ source that appeared or went away also brings the
    ``.h`` files beside it, whose language may depend on it (see parsing/header_language.py).
    """
    started = time.perf_counter()
    tally = _Tally()
    rules = load_ignore_rules(root)
    text_files = TextFiles.from_settings(settings)
    states = store.all_file_states()
    candidates: dict[str, SourceFile] = {}
    deletions: set[str] = set()
    for rel in sorted(set(rel_paths) | _headers_beside(root, rel_paths)):
        if (root / rel).is_dir():
            # Planning a folder on its own walks it on its own rules, so an ignored one is asked first.
            if rules.reason_for(rel, is_dir=True) is None:
                under = plan_files([root / rel], max_file_bytes=settings.max_file_bytes, text_files=text_files)
                candidates.update((f.path, f) for f in under.files)
        else:
            outcome = check_path(root, rel, rules=rules, max_file_bytes=settings.max_file_bytes,
                                 text_files=text_files)
            if isinstance(outcome, SourceFile):
                candidates[outcome.path] = outcome
            elif isinstance(outcome, SkippedFile) and outcome.reason != VANISHED:
                tally.skipped[outcome.reason] += 1
        prefix = "" if rel.strip("/") in ("", ".") else rel.rstrip("/") + "/"
        deletions.update(p for p in states if (p == rel or p.startswith(prefix)) and p not in candidates)
    changed = [f for f in candidates.values() if _stat_changed(f, states.get(f.path))]
    tally.unchanged = len(candidates) - len(changed)
    _apply(store, changed, tuple(sorted(deletions)), states, settings, LazyEncoder(encoder), tally, on_progress)
    tally.files_total = store.counts().files
    return _summary(store, tally, started)


def _headers_beside(root: Path, rel_paths: Iterable[str]) -> set[str]:
    """The ``.h`` files in the folders of the C and C++ sources among ``rel_paths``."""
    folders = {rel.rpartition("/")[0] for rel in rel_paths if is_folder_evidence(rel)}
    headers: set[str] = set()
    for folder in folders:
        try:
            names = [entry.name for entry in (root / folder).iterdir() if is_shared_header(entry.name)]
        except OSError:
            continue  # the folder went away with the source: its headers arrive as deletions
        headers.update(f"{folder}/{name}" if folder else name for name in names)
    return headers


def _stat_changed(source_file: SourceFile, state: FileState | None) -> bool:
    """Whether the file must be read: new, touched, or judged another language (a ``.h`` file)."""
    return state is None or (state.size_bytes, state.mtime_ns, state.language) != (
        source_file.size_bytes, source_file.mtime_ns, source_file.language
    )


@dataclass
class _Round:
    """Files read and extracted, waiting to be embedded and committed together."""

    updates: list[FileUpdate] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # embed hash -> text
    chunk_count: int = 0


def _apply(
    store: IndexStore,
    candidates: Sequence[SourceFile],
    deletions: tuple[str, ...],
    states: Mapping[str, FileState],
    settings: Settings,
    encoder: LazyEncoder,
    tally: _Tally,
    on_progress: ProgressCallback | None,
) -> None:
    """Commit ``candidates`` in rounds (deletions in the first), then embed what lacks a vector."""
    if deletions:
        store.apply_batch(IndexBatch(deletions=deletions))
        tally.deleted = len(deletions)
    pending = _Round()
    for source_file in candidates:
        _read_into(store, source_file, states.get(source_file.path), pending, tally)
        tally.files_done += 1
        if pending.chunk_count >= settings.round_chunks or len(pending.updates) >= ROUND_FILES:
            _commit(store, pending, tally, on_progress, len(candidates))
            pending = _Round()
    _commit(store, pending, tally, on_progress, len(candidates))
    tally.keywords_done_s = time.perf_counter()
    cache = open_machine_cache(settings)
    try:
        embed_unembedded(store, settings.round_chunks, settings.batch_size, encoder, tally.embedding,
                         lambda: _report(on_progress, tally, len(candidates)), cache)
    finally:
        if cache is not None:
            cache.close()


def _read_into(
    store: IndexStore, source_file: SourceFile, state: FileState | None, pending: _Round, tally: _Tally
) -> None:
    try:
        data = read_source(source_file.absolute_path, store_limit(source_file), root=source_file.root)
    except (OSError, CodesearchError) as exc:
        tally.failures.append(SkippedFile(source_file.path, "unreadable", str(exc)))
        logger.warning("%s: cannot read: %s", source_file.path, exc)
        return
    content_hash = hashlib.sha256(data).hexdigest()
    # Same bytes read as the same language (a header can turn from C to C++): the same records.
    is_same = state is not None and state.content_hash == content_hash and state.language == source_file.language
    if is_same and not tally.is_reextracting:
        store.touch_file(source_file.path, source_file.size_bytes, source_file.mtime_ns)
        tally.unchanged += 1
        return
    if state is None:
        tally.new += 1
    elif is_same:
        tally.unchanged += 1
    else:
        tally.changed += 1
    extraction = extract_records(source_file.path, data, source_file.language)
    if extraction.limit_reached is not None:
        # Counted, and the file is recorded with what it gave, so an unchanged file is not retried.
        tally.skipped[extraction.limit_reached] += 1
        logger.warning("%s", extraction.warnings[-1])
    if extraction.has_syntax_errors:
        tally.syntax_errors.append(source_file.path)
        for warning in extraction.warnings:
            logger.info("%s", warning)
    pending_chunks = []
    for chunk in extraction.chunks:
        text = chunk_text(chunk)
        embed_hash = text_hash(text)
        pending.texts[embed_hash] = text
        pending_chunks.append(PendingChunk(chunk, embed_hash))
    pending.chunk_count += len(pending_chunks)
    pending.updates.append(
        FileUpdate(source_file.path, source_file.language, source_file.size_bytes, source_file.mtime_ns,
                   content_hash, tuple(pending_chunks))
    )


def store_limit(source_file: SourceFile) -> int:
    """Read limit for a file discovery already admitted: its size at discovery, with room to grow."""
    return max(source_file.size_bytes * 2, 1 << 20)


def _commit(
    store: IndexStore, pending: _Round, tally: _Tally, on_progress: ProgressCallback | None, files_total: int
) -> None:
    """The files of one round, with every vector the cache has; the rest wait for the embedding stage."""
    if pending.updates:
        tally.cached += len(store.cached_embeddings(pending.texts.keys()))
        store.apply_batch(IndexBatch(upserts=tuple(pending.updates)))
    _report(on_progress, tally, files_total)


def _report(on_progress: ProgressCallback | None, tally: _Tally, files_total: int) -> None:
    if on_progress is not None:
        done = tally.embedding
        on_progress(IndexProgress(tally.files_done, files_total, done.embedded, done.seconds, done.to_embed))


def _summary(store: IndexStore, tally: _Tally, started: float) -> IndexSummary:
    return IndexSummary(
        files_total=tally.files_total,
        files_new=tally.new,
        files_changed=tally.changed,
        files_deleted=tally.deleted,
        files_unchanged=tally.unchanged,
        chunks_total=store.counts().chunks,
        chunks_embedded=tally.embedding.embedded,
        chunks_cached=tally.cached + tally.embedding.from_machine_cache,
        skipped_by_reason=tuple(sorted(tally.skipped.items())),
        syntax_error_files=tuple(tally.syntax_errors),
        failures=tuple(tally.failures),
        seconds=time.perf_counter() - started,
        embed_seconds=tally.embedding.seconds,
        keywords_seconds=max(0.0, tally.keywords_done_s - started),
    )


def index_repository(
    repo_root: Path,
    settings: Settings,
    *,
    full: bool = False,
    on_progress: ProgressCallback | None = None,
    lock_wait: bool = False,
    embedder: CodeEmbedder | None = None,
) -> IndexSummary:
    """Create or update the index of ``repo_root`` (``full`` discards the old index first).

    The model is identified without loading it (hash of its files), and loaded only if some chunk
    needs embedding, so an unchanged repository is checked in about the time of a directory walk.
    ``embedder`` (already loaded elsewhere, e.g. a pool of Ray actors running this model) embeds
    instead of a local encoder.
    """
    from codesearch.encoder.identity import describe_model
    from codesearch.index.locations import index_dir_for, record_repo_root
    from codesearch.index.records import IndexParams
    from codesearch.indexer.encoder_choice import update_settings

    if not repo_root.is_dir():
        raise CodesearchError(f"{repo_root} is not a folder")
    index_dir = index_dir_for(repo_root, settings.index_dir)
    settings = update_settings(settings, index_dir, full=full)  # an earlier shipped encoder's index keeps it
    identity = describe_model(settings.model)
    params = IndexParams(identity.model_id, identity.model_hash, identity.dim, settings.hnsw_m,
                         settings.hnsw_ef_construction)

    def provide() -> CodeEmbedder:
        if embedder is None:
            return _load_encoder(settings, identity.model_hash)
        _ensure_query_export(settings, identity.model_hash)
        return embedder

    def update() -> IndexSummary:
        with IndexStore.open(index_dir, expected=params, create=True, reset=full, lock_wait=lock_wait) as store:
            store.check_damage()
            record_repo_root(index_dir, repo_root)
            return update_repository(store, repo_root, settings, provide, on_progress)

    try:
        summary = update()
    except IndexCorruptError as exc:
        aside = set_aside(index_dir)
        logger.warning("%s: moved the damaged index to %s and rebuilt it", exc.args[0].split(";")[0], aside)
        summary = update()
    _ensure_query_export(settings, identity.model_hash)  # when nothing was embedded; ~50 ms if it is there
    return summary


def _load_encoder(settings: Settings, model_hash: str) -> CodeEmbedder:
    """The torch encoder, and first the ONNX export for queries when it is missing (once per model,
    ~10 s): `ask`s while this run embeds then load in a fraction of a second, not torch's seconds."""
    from codesearch.encoder.model import Encoder

    _ensure_query_export(settings, model_hash)
    return Encoder.load(settings.model, threads=settings.threads)


def _ensure_query_export(settings: Settings, model_hash: str) -> None:
    from codesearch.config import user_cache_dir
    from codesearch.encoder.onnx_export import ensure_export

    ensure_export(settings.model, model_hash, user_cache_dir(), threads=settings.threads)
