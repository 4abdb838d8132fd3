"""Path match: the query's words against file stems (fully) and the nearest folders (half)."""

from __future__ import annotations

import doctest

from codesearch.index.ranking import RankingParams, path_match, query_facts
from codesearch.index.ranking.path_match import file_match, path_boosts
from tests.index.ranking.helpers import heads


def test_docstring_examples_hold() -> None:
    result = doctest.testmod(path_match)
    assert result.attempted >= 1 and result.failed == 0


def test_stems_match_by_prefix_and_word_root() -> None:
    assert file_match(("websocket",), "starlette/websockets.py") == 1.0
    assert file_match(("routing",), "app/routes.py") == 1.0
    assert file_match(("authentication",), "middleware/auth.py") == 1.0
    assert file_match(("url",), "app/urls_parser.py") == 1.0
    assert file_match(("art",), "src/artifact.py") == 0.0  # too short for a prefix match


def test_folders_count_half_and_only_the_nearest_two() -> None:
    assert file_match(("middleware", "session"), "starlette/middleware/sessions.py") == 0.75
    assert file_match(("middleware",), "starlette/middleware/base.py") == 0.5
    assert file_match(("starlette",), "starlette/middleware/base/x.py") == 0.0


def test_boosts_scale_with_the_matched_share_and_skip_identifiers() -> None:
    found = heads((1, "starlette/websockets.py", "send"), (2, "starlette/requests.py", "body"))
    boosts = path_boosts(query_facts("websocket message handling"), found, RankingParams(path_match_bonus=1.0))
    assert boosts == {1: 0.5}  # "websocket" matches; "message" does not; "handling" is generic
    assert path_boosts(query_facts("WebSocket"), found, RankingParams()) == {}


def test_a_word_in_most_candidate_paths_tells_no_file_apart() -> None:
    found = heads((1, "tearoom/orders.py", "order_total"), (2, "tearoom/menu.py", "MENU"),
                  (3, "tearoom/routes.js", "routes"), (4, "README.md", "## Opening hours"),
                  (5, "deploy/Dockerfile", "Dockerfile:1-5"))
    boosts = path_boosts(query_facts("what time does the tearoom open on weekends"), found, RankingParams())
    assert boosts == {}  # "tearoom" is the folder of three of the five files
    menu = path_boosts(query_facts("the tearoom menu prices"), found, RankingParams(path_match_bonus=3.0))
    assert set(menu) == {2}
