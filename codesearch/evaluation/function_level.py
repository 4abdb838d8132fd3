"""Function-level answers through the real index: mined queries asked of each package's own files.

The mined benchmark (mined.py) ranks a pool of functions only, so the records a user's index also
holds (imports, blocks between definitions, text sections and windows, classes) never compete
there. Here each package's files are copied into a folder, doc comments blanked out in place (line
numbers kept) unless they are left in, indexed by ``codesearch index``'s own code and asked through
``Searcher.search``, the code path of ``ask``. A hit answers when it is in the function's file,
spans the function's definition line, and is at most ``3 x`` the function's length ``+ 5`` lines (a
whole file or a long class does not count as finding a function).
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from codesearch.evaluation.mined import SKIPPED_DIRS
from codesearch.evaluation.records import Benchmark, PackageSource
from codesearch.parsing.languages import LanguageSpec, language_for_path
from codesearch.records import Chunk, FileExtraction, Hit

logger = logging.getLogger(__name__)

# The shape of codesearch.parsing.extract.extract_chunks(path, source, language).
ExtractFunction = Callable[[str, bytes, LanguageSpec], FileExtraction]
MAX_SPAN_FACTOR, MAX_SPAN_SLACK = 3, 5
_PYTHON_STRING_PREFIXES = ("'", '"', "r", "R", "u", "U", "b", "B", "f", "F")


@dataclass(frozen=True, slots=True)
class Target:
    """Where a query's function is: what a hit must contain, and how long it may be."""

    path: str  # repo-relative POSIX path inside the package folder
    definition_line: int  # the line of the definition's name (after decorators and doc comment)
    max_lines: int  # longest hit that still counts as this function


def blank_doc_comments(source: bytes, chunks: Sequence[Chunk], language: str) -> bytes:
    r"""``source`` with every chunk's doc comment blanked out, each line kept where it was.

    A comment becomes spaces; a Python docstring becomes ``pass`` and spaces, so that a function
    whose body was only its docstring still parses.

    >>> code = b"def f():\n    '''Add one.\n    More.'''\n    return 1\n"
    >>> from codesearch.parsing.extract import extract_chunks
    >>> from codesearch.parsing.languages import get_language
    >>> chunks = extract_chunks("m.py", code, get_language("python")).chunks
    >>> blank_doc_comments(code, chunks, "python").decode()
    'def f():\n    pass       \n            \n    return 1\n'
    """
    buffer = bytearray(source)
    for chunk in chunks:
        raw = chunk.docstring_raw.encode("utf-8")
        if not raw:
            continue
        at = buffer.find(raw, chunk.start_byte, chunk.end_byte)
        if at >= 0:  # a docstring, or a comment the extractor kept verbatim
            buffer[at : at + len(raw)] = _blank(raw, is_python_string=language == "python"
                                                and chunk.docstring_raw.startswith(_PYTHON_STRING_PREFIXES))
        else:  # comment lines the extractor joined without their indentation: found line by line
            _blank_lines(buffer, chunk, [line.strip() for line in raw.split(b"\n") if line.strip()])
    return bytes(buffer)


def _blank(raw: bytes, *, is_python_string: bool) -> bytearray:
    """Spaces for every byte but newlines; a Python string's first line starts with a statement."""
    blank = bytearray(byte if byte == 0x0A else 0x20 for byte in raw)
    first_line = raw.find(b"\n") if b"\n" in raw else len(raw)
    if is_python_string:
        statement = b"pass" if first_line >= 4 else b'""' if first_line >= 2 else b""
        blank[: len(statement)] = statement
    return blank


def _blank_lines(buffer: bytearray, chunk: Chunk, wanted: list[bytes]) -> None:
    """Blank, in order, the lines of ``chunk`` whose stripped text is the next of ``wanted``."""
    start = buffer.rfind(b"\n", 0, chunk.start_byte) + 1
    while wanted and start < chunk.end_byte:
        end = buffer.find(b"\n", start)
        end = len(buffer) if end < 0 else end
        line = bytes(buffer[start:end])
        if line.strip() == wanted[0]:
            indent = len(line) - len(line.lstrip())
            buffer[start + indent : end] = b" " * (end - start - indent)
            wanted.pop(0)
        start = end + 1


def copy_package(package: PackageSource, target: Path, extract: ExtractFunction, *, keep_docstrings: bool) -> None:
    """Copy ``package``'s tree to ``target`` (not its vendored or hidden folders), doc comments
    blanked in every file a grammar reads unless ``keep_docstrings``."""
    for directory, subdirs, files in os.walk(package.root):
        subdirs[:] = sorted(d for d in subdirs if d not in SKIPPED_DIRS and not d.startswith("."))
        for file_name in files:
            source = Path(directory, file_name)
            if source.is_symlink() or not source.is_file():
                continue
            relative = source.relative_to(package.root).as_posix()
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            spec = None if keep_docstrings else language_for_path(relative)
            if spec is None:
                shutil.copyfile(source, destination)
                continue
            data = source.read_bytes()
            chunks = extract(relative, data, spec).chunks
            destination.write_bytes(blank_doc_comments(data, chunks, spec.name))


def gold_targets(
    benchmark: Benchmark, packages: Sequence[PackageSource], extract: ExtractFunction
) -> dict[str, tuple[str, tuple[Target, ...]]]:
    """Query id -> (package name, the targets of its relevant functions).

    Mined document ids read ``package:path:start_line:qualified_name``; the line span and definition
    line come from extracting the original file again.
    """
    roots = {package.name: package.root for package in packages}
    spans: dict[tuple[str, str], dict[tuple[int, str], Chunk]] = {}
    found: dict[str, tuple[str, tuple[Target, ...]]] = {}
    for query_id, relevant in benchmark.relevant.items():
        targets = []
        for doc_id in sorted(relevant):
            name, path, rest = doc_id.split(":", 2)
            line, qualified = rest.split(":", 1)
            if (name, path) not in spans:
                spec = language_for_path(path)
                assert spec is not None, path
                chunks = extract(path, (roots[name] / path).read_bytes(), spec).chunks
                spans[(name, path)] = {(chunk.start_line, chunk.qualified_name): chunk for chunk in chunks}
            # mined.py marks a second definition of one name on one line with a trailing "'", which a
            # Haskell name may also end with: the longest name that exists is the one.
            while (int(line), qualified) not in spans[(name, path)] and qualified.endswith("'"):
                qualified = qualified[:-1]
            chunk = spans[(name, path)][(int(line), qualified)]
            length = chunk.end_line - chunk.start_line + 1
            targets.append(Target(path, chunk.signature_line, MAX_SPAN_FACTOR * length + MAX_SPAN_SLACK))
        package = benchmark.doc_group[next(iter(relevant))]
        found[query_id] = (package, tuple(targets))
    return found


def answers(hit: Hit, targets: Iterable[Target]) -> bool:
    """Whether ``hit`` finds one of ``targets`` (its file, its definition line, not too long)."""
    length = hit.end_line - hit.start_line + 1
    return any(
        hit.path == target.path and hit.start_line <= target.definition_line <= hit.end_line
        and length <= target.max_lines
        for target in targets
    )


def reciprocal_rank(hits: Sequence[Hit], targets: Sequence[Target]) -> float:
    """1 / the rank of the first hit that answers, 0 when none does."""
    for rank, hit in enumerate(hits, 1):
        if answers(hit, targets):
            return 1.0 / rank
    return 0.0


def mean_by_language(
    scores: Mapping[str, float], language_of: Mapping[str, str]
) -> dict[str, tuple[int, float]]:
    """Language -> (queries, mean score), plus ``"all"`` (the mean over every query)."""
    grouped: dict[str, list[float]] = {}
    for query_id, score in scores.items():
        grouped.setdefault(language_of[query_id], []).append(score)
    grouped["all"] = list(scores.values())
    return {language: (len(values), sum(values) / len(values)) for language, values in sorted(grouped.items())
            if values}
