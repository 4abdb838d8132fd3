"""Model fingerprint: one sha256 over the files that decide the embeddings, plus the metadata.

The index records it, so a changed model (new weights, tokenizer, pooling or max length) is
noticed. Hashing a 90 MB safetensors file costs ~60 ms warm and far more on a cold disk, so each
file's digest is cached in a small JSON file keyed by absolute path, size and mtime.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

logger = logging.getLogger(__name__)

HASH_CACHE_FILE_NAME = "model-hashes.json"
_CACHE_VERSION = 1


def fingerprint(files: Sequence[tuple[str, Path]], extra: str, cache_file: Path | None) -> str:
    """sha256 hex over ``(label, file digest)`` pairs and ``extra`` (the metadata's JSON).

    Args:
        files: (label, path) pairs; the label, not the path, enters the hash so the same model
            in two folders has the same fingerprint.
        extra: text hashed after the files.
        cache_file: where per-file digests are remembered; None disables the cache.
    """
    cache = _read_cache(cache_file) if cache_file is not None else {}
    combined = hashlib.sha256()
    is_cache_stale = False
    for label, path in sorted(files):
        stat = path.stat()
        key = str(path.resolve())
        entry = cache.get(key)
        if entry is not None and entry[0] == stat.st_size and entry[1] == stat.st_mtime_ns:
            digest = entry[2]
        else:
            digest = file_sha256(path)
            cache[key] = (stat.st_size, stat.st_mtime_ns, digest)
            is_cache_stale = True
        combined.update(f"{label}\t{digest}\n".encode())
    combined.update(extra.encode("utf-8"))
    if cache_file is not None and is_cache_stale:
        _write_cache(cache_file, cache)
    return combined.hexdigest()


def file_sha256(path: Path) -> str:
    """sha256 hex of one file's bytes."""
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _read_cache(cache_file: Path) -> dict[str, tuple[int, int, str]]:
    try:
        data = json.loads(cache_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        logger.debug("ignoring unreadable hash cache %s: %s", cache_file, exc)
        return {}
    if not isinstance(data, dict) or data.get("version") != _CACHE_VERSION:
        return {}
    entries = data.get("files")
    if not isinstance(entries, dict):
        return {}
    cache: dict[str, tuple[int, int, str]] = {}
    for key, value in entries.items():
        if isinstance(value, list) and len(value) == 3:
            size, mtime_ns, digest = value
            if isinstance(size, int) and isinstance(mtime_ns, int) and isinstance(digest, str):
                cache[key] = (size, mtime_ns, digest)
    return cache


def _write_cache(cache_file: Path, cache: dict[str, tuple[int, int, str]]) -> None:
    """Replace the cache atomically; failing to write only costs a re-hash next time."""
    payload = {"version": _CACHE_VERSION, "files": {key: list(value) for key, value in cache.items()}}
    try:
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=cache_file.parent, prefix=".model-hashes-")
    except OSError as exc:
        logger.warning("cannot write the model hash cache %s: %s", cache_file, exc)
        return
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle)
        os.replace(tmp_name, cache_file)
    except OSError as exc:
        logger.warning("cannot write the model hash cache %s: %s", cache_file, exc)
        Path(tmp_name).unlink(missing_ok=True)
