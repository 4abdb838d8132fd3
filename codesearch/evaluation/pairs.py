"""Query/code pairs read from JSON Lines: CodeSearchNet files and ``codesearch extract --pairs`` output.

Both training and ``codesearch eval --pairs`` read pairs through this module, so the two see the
same query and code for a record. The query is the cleaned docstring summary; the code is the
function with its docstring removed (a docstring left in the code makes retrieval trivial).

Records of ``codesearch extract`` carry ``docstring_summary`` and ``code_without_docstring`` and are
used as they are. CodeSearchNet records (``repo``, ``path``, ``func_name``, ``language``, ``code``,
``docstring``) are re-parsed with codesearch's extractor, which removes the docstring from ``code``;
records it cannot parse are skipped and counted rather than trained on with the docstring inside.
Files may be gzip-compressed (``.gz``). Malformed lines are skipped and reported by line number.

>>> squeeze("  Return   the SUM.  ")
'return the sum.'
"""

from __future__ import annotations

import gzip
import json
import logging
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, cast

from codesearch.errors import DataError, UnsupportedLanguageError
from codesearch.parsing.docstrings import summarize_docstring
from codesearch.parsing.extract import extract_chunks
from codesearch.parsing.languages import LanguageSpec, get_language
from codesearch.records import Chunk

logger = logging.getLogger(__name__)

FUNCTION_KINDS = frozenset({"function", "method"})
# Wrapping that makes a lone CodeSearchNet function parse as a whole file of its language.
# Their methods come without a class (and PHP's without ``<?php``).
_WRAPPERS: Mapping[str, tuple[str, str]] = {
    "php": ("<?php\nclass W {\n", "\n}\n"),
    "java": ("class W {\n", "\n}\n"),
}
_TEXT_FIELDS = ("language", "code")


@dataclass(frozen=True, slots=True)
class Pair:
    """One natural-language query and the function it describes."""

    query: str  # the docstring summary
    code: str  # the function without its docstring
    language: str  # codesearch language id
    repo: str  # repository or package name: the unit of the train/validation split
    path: str  # file path inside the repository
    name: str  # qualified function name


@dataclass(frozen=True, slots=True)
class BadLine:
    """A line of a JSON Lines file that could not be used as a record."""

    line_number: int  # 1-based
    reason: str


@dataclass(frozen=True, slots=True)
class PairFile:
    """What one JSON Lines file gave: its pairs, its malformed lines and why records were skipped."""

    path: str
    pairs: tuple[Pair, ...]
    bad_lines: tuple[BadLine, ...]
    skipped: tuple[tuple[str, int], ...]  # (reason, count), sorted by reason


def squeeze(text: str) -> str:
    """Lower case with every run of whitespace folded to one space."""
    return " ".join(text.split()).lower()


def read_pair_file(path: Path) -> PairFile:
    """Every usable pair of a ``.jsonl`` or ``.jsonl.gz`` file, in file order.

    Raises:
        DataError: the file cannot be opened or read.
    """
    pairs: list[Pair] = []
    bad: list[BadLine] = []
    skipped: Counter[str] = Counter()
    for line_number, raw in _numbered_lines(path):
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            bad.append(BadLine(line_number, f"invalid UTF-8 at byte {exc.start}"))
            continue
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            bad.append(BadLine(line_number, f"invalid JSON: {exc.msg}"))
            continue
        if not isinstance(record, dict) or not all(isinstance(record.get(f), str) for f in _TEXT_FIELDS):
            bad.append(BadLine(line_number, "not an object with string 'language' and 'code' fields"))
            continue
        result = record_to_pair(record)
        if isinstance(result, Pair):
            pairs.append(result)
        else:
            skipped[result] += 1
    if bad:
        shown = ", ".join(str(b.line_number) for b in bad[:10])
        more = "..." if len(bad) > 10 else ""
        logger.warning("%s: skipped %d malformed line(s): %s%s", path, len(bad), shown, more)
    return PairFile(str(path), tuple(pairs), tuple(bad), tuple(sorted(skipped.items())))


def _numbered_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """The file's lines as bytes (decoded one by one, so one bad line costs only itself)."""
    try:
        with _open_binary(path) as handle:
            yield from enumerate(handle, start=1)
    except (OSError, EOFError) as exc:
        raise DataError(f"cannot read pairs file {path}: {exc}") from exc


def _open_binary(path: Path) -> IO[bytes]:
    if path.name.endswith(".gz"):
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def record_to_pair(record: Mapping[str, Any]) -> Pair | str:
    """The pair in one record, or the reason it has none (a skip-reason string)."""
    try:
        spec = get_language(str(record["language"]))
    except UnsupportedLanguageError:
        return "unsupported_language"
    name = str(record.get("func_name") or record.get("qualified_name") or "")
    query, code = record.get("docstring_summary"), record.get("code_without_docstring")
    if isinstance(query, str) and isinstance(code, str):
        pass  # a codesearch extract record: the extractor already split docstring and code
    else:
        found = _parsed_function(str(record["code"]), spec)
        if found is None:
            return "unparsed"
        query = found.docstring_summary or summarize_docstring(str(record.get("docstring") or ""))
        code = found.code_without_docstring
        name = name or (found.name if spec.name in _WRAPPERS else found.qualified_name)
    repo, path = str(record.get("repo") or ""), str(record.get("path") or "")
    return make_pair(query, code, spec.name, repo, path, name)


def make_pair(query: str, code: str, language: str, repo: str, path: str, name: str) -> Pair | str:
    """A Pair, or the skip reason: "no_docstring" for an empty query, "summary_in_code" when the
    query still appears in the code (its docstring was not taken out)."""
    query = query.strip()
    if not query:
        return "no_docstring"
    if squeeze(query).rstrip(".") in squeeze(code):
        return "summary_in_code"
    return Pair(query, code, language, repo, path, name)


def _parsed_function(code: str, spec: LanguageSpec) -> Chunk | None:
    """The outermost function or method codesearch's extractor finds in a lone function's code."""
    before, after = _WRAPPERS.get(spec.name, ("", ""))
    extraction = extract_chunks(f"record{spec.extensions[0]}", (before + code + after).encode("utf-8"), spec)
    functions = [chunk for chunk in extraction.chunks if chunk.kind in FUNCTION_KINDS]
    if not functions:
        return None
    return max(functions, key=lambda chunk: chunk.end_byte - chunk.start_byte)
