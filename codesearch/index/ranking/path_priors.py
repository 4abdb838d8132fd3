"""Path priors: files that are rarely the answer (tests, examples, legacy code, markers) rank lower.

A question about behaviour is answered by the code that implements it, yet a test of that code
repeats all its words. Tests, examples, benchmarks, docs and fixtures, compatibility or
deprecated copies, vendored code, package marker files (``__init__.py``, ``package-info.java``)
and type declarations (``.d.ts``) lose ``path_prior_penalty`` unless the query asks for that
kind of file ("tests for the parser", "example of a middleware"). Records of documentation and
configuration files (Markdown sections, YAML windows) lose ``text_record_penalty`` unless the query
names such a file ("readme", "docs", "yaml"): they repeat a feature's words without being its code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import PurePosixPath

from codesearch.index.ranking.candidates import CandidateHead
from codesearch.index.ranking.params import RankingParams
from codesearch.index.ranking.query_shape import QueryFacts

# kind -> (folder names, file-name pattern, query words that ask for that kind)
_KINDS: dict[str, tuple[frozenset[str], re.Pattern[str] | None, frozenset[str]]] = {
    "test": (
        frozenset({"test", "tests", "testing", "__tests__", "spec", "specs", "testdata", "test_data", "fixtures",
                   "mocks", "__mocks__", "e2e"}),
        re.compile(r"(^test_.*|.*_test\.\w+|.*_tests\.\w+|.*[a-z0-9]Tests?\.\w+|.*\.(test|spec)\.\w+|.*_spec\.\w+"
                   r"|^conftest\.py)$"),
        frozenset({"test", "tests", "testing", "spec", "specs", "fixture", "fixtures", "mock", "mocks"}),
    ),
    "example": (
        frozenset({"example", "examples", "sample", "samples", "demo", "demos", "docs", "doc", "benchmark",
                   "benchmarks", "bench", "tutorial", "tutorials"}),
        None,
        frozenset({"example", "examples", "sample", "demo", "benchmark", "benchmarks", "doc", "docs", "tutorial"}),
    ),
    "legacy": (
        frozenset({"compat", "legacy", "deprecated", "_compat", "backport", "backports", "vendor", "vendored",
                   "_vendor", "third_party", "thirdparty", "external"}),
        re.compile(r"^(_?compat|legacy|deprecated)\w*\.\w+$"),
        frozenset({"compat", "compatibility", "legacy", "deprecated", "backport", "vendored"}),
    ),
    "marker": (
        frozenset(),
        re.compile(r"^(__init__\.py|package-info\.java|module-info\.java|.*\.d\.[mc]?ts)$"),
        frozenset({"init", "package", "declaration", "declarations", "typings"}),
    ),
}


# Records of documentation and configuration (parsing's text formats): a code search answers with code
# unless the query asks for these.
TEXT_RECORD_KINDS = frozenset({"section", "window"})
_TEXT_WORDS = frozenset({"readme", "doc", "docs", "documentation", "documented", "guide", "tutorial", "install",
                         "installation", "changelog", "markdown", "yaml", "yml", "toml", "json", "ini", "dockerfile",
                         "docker", "makefile", "manual", "faq"})


def path_kind(path: str) -> str | None:
    """Which rarely-answering kind of file ``path`` is, if any.

    >>> path_kind("tests/test_routing.py"), path_kind("src/routing.py"), path_kind("pkg/__init__.py")
    ('test', None, 'marker')
    >>> path_kind("src/Foo/FooTests.cs"), path_kind("lib/index.d.ts"), path_kind("src/_compat.py")
    ('test', 'marker', 'legacy')
    """
    parts = PurePosixPath(path).parts
    lowered = [p.lower() for p in parts[:-1]]
    name = parts[-1] if parts else path
    for kind, (folder_names, pattern, _) in _KINDS.items():
        if any(folder in folder_names for folder in lowered) or (pattern is not None and pattern.match(name)):
            return kind
    return None


def prior_penalties(query: QueryFacts, heads: Mapping[int, CandidateHead], params: RankingParams) -> dict[int, float]:
    """``-path_prior_penalty`` for each candidate in a rarely-answering file the query does not ask for,
    and ``-text_record_penalty`` for a documentation or configuration record unless the query asks for one."""
    asked = frozenset(query.words)
    wants_text = bool(asked & _TEXT_WORDS)
    penalties: dict[int, float] = {}
    kinds: dict[str, str | None] = {}
    for chunk_id, head in heads.items():
        if head.path not in kinds:
            kinds[head.path] = path_kind(head.path)
        kind = kinds[head.path]
        penalty = 0.0
        if kind is not None and not asked & _KINDS[kind][2]:
            penalty += params.path_prior_penalty
        if head.kind in TEXT_RECORD_KINDS and not wants_text:
            penalty += params.text_record_penalty
        if penalty:
            penalties[chunk_id] = -penalty
    return penalties
