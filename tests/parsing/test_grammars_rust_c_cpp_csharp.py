"""Extraction from the Rust, C, C++ and C# fixtures matches the reviewed records."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codesearch.parsing.docstrings import summarize_docstring
from codesearch.parsing.extract import extract_chunks
from codesearch.parsing.languages import get_language, language_for_path
from codesearch.records import Chunk, FileExtraction

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "grammars"
LANGUAGES = ("rust", "c", "cpp", "csharp")
FIELDS = ("kind", "name", "qualified_name", "start_line", "end_line", "signature_line", "docstring_summary")


def _extract_file(path: Path) -> FileExtraction:
    spec = language_for_path(path)
    assert spec is not None
    return extract_chunks(path.name, path.read_bytes(), spec)


def _extract(language: str, source: str) -> tuple[Chunk, ...]:
    result = extract_chunks(f"snippet.{language}", source.encode(), get_language(language))
    assert not result.has_syntax_errors
    return result.chunks


def _sample_chunk(language: str, qualified_name: str) -> Chunk:
    sample = next((FIXTURES / language).glob("sample.*"))
    return next(c for c in _extract_file(sample).chunks if c.qualified_name == qualified_name)


@pytest.mark.parametrize("language", LANGUAGES)
def test_sample_matches_expected_records(language: str) -> None:
    (sample,) = (FIXTURES / language).glob("sample.*")
    expected = json.loads((FIXTURES / language / "expected.json").read_text(encoding="utf-8"))
    result = _extract_file(sample)
    assert not result.has_syntax_errors
    assert [{field: getattr(c, field) for field in FIELDS} for c in result.chunks] == expected


@pytest.mark.parametrize(
    ("broken", "error_line", "survivors"),
    [
        ("rust/broken.rs", 8, {"parse_pair", "broken", "later"}),
        ("c/broken.c", 14, {"trimmed_len", "broken", "later"}),
        ("cpp/broken.cpp", 9, {"shout", "broken", "later"}),
        # The MISSING identifier here is a hidden token: the line comes from the deepest error node.
        ("csharp/broken.cs", 10, {"Squash", "Broken", "Later"}),
    ],
)
def test_syntax_errors_are_reported_and_the_rest_extracted(
    broken: str, error_line: int, survivors: set[str]
) -> None:
    result = _extract_file(FIXTURES / broken)
    assert result.has_syntax_errors
    assert result.warnings == (f"{Path(broken).name}:{error_line}: syntax error (extracted what parsed)",)
    assert survivors <= {chunk.name for chunk in result.chunks}


def test_rust_doc_comment_and_attributes_are_part_of_the_record() -> None:
    chunk = _sample_chunk("rust", "Limiter::try_acquire")
    assert chunk.code.splitlines()[:4] == [
        "/// Take one permit for `key` at time `now_ms`.",
        "///",
        "/// Returns [`LimitError::Exhausted`] when the bucket is empty.",
        "#[inline]",
    ]
    assert chunk.docstring == (
        "Take one permit for `key` at time `now_ms`.\n\n"
        "Returns [`LimitError::Exhausted`] when the bucket is empty."
    )
    assert chunk.code_without_docstring.splitlines()[:3] == [
        "#[inline]",
        '#[must_use = "a refused permit must be handled"]',
        "pub fn try_acquire(&mut self, key: &K, now_ms: u64) -> Result<(), LimitError> {",
    ]
    assert chunk.signature == "pub fn try_acquire(&mut self, key: &K, now_ms: u64) -> Result<(), LimitError>"


def test_rust_inner_doc_and_a_blank_line_do_not_attach() -> None:
    (first, second) = _extract("rust", "//! Crate docs.\nfn first() {}\n/// Detached.\n\nfn second() {}\n")
    assert (first.start_line, first.docstring) == (2, "")
    assert (second.start_line, second.docstring) == (5, "")


def test_cpp_spelled_qualifiers_qualify_and_make_methods() -> None:
    chunks = _extract(
        "cpp",
        "namespace a::b {\n"
        "template <typename T>\n"
        "bool Box<T>::operator<(const Box& other) const { return false; }\n"
        "Box<int>::Inner::~Inner() {}\n"
        "}\n",
    )
    assert [(c.kind, c.name, c.qualified_name) for c in chunks] == [
        ("method", "operator<", "a::b::Box::operator<"),
        ("method", "~Inner", "a::b::Box::Inner::~Inner"),
    ]


def test_cpp_names_under_return_type_declarators() -> None:
    chunks = _extract(
        "cpp",
        "struct Tree {\n"
        "  Node *&mutable_root() { return root_; }\n"
        "  PyObject **operator&() { return &p_; }\n"
        "};\n"
        "inline a::Ref<T>::operator Node*() const { return p_; }\n"
        "static int (*pick(int n))(int) { return nullptr; }\n",
    )
    assert [(c.kind, c.qualified_name) for c in chunks] == [
        ("class", "Tree"),
        ("method", "Tree::mutable_root"),
        ("method", "Tree::operator&"),
        ("method", "a::Ref::operator Node*() const"),
        ("function", "pick"),
    ]


def test_rust_impls_on_structural_types_are_named_by_type_or_trait() -> None:
    chunks = _extract(
        "rust",
        "impl<T> Len for [T] { fn len(&self) -> usize { 0 } }\n"
        "impl<'a> Len for (&'a [u8], usize) { fn len(&self) -> usize { 1 } }\n"
        "impl<'a> fmt::Display for &'a str { fn fmt(&self) {} }\n",
    )
    assert [c.qualified_name for c in chunks] == ["[T]::len", "Len::len", "str::fmt"]


def test_functions_in_namespaces_and_modules_stay_functions() -> None:
    (cpp,) = _extract("cpp", "namespace io { void flush() {} }\n")
    (rust,) = _extract("rust", "mod io { pub fn flush() {} }\n")
    assert (cpp.kind, cpp.qualified_name) == ("function", "io::flush")
    assert (rust.kind, rust.qualified_name) == ("function", "io::flush")


def test_trailing_member_doc_is_not_the_doc_of_the_next_definition() -> None:
    (chunk,) = _extract("c", "static int count; ///< lines read\nint next(void) { return count++; }\n")
    assert (chunk.start_line, chunk.docstring) == (2, "")


def test_prototypes_are_records_only_when_documented() -> None:
    chunks = _extract("c", "int plain(void);\n\n/** Documented. */\nint documented(void);\n")
    assert [(c.name, c.start_line, c.docstring_summary) for c in chunks] == [("documented", 3, "Documented.")]


def test_csharp_xml_doc_is_stripped_and_summarised() -> None:
    chunk = _sample_chunk("csharp", "IStockReader.CanFulfil")
    assert chunk.docstring.splitlines()[0] == "<summary>"
    assert chunk.docstring_summary == "Whether at least units of sku are available."
    assert chunk.code_without_docstring == "bool CanFulfil(string sku, int units) => OnHand(sku) >= units;"


@pytest.mark.parametrize(
    ("doc", "summary"),
    [
        (
            '<summary>Uses <c>x &lt; y</c>, see <see cref="T:System.String"/>.</summary>',
            "Uses x < y, see System.String.",
        ),
        ("<summary>\n<para>First.</para>\n<para>Second.</para>\n</summary>", "First."),
        ("<summary>\nApplies it.\n<para>Never below zero.</para>\n</summary>", "Applies it."),
        ("<summary>\nUse it like this:\n<code>\nvar x = Make();\n</code>\n</summary>", "Use it like this:"),
        ("@brief Parse the file at @p path.\n\n@param path where", "Parse the file at path."),
        ("\\brief Opens \\p file.\n\\param file the file", "Opens file."),
        ("@brief\n  Wrapped brief.\n@details More.", "Wrapped brief."),
        ("\\internal\n\\brief Reads len bytes.", "Reads len bytes."),
    ],
)
def test_xml_and_doxygen_summaries(doc: str, summary: str) -> None:
    assert summarize_docstring(doc) == summary


GTK_DOC_SOURCE = """\
/**
 * g_list_append:
 * @list: (nullable): a pointer to a #GList
 * @data: the data for the new element
 *
 * Adds a new element on to the end of the list.
 *
 * Returns: (transfer full): either @list or the new start of the #GList if @list was %NULL
 */
GList *
g_list_append (GList *list, gpointer data)
{
  GList *new_list = _g_list_alloc ();
  new_list->data = data;
  return new_list;
}

/**
 * gtk_widget_get_visible: (attributes org.gtk.Method.get_property=visible)
 * @widget: a `GtkWidget`
 *
 * Determines whether the widget is visible.
 *
 * Returns: true if the widget is visible
 */
gboolean
gtk_widget_get_visible (GtkWidget *widget)
{
  g_return_val_if_fail (GTK_IS_WIDGET (widget), FALSE);
  return widget->priv->visible;
}

/**
 * gtk_widget_show: (method)
 * (skip)
 *
 * Flags a widget to be displayed. Any widget that isn't shown will not appear on the screen.
 */
void
gtk_widget_show (GtkWidget *widget)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));
  gtk_widget_set_visible (widget, TRUE);
}
"""


def test_gtk_doc_symbol_line_and_parameters_are_not_the_summary() -> None:
    chunks = {chunk.name: chunk for chunk in _extract("c", GTK_DOC_SOURCE)}
    assert chunks["g_list_append"].docstring.startswith("g_list_append:")  # the doc text keeps it all
    assert chunks["g_list_append"].docstring_summary == "Adds a new element on to the end of the list."
    assert chunks["gtk_widget_get_visible"].docstring_summary == "Determines whether the widget is visible."
    assert chunks["gtk_widget_show"].docstring_summary == (
        "Flags a widget to be displayed. Any widget that isn't shown will not appear on the screen."
    )


@pytest.mark.parametrize(
    ("doc", "summary"),
    [
        ("GtkWidget::destroy:\n@object: the object\n\nSignals that all holders drop references.",
         "Signals that all holders drop references."),
        ("GtkWidget:can-focus: (attributes org.gtk.Property.get=gtk_widget_get_can_focus)\n\n"
         "Whether the widget can accept focus.", "Whether the widget can accept focus."),
        ("SECTION:gbytes\n@title: GBytes\n@short_description: an immutable array\n\nA refcounted byte array.",
         "A refcounted byte array."),
        ("GtkWidget:\n\nThe base class for all widgets.", "The base class for all widgets."),
        ("g_strdup:\nDuplicates a string.", "Duplicates a string."),  # no parameters, no blank line
        ("cairo_rotate:\n@cr: a cairo context\n@radians: angle\n\nApplies rotation by @radians to the\n"
         "@cr transformation.\n\nThe rotation happens first.", "Applies rotation by radians to the cr transformation."),
        ("g_list_free:\n@list: the first link\n\nFrees all of the memory used by a #GList, %NULL is fine.",
         "Frees all of the memory used by a GList, NULL is fine."),  # gtk-doc's sigils go
        # Not gtk-doc: a plain word with a colon, or a symbol followed by prose, stays as it was.
        ("Example:\n    foo()\n\nDoes it.", ""),
        ("my_func: does the thing", "my_func: does the thing"),
        ("Opens it.\n@param path where", "Opens it."),  # outside gtk-doc "@name" still opens a section
        # Parentheses that are prose or a tuple, not GObject Introspection annotations, stay too.
        ("(DEPRECATED: use --listen)\nPort to listen on.", "(DEPRECATED: use --listen) Port to listen on."),
        ("(type_weight, params_weight)\n\ntype_weight: the index", "(type_weight, params_weight)"),
    ],
)
def test_gtk_doc_headers(doc: str, summary: str) -> None:
    assert summarize_docstring(doc) == summary
