"""Docstring text: removing quotes and comment markers, and summarising to a first paragraph.

Works on the comment syntax itself (triple quotes, ``/** */``, ``///``, ``#``, ``--``, ``-- |``,
``{-| -}``, ``--[[ ]]``, ``(** *)``, an attribute before a string such as ``@doc "..."``), never on the
language name, so a new language with a known comment style needs no change here.

>>> strip_doc_markers('/**\\n * Parses the config.\\n * @param path where\\n */')
'Parses the config.\\n@param path where'
>>> summarize_docstring('Parses the `config`.\\n\\nLonger text.')
'Parses the config.'
"""

from __future__ import annotations

import html
import inspect
import re

_STRING_PREFIX = re.compile(r"^[rRuUbBfF]{0,2}")
_LINE_MARKERS = re.compile(r"^\s*(///|//!|//|---|--(?:\s?[|^](?=\s|$))?|#|\*(?!/))\s?")  # `-- |`: Haddock
_BLOCK_MARKERS = (
    ("/**", "*/"), ("/*!", "*/"), ("/*", "*/"), ("{-|", "-}"), ("{-", "-}"), ("--[[", "]]"),
    ("(**", "*)"), ("(*", "*)"),
)
_STRING_ATTRIBUTE = re.compile(r"^@\w+\s+(?:~[a-zA-Z])?(?=[\"'])")  # Elixir @doc """...""", @moduledoc ~S"..."
_SECTION_START = re.compile(
    r"^\s*(@\w+|:(param|type|return|returns|rtype|raises|raise|arg|keyword|var|ivar)\b|"
    r"(Args|Arguments|Parameters|Params|Returns?|Yields?|Raises|Throws|Examples?|Example usage|"
    r"Notes?|See Also|Attributes|Keyword Args|Other Parameters|Warnings?|Todo|Usage)\s*:?\s*$|"
    r"#+\s|-{3,}\s*$|={3,}\s*$|>>>|```|<(param|returns|exception|typeparam|remarks|example|value|code)\b|"
    r"\\(param|tparam|returns?|retval|throws?|exception|details|note|sa|see|pre|post|warning|code)\b)",
    re.IGNORECASE,
)
_BRIEF_COMMAND = re.compile(r"^\s*[@\\](brief|short|internal)(\s+|$)", re.IGNORECASE)  # Doxygen markers
_DOXYGEN_INLINE = re.compile(r"(?<![\w@\\])[@\\](?:p|c|a|e|b|em|ref)\s+(?=\S)")  # "@p path" -> "path"
_XML_PARAGRAPH = re.compile(r"^\s*<para>", re.IGNORECASE)  # a new paragraph unless it is the first
_YARD_DIRECTIVE = re.compile(r"^\s*@!\w+")  # @!macro, @!visibility: markup for the doc tool, not prose
# GObject Introspection's annotation names: a line of nothing but these, "(skip)" or "(method) (constructor)",
# is markup; a line of other parentheses, "(DEPRECATED: use --listen)" or "(type_weight, params_weight)", is not.
_GI_ANNOTATION = (
    r"\((?:allow-none|array|async-func|attributes|closure|constructor|default|destroy|element-type|emitter|"
    r"finish-func|foreign|get-property|get-value-func|getter|in|inout|method|not|nullable|optional|out|ref-func|"
    r"rename-to|scope|set-property|set-value-func|setter|skip|sync-func|transfer|type|unref-func|value|virtual)"
    r"(?:\s[^()]*)?\)"
)
_ANNOTATIONS_ONLY = re.compile(rf"^\s*(?:{_GI_ANNOTATION}\s*)+$")
# gtk-doc opens a comment with the symbol it documents, not a sentence: `g_list_append:`,
# `GtkWidget::destroy:`, `GtkWidget:can-focus:`, `SECTION:gbytes`, often with annotations such as
# `(method)` or `(attributes org.gtk.Method.get_property=visible)`. A plain word ("Example:") has no `_`,
# `:`, digit or inner capital, so it is never taken for a symbol.
_GTK_DOC_SYMBOL = re.compile(
    r"^\s*(?:SECTION:\s*[\w.-]+|(?=[A-Za-z_]\w*(?:_|\d|::?\w|[a-z][A-Z]))[A-Za-z_]\w*(?:::?[\w-]+)*:)"
    rf"(?:\s*{_GI_ANNOTATION})*\s*$"
)
_GTK_DOC_PARAMETER = re.compile(r"^\s*@(?:\w+|\.\.\.):")  # "@list: (nullable): a #GList"
# In gtk-doc prose "@widget" names a parameter ("... the rectangle given by\n@x and @y."); only "@name:" opens
# a parameter's section, so a line that starts with a reference goes on with the sentence.
_GTK_DOC_REFERENCE = re.compile(r"^\s*@\w+(?![\w:])")
_GTK_DOC_SIGIL = re.compile(r"(?<![\w@%#])[@%#](?=[A-Za-z_])")  # "@widget", "%NULL", "#GList": the names alone
_XML_SUMMARY = re.compile(r"<summary>(.*?)</summary>", re.DOTALL | re.IGNORECASE)
_XML_REF = re.compile(  # <see cref="T:System.String"/> -> System.String (without the doc-ID prefix)
    r"<(?:see|seealso|paramref|typeparamref)\s+\w+=\"(?:[A-Z]:)?([^\"]*)\"\s*/>", re.IGNORECASE
)
_TAG = re.compile(r"</?[A-Za-z][\w:-]*(?:\s[^<>]*)?/?>")
_INLINE_LINK = re.compile(r"\{@\w+\s+([^}]*)\}")  # {@link Foo#bar label} -> Foo#bar label
_RST_ROLE = re.compile(r":\w+(?::\w+)?:`~?([^`]*)`")  # :func:`foo` -> foo
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)|\[`?([^\]`]+)`?\]")  # [text](url), [`Type`]
_EMPHASIS = re.compile(r"(\*\*|__|``|`|\*)(?=\S)(.+?)(?<=\S)\1")


def strip_doc_markers(raw: str) -> str:
    """The doc text without quotes or comment markers, dedented (inspect.cleandoc)."""
    text = _STRING_ATTRIBUTE.sub("", raw.strip(), count=1)
    if text[:1] in "\"'rRuUbBfF" and _looks_like_string(text):
        body = _STRING_PREFIX.sub("", text, count=1)
        quote = body[:3] if body[:3] in ('"""', "'''") else body[:1]
        body = body[len(quote):]
        if body.endswith(quote):
            body = body[: -len(quote)]
        return inspect.cleandoc(body)
    opening, closing = next(((o, c) for o, c in _BLOCK_MARKERS if text.startswith(o)), ("", ""))
    if opening:
        text = text[len(opening):]
        if text.endswith(closing):
            text = text[: -len(closing)]
    lines = [_LINE_MARKERS.sub("", line, count=1).rstrip() for line in text.splitlines()]
    return inspect.cleandoc("\n".join(lines)).strip()


def _looks_like_string(text: str) -> bool:
    body = _STRING_PREFIX.sub("", text, count=1)
    return body[:1] in ("'", '"')


def summarize_docstring(doc: str) -> str:
    """The first paragraph of ``doc`` (already stripped of markers), with markup removed.

    Skips a leading indented (code) block. Stops at a blank line, at the first section (``@param``,
    ``\\param``, ``Args:``, ``:returns:``, ``# Examples``, ``<param>``, ``<code>``) or at a second XML
    ``<para>``; drops Doxygen's ``@brief``/``\\brief``/``@internal`` markers, and flattens inline markup
    to its text.
    """
    if not doc:
        return ""
    summary_match = _XML_SUMMARY.search(doc)
    if summary_match:
        doc = summary_match.group(1)
    kept: list[str] = []
    lines = doc.splitlines()
    body = _without_gtk_doc_header(lines)
    is_gtk_doc = len(body) < len(lines)
    for line in body:
        line = _BRIEF_COMMAND.sub("", line, count=1)
        if not line.strip() or _YARD_DIRECTIVE.match(line):
            if kept:
                break
            continue
        if not kept and line.startswith(("    ", "\t")):
            continue  # a leading indented block is code (Julia's signature line), not the summary
        if is_gtk_doc and _GTK_DOC_REFERENCE.match(line):
            pass  # a parameter named mid-sentence, not a section
        elif _SECTION_START.match(line) or (kept and _XML_PARAGRAPH.match(line)):
            break
        kept.append(line.strip())
    summary = _flatten_markup(" ".join(kept))
    return _GTK_DOC_SIGIL.sub("", summary) if is_gtk_doc else summary


def _without_gtk_doc_header(lines: list[str]) -> list[str]:
    """``lines`` without a gtk-doc header: the symbol line, annotation-only lines and the ``@param:``
    block after them (up to the blank line), so the summary is the description's first sentence.

    >>> _without_gtk_doc_header(["gtk_widget_show: (method)", "@widget: a widget", "", "Shows it."])
    ['', 'Shows it.']
    """
    start = next((i for i, line in enumerate(lines) if line.strip()), len(lines))
    end = start
    while end < len(lines) and (_GTK_DOC_SYMBOL.match(lines[end]) or _ANNOTATIONS_ONLY.match(lines[end])):
        end += 1
    if end == start:
        return lines
    if end < len(lines) and _GTK_DOC_PARAMETER.match(lines[end]):
        end = next((i for i in range(end, len(lines)) if not lines[i].strip()), len(lines))
    return lines[end:]


def _flatten_markup(text: str) -> str:
    if not text:
        return text
    text = _XML_REF.sub(r"\1", text)
    text = _TAG.sub("", text)
    text = _INLINE_LINK.sub(r"\1", text)
    text = _DOXYGEN_INLINE.sub("", text)
    text = _RST_ROLE.sub(r"\1", text)
    text = _MD_LINK.sub(lambda m: m.group(1) or m.group(2), text)
    text = _EMPHASIS.sub(r"\2", text)
    text = html.unescape(text)
    return re.sub(r"\s+", " ", text).strip()
