"""CodeSearchNet-format records: converting chunks to the JSON Lines fields CodeSearchNet uses.

CodeSearchNet fields (``repo``, ``path``, ``func_name``, ``original_string``, ``language``, ``code``,
``code_tokens``, ``docstring``, ``docstring_tokens``) plus codesearch's own record fields. As in
CodeSearchNet, ``code`` keeps the docstring and ``code_tokens`` do not.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from codesearch.records import Chunk

_TOKEN = re.compile(r"\w+|[^\w\s]")


def tokenize(text: str) -> list[str]:
    """Split text into word and punctuation tokens.

    >>> tokenize("def f(a): return a+1")
    ['def', 'f', '(', 'a', ')', ':', 'return', 'a', '+', '1']
    """
    return _TOKEN.findall(text)


def chunk_to_csn(chunk: Chunk, repo: str) -> dict[str, Any]:
    """A JSON-ready dict with the CodeSearchNet fields followed by every Chunk field."""
    record: dict[str, Any] = {
        "repo": repo,
        "path": chunk.path,
        "func_name": chunk.qualified_name,
        "original_string": chunk.code,
        "language": chunk.language,
        "code": chunk.code,
        "code_tokens": tokenize(chunk.code_without_docstring),
        "docstring": chunk.docstring,
        "docstring_tokens": tokenize(chunk.docstring_summary),
    }
    for field in dataclasses.fields(chunk):
        record.setdefault(field.name, getattr(chunk, field.name))
    return record
