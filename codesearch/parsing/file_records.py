"""Every record the index keeps for one file: definitions and blocks of a code file, sections and
windows of a text file.

``codesearch extract`` and the training and evaluation code call ``extract.extract_chunks`` for
definitions alone; the index calls ``extract_records`` so that nothing in a file is left out.
"""

from __future__ import annotations

from codesearch.errors import UnsupportedLanguageError
from codesearch.parsing.extract import extract_chunks
from codesearch.parsing.languages import get_language
from codesearch.parsing.text_formats import get_format
from codesearch.parsing.text_records import extract_text_records
from codesearch.records import FileExtraction

# Bump whenever what a file's records are changes (new kinds, other windows): `codesearch index`
# then re-extracts every file once, embedding only the records whose text is new.
# 1: definitions only; 2: blocks of code outside definitions; 3: sections and windows of text files;
# 4: windows of only imports, headers of blocks around definitions left out.
RECORDS_VERSION = 4


def extract_records(path: str, source: bytes, language: str) -> FileExtraction:
    """The records of the file at ``path`` (repo-relative) whose bytes are ``source``.

    ``language`` is the name discovery gave the file: a language with a grammar (definitions and
    blocks), else a text format (sections and windows).
    """
    try:
        spec = get_language(language)
    except UnsupportedLanguageError:
        return extract_text_records(path, source, get_format(language))
    return extract_chunks(path, source, spec, with_blocks=True)
