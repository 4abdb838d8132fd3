"""A C/C++ header loses to its sibling source file; alone, or when declarations are asked for, it keeps its score."""

from __future__ import annotations

from codesearch.index.ranking import RankingParams
from codesearch.index.ranking.header_declarations import header_penalties
from codesearch.index.ranking.query_shape import query_facts
from tests.index.ranking.helpers import heads


def test_a_header_beside_its_source_loses_and_a_lone_header_does_not() -> None:
    found = heads((1, "lib/connect.h", "Curl_connect"), (2, "lib/connect.c", "Curl_connect"),
                  (3, "lib/hash.h", "Curl_hash"), (4, "src/str_split.hpp", "Split"), (5, "src/str_split.cc", "Split"),
                  (6, "other/connect.h", "connect"))
    params = RankingParams(header_declaration_penalty=0.5)
    assert header_penalties(query_facts("how curl connects to a host"), found, params) == {1: -0.5, 4: -0.5}


def test_queries_about_declarations_keep_headers() -> None:
    found = heads((1, "lib/connect.h", "Curl_connect"), (2, "lib/connect.c", "Curl_connect"))
    assert header_penalties(query_facts("header that declares the connect api"), found, RankingParams()) == {}
