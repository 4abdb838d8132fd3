"""Reading a request's params: types checked, paths and file URIs resolved, errors as INVALID_PARAMS.

Paths that name a repository or an index must be absolute: resolved here, a relative one would
mean a folder under the server's working folder, which the client knows nothing of.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from codesearch.errors import ProtocolError
from codesearch.server.protocol import INVALID_PARAMS


def required(params: Mapping[str, Any], name: str, kind: type) -> Any:
    if params.get(name) is None:  # absent, or null
        raise ProtocolError(f"missing param {name!r}", INVALID_PARAMS)
    return optional(params, name, kind)


def optional(params: Mapping[str, Any], name: str, kind: type, default: Any = None) -> Any:
    value = params.get(name)
    if value is None:
        return default
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise ProtocolError(f"param {name!r} must be a {kind.__name__}", INVALID_PARAMS)
    return value


def k_param(params: Mapping[str, Any], default: int, name: str = "k") -> int:
    k = int(optional(params, name, int, default))
    if not 1 <= k <= 1000:
        raise ProtocolError(f"{name} must be between 1 and 1000", INVALID_PARAMS)
    return k


def path_from(raw: str) -> Path:
    """A path from a plain path or a file:// URI."""
    if raw.startswith("file:"):
        parsed = urlparse(raw)
        if parsed.netloc not in ("", "localhost"):
            raise ProtocolError(f"not a local file URI: {raw}", INVALID_PARAMS)
        return Path(unquote(parsed.path))
    if "\x00" in raw:
        raise ProtocolError("a path contains a NUL character", INVALID_PARAMS)
    return Path(raw)


def root_param(params: Mapping[str, Any]) -> Path | None:
    """The repository a request names (root, rootUri, rootPath or the first workspace folder)."""
    for name in ("root", "rootUri", "rootPath"):
        raw = optional(params, name, str)
        if raw:
            break
    else:
        folders = params.get("workspaceFolders")
        first = folders[0] if isinstance(folders, list) and folders else None
        raw = first.get("uri") if isinstance(first, dict) else None
        if not isinstance(raw, str):
            return None
    path = path_from(raw)
    if not path.is_absolute() or not path.is_dir():
        raise ProtocolError(f"the root {raw} is not an existing absolute folder", INVALID_PARAMS)
    return path.resolve()


def roots_param(params: Mapping[str, Any]) -> list[Path] | None:
    """The repositories of a search over several (``roots``: absolute paths or file URIs), or None."""
    raw_roots = optional(params, "roots", list)
    if raw_roots is None:
        return None
    if not raw_roots or not all(isinstance(raw, str) for raw in raw_roots):
        raise ProtocolError("roots must be a non-empty list of paths", INVALID_PARAMS)
    roots = [path_from(raw) for raw in raw_roots]
    for raw, root in zip(raw_roots, roots, strict=True):
        if not root.is_absolute():
            raise ProtocolError(f"the root {raw} is relative; a root must be an absolute path", INVALID_PARAMS)
    return roots


def index_dir_param(params: Mapping[str, Any]) -> str | None:
    """The index folder a request names (``indexDir``): an absolute path, or None."""
    raw = optional(params, "indexDir", str)
    if not raw:
        return None
    if "\x00" in raw or not Path(raw).is_absolute():
        raise ProtocolError(f"indexDir {raw!r} must be an absolute path", INVALID_PARAMS)
    return str(raw)
