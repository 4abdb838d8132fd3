"""Watcher: keeps an index up to date while files change, in debounced update rounds.

The watchdog callback only records repo-relative paths in a set (under ``_cond``). One worker
thread waits for a quiet period (``debounce_s`` without new events, or ``max_delay_s`` after the
first one, so a never-ending stream of writes cannot starve it), takes the whole set, drops
ignored paths, and hands it to an ``Updater``: normally ``store_updater``, which runs the same
``indexing.update_paths`` as ``codesearch index``. So a ``git checkout`` of thousands of files is
one round, an editor's atomic save (write a temporary file, rename it over the original) is a
move event whose destination gets re-indexed, and a moved folder is its old path (gone: its
files are dropped) plus its new one (re-planned). A change to ``.gitignore``/``.ignore`` (or
``.git/info/exclude``) turns the next round into a full ``update_repository``, since its effect is
global. A failed round is logged, and the watcher carries on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from codesearch.errors import CodesearchError
from codesearch.indexer.watch_events import EVENT_TYPES, EventRecorder, PathFilter, is_pattern_file
from codesearch.parsing.ignore_rules import IgnoreRules, load_ignore_rules
from codesearch.parsing.text_formats import TextFiles
from codesearch.records import IndexProgress, IndexSummary

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[IndexProgress], None]


@dataclass(frozen=True, slots=True)
class ChangeBatch:
    """What one update round must bring up to date."""

    paths: frozenset[str]  # repo-relative POSIX paths of files or folders, present or gone
    is_full: bool = False  # re-scan the whole repository instead
    reset: bool = False  # discard the index first (only with is_full)


@dataclass(frozen=True, slots=True)
class WatchRound:
    """One finished update round: its summary, or why it failed."""

    generation: int  # 1 for the first round, then one more per round
    batch: ChangeBatch
    summary: IndexSummary | None
    error: str | None = None


Updater = Callable[[ChangeBatch, ProgressCallback | None], IndexSummary]
_Outcome = tuple[IndexSummary | None, str | None]  # a round's summary, or why it failed
RoundCallback = Callable[[WatchRound], None]


@dataclass(eq=False)
class _Job:
    """A round asked for explicitly (catch-up, reindex): runs without waiting for quiet."""

    batch: ChangeBatch
    on_progress: ProgressCallback | None = None
    done: threading.Event = field(default_factory=threading.Event)
    round: WatchRound | None = None


class Watcher:
    """Watches ``root`` and applies its changes through ``update``. A context manager (start/stop).

    Args:
        root: the repository folder.
        update: runs one round (called on the worker thread only, one round at a time).
        debounce_s: quiet period that ends a burst of events.
        max_delay_s: a round starts at most this long after the first event of a burst.
        excluded: folders whose events are dropped (the index folder, when it is inside ``root``).
        text_files: the files without a grammar that the updates index (their events matter too).
        catch_up: start with a full round, for changes made while nobody watched.
        on_round: called on the worker thread after every round (for logging).
    """

    def __init__(
        self,
        root: Path,
        update: Updater,
        *,
        debounce_s: float = 0.3,
        max_delay_s: float = 5.0,
        excluded: Iterable[Path] = (),
        text_files: TextFiles | None = None,
        catch_up: bool = True,
        on_round: RoundCallback | None = None,
    ) -> None:
        self.root = root.resolve()
        self._update = update
        self._debounce_s = debounce_s
        self._max_delay_s = max(max_delay_s, debounce_s)
        self.paths = PathFilter(self.root, excluded, text_files)
        self._catch_up = catch_up
        self._on_round = on_round
        self._rules: IgnoreRules | None = None  # only the worker thread uses it
        self._cond = threading.Condition()
        self._pending: set[str] = set()  # guarded by _cond, like every field down to _last_round
        self._is_full_pending = False
        self._is_full_due = False  # set by a failed round: upgrades the next round, never starts one
        self._first_event_s = 0.0
        self._last_event_s = 0.0
        self._jobs: deque[_Job] = deque()
        self._is_stopping = False
        self._is_updating = False
        self._generation = 0
        self._last_round: WatchRound | None = None
        self._observer: BaseObserver | None = None
        self._worker: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start watching; with ``catch_up`` the first round is a full update."""
        if self._worker is not None:
            raise RuntimeError("a Watcher starts once")
        if not self.root.is_dir():
            raise CodesearchError(f"cannot watch {self.root}: not a folder")
        observer = Observer()
        observer.schedule(
            EventRecorder(self.paths, self.record), str(self.root), recursive=True, event_filter=EVENT_TYPES
        )
        observer.daemon = True
        observer.start()
        self._observer = observer
        if self._catch_up:
            self._jobs.append(_Job(ChangeBatch(frozenset(), is_full=True)))
        self._worker = threading.Thread(target=self._run, name=f"watcher {self.root.name}", daemon=True)
        self._worker.start()

    def stop(self) -> None:
        """Stop watching; a round in progress finishes first. Rounds asked for and not run fail."""
        with self._cond:
            self._is_stopping = True
            self._cond.notify_all()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join()
        if self._worker is not None and self._worker is not threading.current_thread():
            self._worker.join()
        with self._cond:
            while self._jobs:
                job = self._jobs.popleft()
                job.round = WatchRound(0, job.batch, None, "the watcher stopped")
                job.done.set()

    def __enter__(self) -> Watcher:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- state, for callers and tests --------------------------------------------------------

    @property
    def generation(self) -> int:
        """How many rounds have finished."""
        with self._cond:
            return self._generation

    @property
    def last_round(self) -> WatchRound | None:
        with self._cond:
            return self._last_round

    @property
    def is_busy(self) -> bool:
        """Whether a round runs, or changes wait for one."""
        with self._cond:
            return self._is_updating or bool(self._pending or self._jobs or self._is_full_pending)

    def wait_for(self, generation: int, timeout_s: float | None = None) -> WatchRound | None:
        """Wait until round ``generation`` has finished; the latest round, or None on timeout."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._generation >= generation, timeout_s):
                return None
            return self._last_round

    def run_now(
        self,
        *,
        reset: bool = False,
        on_progress: ProgressCallback | None = None,
        timeout_s: float | None = None,
    ) -> WatchRound:
        """Run a full round on the worker as soon as it is free and return it (``reindex``).

        Raises:
            CodesearchError: the watcher stopped first, or ``timeout_s`` passed.
        """
        job = _Job(ChangeBatch(frozenset(), is_full=True, reset=reset), on_progress)
        with self._cond:
            if self._is_stopping or self._worker is None:
                raise CodesearchError("the watcher is not running")
            self._jobs.append(job)
            self._cond.notify_all()
        if not job.done.wait(timeout_s) or job.round is None:
            raise CodesearchError(f"the update of {self.root} did not finish in {timeout_s} s")
        return job.round

    # -- recording (watchdog's thread) -------------------------------------------------------

    def record(self, rel_paths: Iterable[str]) -> None:
        """Note changed repo-relative paths; the worker picks them up once things are quiet."""
        now = time.monotonic()
        with self._cond:
            for rel in rel_paths:
                if is_pattern_file(rel):
                    self._is_full_pending = True
                else:
                    self._pending.add(rel)
            if not (self._pending or self._is_full_pending):
                return
            if self._first_event_s == 0.0:  # the first event since the last round began
                self._first_event_s = now
            self._last_event_s = now
            self._cond.notify_all()

    # -- the worker --------------------------------------------------------------------------

    def _run(self) -> None:
        while (job := self._next_job()) is not None:
            batch, outcome = self._execute(job.batch, job.on_progress)
            self._finish(job, batch, outcome)

    def _next_job(self) -> _Job | None:
        """Block until a round is due; None once stopping."""
        with self._cond:
            while True:
                self._cond.wait_for(lambda: self._is_stopping or self._jobs or self._has_changes())
                if self._is_stopping:
                    return None
                if self._jobs:
                    job = self._jobs.popleft()
                    self._pending.clear()  # a full round covers every change recorded so far
                    self._is_full_pending = self._is_full_due = False
                elif self._quiet_wait_s() > 0:
                    self._cond.wait(self._quiet_wait_s())
                    continue
                else:
                    is_full = self._is_full_pending or self._is_full_due
                    job = _Job(ChangeBatch(frozenset(self._pending), is_full=is_full))
                    self._pending = set()
                    self._is_full_pending = self._is_full_due = False
                self._first_event_s = self._last_event_s = 0.0
                self._is_updating = True
                return job

    def _has_changes(self) -> bool:
        return bool(self._pending) or self._is_full_pending

    def _quiet_wait_s(self) -> float:
        """Seconds until the burst counts as over (under _cond)."""
        due = min(self._last_event_s + self._debounce_s, self._first_event_s + self._max_delay_s)
        return due - time.monotonic()

    def _kept(self, paths: Iterable[str]) -> list[str]:
        """The paths that are not ignored (folders judged as folders, gone paths as files)."""
        if self._rules is None:
            self._rules = load_ignore_rules(self.root)
        rules = self._rules
        return sorted(
            rel for rel in paths if rules.reason_for(rel, is_dir=(self.root / rel).is_dir()) is None
        )

    def _execute(
        self, batch: ChangeBatch, on_progress: ProgressCallback | None
    ) -> tuple[ChangeBatch, _Outcome | None]:
        """Run one round: the batch as run (ignored paths dropped) and its outcome (None: no round)."""
        try:
            if batch.is_full:
                self._rules = load_ignore_rules(self.root)
            else:
                batch = ChangeBatch(frozenset(self._kept(batch.paths)))
                if not batch.paths:
                    return batch, None
            return batch, (self._update(batch, on_progress), None)
        except Exception as exc:  # one failed round must not stop the watcher
            if isinstance(exc, CodesearchError):
                logger.error("update of %s failed: %s", self.root, exc)
            else:
                logger.exception("update of %s failed", self.root)
            with self._cond:
                self._is_full_due = True  # the changes this round lost: the next round rescans all
            return batch, (None, str(exc) or type(exc).__name__)

    def _finish(self, job: _Job, batch: ChangeBatch, outcome: _Outcome | None) -> None:
        """Publish a round (``outcome`` None: nothing was left to do, so no round counts)."""
        finished = None
        with self._cond:
            self._is_updating = False
            if outcome is not None:
                self._generation += 1
                finished = WatchRound(self._generation, batch, *outcome)
                self._last_round = finished
            self._cond.notify_all()
            job.round = finished or WatchRound(self._generation, batch, None)
        job.done.set()
        if finished is not None and self._on_round is not None:
            try:
                self._on_round(finished)
            except Exception:  # a listener's bug must not stop the watcher
                logger.exception("on_round callback failed")
