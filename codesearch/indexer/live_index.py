"""A live index: watcher rounds applied to an open IndexStore, and ``codesearch watch``'s session.

``store_updater`` is the Updater both ``codesearch watch`` and the server hand to their Watcher: a
full round is ``indexing.update_repository``, any other ``indexing.update_paths`` with the paths
the watcher saw, exactly as ``codesearch index`` would do them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from codesearch.config import Settings
from codesearch.errors import CodesearchError
from codesearch.index.locations import index_dir_for, record_repo_root
from codesearch.index.records import IndexParams
from codesearch.index.store import IndexStore
from codesearch.indexer.embedding_rounds import CodeEmbedder, EncoderProvider
from codesearch.indexer.encoder_choice import update_settings
from codesearch.indexer.updates import update_paths, update_repository
from codesearch.indexer.watcher import ChangeBatch, ProgressCallback, RoundCallback, Updater, Watcher
from codesearch.parsing.text_formats import TextFiles
from codesearch.records import IndexSummary

logger = logging.getLogger(__name__)


def store_updater(store: IndexStore, root: Path, settings: Settings, encoder: EncoderProvider) -> Updater:
    """An Updater that brings ``store`` up to date with ``root`` (no ``reset``: see the server)."""

    def update(batch: ChangeBatch, on_progress: ProgressCallback | None) -> IndexSummary:
        if batch.reset:
            raise CodesearchError("this watcher cannot discard its index; run `codesearch index --full`")
        if batch.is_full:
            return update_repository(store, root, settings, encoder, on_progress)
        return update_paths(store, root, batch.paths, settings, encoder, on_progress)

    return update


class LazyEncoder:
    """Loads the encoder the first time something needs embedding; a context manager."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._encoder: CodeEmbedder | None = None

    def get(self) -> CodeEmbedder:
        if self._encoder is None:
            from codesearch.encoder.model import Encoder

            self._encoder = Encoder.load(self._settings.model, threads=self._settings.threads)
        return self._encoder

    def close(self) -> None:
        closer = getattr(self._encoder, "close", None)
        if closer is not None:
            closer()
        self._encoder = None

    def __enter__(self) -> LazyEncoder:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def index_params(settings: Settings) -> IndexParams:
    """What an index built with ``settings`` records, found without loading the model."""
    from codesearch.encoder.identity import describe_model

    identity = describe_model(settings.model)
    return IndexParams(
        identity.model_id, identity.model_hash, identity.dim, settings.hnsw_m, settings.hnsw_ef_construction
    )


@contextmanager
def watch_repository(
    repo_root: Path, settings: Settings, on_round: RoundCallback | None = None, *, lock_wait: bool = False
) -> Iterator[Watcher]:
    """Open (or create) the index of ``repo_root`` and keep it up to date until the block exits.

    The first round is a full update (what changed while nobody watched). The index's writer lock
    is held throughout, so a ``codesearch index`` of the same index meanwhile gets
    IndexLockedError naming this process.
    """
    if not repo_root.is_dir():
        raise CodesearchError(f"{repo_root} is not a folder")
    index_dir = index_dir_for(repo_root, settings.index_dir)
    settings = update_settings(settings, index_dir, full=False)  # an earlier shipped encoder's index keeps it
    params = index_params(settings)
    with (
        IndexStore.open(index_dir, expected=params, create=True, lock_wait=lock_wait) as store,
        LazyEncoder(settings) as encoder,
    ):
        record_repo_root(index_dir, repo_root)
        updater = store_updater(store, repo_root, settings, encoder.get)
        watcher = Watcher(
            repo_root, updater, debounce_s=settings.debounce_s, excluded=(index_dir,),
            text_files=TextFiles.from_settings(settings), on_round=on_round,
        )
        with watcher:
            yield watcher
