"""Extraction of functions, methods and classes from one source file with tree-sitter tag queries.

The query file of a language marks definitions with the tree-sitter tags capture names
(``@definition.function``, ``@definition.method``, ``@definition.class``) and their ``@name``;
``@doc`` marks docstrings inside a definition (Python) or doc comments above it, ``@scope`` marks
an enclosing type block that qualifies names and makes its functions methods without being a
record itself (a Rust ``impl``), ``@namespace`` an enclosing block that only qualifies names (a
C++ or TypeScript namespace), and ``@receiver`` a Go method receiver. A pattern may
``(#set! separator "::")`` to join its definition to the enclosing name with something other than
the row's ``scope_separator`` (Ruby ``Outer::Inner#method``, ``Class.singleton_method``).
A ``@body`` capture is a node after the definition that it spans to (Dart puts a function's body
beside its signature), and ``@parameters`` the node whose children give the arity that rows with
an ``arity_separator`` append (Elixir ``Mod.fun/2``). ``@doc`` or ``@attribute`` in a pattern
without ``@name`` marks a node that belongs to the definition right after it, as a doc (Elixir
``@doc "..."``, a Haskell ``-- |`` comment) or as an attribute that is part of its text but not its
doc (``@spec``, a Haskell type signature). Rows with ``merges_clauses`` join a definition written
as several adjacent clauses (Haskell equations, Elixir function heads) into one record. A ``@doc``
after its definition (OCaml's ``val f : t`` then ``(** ... *)``) counts on the next line only, and is
then no other definition's doc.
Everything language-specific beyond that is a row of ``languages.LANGUAGES``; this module never
branches on the language name.

Hostile input is bounded: a file gets ``time_limit_s`` for parsing, matching and building its
chunks (the parse itself is cancelled, see bounded_parse.py), and definitions
nested inside more than MAX_NESTING others (or deeper than MAX_START_DEPTH in the syntax tree)
are left out, since each of them would repeat the text of all the others. A time limit or
MAX_NESTING cut is reported in ``FileExtraction.limit_reached``.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from codesearch.parsing.bounded_parse import parse_before
from codesearch.parsing.doc_run import (
    AnyOf,
    LooseCaptures,
    end_line,
    is_doc_comment,
    is_trailing_doc,
    node_text,
    run_above,
)
from codesearch.parsing.docstrings import strip_doc_markers, summarize_docstring
from codesearch.parsing.gaps import gap_blocks
from codesearch.parsing.languages import LanguageSpec
from codesearch.parsing.nesting import Label, with_enclosing
from codesearch.parsing.qualified_names import clean_scope_name, qualified_name, split_written_name
from codesearch.parsing.queries import compiled_query
from codesearch.records import Chunk, FileExtraction

if TYPE_CHECKING:
    from tree_sitter import Node

logger = logging.getLogger(__name__)

_MAX_SIGNATURE_CHARS = 400
TIME_LIMIT_S = 10.0  # per file; a 1 MiB file takes ~0.3 s, so only pathological input gets near it
MAX_NESTING = 50  # enclosing definitions and scopes a definition may have to be extracted
MAX_START_DEPTH = 1000  # syntax-tree depth below which no definition is looked for
PARSE_TIMEOUT = "parse_timeout"
NESTED_TOO_DEEP = "nested_too_deep"
_CLASS_LIKE_KINDS = frozenset({"class", "interface", "struct", "enum", "trait", "module", "scope"})


@dataclass(slots=True)
class _Definition:
    node: Node
    kind: str
    name: str
    name_node: Node
    docs: list[Node] = field(default_factory=list)
    receiver: str = ""
    separator: str = ""  # joins this name to the enclosing one; "" means the row's scope_separator
    body: Node | None = None  # a later sibling the definition spans to (@body, merged clauses)
    arity: int | None = None  # children of its @parameters, where the row appends an arity


def extract_chunks(
    path: str, source: bytes, language: LanguageSpec, *, time_limit_s: float = TIME_LIMIT_S,
    with_blocks: bool = False,
) -> FileExtraction:
    """Every function, method and class in ``source`` (the bytes of the file at ``path``).

    Syntax errors are not fatal: tree-sitter recovers, the definitions it still sees are
    returned, and ``has_syntax_errors`` plus a warning say where the first error is. A file that
    takes longer than ``time_limit_s`` yields no definitions and ``limit_reached`` PARSE_TIMEOUT.

    ``with_blocks`` adds the code outside every definition as BLOCK records (gaps.py), for the
    index: then no line of code is left out, even of a file that timed out (cut by lines alone).
    """
    from tree_sitter import QueryCursor

    deadline = time.monotonic() + time_limit_s
    tree = parse_before(source, language, deadline)
    if tree is None:
        return _timed_out(path, source, language, time_limit_s, with_blocks)
    definitions: dict[int, _Definition] = {}
    scopes: dict[int, tuple[Node, str, str]] = {}
    loose = LooseCaptures()
    query = compiled_query(language)
    cursor = QueryCursor(query)
    # The query engine is quadratic in nesting depth for some grammars (10,000 nested Java
    # classes: minutes), and its progress callback crashes tree-sitter 0.26, so it cannot be
    # cancelled; not starting matches below MAX_START_DEPTH bounds it instead.
    cursor.set_max_start_depth(MAX_START_DEPTH)
    for pattern, captures in cursor.matches(tree.root_node):
        separator = query.pattern_settings(pattern).get("separator")
        _collect(source, captures, definitions, scopes, loose, separator, language)
    if language.merges_clauses:
        _merge_clauses(definitions, loose)
    loose.trailing.update(doc.id for d in definitions.values() for doc in d.docs if is_trailing_doc(doc, d.node))
    chunks: list[Chunk] = []
    too_deep = 0
    containers: list[tuple[Node, Label, _Definition | None]] = [
        (d.node, (d.name, d.kind, d.separator), d) for d in definitions.values()
    ]
    containers += [  # a node captured both ways counts as its definition
        (node, (name, kind, ""), None) for node_id, (node, name, kind) in scopes.items() if node_id not in definitions
    ]
    for definition, enclosing in with_enclosing(containers):
        if time.monotonic() > deadline:
            return _timed_out(path, source, language, time_limit_s, with_blocks)
        if len(enclosing) > MAX_NESTING:
            too_deep += 1
            continue
        chunks.append(_build_chunk(path, source, language, definition, enclosing, loose))
    root = tree.root_node
    if with_blocks:
        chunks += gap_blocks(path, language.name, source, root, chunks)
    chunks.sort(key=lambda chunk: (chunk.start_byte, -chunk.end_byte))
    warnings: list[str] = []
    if root.has_error:
        warnings.append(f"{path}:{_first_error_line(root)}: syntax error (extracted what parsed)")
    if too_deep:
        warnings.append(f"{path}: {too_deep} definitions nested more than {MAX_NESTING} deep were left out")
    return FileExtraction(path, language.name, tuple(chunks), root.has_error, tuple(warnings),
                          NESTED_TOO_DEEP if too_deep else None)


def _merge_clauses(definitions: dict[int, _Definition], loose: LooseCaptures) -> None:
    """Fold each definition into the one just before it when both have the same name, kind and
    arity (``fact 0 = 1`` then ``fact n = ...``): the first spans to the last, the others go.
    Comments and loose captures between clauses do not separate them."""
    heads: dict[int, _Definition] = {}  # node id of every clause -> the first clause of its group
    for definition in sorted(definitions.values(), key=lambda d: d.node.start_byte):
        before = definition.node.prev_named_sibling
        while before is not None and (
            "comment" in before.type or before.id in loose.docs or before.id in loose.attributes
        ):
            before = before.prev_named_sibling
        head = heads.get(before.id) if before is not None else None
        if head is not None and (head.name, head.kind, head.arity) == (definition.name, definition.kind,
                                                                      definition.arity):
            head.body = definition.body or definition.node
            del definitions[definition.node.id]
        else:
            head = definition
        heads[definition.node.id] = head


def _timed_out(
    path: str, source: bytes, language: LanguageSpec, time_limit_s: float, with_blocks: bool
) -> FileExtraction:
    warning = f"{path}: gave up after {time_limit_s:g} s (parse time limit); no definitions extracted"
    blocks = tuple(gap_blocks(path, language.name, source, None, ())) if with_blocks else ()
    return FileExtraction(path, language.name, blocks, False, (warning,), PARSE_TIMEOUT)


def _collect(
    source: bytes,
    captures: dict[str, list[Node]],
    definitions: dict[int, _Definition],
    scopes: dict[int, tuple[Node, str, str]],
    loose: LooseCaptures,
    separator: str | None,
    language: LanguageSpec,
) -> None:
    names = captures.get("name")
    if not names:
        loose.docs.update(node.id for node in captures.get("doc", ()))
        loose.attributes.update(node.id for node in captures.get("attribute", ()))
        return
    name_node = names[0]
    name = clean_scope_name(node_text(source, name_node))
    if not name:
        return  # a name tree-sitter inserted to recover from a syntax error (MISSING): nothing to find
    for scope_kind in ("scope", "namespace"):
        if scope_kind in captures:
            node = captures[scope_kind][0]
            scopes.setdefault(node.id, (node, name, scope_kind))
            return
    kind_key = next((key for key in captures if key.startswith("definition.")), None)
    if kind_key is None:
        return
    node = captures[kind_key][0]
    existing = definitions.get(node.id)
    if existing is None:
        existing = _Definition(node, kind_key.split(".", 1)[1], name, name_node)
        definitions[node.id] = existing
        if language.arity_separator and existing.kind != "class":
            parameters = captures.get("parameters")
            existing.arity = parameters[0].named_child_count if parameters else 0
    if "receiver" in captures:  # a pattern that finds one wins over a generic pattern without
        existing.receiver = node_text(source, captures["receiver"][0])
    if "body" in captures:
        existing.body = captures["body"][0]
    if separator:  # a pattern that sets one wins over a generic pattern matching the same node
        existing.separator = separator
    for doc in captures.get("doc", ()):
        if all(doc.id != known.id for known in existing.docs):
            existing.docs.append(doc)


def _build_chunk(
    path: str,
    source: bytes,
    language: LanguageSpec,
    definition: _Definition,
    enclosing_names: list[Label],
    loose: LooseCaptures,
) -> Chunk:
    outer = _outermost(definition.node, language)
    # A doc captured after the definition (OCaml's `val f : t` then `(** ... *)`) is its doc only on
    # the next line; after a blank line it is the next definition's.
    docs = [d for d in definition.docs if d.start_byte < outer.end_byte or is_trailing_doc(d, outer)]
    body = definition.body
    if body is not None and body.start_byte >= outer.end_byte and body in definition.docs and body not in docs:
        body = None
    last = body if body is not None and body.end_byte > outer.end_byte else outer
    captured = AnyOf(({doc.id for doc in docs}, loose.docs))
    above = run_above(source, outer, language, captured, loose)
    first = above[0] if above else outer
    doc_nodes = [n for n in above if is_doc_comment(source, n, language, captured)]
    doc_nodes += [d for d in docs if d.start_byte >= outer.start_byte]
    start_byte, end_byte = first.start_byte, last.end_byte
    docstring = "\n".join(strip_doc_markers(node_text(source, d)) for d in doc_nodes).rstrip().lstrip("\n")
    code = _dedented(source, start_byte, end_byte, [])
    name, separator, qualifiers = _written_name(source, definition, language)
    enclosing = [*enclosing_names, *qualifiers]
    kind = definition.kind
    if kind == "function" and enclosing and enclosing[-1][1] in _CLASS_LIKE_KINDS:
        kind = "method"
    return Chunk(
        path=path,
        language=language.name,
        kind=kind,
        name=name,
        qualified_name=qualified_name(
            name, separator, [(scope, before) for scope, _, before in enclosing], language.scope_separator,
            definition.receiver,
        ) + ("" if definition.arity is None else f"{language.arity_separator}{definition.arity}"),
        start_line=first.start_point[0] + 1,
        end_line=end_line(last),
        signature_line=definition.name_node.start_point[0] + 1,
        start_byte=start_byte,
        end_byte=end_byte,
        signature=_signature(definition.node, source),
        docstring_raw="\n".join(node_text(source, d) for d in doc_nodes),
        docstring=docstring,
        docstring_summary=summarize_docstring(docstring),
        code=code,
        code_without_docstring=_dedented(
            source, start_byte, end_byte, [(d.start_byte, d.end_byte) for d in doc_nodes]
        ) if doc_nodes else code,
        content_hash=hashlib.sha256(code.encode("utf-8")).hexdigest(),
    )


def _outermost(node: Node, language: LanguageSpec) -> Node:
    """The node whose range is the definition's: climbs through decorators, ``export`` and the like."""
    while node.parent is not None and node.parent.type in language.wrapper_node_types:
        node = node.parent
    return node


def _dedented(source: bytes, start: int, end: int, cut: list[tuple[int, int]]) -> str:
    """``source[start:end]`` with the byte ranges in ``cut`` removed (whole lines where they stand
    alone on their lines), re-indented so that the first line's indentation is kept and removed."""
    line_start = source.rfind(b"\n", 0, start) + 1
    lead = source[line_start:start]
    pieces = [b" " * len(lead)] if lead.strip() else []  # code before us on our first line
    position = start if lead.strip() else line_start
    for cut_start, cut_end in sorted(cut):
        cut_start, cut_end = _widen_to_lines(source, cut_start, cut_end)
        cut_start = max(cut_start, position)
        if cut_start >= cut_end:
            continue
        pieces.append(source[position:cut_start])
        position = cut_end
    pieces.append(source[position:end])
    text = b"".join(pieces).decode("utf-8", errors="replace")
    return _remove_indent(text, len(lead) if not lead.strip() else 0)


def _remove_indent(text: str, width: int) -> str:
    """Remove the first line's indentation (``width`` chars) from every line that starts with it.

    Cheaper than textwrap.dedent, and better for code: a less indented line (inside a multi-line
    string) is kept as it is instead of blocking the dedent of all the others.
    """
    if width == 0:
        return text.rstrip()
    indent = text[:width]
    return text[width:].replace("\n" + indent, "\n").rstrip()


def _widen_to_lines(source: bytes, start: int, end: int) -> tuple[int, int]:
    line_start = source.rfind(b"\n", 0, start) + 1
    if source[end - 1 : end] == b"\n":
        line_end = end  # the node ends with its own newline (a Rust line comment)
    else:
        line_end = source.find(b"\n", end)
        line_end = len(source) if line_end < 0 else line_end + 1
    if source[line_start:start].strip() or source[end:line_end].strip():
        return start, end
    return line_start, line_end


def _written_name(
    source: bytes, definition: _Definition, language: LanguageSpec
) -> tuple[str, str, list[tuple[str, str, str]]]:
    """The name, its separator, and the qualifiers spelled in it, of a name node listed in the
    row's ``qualified_name_node_types`` (C++ ``Box<T>::operator<`` -> ``operator<`` qualified by
    ``Box``, Lua ``M:push`` -> ``push`` qualified by ``M``); other names come back as collected.
    Spelled qualifiers count as class-like scopes: an out-of-line ``Foo::bar`` is almost always a method."""
    node = definition.name_node
    if node.type not in language.qualified_name_node_types:
        return definition.name, definition.separator, []
    separators = (language.scope_separator, *language.name_separators)
    name, separator, qualifiers = split_written_name(node_text(source, node), separators)
    if separator == language.scope_separator or definition.separator:
        separator = definition.separator  # a pattern's own separator wins, as for collected names
    return name, separator, [(qualifier, "scope", before) for qualifier, before in qualifiers]


def _find_body(node: Node, depth: int = 3) -> Node | None:
    """The ``body`` field of ``node`` or of a descendant a few levels down (``const f = () => {}``)."""
    level = [node]
    for _ in range(depth + 1):
        for candidate in level:
            body = candidate.child_by_field_name("body")
            if body is not None:
                return body
        level = [child for candidate in level for child in candidate.named_children]
    return None


def _signature(node: Node, source: bytes) -> str:
    body = _find_body(node)
    if body is not None and body.start_byte > node.start_byte:
        end = body.start_byte
    else:
        line_end = source.find(b"\n", node.start_byte, node.end_byte)
        end = node.end_byte if line_end < 0 else line_end
    # a comment between header and body (Ruby ``class Foo # :nodoc:``) is not part of the header
    comments = [c.start_byte for c in node.children if "comment" in c.type and c.start_byte > node.start_byte]
    header = source[node.start_byte : min([end, *comments])]
    text = " ".join(header.decode("utf-8", errors="replace").split()).rstrip("{;= ").rstrip()
    return text[:_MAX_SIGNATURE_CHARS]


def _first_error_line(root: Node) -> int:
    """The line of the first error: follows the first erroneous child down to an ERROR or MISSING
    node, or to the deepest node flagged ``has_error`` when the MISSING token is hidden
    (C#'s ``(identifier (MISSING _identifier_token))`` has no visible erroneous child)."""
    node = root
    while not (node.is_error or node.is_missing):
        child = next((c for c in node.children if c.has_error or c.is_missing), None)
        if child is None:
            break
        node = child
    return node.start_point[0] + 1
