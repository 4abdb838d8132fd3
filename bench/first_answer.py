"""Time to first answer: a fresh clone, `codesearch index`, and `codesearch ask` run as a new user would.

For each repository: a fresh copy (this repository: `git clone` of HEAD; a repo-level benchmark
repository: its tarball unpacked as its README says) and a fresh HOME (empty caches: the model
hashes and the ONNX export are made in the run). Then, in one go:

- `codesearch index` starts at t = 0; meanwhile a probe query is asked (`ask --json -k 3`, a new
  process each time, one second apart) until a relevant file is among its hits: **first correct
  answer**; then `status --json` is polled until every definition is embedded: **full semantic
  coverage** (for code that does not report coverage, the end of the run);
- definitions/s as the run's summary reports it;
- cold `ask --json` (no server: process start, imports, index, query encoder, search) p50/p95
  over ``--asks`` runs;
- warm `ask --json` (a `codesearch serve` answers) p50;
- a same-run baseline: `python -c pass`.

Prints one JSON object per repository and run label. The code under test is the checkout given by
``--src`` (default: this one), put first on PYTHONPATH, so another version (``git archive main |
tar -x -C /tmp/before``) is measured with the same interpreter and packages:

    python -m bench.first_answer --label after
    python -m bench.first_answer --label before --src /tmp/before

The machine may be shared: each line carries the load average at its start and end.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
REPO_LEVEL = REPO_ROOT.parent / "shared" / "benchmarks" / "repo-level"
POLL_GAP_S = 1.0


@dataclass(frozen=True)
class Probe:
    query: str
    relevant: tuple[str, ...]  # repo-relative paths (relative to what is indexed) that answer it


PROBES = {
    "self": Probe("split camelCase identifiers into words", ("codesearch/index/lexical.py",)),
    # From the repo-level annotations (paths made relative to benchmark_root).
    "starlette": Probe("parsing form data and file uploads", ("formparsers.py",)),
    "vitest": Probe("vi mock and spy utilities for mocking modules and functions", ("integrations/vi.ts",)),
}


def prepare(name: str, workdir: Path, self_ref: str) -> Path:
    """A fresh copy of repository ``name`` under ``workdir``; the folder to index."""
    if name == "self":
        target = workdir / "codesearch"
        subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", "--branch", self_ref, str(REPO_ROOT),
                        str(target)], check=True)
        return target
    entry = next(e for e in json.loads((REPO_LEVEL / "repos.json").read_text()) if e["name"] == name)
    dest = workdir / name
    dest.mkdir()
    with tarfile.open(REPO_LEVEL / "repos" / f"{name}.tar.gz") as archive:
        archive.extractall(dest, filter="data")
    root = dest / entry["benchmark_root"] if entry["benchmark_root"] else dest
    (root / ".git").mkdir(exist_ok=True)  # the repository root, for `ask` run from inside it
    return root


def environment(src: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CODESEARCH_") and k != "PYTHONPATH"}
    (home / "run").mkdir(parents=True, exist_ok=True)
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), XDG_RUNTIME_DIR=str(home / "run"),
               PYTHONPATH=str(src), HF_HUB_OFFLINE="1", PYTHONDONTWRITEBYTECODE="1")
    return env


def codesearch(*args: str) -> list[str]:
    # -P: the current folder (a clone of this repository holds a `codesearch` package) is not put on sys.path
    return [sys.executable, "-P", "-m", "codesearch", *args]


def timed(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, result


def is_correct(result: subprocess.CompletedProcess[str], probe: Probe) -> bool:
    if result.returncode != 0 or not result.stdout.strip():
        return False
    try:
        hits = json.loads(result.stdout)
    except json.JSONDecodeError:
        return False
    return any(str(hit["path"]).endswith(probe.relevant) for hit in hits[:3])


def index_while_asking(root: Path, probe: Probe, env: dict[str, str]) -> dict[str, Any]:
    """Run `index`, asking the probe until it is answered, then watching `status` until every
    definition is embedded; seconds to each, and to the end of the run."""
    ask = codesearch("ask", probe.query, "--json", "-k", "3")
    log = root.parent / f"index-{root.name}.log"
    started = time.perf_counter()
    with log.open("w") as stderr:
        indexing = subprocess.Popen(codesearch("index", str(root)), env=env, cwd=root, stderr=stderr,
                                    stdout=subprocess.DEVNULL)
        first_correct_s = first_coverage = full_s = None
        asks = 0
        while indexing.poll() is None and first_correct_s is None:
            _, result = timed(ask, env, root)
            asks += 1
            if is_correct(result, probe):
                first_correct_s = time.perf_counter() - started
                match = re.search(r"semantic: ([\d,]+ of [\d,]+)", result.stderr)
                first_coverage = match.group(1) if match else "complete"
            else:
                time.sleep(POLL_GAP_S)
        reports_coverage = True
        while indexing.poll() is None and full_s is None and reports_coverage:
            full_s, reports_coverage = _when_fully_embedded(root, env, started)
        indexing.wait()
    index_s = time.perf_counter() - started
    summary = log.read_text()
    if indexing.returncode != 0:
        raise RuntimeError(f"index failed: {summary[-2000:]}")
    if first_correct_s is None:
        _, result = timed(ask, env, root)
        first_correct_s = time.perf_counter() - started if is_correct(result, probe) else None
        first_coverage = "complete" if first_correct_s is not None else None
    counts = re.search(r"indexed (\d+) files, (\d+) definitions", summary)
    rate = re.search(r"(\d+) embedded \((\d+)/s\)", summary)
    keywords = re.search(r"searchable by keywords after ([\d.]+) s", summary)
    return {
        "files": int(counts.group(1)) if counts else None,
        "definitions": int(counts.group(2)) if counts else None,
        "first_correct_s": round(first_correct_s, 2) if first_correct_s is not None else None,
        "first_correct_coverage": first_coverage,
        "asks_while_indexing": asks,
        "keywords_s": float(keywords.group(1)) if keywords else None,  # as `index` reports it
        "full_coverage_s": round(full_s if full_s is not None else index_s, 2),
        "index_s": round(index_s, 2),  # the run's end: after full coverage, the query encoder's export
        "definitions_per_s": int(rate.group(2)) if rate else None,
    }


def _when_fully_embedded(root: Path, env: dict[str, str], started: float) -> tuple[float | None, bool]:
    """(seconds since ``started`` if `status` says every definition is embedded, else None; whether
    `status` reports coverage at all). Code that does not (before progressive indexing) is not asked
    again: the end of its run is its full coverage, and polling it would only slow it down."""
    _, result = timed(codesearch("status", "--json"), env, root)
    try:
        status = json.loads(result.stdout)
    except json.JSONDecodeError:
        status = {}
    if "embedded_chunks" not in status:
        return None, False
    if status["chunks"] > 0 and status["embedded_chunks"] >= status["chunks"]:
        return time.perf_counter() - started, True
    time.sleep(POLL_GAP_S)
    return None, True


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return round(statistics.median(ordered), 3), round(p95, 3)


def cold_asks(root: Path, probe: Probe, env: dict[str, str], count: int) -> dict[str, Any]:
    times, correct = [], 0
    for _ in range(count):
        seconds, result = timed(codesearch("ask", probe.query, "--json", "-k", "10"), env, root)
        times.append(seconds)
        correct += is_correct(result, probe)
    p50, p95 = percentiles(times)
    people = [timed(codesearch("ask", probe.query, "-k", "10"), env, root)[0] for _ in range(max(3, count // 3))]
    return {"cold_ask_p50_s": p50, "cold_ask_p95_s": p95, "cold_ask_correct": f"{correct}/{count}",
            "cold_ask_terminal_p50_s": percentiles(people)[0]}


def warm_asks(root: Path, probe: Probe, env: dict[str, str], count: int) -> dict[str, Any]:
    server = subprocess.Popen(codesearch("serve", str(root)), env=env, cwd=root, stderr=subprocess.PIPE,
                              stdout=subprocess.DEVNULL, text=True)
    try:
        assert server.stderr is not None
        for line in server.stderr:  # "serving on ..." once the model is loaded and the repository open
            if line.startswith("serving on"):
                break
        timed(codesearch("ask", probe.query, "--json"), env, root)  # the server's catch-up round, first query
        times = [timed(codesearch("ask", probe.query, "--json", "-k", "10"), env, root)[0] for _ in range(count)]
    finally:
        subprocess.run(codesearch("serve", "--stop"), env=env, cwd=root, capture_output=True, check=False)
        try:
            server.wait(60)
        except subprocess.TimeoutExpired:
            server.kill()
    return {"warm_ask_p50_s": percentiles(times)[0]}


def baseline(env: dict[str, str], count: int) -> float:
    return percentiles([timed([sys.executable, "-c", "pass"], env, Path.cwd())[0] for _ in range(count)])[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--label", default="after", help="Names the code under test in the output.")
    parser.add_argument("--src", type=Path, default=REPO_ROOT, help="The codesearch checkout to measure.")
    parser.add_argument("--repo", action="append", choices=sorted(PROBES), help="Repeatable; default: all.")
    parser.add_argument("--asks", type=int, default=10, help="Cold and warm asks per repository.")
    parser.add_argument("--self-ref", default="main", help="The branch of this repository to clone and index.")
    args = parser.parse_args()
    for name in args.repo or ["self", "starlette", "vitest"]:
        with tempfile.TemporaryDirectory(prefix="first-answer-") as folder:
            workdir = Path(folder)
            env = environment(args.src.resolve(), workdir / "home")
            load_start = os.getloadavg()[0]
            root = prepare(name, workdir, args.self_ref)
            record: dict[str, Any] = {"label": args.label, "repo": name, "query": PROBES[name].query}
            record |= index_while_asking(root, PROBES[name], env)
            record |= cold_asks(root, PROBES[name], env, args.asks)
            record |= warm_asks(root, PROBES[name], env, args.asks)
            record |= {"python_pass_p50_s": baseline(env, args.asks), "load1_start": round(load_start, 2),
                       "load1_end": round(os.getloadavg()[0], 2)}
            print(json.dumps(record), flush=True)
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
