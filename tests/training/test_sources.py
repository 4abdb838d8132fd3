"""Sources: pins are checked and held-out sources are refused."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from codesearch.errors import DataError
from codesearch.evaluation.blocklist import parse_blocklist
from tests.training.conftest import python_function, write_repo
from training.sources import SourceSpec, read_source

BLOCKLIST = parse_blocklist("requests\npallets/flask\n")


def write_jsonl(path: Path, repos: list[str]) -> Path:
    records = [
        {
            "repo": repo,
            "path": "m.py",
            "func_name": f"task_{i}",
            "language": "python",
            "code": python_function(i),
            "docstring": "",
        }
        for i, repo in enumerate(repos)
    ]
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return path


def test_a_jsonl_source_is_read_and_its_digest_is_the_pin(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "pairs.jsonl", ["octo/a", "octo/b"])
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    found = read_source(SourceSpec("jsonl", path=str(path), sha256=digest), BLOCKLIST, tmp_path)
    assert [pair.repo for pair in found.pairs] == ["octo/a", "octo/b"]
    assert found.pin == digest


def test_a_jsonl_source_with_another_digest_is_refused(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "pairs.jsonl", ["octo/a"])
    with pytest.raises(DataError, match="sha256 is"):
        read_source(SourceSpec("jsonl", path=str(path), sha256="0" * 64), BLOCKLIST, tmp_path)


def test_held_out_records_refuse_the_source_unless_dropping_is_asked_for(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "pairs.jsonl", ["octo/a", "psf/requests", "pallets/flask"])
    with pytest.raises(DataError, match=r"held-out repositories \(pallets/flask, psf/requests\)"):
        read_source(SourceSpec("jsonl", path=str(path)), BLOCKLIST, tmp_path)
    found = read_source(SourceSpec("jsonl", path=str(path), drop_blocked=True), BLOCKLIST, tmp_path)
    assert [pair.repo for pair in found.pairs] == ["octo/a"]
    assert dict(found.skipped)["blocked_repository"] == 2


@pytest.mark.parametrize(
    "spec",
    [
        SourceSpec("dir", path="/somewhere/requests"),
        SourceSpec("dir", path="/somewhere/x", name="Requests"),
        SourceSpec("git", url="https://github.com/pallets/flask.git", rev="abcdef1"),
        SourceSpec("jsonl", path="/data/flask.jsonl", name="flask"),
    ],
)
def test_sources_named_like_held_out_projects_are_refused(spec: SourceSpec, tmp_path: Path) -> None:
    with pytest.raises(DataError, match="held out for evaluation"):
        read_source(spec, BLOCKLIST, tmp_path)


def test_a_manifest_listing_a_held_out_package_is_refused(tmp_path: Path) -> None:
    manifest = tmp_path / "m.toml"
    manifest.write_text(
        '[[package]]\nname = "flask-extras"\nversion = "1"\nlanguage = "python"\n'
        'source = "pypi"\nupstream = "pallets/flask"\n',
        encoding="utf-8",
    )
    with pytest.raises(DataError, match="lists held-out packages"):
        read_source(SourceSpec("manifest", path=str(manifest)), BLOCKLIST, tmp_path)


def test_manifest_pairs_are_named_after_the_package_or_its_upstream(tmp_path: Path) -> None:
    manifest = tmp_path / "m.toml"
    manifest.write_text(
        "".join(
            f'[[package]]\nname = "{name}"\nversion = "1"\nlanguage = "python"\n'
            f'source = "pypi"\nupstream = "octo/mono"\n\n'
            for name in ("mono-core", "mono-cli")
        ),
        encoding="utf-8",
    )
    for number, name in enumerate(("mono-core", "mono-cli")):
        folder = tmp_path / "cache" / "python" / f"{name}-1"
        write_repo(folder / "tree" / name, number * 20, 3)
        (folder / ".complete").write_text("done\n")
    by_package = read_source(SourceSpec("manifest", path=str(manifest)), BLOCKLIST, tmp_path / "cache")
    assert sorted({pair.repo for pair in by_package.pairs}) == ["mono-cli", "mono-core"]
    spec = SourceSpec("manifest", path=str(manifest), repo_names="upstream")
    by_upstream = read_source(spec, BLOCKLIST, tmp_path / "cache")
    assert {pair.repo for pair in by_upstream.pairs} == {"octo/mono"} and len(by_upstream.pairs) == 6
    with pytest.raises(DataError, match="repo_names must be one of"):
        SourceSpec("manifest", path=str(manifest), repo_names="owner")


def test_a_folder_pinned_to_a_commit_must_be_at_it(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "proj", 0, 2)
    assert len(read_source(SourceSpec("dir", path=str(root)), BLOCKLIST, tmp_path).pairs) == 2
    with pytest.raises(DataError, match="pinned to abcdef1"):
        read_source(SourceSpec("dir", path=str(root), rev="abcdef1"), BLOCKLIST, tmp_path)


def test_a_spec_missing_its_pin_fields_is_refused() -> None:
    with pytest.raises(DataError, match="git source needs rev"):
        SourceSpec("git", url="https://example.com/x.git")
    with pytest.raises(DataError, match="source kind"):
        SourceSpec("ftp", path="x")


def test_a_folder_can_be_pinned_by_the_digest_of_its_pairs(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "proj", 0, 2)
    found = read_source(SourceSpec("dir", path=str(root)), BLOCKLIST, tmp_path)
    assert (
        read_source(SourceSpec("dir", path=str(root), sha256=found.pin), BLOCKLIST, tmp_path).pin == found.pin
    )
    (root / "mod.py").write_text(python_function(7), encoding="utf-8")
    with pytest.raises(DataError, match="pairs digest is"):
        read_source(SourceSpec("dir", path=str(root), sha256=found.pin), BLOCKLIST, tmp_path)
