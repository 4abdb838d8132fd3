"""Which changed paths the watcher keeps, judged by name on watchdog's thread."""

from __future__ import annotations

from pathlib import Path

from codesearch.indexer.watch_events import PathFilter
from codesearch.parsing.text_formats import TextFiles


def test_text_files_matter_only_when_the_index_takes_them(tmp_path: Path) -> None:
    code_only = PathFilter(tmp_path)
    with_text = PathFilter(tmp_path, text_files=TextFiles(include=("*.tmpl",), exclude=("old/*",)))
    for rel in ("src/app.py", "pkg", ".gitignore"):
        assert code_only.may_matter(rel, rel == "pkg") and with_text.may_matter(rel, rel == "pkg")
    for rel in ("README.md", "deploy/Dockerfile", "mail.tmpl"):
        assert with_text.may_matter(rel, False) and not code_only.may_matter(rel, False)
    for rel in ("package-lock.json", "old/notes.md", "photo.png", "build/app.o"):
        assert not with_text.may_matter(rel, False)
