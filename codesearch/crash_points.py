"""Crash points: named places in the write path where the reliability suite kills this process.

The suite (tests/reliability/) proves that a kill -9 anywhere leaves an index that opens, passes
``status --check`` and converges on the next ``index``. Killing after a random delay mostly lands
in the encoder; these points let a test land the kill exactly where state is being written:

    batch:written     inside a batch's transaction, before COMMIT
    batch:committed   after COMMIT, before the in-memory HNSW index follows
    batch:applied     after the HNSW index followed
    atomic:renaming   a temporary file written and fsynced, before the rename over the old file
    vectors:saved     a new vectors file in place, before the sidecar vouches for it
    vectors:vouched   the sidecar written, before older vectors files are deleted
    embed:round       the model loaded and a round of texts about to be embedded (between commits)
    cache:written     a round's vectors written to the machine-wide embedding cache, before its COMMIT

The plan comes from ``CODESEARCH_TEST_CRASH_AT`` (see ``config.CrashPlan``); ``cli`` arms it for
every command. Unarmed, ``reached`` costs one global read. The signal is real: SIGKILL cannot be
caught, so no cleanup runs, exactly as when a user kills the process or the machine dies.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections import Counter

from codesearch.config import CrashPlan

logger = logging.getLogger(__name__)

_lock = threading.Lock()  # guards _plan and the counters
_plan: CrashPlan | None = None
_counts: Counter[str] = Counter()
_total = 0


def arm(plan: CrashPlan | None) -> None:
    """Follow ``plan`` from now on (None disarms); the counts start again from zero."""
    global _plan, _total
    with _lock:
        _plan = plan
        _counts.clear()
        _total = 0


def reached(name: str) -> None:
    """Mark crash point ``name``: the armed plan may kill or freeze the process here."""
    global _total
    if _plan is None:
        return
    with _lock:
        plan = _plan
        if plan is None:
            return
        _total += 1
        _counts[name] += 1
        count = _total if plan.point == "*" else _counts[name] if plan.point == name else 0
    if plan.is_trace:
        logger.warning("crash point %s #%d", name, _total)
        return
    if count == plan.count:
        logger.warning("crash point %s #%d: SIG%s", name, count, plan.signal_name)
        os.kill(os.getpid(), signal.SIGKILL if plan.signal_name == "KILL" else signal.SIGSTOP)
