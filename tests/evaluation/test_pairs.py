"""Reading pairs from CodeSearchNet and ``codesearch extract`` JSON Lines."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from codesearch.errors import DataError
from codesearch.evaluation.pairs import Pair, read_pair_file, record_to_pair

CSN_PYTHON = {
    "repo": "octo/calc",
    "path": "calc/ops.py",
    "func_name": "add",
    "language": "python",
    "code": 'def add(a, b):\n    """Add two numbers together.\n\n    Args:\n      a: one\n    """\n'
    "    return a + b\n",
    "docstring": "Add two numbers together.\n\nArgs:\n  a: one",
}
CSN_JAVA = {
    "repo": "octo/calc",
    "path": "Calc.java",
    "func_name": "Calc.add",
    "language": "java",
    "code": "public int add(int a, int b) {\n    return a + b;\n}",
    "docstring": "Adds two integers.\n@param a one",
}


def test_a_python_record_loses_its_docstring_and_keeps_the_summary() -> None:
    pair = record_to_pair(CSN_PYTHON)
    assert pair == Pair(
        "Add two numbers together.",
        "def add(a, b):\n    return a + b",
        "python",
        "octo/calc",
        "calc/ops.py",
        "add",
    )


def test_a_java_method_without_a_class_parses_and_takes_the_docstring_field() -> None:
    pair = record_to_pair(CSN_JAVA)
    assert isinstance(pair, Pair)
    assert (pair.query, pair.name) == ("Adds two integers.", "Calc.add")
    assert pair.code.startswith("public int add")


def test_our_extract_records_are_used_as_they_are() -> None:
    code = "func Sum() {\n\treturn\n}"
    record = {
        "language": "go",
        "code": "// Sum adds.\nfunc Sum() {}",
        "docstring_summary": "Sum adds things up.",
        "code_without_docstring": code,
        "repo": "r",
        "qualified_name": "Sum",
    }
    assert record_to_pair(record) == Pair("Sum adds things up.", code, "go", "r", "", "Sum")


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"language": "cobol", "code": "x"}, "unsupported_language"),
        ({"language": "python", "code": "x = 1"}, "unparsed"),
        ({"language": "python", "code": "def f():\n    return 1\n", "docstring": ""}, "no_docstring"),
        (
            {
                "language": "python",
                "code": "def f():\n    # Return one always.\n    return 1\n",
                "docstring": "Return one always.",
            },
            "summary_in_code",
        ),
    ],
)
def test_records_without_a_clean_pair_say_why(record: dict[str, str], reason: str) -> None:
    assert record_to_pair(record) == reason


def test_bad_lines_are_counted_with_their_numbers(tmp_path: Path) -> None:
    path = tmp_path / "pairs.jsonl"
    cobol = json.dumps({"language": "cobol", "code": ""})
    lines = [json.dumps(CSN_PYTHON), "{not json", "", json.dumps([1, 2]), cobol]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    found = read_pair_file(path)
    assert len(found.pairs) == 1
    assert [bad.line_number for bad in found.bad_lines] == [2, 4]
    assert found.skipped == (("unsupported_language", 1),)


def test_gzip_files_read_like_plain_ones(tmp_path: Path) -> None:
    path = tmp_path / "pairs.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(json.dumps(CSN_PYTHON) + "\n" + json.dumps(CSN_JAVA) + "\n")
    assert [pair.language for pair in read_pair_file(path).pairs] == ["python", "java"]


def test_a_missing_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="cannot read pairs file"):
        read_pair_file(tmp_path / "absent.jsonl")
