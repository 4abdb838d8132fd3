"""Docstrings and comments cite documentation as ``docs/<page>.md "<Heading>"``: every citation resolves.

A citation of a page that does not exist, or of a heading the page no longer has, fails here, so
moving text between pages means moving its citations too. The old form, ``README, Speed``, is gone:
the README is a front page and cites nothing of its own.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
CITING_FOLDERS = ("codesearch", "training", "tests", "bench")
PAGE = r"(?:README\.md|docs/[\w-]+\.md|bench/README\.md|training/README\.md|codesearch/server/PROTOCOL\.md)"
CITATION = re.compile(rf'(?<![\w/])({PAGE})(?:,)?\s+"([^"\n]+)"')
PAGE_MENTION = re.compile(rf"(?<![\w/])({PAGE})")
# The README cited by section name, the form that drifted ("What a function looks like to the encoder").
# ("its README": a data set's own README, outside this repository.)
OLD_FORM = re.compile(r"(?<!its )\bREADME(?:'s\b|, [A-Z\"]| \(| \"[A-Z])")


def source_files(folders: tuple[str, ...] = CITING_FOLDERS) -> list[Path]:
    return sorted(
        path for folder in folders for path in (REPO_ROOT / folder).rglob("*.py")
        if "fixtures" not in path.parts and path != Path(__file__)
    )


def headings(page: Path) -> set[str]:
    """A page's headings as written, without the leading #s."""
    return {
        line.lstrip("#").strip()
        for line in page.read_text(encoding="utf-8").splitlines()
        if re.match(r"#{1,6} ", line)
    }


def test_every_cited_heading_exists() -> None:
    broken, count = [], 0
    for path in source_files():
        text = path.read_text(encoding="utf-8")
        for match in CITATION.finditer(text.replace("\n", " ").replace("#", " ")):
            page, heading = match.groups()
            count += 1
            target = REPO_ROOT / page
            if not target.is_file() or heading not in headings(target):
                broken.append(f"{path.relative_to(REPO_ROOT)}: {page} \"{heading}\"")
    assert broken == []
    assert count >= 10  # the citations are there to check


def test_every_cited_page_exists() -> None:
    """Outside tests/, which write pages of their own into repositories they make."""
    missing = sorted(
        f"{path.relative_to(REPO_ROOT)}: {page}"
        for path in source_files(("codesearch", "training", "bench"))
        for page in PAGE_MENTION.findall(path.read_text(encoding="utf-8"))
        if not (REPO_ROOT / page).is_file()
    )
    assert missing == []


def test_no_citation_of_readme_sections_by_name() -> None:
    old = sorted(
        f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}"
        for path in source_files()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if OLD_FORM.search(line)
    )
    assert old == []


@pytest.mark.parametrize(
    ("text", "is_valid"),
    [('see docs/speed.md "Measurements".', True), ('see docs/speed.md "No such heading".', False),
     ('docs/no-such-page.md "Speed"', False)],
)
def test_the_check_tells_a_broken_citation(text: str, is_valid: bool) -> None:
    (page, heading), = CITATION.findall(text)
    target = REPO_ROOT / page
    assert (target.is_file() and heading in headings(target)) is is_valid
