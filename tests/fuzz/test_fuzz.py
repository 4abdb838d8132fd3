"""The fuzz suite: every registered target, thousands of seeded inputs, no traceback, hang or crash.

Each target (one module per surface, registered in harness.py) gets its inputs in a fixed order; a
failure names the input's number, which ``harness.input_of`` replays alone. A target with a live
process starts it before its first input and checks how it ended after the last. Counts per target and
outcome are printed at the end of the run and quoted in docs/threat-model.md, "Fuzzing".
"""

from __future__ import annotations

import contextlib

import pytest

from tests.fuzz import (  # noqa: F401 - each registers its targets
    cli_arguments,
    config_files,
    deep_nesting,
    frames,
    index_files,
    live_lsp,
    live_mcp,
    live_socket,
    queries,
    vectors_files,
)
from tests.fuzz.harness import TARGETS, Failure, Hang, World, deadline, input_of, record, shown


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_every_input_is_answered_or_refused_in_one_line(fuzz_world: World, name: str) -> None:
    target = TARGETS[name]
    with contextlib.ExitStack() as stack:
        with deadline(target.start_s):
            fed = fuzz_world if target.live is None else stack.enter_context(target.live(fuzz_world))
        for index in range(target.inputs):
            value = input_of(target, fuzz_world, index)
            try:
                with deadline(target.timeout_s):
                    outcome = target.check(fed, value)
            except (Exception, Hang) as problem:  # a Failure, or an exception that escaped: a traceback for a user
                raise Failure(f"{name} input #{index} ({shown(value)}): {problem!r}"[:8000]) from problem
            record(name, outcome)
        with deadline(target.start_s):
            stack.close()  # the live process: still serving, then ended cleanly
