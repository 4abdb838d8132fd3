"""What text represents a chunk for the encoder, and the hash that keys the embedding cache.

The default (chosen by measurement against the other ``Representation`` values with
``python -m bench.eval_search --representation``; docs/architecture.md "How it is built"): the
repo-relative path and qualified name on one line, then the definition's code with its doc comment.
Summary-first ordering matters because the encoder truncates at its max length: the name,
signature and docstring survive truncation of a long body.
"""

from __future__ import annotations

import hashlib
from enum import StrEnum

from codesearch.records import IMPORTS, Chunk

# Characters beyond any model's max length (512 tokens * ~4-6 chars) are never seen: cutting them
# here keeps tokenisation cheap for huge functions without changing the embedding.
MAX_TEXT_CHARS = 4096
# A window of only imports is embedded from its path and first imports: one such window in most files,
# whose vector matters little (its words are all in the lexical index), would otherwise cost as much
# to embed as a definition (docs/languages.md "What is indexed").
MAX_IMPORTS_TEXT_CHARS = 256


class Representation(StrEnum):
    """The candidate representations compared in bench/eval (``CODE`` is the plain baseline)."""

    CODE = "code"
    PATH_NAME_CODE = "path-name-code"
    NAME_SIGNATURE_DOC_BODY = "name-signature-doc-body"


DEFAULT_REPRESENTATION = Representation.PATH_NAME_CODE


def chunk_text(chunk: Chunk, representation: Representation = DEFAULT_REPRESENTATION) -> str:
    """The text the encoder embeds for ``chunk``."""
    if representation is Representation.CODE:
        text = chunk.code
    elif representation is Representation.PATH_NAME_CODE:
        # A record without a name has a location label (``config.py:1-40``) for a qualified name:
        # left out, so that lines moving up or down do not make its text, hence its vector, new.
        label = f" {chunk.qualified_name}" if chunk.name else ""
        text = f"{chunk.path}{label}\n{chunk.code}"
    else:
        parts = [chunk.qualified_name, chunk.signature, chunk.docstring_summary, chunk.code_without_docstring]
        text = "\n".join(part for part in parts if part)
    return text[: MAX_IMPORTS_TEXT_CHARS if chunk.kind == IMPORTS else MAX_TEXT_CHARS]


def text_hash(text: str) -> str:
    """sha256 hex of the exact embedded text: the embedding cache key (with the model hash)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
