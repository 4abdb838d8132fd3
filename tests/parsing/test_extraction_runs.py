"""plan_files: every path given is planned, or counted as a failure with its reason; none raises."""

from __future__ import annotations

from pathlib import Path

from codesearch.parsing.extraction_runs import plan_files
from codesearch.records import SkippedFile


def test_a_missing_path_and_one_the_system_cannot_look_up_are_failures(tmp_path: Path) -> None:
    """The second was found by tests/fuzz/: `extract` with a name of 300 characters raised ENAMETOOLONG."""
    (tmp_path / "a.py").write_text("def f():\n    return 1\n")
    too_long = tmp_path / ("x" * 300)
    plan = plan_files([tmp_path / "a.py", tmp_path / "missing.py", too_long], max_file_bytes=1 << 20)
    assert [found.path for found in plan.files] == ["a.py"]
    assert plan.failures == (SkippedFile(str(tmp_path / "missing.py"), "missing", "no such file or directory"),
                             SkippedFile(str(too_long), "unreadable", "File name too long"))
