"""An installed wheel carries every module, the grammar query files and the default encoder, and works
without the source tree."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from codesearch.parsing.languages import LANGUAGES

REPO_ROOT = Path(__file__).resolve().parents[1]


def test_wheel_ships_grammars_and_loads_them_when_installed(tmp_path: Path) -> None:
    wheel_dir = tmp_path / "wheel"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheel_dir),
         str(REPO_ROOT)],
        check=True, capture_output=True, cwd=tmp_path,
    )
    (wheel,) = wheel_dir.glob("codesearch-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"codesearch/grammars/{spec.query_name}.scm" for spec in LANGUAGES}
    assert expected <= names
    assert "training/__init__.py" in names
    files = ("adapter.safetensors", "codesearch-encoder.json")
    shipped = {f"codesearch/encoder/models/minilm-code-v1/{name}" for name in files}
    assert shipped <= names  # the default encoder travels inside the wheel
    sources = {path.relative_to(REPO_ROOT).as_posix() for top in ("codesearch", "training") for path in
               (REPO_ROOT / top).rglob("*.py")}
    assert sources - names == set()  # every package of the layered tree is listed in pyproject.toml

    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True, capture_output=True, cwd=tmp_path,
    )
    probe = (
        "import codesearch.parsing.queries as q, codesearch.parsing.languages as l;"
        "assert q.__file__.startswith(%r), q.__file__;"
        "[q.compiled_query(spec) for spec in l.LANGUAGES];print('ok')".replace("%r", repr(str(target)))
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert result.stdout.strip() == "ok", result.stderr

    # Every module imports from the installed wheel alone (``__main__`` would run the CLI).
    modules = sorted(
        name[: -len(".py")].removesuffix("/__init__").replace("/", ".")
        for name in names
        if name.endswith(".py") and not name.endswith("__main__.py")
    )
    probe = (
        "import importlib, sys;"
        f"mods = {modules!r};"
        "[importlib.import_module(m) for m in mods];"
        f"assert all(sys.modules[m].__file__.startswith({str(target)!r}) for m in mods);"
        "print(len(mods))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert result.stdout.strip() == str(len(modules)), result.stderr
    assert len(modules) > 150
