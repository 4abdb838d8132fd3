"""Everything held out from training data, as one Blocklist.

Three lists reserve sources for evaluation: the held-out blocklist file, the evaluation manifests
(``bench/corpora.toml``: the mined set and the held-out pairs are made from its packages), and the
repo-level dev set (``shared/benchmarks/repo-level/repos.json``: repositories that dev queries are
asked against). A training source that matches any of them is refused, by the fetch script before a
download and by the training data reader before mining. Matching is the blocklist's (generous:
package decorations, bare repository names).

>>> names = repo_level_names('[{"name": "tokio", "url": "https://github.com/tokio-rs/tokio.git"}]')
>>> names
['tokio', 'tokio-rs/tokio']
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from codesearch.errors import DataError
from codesearch.evaluation.blocklist import Blocklist, load_blocklist, parse_blocklist
from codesearch.evaluation.corpora import load_manifest


def repo_level_names(text: str, origin: str = "repos.json") -> list[str]:
    """Each repository's benchmark name and ``owner/name`` from its URL, from repos.json's text."""
    try:
        records = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{origin}: {exc}") from exc
    if not isinstance(records, list):
        raise DataError(f"{origin}: expected a list of repositories")
    names: list[str] = []
    for record in records:
        if not isinstance(record, dict) or not isinstance(record.get("name"), str):
            raise DataError(f"{origin}: every repository needs a name")
        names.append(record["name"])
        url = record.get("url")
        if isinstance(url, str) and url:
            parts = url.rstrip("/").removesuffix(".git").split("/")
            names.append("/".join(parts[-2:]))
    return names


def held_out_blocklist(
    blocklist_file: Path, manifests: Sequence[Path] = (), repo_lists: Sequence[Path] = ()
) -> Blocklist:
    """The blocklist file plus every package and upstream of ``manifests`` and every repository of the
    repo-level ``repo_lists``; raises DataError when one cannot be read."""
    names = sorted(load_blocklist(blocklist_file).entries)
    for manifest in manifests:
        names += [name for package in load_manifest(manifest) for name in (package.name, package.upstream)]
    for repo_list in repo_lists:
        try:
            text = repo_list.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataError(f"cannot read the repository list {repo_list}: {exc}") from exc
        names += repo_level_names(text, str(repo_list))
    return parse_blocklist("\n".join(names))
