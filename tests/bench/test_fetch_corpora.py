"""The network-free parts of bench/fetch_corpora.py: the blocklist refusal, .dsc checks, unpacking."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from tests.bench.scripts import REPO_ROOT, load_bench_script

fetch_corpora = load_bench_script("fetch_corpora")
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


def _held_out_sets(tmp_path: Path) -> list[str]:
    """A blocklist, an evaluation manifest holding rich and a repo-level list holding tokio, as flags."""
    (tmp_path / "blocklist.txt").write_text("requests\n")
    (tmp_path / "corpora.toml").write_text(ENTRY.format(name="rich", up="Textualize/rich"))
    (tmp_path / "repos.json").write_text('[{"name": "tokio", "url": "https://github.com/tokio-rs/tokio.git"}]')
    return ["--blocklist", str(tmp_path / "blocklist.txt"), "--exclude-manifest", str(tmp_path / "corpora.toml"),
            "--exclude-repos", str(tmp_path / "repos.json"), "--cache-dir", str(tmp_path / "cache")]


@pytest.mark.parametrize(("name", "upstream"), [("rich", "Textualize/rich"), ("tokio-util", "tokio-rs/tokio")])
def test_a_package_of_an_evaluation_set_stops_the_run(tmp_path: Path, name: str, upstream: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    manifest = tmp_path / "training.toml"
    manifest.write_text(ENTRY.format(name="fine", up="o/fine") + ENTRY.format(name=name, up=upstream))
    code = fetch_corpora.main(["--manifest", str(manifest), *_held_out_sets(tmp_path)])
    assert code == 2
    assert name in capsys.readouterr().err
    assert not (tmp_path / "cache").exists()


def test_the_evaluation_manifest_is_not_refused_for_listing_itself(tmp_path: Path) -> None:
    manifest = tmp_path / "corpora.toml"
    manifest.write_text(ENTRY.format(name="rich", up="Textualize/rich"))
    (tmp_path / "blocklist.txt").write_text("requests\n")
    (tmp_path / "repos.json").write_text("[]")
    args = fetch_corpora._parse_args(["--manifest", str(manifest), "--exclude-manifest", str(manifest),
                                      "--exclude-repos", str(tmp_path / "repos.json")])
    manifests, repo_lists = fetch_corpora._exclusions(args)
    assert manifests == [] and repo_lists == [tmp_path / "repos.json"]


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


def test_both_evaluation_manifests_are_held_out_by_default_except_the_one_fetched(tmp_path: Path) -> None:
    training = tmp_path / "training.toml"
    defaults = fetch_corpora._exclusions(fetch_corpora._parse_args(["--manifest", str(training)]))[0]
    assert defaults == list(fetch_corpora.EVALUATION_MANIFESTS)
    languages = REPO_ROOT / "bench" / "corpora-languages.toml"
    fetched = fetch_corpora._exclusions(fetch_corpora._parse_args(["--manifest", str(languages)]))[0]
    assert fetched == [REPO_ROOT / "bench" / "corpora.toml"]
