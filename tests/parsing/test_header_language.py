"""C or C++ for ``.h`` files: the content rule on real headers, the folder rule, and discovery's use of both."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesearch.parsing.discovery import EXCLUDED_LANGUAGE, check_path, discover_files, load_ignore_rules
from codesearch.parsing.extract import extract_chunks
from codesearch.parsing.header_language import folder_is_cpp, has_cpp_syntax, header_language
from codesearch.parsing.languages import get_language
from tests.parsing.conftest import TreeMaker

HEADERS = Path(__file__).resolve().parents[1] / "fixtures" / "headers"


def header(name: str) -> str:
    return (HEADERS / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "is_cpp"),
    [
        ("token_bucket.h", True),  # namespace, class, std::, <chrono>
        # extern "C" and <cstddef> inside #ifdef __cplusplus, `::` in a comment and in a string
        ("ring_buffer.h", False),
        ("flag_macros.h", False),  # macros only: the folder decides
    ],
)
def test_cpp_syntax_is_found_outside_comments_strings_and_cplusplus_branches(name: str, is_cpp: bool) -> None:
    assert has_cpp_syntax(header(name).encode()) is is_cpp


@pytest.mark.parametrize(
    "snippet",
    [
        b"template <typename T> T twice(T x);",
        b"class Widget : public Base { };",
        b"class EXPORT_API Widget {",
        b"struct S {\n public:\n  int x;\n};",
        b"namespace {\nint hidden;\n}",
        b"using namespace std;",
        b"int Widget::count() const;",
        b"#include <string_view>\nint f(void);",
    ],
)
def test_each_kind_of_cpp_evidence(snippet: bytes) -> None:
    assert has_cpp_syntax(snippet)


@pytest.mark.parametrize(
    "snippet",
    [
        b"int class_count; struct point { int x, y; };",
        b"int labelled(int x) { again: return x ? 1 : 2; }",
        b"#include <sys/types.h>\n#include <stdio.h>\nint f(void);",
        b"#if defined(__cplusplus) && __cplusplus >= 201103L\nnamespace c { }\n#endif\nint f(void);",
        b"/* unterminated comment with a::b",
    ],
)
def test_c_code_is_no_evidence(snippet: bytes) -> None:
    assert not has_cpp_syntax(snippet)


def test_the_folder_decides_by_its_majority_of_sources() -> None:
    assert folder_is_cpp(["a.h", "a.cc", "b.cpp", "test.c"])
    assert not folder_is_cpp(["a.h", "a.cc", "a.c"])
    assert not folder_is_cpp(["a.h", "b.h", "README.md"])
    assert header_language(header("flag_macros.h").encode(), ["flag_macros.h", "flags.cc"]) == "cpp"
    assert header_language(header("flag_macros.h").encode(), ["flag_macros.h", "flags.c"]) == "c"
    assert header_language(header("token_bucket.h").encode(), ["token_bucket.h", "main.c"]) == "cpp"


def test_cpp_headers_parse_with_the_cpp_grammar_only() -> None:
    source = header("token_bucket.h").encode()
    as_c = extract_chunks("token_bucket.h", source, get_language("c"))
    as_cpp = extract_chunks("token_bucket.h", source, get_language("cpp"))
    assert as_c.has_syntax_errors and as_c.chunks == ()
    assert not as_cpp.has_syntax_errors
    assert [c.qualified_name for c in as_cpp.chunks] == ["example::net::TokenBucket"]


REPO = {
    "cring/ring_buffer.h": header("ring_buffer.h"),
    "cring/ring_buffer.c": "#include \"ring_buffer.h\"\nint ring_push(ring_t *r, uint8_t b) { return 0; }\n",
    "net/token_bucket.h": header("token_bucket.h"),
    "net/flag_macros.h": header("flag_macros.h"),
    "net/token_bucket.cc": "#include \"net/token_bucket.h\"\n",
    "include/token_bucket.h": header("token_bucket.h"),
    "include/flag_macros.h": header("flag_macros.h"),
    "include/span_view.inl": header("span_view.inl"),
    "include/matrix.hpp": header("matrix.hpp"),
}
LANGUAGES = {
    "cring/ring_buffer.h": "c",
    "cring/ring_buffer.c": "c",
    "net/token_bucket.h": "cpp",
    "net/flag_macros.h": "cpp",  # by its folder
    "net/token_bucket.cc": "cpp",
    "include/token_bucket.h": "cpp",  # by its content
    "include/flag_macros.h": "c",  # nothing says C++: parsed as C, which reads it as well
    "include/span_view.inl": "cpp",
    "include/matrix.hpp": "cpp",
}


def test_discovery_and_check_path_judge_each_header(make_tree: TreeMaker) -> None:
    root = make_tree(REPO)
    found = discover_files(root)
    assert {f.path: f.language for f in found.files} == LANGUAGES
    rules = load_ignore_rules(root)
    for source in found.files:
        assert check_path(root, source.path, rules=rules) == source


def test_a_language_filter_applies_to_the_decided_language(make_tree: TreeMaker) -> None:
    root = make_tree(REPO)
    only_cpp = discover_files(root, languages=frozenset({"c++"}))
    assert {f.path for f in only_cpp.files} == {p for p, lang in LANGUAGES.items() if lang == "cpp"}
    assert {s.path for s in only_cpp.skipped if s.reason == EXCLUDED_LANGUAGE} == {
        p for p, lang in LANGUAGES.items() if lang == "c"
    }
    rules = load_ignore_rules(root)
    assert check_path(root, "cring/ring_buffer.h", rules=rules, languages=frozenset({"cpp"})) is None
    assert check_path(root, "net/flag_macros.h", rules=rules, languages=frozenset({"c"})) is None


def test_a_linked_header_is_judged_by_the_folder_it_appears_in(make_tree: TreeMaker) -> None:
    root = make_tree({
        ".gitignore": "shared/\n",  # the real file is not walked, so the link is taken
        "shared/flag_macros.h": header("flag_macros.h"),
        "app/main.cc": "int main() {}\n",
    })
    (root / "app" / "flags.h").symlink_to(root / "shared" / "flag_macros.h")
    languages = {f.path: f.language for f in discover_files(root).files}
    assert languages["app/flags.h"] == "cpp"
