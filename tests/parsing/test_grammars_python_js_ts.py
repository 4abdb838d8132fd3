"""Extraction from the Python, JavaScript and TypeScript fixtures matches the reviewed records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codesearch.parsing.extract import extract_chunks
from codesearch.parsing.languages import get_language, language_for_path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "grammars"
FIELDS = ("kind", "name", "qualified_name", "start_line", "end_line", "signature_line", "docstring_summary")
SAMPLES = sorted(
    path for language in ("python", "javascript", "typescript") for path in (FIXTURES / language).glob("sample.*")
)


def _extract(path: Path):  # type: ignore[no-untyped-def]
    spec = language_for_path(path)
    assert spec is not None
    return extract_chunks(path.name, path.read_bytes(), spec)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_sample_matches_expected_records(sample: Path) -> None:
    expected = json.loads((sample.parent / f"expected.{sample.suffix.lstrip('.')}.json").read_text())
    result = _extract(sample)
    assert not result.has_syntax_errors
    assert [{field: getattr(c, field) for field in FIELDS} for c in result.chunks] == expected


@pytest.mark.parametrize(
    ("broken", "error_line", "survivors"),
    [
        ("python/broken.py", 6, {"fine"}),
        ("javascript/broken.js", 6, {"fine", "later"}),
        ("typescript/broken.ts", 6, {"fine"}),
    ],
)
def test_syntax_errors_are_reported_and_the_rest_extracted(broken: str, error_line: int, survivors: set[str]) -> None:
    result = _extract(FIXTURES / broken)
    assert result.has_syntax_errors
    assert len(result.warnings) == 1
    assert f":{error_line}: syntax error" in result.warnings[0]
    assert survivors <= {chunk.name for chunk in result.chunks}


def test_python_docstring_is_removed_from_code_without_docstring() -> None:
    chunk = next(c for c in _extract(FIXTURES / "python" / "sample.py").chunks if c.name == "load_config")
    assert chunk.code.startswith("def load_config(path: str) -> dict:\n    \"\"\"Load a JSON")
    assert chunk.code_without_docstring == (
        "def load_config(path: str) -> dict:\n"
        "    with open(path, encoding=\"utf-8\") as handle:\n"
        "        return json.load(handle)"
    )
    assert chunk.docstring.startswith("Load a JSON configuration file.\n\nArgs:")
    assert chunk.docstring_raw.startswith('"""Load a JSON')
    assert chunk.signature == "def load_config(path: str) -> dict:"


def test_methods_are_dedented_and_keep_decorators() -> None:
    chunk = next(c for c in _extract(FIXTURES / "python" / "sample.py").chunks if c.name == "size")
    assert chunk.code.splitlines()[:2] == ["@property", "def size(self) -> int:"]
    assert chunk.code_without_docstring == "@property\ndef size(self) -> int:\n    return len(self._entries)"


def test_jsdoc_above_is_part_of_the_record_and_removed_without_it() -> None:
    chunk = next(c for c in _extract(FIXTURES / "typescript" / "sample.ts").chunks if c.name == "save")
    assert chunk.code.splitlines()[0] == "/** Store an item, replacing any with the same id. */"
    assert chunk.code_without_docstring.splitlines()[0] == "@logged()"
    assert chunk.docstring == "Store an item, replacing any with the same id."


def test_invalid_utf8_is_replaced_not_fatal() -> None:
    source = b'def f():\n    """Caf\xe9 \xff."""\n    return "\xc3\x28"\n'
    (chunk,) = extract_chunks("x.py", source, get_language("python")).chunks
    assert "\ufffd" in chunk.docstring
    assert chunk.end_line == 3


def test_content_hash_changes_with_code() -> None:
    python = get_language("python")
    first = extract_chunks("a.py", b"def f():\n    return 1\n", python).chunks[0]
    moved = extract_chunks("b.py", b"\n\ndef f():\n    return 1\n", python).chunks[0]
    changed = extract_chunks("a.py", b"def f():\n    return 2\n", python).chunks[0]
    assert first.content_hash == moved.content_hash != changed.content_hash
