"""Property tests of the extractor on hostile source: random bytes and mutated real files, every language.

Whatever the bytes, ``extract_chunks`` (with the blocks the index asks for) and the text-file
extractor return (no exception escapes), within the per-file time limit, and every chunk they
return points inside the file and agrees with itself.
"""

from __future__ import annotations

import hashlib
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codesearch.parsing.extract import TIME_LIMIT_S, extract_chunks
from codesearch.parsing.languages import LANGUAGES, LanguageSpec
from codesearch.parsing.text_formats import format_for_path
from codesearch.parsing.text_records import extract_text_records
from codesearch.records import LINE_RECORD_KINDS, FileExtraction
from tests.reliability.harness import REPO_ROOT, record

SAMPLES = REPO_ROOT / "tests" / "fixtures" / "grammars"
EXAMPLES = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
HOSTILE = [b"\x00", b"\xff\xfe", b"\xed\xa0\x80", b"/*", b"*/", b'"""', b"'''", b"`${", b"{", b"}", b"(", b")",
           b"[", b"<?php", b"?>", b"#", b"//", b"\\", b"\r", b"\r\n", b"\t" * 40, b"\n" * 30, "é✓𝄞".encode(),
           b"end\n", b"def ", b"class ", b"fn ", b"func ", b"function ", b"impl ", b"namespace ", b"=> {"]


def sample_of(language: LanguageSpec) -> bytes:
    """The language's grammar fixtures (its sample and its broken file), as one source."""
    folder = SAMPLES / language.query_name  # tsx shares typescript's folder
    paths = [path for path in sorted(folder.iterdir()) if path.suffix in language.extensions]
    return b"\n".join(path.read_bytes() for path in paths)


def assert_sane(extraction: FileExtraction, source: bytes, seconds: float) -> None:
    assert seconds < TIME_LIMIT_S + 5  # the limit, plus what building the last chunk may take
    for chunk in extraction.chunks:
        assert 0 <= chunk.start_byte <= chunk.end_byte <= len(source), chunk
        assert 1 <= chunk.start_line <= chunk.end_line, chunk
        assert (chunk.name or chunk.kind in LINE_RECORD_KINDS) and chunk.kind and chunk.qualified_name
        assert chunk.content_hash == hashlib.sha256(chunk.code.encode("utf-8")).hexdigest()
        if chunk.kind in LINE_RECORD_KINDS:  # whole lines, their exact text
            assert chunk.code == source[chunk.start_byte : chunk.end_byte].decode("utf-8", errors="replace")
            assert chunk.end_line <= source.count(b"\n") + 1, chunk
    assert extraction.limit_reached is None or extraction.warnings


def extract_timed(source: bytes, language: LanguageSpec) -> None:
    started = time.monotonic()
    extraction = extract_chunks(f"fuzz{language.extensions[0]}", source, language, with_blocks=True)
    assert_sane(extraction, source, time.monotonic() - started)


@st.composite
def mutated(draw: st.DrawFn, original: bytes) -> bytes:
    """``original`` after a few random edits: cut, duplicate, move or insert spans, flip bytes, truncate."""
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 6))):
        start = draw(st.integers(0, len(data)))
        end = draw(st.integers(start, min(len(data), start + 400)))
        edit = draw(st.sampled_from(["cut", "duplicate", "insert", "hostile", "flip", "truncate", "move"]))
        if edit == "cut":
            del data[start:end]
        elif edit == "duplicate":
            data[start:start] = data[start:end] * draw(st.integers(1, 20))
        elif edit == "insert":
            data[start:start] = draw(st.binary(max_size=40))
        elif edit == "hostile":
            data[start:start] = draw(st.sampled_from(HOSTILE)) * draw(st.integers(1, 50))
        elif edit == "flip" and start < len(data):
            data[start] ^= draw(st.integers(1, 255))
        elif edit == "truncate":
            del data[start:]
        elif edit == "move":
            span = bytes(data[start:end])
            del data[start:end]
            target = draw(st.integers(0, len(data)))
            data[target:target] = span
    return bytes(data)


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda spec: spec.name)
@EXAMPLES
@given(data=st.data())
def test_mutated_real_source_never_breaks_the_extractor(language: LanguageSpec, data: st.DataObject) -> None:
    extract_timed(data.draw(mutated(sample_of(language))), language)
    record("extractor inputs tried")


@pytest.mark.parametrize("language", LANGUAGES, ids=lambda spec: spec.name)
@EXAMPLES
@given(source=st.binary(max_size=3000) | st.text(max_size=1500).map(lambda text: text.encode("utf-8", "surrogatepass")))
def test_random_bytes_never_break_the_extractor(language: LanguageSpec, source: bytes) -> None:
    extract_timed(source, language)
    record("extractor inputs tried")


def test_the_samples_cover_every_language() -> None:
    assert [spec.name for spec in LANGUAGES if len(sample_of(spec)) < 200] == []


TEXT_SAMPLES = REPO_ROOT / "tests" / "fixtures" / "text"


@pytest.mark.parametrize("name", ["README.md", "guide.rst", "setup.cfg", "ci.yml"])
@EXAMPLES
@given(data=st.data())
def test_mutated_text_files_never_break_the_text_extractor(name: str, data: st.DataObject) -> None:
    text_format = format_for_path(name)
    assert text_format is not None
    source = data.draw(mutated((TEXT_SAMPLES / name).read_bytes()))
    started = time.monotonic()
    assert_sane(extract_text_records(name, source, text_format), source, time.monotonic() - started)
    record("extractor inputs tried")
