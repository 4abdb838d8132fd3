"""Building the data set: cleaning, the per-language cap, the split by repository, saving."""

from __future__ import annotations

from pathlib import Path

import pytest

from codesearch.errors import DataError
from codesearch.evaluation.blocklist import parse_blocklist
from codesearch.evaluation.pairs import Pair
from tests.training.conftest import write_repo
from training.cleaning import LengthLimits
from training.data import (
    DataOptions,
    build_dataset,
    cap_groups,
    cap_languages,
    held_out_blocklist,
    load_dataset,
    save_dataset,
    split_by_repository,
)
from training.sources import SourceSpec

NO_BLOCKS = parse_blocklist("nothing-blocked\n")


def pairs_of(repo: str, count: int, language: str = "python") -> list[Pair]:
    return [Pair(f"query {repo} {i}", f"code {repo} {i}", language, repo, "f", f"f{i}") for i in range(count)]


def test_whole_repositories_go_to_validation() -> None:
    pairs = pairs_of("a", 10) + pairs_of("b", 10) + pairs_of("c", 10) + pairs_of("d", 10)
    train, validation = split_by_repository(pairs, 0.2, seed=3)
    assert {p.repo for p in train}.isdisjoint({p.repo for p in validation})
    assert len(validation) == 10 and len(train) == 30
    assert split_by_repository(pairs, 0.2, seed=3) == (train, validation)


def test_one_repository_cannot_be_split_and_no_split_keeps_everything() -> None:
    with pytest.raises(DataError, match="at least two repositories"):
        split_by_repository(pairs_of("a", 5), 0.1, seed=0)
    assert split_by_repository(pairs_of("a", 5), 0.0, seed=0) == (pairs_of("a", 5), [])


def test_training_keeps_at_least_one_repository() -> None:
    train, validation = split_by_repository(pairs_of("a", 1) + pairs_of("b", 100), 0.9, seed=0)
    assert train and validation


def test_the_language_cap_is_a_seeded_draw_in_input_order() -> None:
    pairs = pairs_of("a", 20) + pairs_of("b", 3, language="go")
    capped = cap_languages(pairs, 5, seed=1)
    assert sum(p.language == "python" for p in capped) == 5 and sum(p.language == "go" for p in capped) == 3
    assert capped == [p for p in pairs if p in capped]
    assert capped == cap_languages(pairs, 5, seed=1) != cap_languages(pairs, 5, seed=2)


def test_the_repository_cap_keeps_small_repositories_whole() -> None:
    pairs = pairs_of("big", 30) + pairs_of("small", 4) + pairs_of("mid", 8)
    capped = cap_groups(pairs, lambda pair: pair.repo, 8, seed=0)
    counts = {repo: sum(p.repo == repo for p in capped) for repo in ("big", "small", "mid")}
    assert counts == {"big": 8, "small": 4, "mid": 8}
    assert capped == [p for p in pairs if p in capped]
    assert cap_groups(pairs, lambda pair: pair.repo, 0, seed=0) == pairs


def test_the_repository_cap_applies_before_the_language_cap_and_the_split(tmp_path: Path) -> None:
    sources = [
        SourceSpec("dir", path=str(write_repo(tmp_path / name, start, count)), name=name)
        for name, start, count in (("one", 0, 12), ("two", 20, 4), ("three", 40, 4))
    ]
    options = DataOptions(max_pairs_per_repository=5, validation_fraction=0.2, seed=0)
    dataset = build_dataset(sources, options, NO_BLOCKS, tmp_path)
    everything = dataset.train + dataset.validation
    assert sum(p.repo == "one" for p in everything) == 5 and len(everything) == 13
    assert dataset.report.capped == 7 and dataset.report.cleaned_by_language == (("python", 20),)
    assert {p.repo for p in dataset.train}.isdisjoint({p.repo for p in dataset.validation})


def test_a_data_set_from_folders_is_split_reported_and_saved(tmp_path: Path) -> None:
    sources = [
        SourceSpec("dir", path=str(write_repo(tmp_path / name, start, 6)), name=name)
        for name, start in (("one", 0), ("two", 20), ("three", 40))
    ]
    write_repo(tmp_path / "copy", 0, 6)  # the same functions as "one": all near-duplicates
    sources.append(SourceSpec("dir", path=str(tmp_path / "copy")))
    dataset = build_dataset(sources, DataOptions(validation_fraction=0.3, seed=0), NO_BLOCKS, tmp_path)
    assert len(dataset.train) + len(dataset.validation) == 18
    assert dataset.report.exact_duplicates == 6 and dataset.report.read == 24
    assert dataset.report.validation_repositories == 1
    save_dataset(dataset, tmp_path / "saved")
    assert load_dataset(tmp_path / "saved") == dataset


def test_an_altered_saved_data_set_is_refused(tmp_path: Path) -> None:
    sources = [SourceSpec("dir", path=str(write_repo(tmp_path / "one", 0, 3)))]
    dataset = build_dataset(sources, DataOptions(validation_fraction=0.0), NO_BLOCKS, tmp_path)
    save_dataset(dataset, tmp_path / "saved")
    report = tmp_path / "saved" / "data-report.json"
    report.write_text(report.read_text().replace(dataset.fingerprint, "0" * 64))
    with pytest.raises(DataError, match="changed since"):
        load_dataset(tmp_path / "saved")


def test_an_empty_training_set_is_a_clear_error(tmp_path: Path) -> None:
    sources = [SourceSpec("dir", path=str(write_repo(tmp_path / "one", 0, 3)))]
    options = DataOptions(limits=LengthLimits(min_query_words=50), validation_fraction=0.0)
    with pytest.raises(DataError, match="training set is empty"):
        build_dataset(sources, options, NO_BLOCKS, tmp_path)


def test_evaluation_manifests_join_the_blocklist(tmp_path: Path) -> None:
    (tmp_path / "block.txt").write_text("requests\n")
    (tmp_path / "m.toml").write_text(
        '[[package]]\nname = "rich"\nversion = "1"\nlanguage = "python"\n'
        'source = "pypi"\nupstream = "Textualize/rich"\n'
    )
    blocklist = held_out_blocklist(tmp_path / "block.txt", [tmp_path / "m.toml"])
    assert all(blocklist.is_blocked(name) for name in ("rich", "requests", "textualize/rich"))


def test_the_split_is_made_per_language() -> None:
    pairs = pairs_of("py1", 50) + pairs_of("py2", 50) + pairs_of("py3", 50)
    pairs += pairs_of("go1", 5, "go") + pairs_of("go2", 5, "go") + pairs_of("rb1", 5, "ruby")
    _, validation = split_by_repository(pairs, 0.3, seed=0)
    held = {p.repo for p in validation}
    assert len(held & {"py1", "py2", "py3"}) == 1 and len(held & {"go1", "go2"}) == 1
    assert "rb1" not in held  # a language's only repository stays in training


def test_a_repository_far_larger_than_the_share_stays_in_training() -> None:
    pairs = pairs_of("huge", 500) + pairs_of("a", 20) + pairs_of("b", 20) + pairs_of("c", 20)
    for seed in range(5):
        _, validation = split_by_repository(pairs, 0.1, seed=seed)
        assert "huge" not in {p.repo for p in validation} and validation
