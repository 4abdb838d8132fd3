"""Written names split into name and qualifiers, and qualified names joined with their separators."""

from __future__ import annotations

from codesearch.parsing.qualified_names import clean_scope_name, qualified_name, split_written_name


def test_written_names_split_at_any_separator_outside_brackets() -> None:
    assert split_written_name("Box<T>::operator<", ("::",)) == ("operator<", "::", [("Box", "")])
    assert split_written_name("M:push", (".", ":")) == ("push", ":", [("M", "")])
    assert split_written_name("a.b.c", (".", ":")) == ("c", ".", [("a", ""), ("b", ".")])
    assert split_written_name("plain", (".",)) == ("plain", "", [])
    assert split_written_name("Map<K, V>::get", ("::",)) == ("get", "::", [("Map", "")])


def test_qualified_names_use_each_part_separator_or_the_default() -> None:
    assert qualified_name("push", ":", [("M", "")], ".") == "M:push"
    assert qualified_name("x", "", [("Outer", ""), ("Inner", "::")], ".") == "Outer::Inner.x"
    assert qualified_name("Fn", "", [("Ignored", "")], ".", receiver="*T") == "(*T).Fn"
    assert qualified_name("Fn", "", [], ".", receiver="List<T>") == "List.Fn"
    assert clean_scope_name("List[T]") == "List"
