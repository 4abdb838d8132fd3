"""``python -m tests.fuzz.index_worker``: the child process the index-file targets feed, one request a line.

A crafted index file that gets past the checks could make a native library (hnswlib, SQLite) abort or
segfault: in a child, that ends the child, and the target names the input, where in the test process it
would end the run. Requests and answers are JSON lines:

- ``{"argv": [...]}``: a ``codesearch`` command line through click's CliRunner (the hashing stand-in for
  the model, stand_in.py); answers ``{"exit_code", "stdout", "stderr", "traceback"}``;
- ``{"vectors": PATH}``: loads a vectors file as an index of dimension 8, M 4, ef_construction 20, then
  searches, deletes from and grows what loaded; answers ``{"outcome": "loaded"}`` or ``"refused"``.

The answers go to a copy of file descriptor 1; descriptor 1 itself points at stderr, so that nothing a
command or a library prints can be taken for an answer. ``Worker`` is the targets' end of it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import traceback
from contextlib import suppress
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
from click.testing import CliRunner

from codesearch.cli.commands import cli
from codesearch.errors import IndexCorruptError
from codesearch.index.vectors import ExpectedVectors, VectorIndex
from tests.fuzz.harness import Failure, World, clipped
from tests.fuzz.live import StderrKept, environment
from tests.fuzz.stand_in import hashing_model

WAIT_S = 60.0
VECTORS = np.random.default_rng(0).random((8, 8), dtype=np.float32)  # (8, dim 8) float32: queries and additions


class Worker:
    """The child process of index_worker.py, speaking JSON lines; a request it leaves unanswered is a Failure."""

    def __init__(self, world: World) -> None:
        runtime = world.scratch / "worker-home" / "run"  # no server listens there: commands run in the child
        runtime.mkdir(parents=True, mode=0o700, exist_ok=True)
        self.process = subprocess.Popen([sys.executable, "-m", "tests.fuzz.index_worker"], cwd=world.scratch,
                                        env=environment(world, runtime), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)
        self.stderr = StderrKept(self.process)

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        with suppress(BrokenPipeError):
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            code = self.process.wait(WAIT_S)
            raise Failure(f"the child ended with exit code {code}: {clipped(self.stderr.text())}")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def __enter__(self) -> Worker:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self.process.stdin is not None
        with suppress(BrokenPipeError):
            self.process.stdin.close()
        try:
            code = self.process.wait(WAIT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        text = self.stderr.close()
        if exc is None and (code != 0 or "Traceback" in text):
            raise Failure(f"the child ended with exit code {code}: {clipped(text)}")


def run_command(argv: list[str]) -> dict[str, Any]:
    result = CliRunner().invoke(cli, argv, catch_exceptions=True)
    problem = result.exception
    trace = None
    if problem is not None and not isinstance(problem, SystemExit):
        trace = "".join(traceback.format_exception(problem))
    return {"exit_code": result.exit_code, "stdout": result.stdout, "stderr": result.stderr, "traceback": trace}


def load_vectors(path: str, serial: int) -> dict[str, Any]:
    try:
        index = VectorIndex.load(Path(path), ExpectedVectors(8, 4, 20))
    except IndexCorruptError:
        return {"outcome": "refused"}
    for vector in VECTORS:
        index.search(vector, 10)
    index.mark_deleted([0, 1])
    index.add([1_000_000 + 3 * serial + i for i in range(3)], VECTORS[:3])
    index.search(VECTORS[0], 50)
    return {"outcome": "loaded"}


def main() -> None:
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    with hashing_model():
        for serial, line in enumerate(sys.stdin):
            request = json.loads(line)
            answer = run_command(request["argv"]) if "argv" in request else load_vectors(request["vectors"], serial)
            answers.write(json.dumps(answer) + "\n")
            answers.flush()


if __name__ == "__main__":
    main()
