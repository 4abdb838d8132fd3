"""The network-free parts of bench/fetch_corpora.py: the blocklist refusal, .dsc checks, unpacking."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import tarfile
from pathlib import Path
from types import ModuleType

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fetch_corpora", REPO_ROOT / "bench" / "fetch_corpora.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


fetch_corpora = _load_script()
ENTRY = (
    '[[package]]\nname = "{name}"\nversion = "1.0"\nlanguage = "python"\nsource = "pypi"\n'
    'upstream = "{up}"\n'
)


def test_a_blocklisted_package_stops_the_run_before_any_download(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    manifest = tmp_path / "corpora.toml"
    manifest.write_text(
        ENTRY.format(name="fine", up="o/fine") + ENTRY.format(name="Requests", up="psf/requests")
    )
    blocklist = tmp_path / "blocklist.txt"
    blocklist.write_text("requests\n")
    cache = tmp_path / "cache"
    code = fetch_corpora.main(
        ["--manifest", str(manifest), "--blocklist", str(blocklist), "--cache-dir", str(cache)]
    )
    assert code == 2
    assert "Requests" in capsys.readouterr().err
    assert not cache.exists()


def test_a_missing_blocklist_stops_the_run(tmp_path: Path) -> None:
    manifest = tmp_path / "corpora.toml"
    manifest.write_text(ENTRY.format(name="fine", up="o/fine"))
    code = fetch_corpora.main(["--manifest", str(manifest), "--blocklist", str(tmp_path / "none.txt"),
                               "--cache-dir", str(tmp_path / "cache")])
    assert code == 2


def _dsc(files: dict[str, bytes]) -> str:
    lines = [f" {hashlib.sha256(data).hexdigest()} {len(data)} {name}" for name, data in files.items()]
    return "Format: 3.0 (quilt)\nSource: demo\nChecksums-Sha256:\n" + "\n".join(lines) + "\nHomepage: x\n"


def test_upstream_tarball_is_taken_from_the_dsc_and_verified(tmp_path: Path) -> None:
    files = {"demo_1.0.orig.tar.gz": b"upstream", "demo_1.0-1.debian.tar.xz": b"packaging"}
    (tmp_path / "demo_1.0-1.dsc").write_text(_dsc(files))
    (tmp_path / "demo_1.0.orig.tar.gz").write_bytes(b"upstream")  # the packaging file is missing: fine
    assert fetch_corpora._upstream_tarballs(tmp_path, "") == [tmp_path / "demo_1.0.orig.tar.gz"]
    (tmp_path / "demo_1.0.orig.tar.gz").write_bytes(b"tampered")
    with pytest.raises(fetch_corpora.FetchError, match="SHA-256"):
        fetch_corpora._upstream_tarballs(tmp_path, "")
    (tmp_path / "demo_1.0.orig.tar.gz").unlink()
    with pytest.raises(fetch_corpora.FetchError, match="not fetched"):
        fetch_corpora._upstream_tarballs(tmp_path, "404")


def test_unpack_refuses_paths_outside_the_destination(tmp_path: Path) -> None:
    archive = tmp_path / "evil.tar.gz"
    with tarfile.open(archive, "w:gz") as bundle:
        data = b"x"
        member = tarfile.TarInfo("../outside.py")
        member.size = len(data)
        bundle.addfile(member, io.BytesIO(data))
    with pytest.raises(tarfile.TarError):
        fetch_corpora._unpack(archive, tmp_path / "tree")
    assert not (tmp_path / "outside.py").exists()
