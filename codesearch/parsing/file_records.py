"""Every record the index keeps for one file: definitions and blocks of a code file, sections and
windows of a text file.

``codesearch extract`` and the training and evaluation code call ``extract.extract_chunks`` for
definitions alone; the index calls ``extract_records`` so that nothing in a file is left out.
"""

from __future__ import annotations

from codesearch.parsing.extract import extract_chunks
from codesearch.parsing.languages import get_language
from codesearch.records import FileExtraction

# Bump whenever what a file's records are changes (new kinds, other windows): `codesearch index`
# then re-extracts every file once, embedding only the records whose text is new.
# 1: definitions only; 2: blocks of code outside definitions.
RECORDS_VERSION = 2


def extract_records(path: str, source: bytes, language: str) -> FileExtraction:
    """The records of the file at ``path`` (repo-relative) whose bytes are ``source``.

    ``language`` is the name discovery gave the file: a language with a grammar.
    """
    return extract_chunks(path, source, get_language(language), with_blocks=True)
