"""Whether a ``.h`` header is C or C++: from its first bytes and the sources beside it.

``.h`` is shared by C and C++. Parsing a C++ header with the C grammar loses most of it (a
namespace, a class or a template is a syntax error there), while the C++ grammar reads C headers
well, so a header is C++ as soon as there is evidence for it:

1. its first bytes (the ``SNIFF_BYTES`` discovery reads anyway) hold syntax only C++ has, outside
   comments, strings and ``#if ... __cplusplus`` branches: ``namespace``, ``template <``, a class
   with a body or a base, an access specifier, ``::`` between names, or an extension-less
   include (``#include <vector>``): C++;
2. else its own folder holds more C++ sources (``.cc``, ``.cpp``, ...) than C sources (``.c``): C++;
3. else C.

(Headers with a C++-only extension, ``.hpp``, ``.hh``, ``.inl``, ..., are C++ by the language table.)

The rule reads nothing but the header's first bytes and the names in its own folder, both of which
discovery has in hand, so it costs one regex pass per header and no second parse, and the answer
depends on nothing else. Because the folder counts, a header's language changes when a C or C++
source beside it appears or goes away: the indexer then re-judges the headers of that folder
(``update_paths``), and a full walk re-extracts every file whose language differs from the stored
one, so the index never keeps a language this rule would not give today.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import PurePosixPath

SHARED_HEADER_EXTENSION = ".h"
C_SOURCE_EXTENSIONS = frozenset({".c"})
CPP_SOURCE_EXTENSIONS = frozenset({".cc", ".cpp", ".cxx", ".c++"})

# Comments, string and character literals: blanked before looking for C++ syntax, so that
# "see Foo::bar" in a comment or "a::b" in a string is no evidence.
_NOISE = re.compile(
    rb"//[^\n]*|/\*.*?(?:\*/|\Z)|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'", re.DOTALL
)
_DIRECTIVE = re.compile(rb"^[ \t]*#[ \t]*(\w+)(.*)$", re.MULTILINE)
_CPP_INCLUDE = re.compile(rb"^[ \t]*#[ \t]*include[ \t]*<[\w/]+>", re.MULTILINE)  # <vector>, not <stdio.h>
_CPP_SYNTAX = re.compile(
    rb"\bnamespace\s+\w*\s*(?:\{|=)"  # namespace a {, namespace {, namespace fs = ...
    rb"|\busing\s+namespace\b"
    rb"|\btemplate\s*<"
    rb"|\bclass\s+(?:\w+\s+)*\w+\s*(?:final\s*)?(?:\{|:[^:])"  # class X {, class API X : public Y
    rb"|^\s*(?:public|private|protected)\s*:"
    rb"|\w\s*::\s*~?\w",  # std::string, Foo::~Foo
    re.MULTILINE,
)


def is_shared_header(path: str) -> bool:
    """Whether ``path`` is a header this rule decides (a ``.h`` file)."""
    return PurePosixPath(path).suffix.lower() == SHARED_HEADER_EXTENSION


def is_folder_evidence(path: str) -> bool:
    """Whether adding or deleting ``path`` can change the language of the headers in its folder."""
    return PurePosixPath(path).suffix.lower() in C_SOURCE_EXTENSIONS | CPP_SOURCE_EXTENSIONS


def header_language(sample: bytes, folder_names: Iterable[str]) -> str:
    """``"cpp"`` or ``"c"`` for a ``.h`` file that starts with ``sample``, in a folder with these entries.

    >>> header_language(b"namespace a { int f(); }", [])
    'cpp'
    >>> header_language(b"int f(void);  /* see a::f */", ["x.h", "x.c"])
    'c'
    >>> header_language(b"int f(void);", ["x.h", "x.cc"])
    'cpp'
    """
    return "cpp" if has_cpp_syntax(sample) or folder_is_cpp(folder_names) else "c"


def folder_is_cpp(names: Iterable[str]) -> bool:
    """Whether a folder with these entry names holds more C++ sources than C sources."""
    suffixes = [PurePosixPath(name).suffix.lower() for name in names]
    cpp_sources = sum(suffix in CPP_SOURCE_EXTENSIONS for suffix in suffixes)
    return cpp_sources > sum(suffix in C_SOURCE_EXTENSIONS for suffix in suffixes)


def has_cpp_syntax(sample: bytes) -> bool:
    """Whether ``sample`` (the start of a header) uses syntax that only C++ has."""
    code = _without_cplusplus_branches(_NOISE.sub(b" ", sample))
    return _CPP_INCLUDE.search(code) is not None or _CPP_SYNTAX.search(code) is not None


def _without_cplusplus_branches(code: bytes) -> bytes:
    """``code`` without conditional directives and the branches of ``#if`` tests on ``__cplusplus``.

    A C header meant for C++ callers too wraps its C++ parts in ``#ifdef __cplusplus``
    (``extern "C" {``, ``#include <iosfwd>``, inline wrappers): those are no evidence that it is C++.
    """
    kept: list[bytes] = []
    position = 0
    skip_depth = 0  # > 0 inside a __cplusplus branch: #if nesting counted from its test
    for directive in _DIRECTIVE.finditer(code):
        word, rest = directive.group(1), directive.group(2)
        is_conditional = word.startswith(b"if") or word in (b"else", b"elif", b"endif")
        if skip_depth == 0:
            kept.append(code[position : directive.start() if is_conditional else directive.end()])
        position = directive.end()
        if word.startswith(b"if"):
            if skip_depth:
                skip_depth += 1
            elif b"__cplusplus" in rest:
                skip_depth = 1
        elif word == b"endif" and skip_depth:
            skip_depth -= 1
    if skip_depth == 0:
        kept.append(code[position:])
    return b"".join(kept)
