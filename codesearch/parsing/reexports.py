"""Re-exports: lines that make a name public where it is not defined.

A crate's ``pub use other::FromRequest``, a package's ``export { Query } from "./query"`` and an
``__init__.py`` that imports ``Session`` and lists it in ``__all__`` are where a user of the
library finds the name; when the name is defined outside the repository they are the only place
that answers a query for it. ``reexported_names`` reads them from a record's code with regular
expressions: the forms are few and one line each, and a grammar query would need the whole file.
"""

from __future__ import annotations

import re

_RUST_PUB_USE = re.compile(r"\bpub\s+use\s+([^;]+);")
_JS_EXPORT_FROM = re.compile(r"\bexport\s+(?:type\s+)?\{([^}]*)\}\s*(?:from\b)?")
_JS_EXPORT_STAR_AS = re.compile(r"\bexport\s+\*\s+as\s+([A-Za-z_$][\w$]*)\s+from\b")
_PY_FROM_IMPORT = re.compile(r"^\s*from\s+[\w.]+\s+import\s+(\([^)]*\)|[^\n#]+)", re.MULTILINE)
_PY_ALL = re.compile(r"__all__\s*(?:\+?=|:[^=\n]*=)\s*[\[(]([^\])]*)[\])]", re.DOTALL)
_QUOTED = re.compile(r"""["']([A-Za-z_]\w*)["']""")
_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*$")


def _rust_leaves(tree: str) -> list[str]:
    """The names a ``use`` tree brings in: ``a::{B, c::{D as E}}`` -> ``B``, ``E``."""
    brace = tree.find("{")
    if brace < 0:
        parts = [tree]
    else:
        inner, parts, depth, start = tree[brace + 1 : tree.rfind("}")], [], 0, 0
        for i, ch in enumerate(inner):
            depth += (ch == "{") - (ch == "}")
            if ch == "," and depth == 0:
                parts.append(inner[start:i])
                start = i + 1
        parts.append(inner[start:])
    names: list[str] = []
    for part in (p.strip() for p in parts):
        if "{" in part:
            names += _rust_leaves(part)
            continue
        alias = re.split(r"\s+as\s+", part)
        leaf = alias[-1].strip() if len(alias) > 1 else part.split("::")[-1].strip()
        if leaf not in ("self", "_") and _IDENTIFIER.match(leaf):
            names.append(leaf)
    return names


def _listed(specs: str) -> list[str]:
    """``A, B as C, default as D`` -> ``A``, ``C``, ``D`` (the names as exported)."""
    names = []
    for spec in specs.split(","):
        words = spec.replace("type ", " ").split()
        if not words:
            continue
        name = words[-1] if len(words) >= 3 and words[-2] == "as" else words[0]
        if _IDENTIFIER.match(name) and name != "default":
            names.append(name)
    return names


def reexported_names(code: str, language: str, module_text: str = "") -> frozenset[str]:
    """The names ``code`` makes public without defining them.

    ``module_text`` is the whole file, for Python, whose ``from x import Y`` re-exports ``Y`` only
    when the file's ``__all__`` lists it.

    >>> sorted(reexported_names("pub use axum_core::extract::{FromRequest, Request as Req};", "rust"))
    ['FromRequest', 'Req']
    >>> sorted(reexported_names("export { Query, default as Client } from './query'", "typescript"))
    ['Client', 'Query']
    >>> sorted(reexported_names("from .sessions import Session, Other", "python", "__all__ = ['Session']"))
    ['Session']
    """
    names: list[str] = []
    if language == "rust":
        for match in _RUST_PUB_USE.finditer(code):
            names += _rust_leaves(" ".join(match.group(1).split()))
    elif language in ("javascript", "typescript", "tsx", "jsx"):
        for match in _JS_EXPORT_FROM.finditer(code):
            names += _listed(match.group(1))
        names += [match.group(1) for match in _JS_EXPORT_STAR_AS.finditer(code)]
    elif language == "python":
        listed = {name for block in _PY_ALL.findall(module_text or code) for name in _QUOTED.findall(block)}
        for match in _PY_FROM_IMPORT.finditer(code):
            names += [name for name in _listed(match.group(1).strip("()").replace("\n", " ")) if name in listed]
    return frozenset(names)
