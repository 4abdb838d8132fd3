"""One search over several repositories: one merged ranking, each hit naming its repository."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from codesearch.config import Settings
from codesearch.errors import IndexMismatchError
from codesearch.index.hybrid_search import SearchRequest
from codesearch.index.records import IndexParams
from codesearch.index.store import IndexStore
from codesearch.indexer.updates import update_repository
from codesearch.records import Hit
from codesearch.search.multi_repository import (
    MERGE_STRATEGIES,
    check_same_model,
    merge_ranked,
    repository_names,
    search_all,
)
from codesearch.search.searcher import Searcher
from tests.fakes import HashingEncoder, hashing_params


def hit(name: str, score: float, cosine: float | None = None) -> Hit:
    return Hit(f"{name}.py", 1, 2, name, name, "function", "python", score, cosine=cosine)


def test_merge_is_by_score_and_ties_alternate_in_repository_order() -> None:
    first = [hit("a1", 0.9, 0.5), hit("a2", 0.5, 0.4), hit("a3", 0.5, 0.3)]
    second = [hit("b1", 0.7, 0.5), hit("b2", 0.5, 0.2), hit("b3", 0.1, 0.1)]  # same best cosine as first
    merged = merge_ranked([first, second], k=5)
    assert [h.name for h in merged] == ["a1", "b1", "a2", "b2", "a3"]
    assert merge_ranked([first, second], k=5, strategy="score") == merged


def test_the_repository_that_answers_better_comes_first_whatever_its_fused_scores() -> None:
    # Fused scores are z-scores within each index: an unrelated repository's best hit stands out
    # in it as much as the right one's does. The best cosine tells the repositories apart.
    unrelated = [hit("u1", 3.0, 0.21), hit("u2", 1.0, 0.20)]
    related = [hit("r1", 1.5, 0.62), hit("r2", 1.2, 0.60), hit("r3", 0.2, 0.30)]
    merged = merge_ranked([unrelated, related], k=4)
    assert [h.name for h in merged] == ["r1", "r2", "r3", "u1"]
    assert [h.name for h in merge_ranked([unrelated, related], k=4, strategy="score")] == ["u1", "r1", "r2", "u2"]


def test_a_repository_keeps_its_own_order_in_every_merge_but_by_cosines() -> None:
    lists = [[hit("a1", 2.0, 0.1), hit("a2", 1.0, 0.9)], [hit("b1", 5.0, 0.3), hit("b2", -1.0, 0.8)]]
    for strategy in (name for name in MERGE_STRATEGIES if not name.endswith("cosine")):
        merged = [h.name for h in merge_ranked(lists, k=4, strategy=strategy)]
        assert merged.index("a1") < merged.index("a2") and merged.index("b1") < merged.index("b2"), strategy


def test_a_repository_without_vectors_comes_after_those_with_them() -> None:
    keywords_only = [hit("k1", 4.0), hit("k2", 3.0)]  # a progressive build: nothing embedded yet
    embedded = [hit("e1", 0.5, 0.3), hit("e2", 0.1, 0.25)]
    assert [h.name for h in merge_ranked([keywords_only, embedded], k=4)] == ["e1", "e2", "k1", "k2"]


def test_two_folders_of_one_name_are_told_apart_by_their_paths() -> None:
    roots = [Path("/src/x/api"), Path("/src/y/api"), Path("/src/web")]
    assert repository_names(roots) == ["/src/x/api", "/src/y/api", "web"]


def build(repo: Path, functions: dict[str, str], params: IndexParams | None = None) -> Searcher:
    repo.mkdir()
    (repo / ".git").mkdir()
    for name, body in functions.items():
        (repo / f"{name}.py").write_text(f"def {name}(value):\n    {body}\n")
    with IndexStore.open(repo / ".codesearch", expected=params or hashing_params(), create=True) as store:
        update_repository(store, repo, Settings(), HashingEncoder)
    return Searcher(IndexStore.open(repo / ".codesearch", readonly=True), HashingEncoder, repo, repo / ".codesearch")


def test_each_repository_answers_and_the_hits_say_where_they_are_from(tmp_path: Path) -> None:
    billing = build(tmp_path / "billing", {"charge_card": "return stripe.charge(value)",
                                           "refund_card": "return stripe.refund(value)"})
    shipping = build(tmp_path / "shipping", {"ship_parcel": "return courier.ship(value)",
                                             "charge_shipping": "return value * rate"})
    with billing, shipping:
        answers = search_all([billing, shipping], ["charge card", None], lambda q: SearchRequest(q, k=3))
    hits = answers.hits[0]
    assert answers.hits[1] == []
    assert len(hits) == 3
    assert hits[0].qualified_name == "charge_card" and hits[0].repository == "billing"
    assert {h.repository for h in hits} == {"billing", "shipping"}
    assert all(h.cosine is not None for h in hits)
    for repository in ("billing", "shipping"):  # each repository's hits in its own order
        scores = [h.score for h in hits if h.repository == repository]
        assert scores == sorted(scores, reverse=True)
    assert answers.coverage is not None and answers.coverage.definitions == 4


def test_indexes_of_different_models_are_refused_before_any_model_loads(tmp_path: Path) -> None:
    build(tmp_path / "one", {"first": "return 1"}).close()
    build(tmp_path / "two", {"second": "return 2"}, IndexParams("test/other", "other-0", 32)).close()
    with pytest.raises(IndexMismatchError, match="indexed with different models"):
        check_same_model([tmp_path / "one", tmp_path / "two"], [Settings(), Settings()])
    check_same_model([tmp_path / "one", tmp_path / "one"], [Settings(), Settings()])


def test_hits_of_one_repository_keep_their_json_shape() -> None:
    from codesearch.server.messages import hit_from_json, hit_to_json

    plain = hit("f", 1.0)
    tagged = dataclasses.replace(plain, repository="shop")
    assert "repository" not in hit_to_json(plain)
    assert json.loads(json.dumps(hit_to_json(tagged)))["repository"] == "shop"
    assert hit_from_json(hit_to_json(tagged)) == tagged
