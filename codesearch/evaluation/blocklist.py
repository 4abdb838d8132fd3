"""The held-out blocklist: packages and repositories reserved for the final evaluation.

Nothing from a blocked source may enter training data, tuning sets or mined benchmarks. The file
lists one PyPI / npm / Debian package name or GitHub ``owner/name`` per line (``#`` comments).
Matching is case-insensitive and deliberately generous: a name is also compared after removing
registry decoration (``@scope/``, ``github.com/``, Debian's ``golang-github-``, ``librust-``,
``ruby-``, ``php-``, ``lib``, ``-dev``, ``-java``, a trailing version, a ``.suffix`` as in
``lodash.debounce``), and the bare repository
name of an ``owner/name`` entry is blocked too. Over-blocking only narrows our choice; a miss would
leak the held-out set.

>>> blocklist = parse_blocklist("requests\\nspf13/cobra\\n")
>>> blocklist.is_blocked("golang-github-spf13-cobra-dev"), blocklist.is_blocked("Requests")
(True, True)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from codesearch.errors import DataError

_SEPARATORS = re.compile(r"[-_.\s]+")
_PREFIXES = ("golang-github-", "golang-gopkg-", "golang-", "librust-", "ruby-", "php-", "python3-",
             "python-", "node-", "lib")
_SUFFIXES = ("-dev", "-java", "-cil", "-doc", "-perl", "-common")
_VERSION_TAIL = re.compile(r"(-v?\d+|\d+)+$")  # libuv1 -> libuv, go-toml-v2 -> go-toml


def normalize_name(name: str) -> str:
    """Lower case, separators (``-_.`` and spaces) folded to ``-``, ``/`` folded to ``-``."""
    name = name.strip().lower()
    for prefix in ("https://", "http://", "github.com/"):
        name = name.removeprefix(prefix)
    name = name.removesuffix(".git").lstrip("@").replace("/", "-")
    return _SEPARATORS.sub("-", name).strip("-")


def name_variants(name: str) -> frozenset[str]:
    """``name`` normalised, plus the forms left after removing registry decoration."""
    base = name.strip().lower()
    variants = {normalize_name(base)}
    if base.startswith("@") and "/" in base:  # npm scope: @trpc/server -> trpc, server
        scope, _, package = base[1:].partition("/")
        variants |= {normalize_name(scope), normalize_name(package)}
    if "." in base and "/" not in base:  # per-method npm packages: lodash.debounce -> lodash
        variants.add(normalize_name(base.split(".", 1)[0]))
    changed = True
    while changed:
        before = len(variants)
        for variant in list(variants):
            variants |= _undecorated(variant)
        changed = len(variants) != before
    return frozenset(variant for variant in variants if variant)


def _undecorated(variant: str) -> set[str]:
    forms = {variant.removeprefix(prefix) for prefix in _PREFIXES if variant.startswith(prefix)}
    forms |= {variant.removesuffix(suffix) for suffix in _SUFFIXES if variant.endswith(suffix)}
    forms.add(_VERSION_TAIL.sub("", variant))
    return {form.strip("-") for form in forms}


@dataclass(frozen=True, slots=True)
class Blocklist:
    """The normalised blocked names (entries plus bare repository names)."""

    entries: frozenset[str]  # entries as written in the file, lower case
    keys: frozenset[str]  # what names are compared against
    folder_keys: frozenset[str]  # normalised single-name entries, compared with folder names

    def blocked_entry(self, name: str) -> str | None:
        """The blocked key that ``name`` matches, or None."""
        hits = sorted(name_variants(name) & self.keys)
        return hits[0] if hits else None

    def is_blocked(self, name: str) -> bool:
        """Whether a package or repository ``name`` is reserved for held-out evaluation."""
        return self.blocked_entry(name) is not None

    def blocked_path_part(self, path: str) -> str | None:
        """The folder of ``path`` named exactly like a single-name entry (a vendored copy, such as
        ``pip/_vendor/requests/``), or None. Bare repository names are not used here: folders
        called ``json`` or ``console`` are everywhere and are not copies of those projects."""
        for part in PurePosixPath(path).parts[:-1]:
            if normalize_name(part) in self.folder_keys:
                return part
        return None


def parse_blocklist(text: str) -> Blocklist:
    """The blocklist in ``text``: one name per line; blank lines and ``#`` comments are ignored."""
    entries = {line.split("#", 1)[0].strip().lower() for line in text.splitlines()}
    entries.discard("")
    keys = {normalize_name(entry) for entry in entries}
    keys |= {normalize_name(entry.rsplit("/", 1)[1]) for entry in entries if "/" in entry}
    folder_keys = {normalize_name(entry) for entry in entries if "/" not in entry}
    return Blocklist(entries=frozenset(entries), keys=frozenset(keys), folder_keys=frozenset(folder_keys))


def load_blocklist(path: Path) -> Blocklist:
    """Read the blocklist file; raises DataError if it is missing or empty."""
    try:
        blocklist = parse_blocklist(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"cannot read the held-out blocklist {path}: {exc}") from exc
    if not blocklist.entries:
        raise DataError(f"the held-out blocklist {path} lists no names")
    return blocklist
