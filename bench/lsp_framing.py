"""`codesearch lsp`'s own framing (codesearch/server/protocol.py) against pygls, measured in one run.

Why `codesearch lsp` does not use pygls: this prints, as JSON lines,
- ``import``: the best of ``--runs`` child processes importing only the LSP layer: pygls's server
  module with its lsprotocol types, against our framing module;
- ``initialize``: spawn to the ``initialize`` answer (best and median of ``--runs``) and peak RSS,
  for a minimal pygls server (workspace/symbol answering []) and for the real `codesearch lsp`
  (whose imports include the search stack: numpy, SQLite, the index);
- ``hostile``: what each does with a broken client: a huge Content-Length, a header without
  Content-Length, a lowercase ``content-length`` header (valid: header names are case-insensitive),
  invalid JSON: the answer (JSON-RPC error code, or none), the exit code, and peak RSS.

pygls is not a dependency: give a Python that has it, e.g.
``python -m venv /tmp/pygls && /tmp/pygls/bin/pip install pygls==2.1.1`` then
``.venv/bin/python -m bench.lsp_framing --pygls-python /tmp/pygls/bin/python``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from codesearch.server.protocol import Notification, decode_message, encode_frame, read_frame, request_message

REPO_ROOT = Path(__file__).resolve().parents[1]
PYGLS_SERVER = """
from lsprotocol import types
from pygls.lsp.server import LanguageServer

server = LanguageServer("pygls-baseline", "0")


@server.feature(types.WORKSPACE_SYMBOL)
def symbols(params):
    return []


server.start_io()
"""
INITIALIZE_MESSAGE = request_message(1, "initialize", {"processId": None, "rootUri": None, "capabilities": {}})
INITIALIZE = encode_frame(INITIALIZE_MESSAGE)
SYMBOLS = encode_frame(request_message(2, "workspace/symbol", {"query": "x"}))
HOSTILE = {
    "huge Content-Length": INITIALIZE + b"Content-Length: 2000000000\r\n\r\n{}",
    "no Content-Length": INITIALIZE + b"Content-Type: application/json\r\n\r\n{}" + SYMBOLS,
    "lowercase content-length": INITIALIZE.replace(b"Content-Length", b"content-length"),
    "invalid JSON": INITIALIZE + b"Content-Length: 6\r\n\r\n{oops}" + SYMBOLS,
}
HOSTILE_TIMEOUT_S = 20.0


def server_commands(pygls_python: str, script: Path) -> dict[str, list[str]]:
    return {"pygls": [pygls_python, str(script)], "codesearch": [sys.executable, "-m", "codesearch", "lsp"]}


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def time_initialize(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """Seconds from spawn to the initialize answer, and the peak RSS then (MiB)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=cwd, env=env)
    assert process.stdin is not None and process.stdout is not None
    process.stdin.write(INITIALIZE)
    process.stdin.flush()
    body = read_frame(process.stdout)
    elapsed = time.perf_counter() - started
    assert body is not None and decode_message(body).id == 1, body
    rss = peak_rss_mib(process.pid)
    process.kill()
    process.wait()
    return elapsed, rss


def hostile(command: list[str], data: bytes, cwd: Path, env: dict[str, str]) -> dict[str, Any]:
    """Send ``data`` and close stdin: the answers after initialize's, the exit code, the peak RSS."""
    process = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=cwd, env=env
    )
    assert process.stdin is not None and process.stdout is not None
    rss = 0.0
    try:
        process.stdin.write(data)
        process.stdin.close()
    except BrokenPipeError:
        pass
    answers = []
    deadline = time.monotonic() + HOSTILE_TIMEOUT_S
    try:
        while (body := read_frame(process.stdout)) is not None and time.monotonic() < deadline:
            message = decode_message(body)
            if isinstance(message, Notification):
                answers.append(f"notification {message.method}")
            else:
                error = getattr(message, "error", None)
                answers.append(f"id {getattr(message, 'id', None)}: " + (f"error {error.code}" if error else "result"))
            rss = max(rss, peak_rss_mib(process.pid)) if process.poll() is None else rss
    except Exception as exc:  # a stream that is not whole frames is a result too
        answers.append(f"unreadable output: {exc}")
    try:
        code: int | str = process.wait(HOSTILE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        rss = peak_rss_mib(process.pid)
        process.kill()
        process.wait()
        code = f"still running after {HOSTILE_TIMEOUT_S:.0f} s"
    return {"answers": answers or "none", "exit": code, "peak_rss_mib": round(rss, 1) if rss else None}


def import_seconds(python: str, module: str, runs: int, env: dict[str, str]) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([python, "-c", f"import {module}"], check=True, env=env)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pygls-python", required=True, help="a Python with pygls installed")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "XDG_RUNTIME_DIR": tempfile.mkdtemp(prefix="cs-bench-")}
    with tempfile.TemporaryDirectory() as folder:
        cwd = Path(folder)
        script = cwd / "pygls_server.py"
        script.write_text(PYGLS_SERVER)
        imports = {
            "pygls": import_seconds(args.pygls_python, "pygls.lsp.server, lsprotocol.types", args.runs, env),
            "codesearch": import_seconds(sys.executable, "codesearch.server.protocol", args.runs, env),
        }
        print(json.dumps({"measure": "import", "best_s": {k: round(v, 3) for k, v in imports.items()}}))
        for name, command in server_commands(args.pygls_python, script).items():
            runs = [time_initialize(command, cwd, env) for _ in range(args.runs)]
            seconds = [elapsed for elapsed, _ in runs]
            print(json.dumps({
                "measure": "initialize", "server": name, "best_s": round(min(seconds), 3),
                "median_s": round(statistics.median(seconds), 3), "peak_rss_mib": round(max(r for _, r in runs), 1),
            }))
        for case, data in HOSTILE.items():
            for name, command in server_commands(args.pygls_python, script).items():
                outcome = hostile(command, data, cwd, env)
                print(json.dumps({"measure": "hostile", "case": case, "server": name, **outcome}))
    print(json.dumps({"load_average": os.getloadavg()}))


if __name__ == "__main__":
    main()
