"""Function-level evaluation through the real index: doc comments blanked in place, hits judged by line."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

from codesearch.evaluation import function_level
from codesearch.evaluation.function_level import Target, answers, blank_doc_comments, copy_package, reciprocal_rank
from codesearch.evaluation.records import PackageSource
from codesearch.parsing.extract import extract_chunks
from codesearch.parsing.languages import language_for_path
from codesearch.records import Hit

GRAMMARS = Path(__file__).resolve().parents[1] / "fixtures" / "grammars"
SAMPLES = sorted(path for path in GRAMMARS.glob("*/sample.*") if language_for_path(path.name) is not None)


def test_doctests() -> None:
    assert doctest.testmod(function_level).failed == 0


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda path: path.parent.name)
def test_blanking_keeps_every_line_and_every_definition_but_no_doc_text(sample: Path) -> None:
    """On every language's grammar sample: the lines stay, the definitions stay, their doc text goes."""
    relative = sample.name
    source = sample.read_bytes()
    spec = language_for_path(relative)
    assert spec is not None
    before = extract_chunks(relative, source, spec)
    blanked = blank_doc_comments(source, before.chunks, spec.name)
    after = extract_chunks(relative, blanked, spec)
    assert blanked.count(b"\n") == source.count(b"\n") and len(blanked) == len(source)
    documented = [chunk for chunk in before.chunks if chunk.docstring]
    assert documented, "the fixture has doc comments to blank"
    for chunk in documented:
        assert chunk.docstring_raw.encode() not in blanked
    def definitions(chunks: object, documented_too: bool = True) -> set[tuple[str, int]]:
        return {(c.qualified_name, c.signature_line) for c in chunks  # type: ignore[attr-defined]
                if c.kind not in ("block", "imports") and (documented_too or not c.docstring)}

    kept = definitions(after.chunks)
    # Every definition stays where it was; only a C/C++ prototype, a record for its doc comment, may go.
    assert definitions(before.chunks, documented_too=False) <= kept <= definitions(before.chunks)
    if spec.name not in ("c", "cpp"):
        assert kept == definitions(before.chunks)
    assert not any(chunk.docstring for chunk in after.chunks)


def test_a_copied_package_has_its_doc_comments_blanked_or_kept(tmp_path: Path) -> None:
    root = GRAMMARS / "python"
    package = PackageSource("sample", "python", root)
    copy_package(package, tmp_path / "without", extract_chunks, keep_docstrings=False)
    copy_package(package, tmp_path / "with", extract_chunks, keep_docstrings=True)
    original = (root / "sample.py").read_bytes()
    blanked = (tmp_path / "without" / "sample.py").read_bytes()
    assert (tmp_path / "with" / "sample.py").read_bytes() == original
    assert blanked != original and blanked.count(b"\n") == original.count(b"\n")
    assert (tmp_path / "without" / "expected.py.json").read_bytes() == (root / "expected.py.json").read_bytes()
    assert sorted(p.name for p in (tmp_path / "without").iterdir()) == sorted(p.name for p in root.iterdir())


def hit(path: str, start: int, end: int) -> Hit:
    return Hit(path=path, start_line=start, end_line=end, name="", qualified_name="", kind="function",
               language="python", score=0.0)


def test_a_hit_answers_in_the_file_across_the_definition_line_and_not_too_long() -> None:
    target = Target("a.py", definition_line=10, max_lines=3 * 4 + 5)  # a 4-line function
    assert answers(hit("a.py", 9, 13), [target])
    assert not answers(hit("b.py", 9, 13), [target])  # another file
    assert not answers(hit("a.py", 11, 13), [target])  # below the definition line
    assert not answers(hit("a.py", 1, 18), [target])  # 18 lines: a whole file, not the function
    assert answers(hit("a.py", 1, 17), [target])
    hits = [hit("b.py", 1, 3), hit("a.py", 1, 100), hit("a.py", 10, 12)]
    assert reciprocal_rank(hits, [target]) == pytest.approx(1 / 3)
    assert reciprocal_rank(hits[:2], [target]) == 0.0


def test_gold_targets_read_the_mined_ids_back_to_lines(tmp_path: Path) -> None:
    """Ids are ``package:path:line:qualified_name``; a Haskell name may end in ' like a duplicate mark."""
    from codesearch.evaluation.function_level import gold_targets
    from codesearch.evaluation.records import Benchmark

    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "Var.hs").write_text(
        "module Var where\n\n-- | Modify a variable strictly.\nmodifyVar' :: Int -> Int\nmodifyVar' x = x + 1\n"
    )
    package = PackageSource("var", "haskell", tmp_path)
    doc_id = "var:src/Var.hs:3:modifyVar'"
    benchmark = Benchmark("b", {"q": "modify a variable strictly"}, {doc_id: ""}, {"q": frozenset({doc_id})},
                          {doc_id: "haskell"}, {doc_id: "var"})
    ((package_name, (target,)),) = gold_targets(benchmark, [package], extract_chunks).values()
    assert package_name == "var" and target.path == "src/Var.hs" and target.definition_line in (4, 5)
