"""Names of extracted definitions: names spelled with their qualifiers, and qualified names.

Pure string functions over what the extractor collected, so the rules (C++ ``Box<T>::get``, Lua
``M:method``, Go ``(*T).Fn``, Elixir ``Mod.fun/2``) are testable without a syntax tree.

>>> split_written_name("Box<T>::operator<", ("::",))
('operator<', '::', [('Box', '')])
>>> split_written_name("a.b:c", (".", ":"))
('c', ':', [('a', ''), ('b', '.')])
>>> clean_scope_name("Map<K, V>")
'Map'
"""

from __future__ import annotations


def split_written_name(text: str, separators: tuple[str, ...]) -> tuple[str, str, list[tuple[str, str]]]:
    """The last part of a name spelled with qualifiers, and the qualifiers before it.

    Returns:
        ``(name, separator before it, [(qualifier, separator before it), ...])``, outermost
        qualifier first (its separator is ""; so is the name's when it has no qualifier).
    """
    *qualifiers, (name, separator) = _split_outside_brackets(" ".join(text.split()), separators)
    return name, separator, [(clean_scope_name(part), before) for part, before in qualifiers]


def _split_outside_brackets(text: str, separators: tuple[str, ...]) -> list[tuple[str, str]]:
    """``text`` split at any of ``separators`` outside ``<>``, ``()``, ``[]`` and ``{}``: each part
    with the separator before it ("" for the first)."""
    parts: list[tuple[str, str]] = []
    depth, start, index, before = 0, 0, 0, ""
    while index < len(text):
        char = text[index]
        if char in "<([{":
            depth += 1
        elif char in ">)]}":
            depth = max(0, depth - 1)  # `operator>` closes nothing
        elif depth == 0 and (found := next((s for s in separators if text.startswith(s, index)), None)):
            parts.append((text[start:index].strip(), before))
            before = found
            start = index = index + len(found)
            continue
        index += 1
    parts.append((text[start:].strip(), before))
    return parts


def qualified_name(
    name: str, separator: str, enclosing: list[tuple[str, str]], default_separator: str, receiver: str = ""
) -> str:
    """``name`` joined to its enclosing names, outermost first.

    Each part is joined by the separator it carries ("" means ``default_separator``). A Go
    receiver replaces the enclosing names: ``(*T).Method`` for pointer receivers, ``T.Method`` else.
    """
    if receiver:
        receiver = receiver.strip()
        base = clean_scope_name(receiver.lstrip("*").strip())
        owner = f"(*{base})" if receiver.startswith("*") else base
        return f"{owner}{default_separator}{name}"
    (qualified, _), *inner = [*enclosing, (name, separator)]
    for part, part_separator in inner:
        qualified += (part_separator or default_separator) + part
    return qualified


def clean_scope_name(text: str) -> str:
    """A name without generic arguments or line breaks: ``Map<K, V>`` -> ``Map``, ``List[T]`` -> ``List``."""
    for bracket in "<[":
        if bracket in text and not text.startswith(bracket):
            text = text[: text.index(bracket)]
    return " ".join(text.split())
