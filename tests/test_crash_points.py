"""Crash points: unarmed they do nothing; armed, the chosen one really kills (or freezes) the process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from codesearch import crash_points

TIMEOUT_S = 60.0
_SCRIPT = """
from codesearch import crash_points
from codesearch.config import crash_plan
crash_points.arm(crash_plan())
for name in ["a", "b", "a", "b", "a"]:
    crash_points.reached(name)
    print("passed", name, flush=True)
"""


def run_points(plan: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CODESEARCH_TEST_CRASH_AT": plan, "PYTHONPATH": os.getcwd()}
    return subprocess.run(
        [sys.executable, "-c", _SCRIPT], env=env, capture_output=True, text=True, timeout=TIMEOUT_S, check=False
    )


def test_unarmed_points_do_nothing() -> None:
    crash_points.arm(None)
    crash_points.reached("batch:committed")


@pytest.mark.parametrize(("plan", "passed"), [("3", 2), ("b:2", 3), ("a:1", 0)])
def test_the_chosen_point_kills_the_process(plan: str, passed: int) -> None:
    result = run_points(plan)
    assert result.returncode == -signal.SIGKILL
    assert result.stdout.count("passed") == passed
    assert "crash point" in result.stderr and "SIGKILL" in result.stderr


def test_a_plan_beyond_the_last_point_lets_the_process_finish() -> None:
    result = run_points("6")
    assert result.returncode == 0 and result.stdout.count("passed") == 5


def test_trace_names_every_point() -> None:
    result = run_points("trace")
    assert result.returncode == 0
    assert [line.split("crash point ")[1] for line in result.stderr.splitlines()] == [
        "a #1", "b #2", "a #3", "b #4", "a #5"
    ]


def test_stop_freezes_the_process_until_continued() -> None:
    env = {**os.environ, "CODESEARCH_TEST_CRASH_AT": "b:1/STOP", "PYTHONPATH": os.getcwd()}
    process = subprocess.Popen(
        [sys.executable, "-c", _SCRIPT], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None and process.stdout is not None
    assert "SIGSTOP" in process.stderr.readline()  # written just before it stopped itself
    assert os.waitpid(process.pid, os.WUNTRACED)[1] & 0xFF == 0x7F  # WIFSTOPPED
    os.kill(process.pid, signal.SIGCONT)
    assert process.wait(TIMEOUT_S) == 0
    assert process.stdout.read().count("passed") == 5

