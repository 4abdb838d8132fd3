"""Download and unpack the pinned packages of bench/corpora.toml into the corpus cache.

    python -m bench.fetch_corpora [--cache-dir DIR] [--only NAME ...]

Each package lands in <cache>/<language>/<name>-<version>/tree, built in a scratch folder and moved
into place with a .complete marker, so an interrupted run leaves nothing half-made and a second run
touches the network only for what is missing. The whole manifest is refused, before anything is
downloaded, if a package or its upstream repository is on the held-out blocklist.

Registries (the only ones reachable from the build machines): pip for PyPI sdists, npm for npm
tarballs, apt for Debian. Debian source packages need deb-src indexes, which the system's apt
configuration lacks; they are read through a private apt configuration under <cache>/.apt, so the
system's apt state is never changed. From a source package only the upstream (orig) tarball is
used, verified against the SHA-256 in the signed .dsc.

A training manifest is also refused when it lists a package of the evaluation corpora
(bench/corpora.toml and bench/corpora-languages.toml, except the manifest being fetched) or a repository
of the repo-level dev set (../shared/benchmarks/repo-level/repos.json): ``--exclude-manifest`` and
``--exclude-repos``.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from codesearch.errors import DataError
from codesearch.evaluation.blocklist import Blocklist
from codesearch.evaluation.corpora import (
    COMPLETE_MARKER,
    TREE_DIR,
    blocked_packages,
    default_corpora_dir,
    is_fetched,
    load_manifest,
    package_dir,
    source_root,
)
from codesearch.evaluation.held_out import held_out_blocklist
from codesearch.evaluation.mined import source_files
from codesearch.evaluation.records import CorpusPackage, PackageSource

logger = logging.getLogger("fetch_corpora")

REPO_ROOT = Path(__file__).resolve().parents[1]
EVALUATION_MANIFESTS = (REPO_ROOT / "bench" / "corpora.toml", REPO_ROOT / "bench" / "corpora-languages.toml")
DEBIAN_SOURCES = (  # the Debian release the manifest's apt versions are pinned to
    "deb-src http://deb.debian.org/debian bookworm main\n"
    "deb-src http://deb.debian.org/debian bookworm-updates main\n"
    "deb-src http://deb.debian.org/debian-security bookworm-security main\n"
)
_UPSTREAM_TARBALL = re.compile(r"\.orig(-[\w.-]+)?\.tar\.(gz|xz|bz2|lzma)$")
_NATIVE_TARBALL = re.compile(r"(?<!\.debian)\.tar\.(gz|xz|bz2|lzma)$")
_ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".tar.xz", ".tar.bz2", ".zip", ".deb")


class FetchError(Exception):
    """A package could not be downloaded or unpacked."""


def _run(command: Sequence[str], cwd: Path, allow_failure: bool = False) -> subprocess.CompletedProcess[str]:
    logger.debug("running %s in %s", " ".join(command), cwd)
    result = subprocess.run(list(command), cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0 and not allow_failure:
        tail = (result.stderr or result.stdout).strip().splitlines()[-5:]
        raise FetchError(f"{' '.join(command[:3])} ... failed ({result.returncode}): " + " | ".join(tail))
    return result


def _archives(folder: Path) -> list[Path]:
    return sorted(path for path in folder.iterdir() if path.name.endswith(_ARCHIVE_SUFFIXES))


def _download_pypi(package: CorpusPackage, workdir: Path) -> list[Path]:
    # --no-binary for the package alone: its build requirements (setuptools, Cython, ...) come as wheels,
    # which pip needs to read an sdist's metadata; ":all:" would compile them from source.
    _run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", package.name, "--quiet",
          "--dest", str(workdir), f"{package.name}=={package.version}"], workdir)
    return _archives(workdir)


def _download_npm(package: CorpusPackage, workdir: Path) -> list[Path]:
    _run(["npm", "pack", f"{package.name}@{package.version}", "--pack-destination", str(workdir),
          "--silent"], workdir)
    return _archives(workdir)


def _download_apt(package: CorpusPackage, workdir: Path) -> list[Path]:
    _run(["apt-get", "-o", "APT::Sandbox::User=root", "download", f"{package.name}={package.version}"],
         workdir)
    return _archives(workdir)


def _apt_options(apt_dir: Path) -> list[str]:
    """apt-get options that read deb-src indexes from ``apt_dir`` instead of the system's."""
    settings = {
        "Dir::Etc::sourcelist": apt_dir / "sources.list",
        "Dir::Etc::sourceparts": apt_dir / "sources.list.d",
        "Dir::State::Lists": apt_dir / "lists",
        "Dir::Cache": apt_dir / "cache",
        "APT::Sandbox::User": "root",
    }
    return [option for key, value in settings.items() for option in ("-o", f"{key}={value}")]


def _ensure_source_indexes(apt_dir: Path) -> None:
    if any((apt_dir / "lists").glob("*_Sources*")):
        return
    for folder in ("sources.list.d", "lists/partial", "cache/archives/partial"):
        (apt_dir / folder).mkdir(parents=True, exist_ok=True)
    (apt_dir / "sources.list").write_text(DEBIAN_SOURCES, encoding="utf-8")
    logger.info("fetching Debian source indexes into %s", apt_dir)
    _run(["apt-get", *_apt_options(apt_dir), "update"], apt_dir)


def _download_apt_source(package: CorpusPackage, workdir: Path, apt_dir: Path) -> list[Path]:
    _ensure_source_indexes(apt_dir)
    result = _run(["apt-get", *_apt_options(apt_dir), "source", "--download-only",
                   f"{package.name}={package.version}"], workdir, allow_failure=True)
    tarballs = _upstream_tarballs(workdir, result.stderr)
    if result.returncode != 0:
        # The Debian packaging files are not needed; the upstream tarball was verified against the .dsc.
        logger.warning("%s: apt-get source reported errors; using the verified upstream tarball",
                       package.name)
    return tarballs


def _upstream_tarballs(workdir: Path, apt_errors: str) -> list[Path]:
    """The upstream tarballs listed in the .dsc (orig, or the native tarball), checked by SHA-256."""
    dsc_files = sorted(workdir.glob("*.dsc"))
    if not dsc_files:
        raise FetchError(f"apt-get source fetched no .dsc: {apt_errors.strip()[-300:]}")
    listed = _dsc_checksums(dsc_files[0].read_text(encoding="utf-8", errors="replace"))
    wanted = [name for name in listed if _UPSTREAM_TARBALL.search(name)]  # not the .asc signatures
    wanted = wanted or [name for name in listed if _NATIVE_TARBALL.search(name)]
    if not wanted:
        raise FetchError(f"{dsc_files[0].name} lists no upstream tarball")
    for name in wanted:
        path = workdir / name
        if not path.is_file():
            raise FetchError(f"upstream tarball {name} was not fetched: {apt_errors.strip()[-300:]}")
        if hashlib.sha256(path.read_bytes()).hexdigest() != listed[name]:
            raise FetchError(f"upstream tarball {name} does not match the SHA-256 in the .dsc")
    return [workdir / name for name in wanted]


def _dsc_checksums(dsc_text: str) -> dict[str, str]:
    """File name -> SHA-256 from the ``Checksums-Sha256:`` field of a .dsc."""
    checksums: dict[str, str] = {}
    in_field = False
    for line in dsc_text.splitlines():
        if line.startswith("Checksums-Sha256:"):
            in_field = True
        elif in_field and line.startswith(" "):
            digest, _size, name = line.split()
            checksums[name] = digest
        else:
            in_field = False
    return checksums


def _unpack(archive: Path, destination: Path) -> None:
    destination.mkdir(parents=True, exist_ok=True)
    if archive.name.endswith(".deb"):
        _run(["dpkg-deb", "-x", str(archive), str(destination)], destination)
    elif archive.name.endswith(".zip"):
        with zipfile.ZipFile(archive) as bundle:
            unsafe = [n for n in bundle.namelist() if n.startswith("/") or ".." in Path(n).parts]
            if unsafe:
                raise FetchError(f"{archive.name}: unsafe member paths {unsafe[:3]}")
            bundle.extractall(destination)
    else:
        with tarfile.open(archive) as bundle:
            bundle.extractall(destination, filter="data")  # refuses absolute paths, .. and devices


def fetch_package(package: CorpusPackage, cache_dir: Path) -> None:
    """Download and unpack one package into its cache folder (replacing an incomplete one)."""
    final = package_dir(cache_dir, package)
    scratch = final.with_name(f"{final.name}.partial-{os.getpid()}")
    shutil.rmtree(scratch, ignore_errors=True)
    downloads = scratch / "downloads"
    downloads.mkdir(parents=True)
    try:
        if package.source == "pypi":
            archives = _download_pypi(package, downloads)
        elif package.source == "npm":
            archives = _download_npm(package, downloads)
        elif package.source == "apt":
            archives = _download_apt(package, downloads)
        else:
            archives = _download_apt_source(package, downloads, cache_dir / ".apt")
        if not archives:
            raise FetchError("the download produced no archive")
        for archive in archives:
            _unpack(archive, scratch / TREE_DIR)
        shutil.rmtree(downloads)
        (scratch / COMPLETE_MARKER).write_text(f"{package.name} {package.version} {package.source}\n")
        shutil.rmtree(final, ignore_errors=True)
        scratch.rename(final)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def count_files(package: CorpusPackage, cache_dir: Path, blocklist: Blocklist) -> int:
    """How many files of the package's language the miner will read."""
    root = source_root(cache_dir, package)
    if not root.is_dir():
        return 0
    return len(source_files(PackageSource(package.name, package.language, root), blocklist))


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--manifest", type=Path, default=REPO_ROOT / "bench" / "corpora.toml")
    parser.add_argument("--cache-dir", type=Path, default=None, help="default: ~/.cache/codesearch/corpora")
    parser.add_argument("--blocklist", type=Path,
                        default=REPO_ROOT.parent / "shared" / "heldout-blocklist.txt")
    parser.add_argument("--exclude-manifest", action="append", type=Path, default=None,
                        help="evaluation manifests whose packages are held out "
                             "(default: bench/corpora.toml and bench/corpora-languages.toml)")
    parser.add_argument("--exclude-repos", action="append", type=Path, default=None,
                        help="repo-level repos.json files whose repositories are held out "
                             "(default: ../shared/benchmarks/repo-level/repos.json)")
    parser.add_argument("--only", action="append", default=[], metavar="NAME",
                        help="fetch just these packages")
    parser.add_argument("--verbose", action="store_true")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO, format="%(message)s")
    try:
        packages = load_manifest(args.manifest)
        blocklist = held_out_blocklist(args.blocklist, *_exclusions(args))
    except DataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    blocked = blocked_packages(packages, blocklist)
    if blocked:
        print("error: the manifest names held-out packages; nothing was fetched:\n  " + "\n  ".join(blocked),
              file=sys.stderr)
        return 2
    selected = [p for p in packages if not args.only or p.name in args.only]
    cache_dir = (args.cache_dir or default_corpora_dir()).expanduser()
    failures = _fetch_all(selected, cache_dir, blocklist)
    return 1 if failures else 0


def _exclusions(args: argparse.Namespace) -> tuple[list[Path], list[Path]]:
    """The evaluation manifests and repo-level lists that a manifest must not overlap (never itself)."""
    manifests = args.exclude_manifest
    if manifests is None:
        manifests = list(EVALUATION_MANIFESTS)
    manifests = [m for m in manifests if m.resolve() != args.manifest.resolve()]
    repo_lists = args.exclude_repos
    if repo_lists is None:
        default = REPO_ROOT.parent / "shared" / "benchmarks" / "repo-level" / "repos.json"
        repo_lists = [default] if default.is_file() else []
    return manifests, repo_lists


def _fetch_all(packages: Sequence[CorpusPackage], cache_dir: Path, blocklist: Blocklist) -> int:
    failures = 0
    files_per_language: Counter[str] = Counter()
    print(f"{'language':<11} {'package':<36} {'version':<20} {'source':<10} {'files':>6}  status")
    for package in packages:
        status = "cached"
        if not is_fetched(cache_dir, package):
            logger.info("fetching %s %s (%s)", package.name, package.version, package.source)
            try:
                fetch_package(package, cache_dir)
                status = "fetched"
            except (FetchError, OSError, tarfile.TarError, zipfile.BadZipFile) as exc:
                status, failures = f"FAILED: {exc}", failures + 1
        files = count_files(package, cache_dir, blocklist)
        files_per_language[package.language] += files
        print(f"{package.language:<11} {package.name:<36} {package.version:<20} {package.source:<10} "
              f"{files:>6}  {status}")
    print("files per language: " + ", ".join(f"{lang} {n}" for lang, n in sorted(files_per_language.items())))
    print(f"cache: {cache_dir}")
    return failures


if __name__ == "__main__":
    sys.exit(main())
