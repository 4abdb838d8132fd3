"""Definitions: symbols of the query lift the chunks that define them and the files named after them."""

from __future__ import annotations

from codesearch.index.ranking import RankingParams, query_facts
from codesearch.index.ranking.definitions import definition_boosts, stem_keys, symbol_keys, symbol_names
from tests.index.ranking.helpers import heads

PARAMS = RankingParams(definition_bonus=1.5, stem_bonus=1.0)


def test_a_definition_named_by_a_symbol_of_a_sentence_is_lifted() -> None:
    found = heads((1, "absl/strings/str_split.h", "StrSplit"), (2, "absl/strings/str_cat.h", "StrCat"),
                  (3, "absl/strings/str_split.h", "ByChar", "class"), (4, "absl/strings/util.h", "x", "block"))
    boosts = definition_boosts(query_facts("how does StrSplit treat empty input"), found, PARAMS)
    assert boosts == {1: 2.5, 3: 1.0}  # 1 is named and in the file named after it; 3 only in that file


def test_blocks_are_not_definitions_even_when_their_name_matches() -> None:
    found = heads((1, "src/router.py", "route", "block"))
    assert definition_boosts(query_facts("route()"), found, PARAMS) == {}


def test_descriptive_queries_boost_nothing() -> None:
    found = heads((1, "src/parse.py", "parse"))
    assert definition_boosts(query_facts("parse the config file"), found, PARAMS) == {}


def test_keys_ignore_case_separators_and_qualifiers() -> None:
    facts = query_facts("Loader.load_all")
    assert symbol_names(facts) == ("load_all",)
    assert symbol_keys(facts) == {"loadall"}
    assert stem_keys(facts) == {"loader", "loadall"}
