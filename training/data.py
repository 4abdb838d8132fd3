"""The training data set: pairs from every source, cleaned, balanced and split by repository.

Steps, in order: read or mine each source (``sources.py``; held-out sources refused), drop pairs
outside the length limits and exact or near copies (``cleaning.py``), cap each repository at
``max_pairs_per_repository`` and then each language at ``max_pairs_per_language`` (seeded draws, so
no project and no language dominates), then put whole repositories into the validation split,
never single functions, so validation measures transfer to unseen projects (language by
language, so every language with two or more repositories is validated). An empty training
split is an error. ``save_dataset``/``load_dataset`` keep the result next to a run so a resumed run
trains on exactly the same pairs.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import logging
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from codesearch.errors import DataError
from codesearch.evaluation import held_out
from codesearch.evaluation.blocklist import Blocklist
from codesearch.evaluation.pairs import Pair, read_pair_file
from training.cleaning import LengthLimits, clean_pairs
from training.sources import SourceSpec, pairs_digest, read_source

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DataOptions:
    """How pairs are filtered, balanced and split."""

    limits: LengthLimits = LengthLimits()  # noqa: RUF009 - frozen
    max_pairs_per_language: int = 0  # 0: no cap
    max_pairs_per_repository: int = 0  # 0: no cap
    validation_fraction: float = 0.1  # of pairs, filled with whole repositories
    seed: int = 0


@dataclass(frozen=True, slots=True)
class DataReport:
    """Counts from building a data set, for logs and the run folder."""

    source_pins: tuple[tuple[str, str], ...]  # (source label, pin)
    read: int  # pairs read or mined, before cleaning
    bad_lines: int
    skipped: tuple[tuple[str, int], ...]  # records without a usable pair, by reason
    out_of_limits: int
    exact_duplicates: int
    near_duplicates: int
    capped: int  # removed by the per-repository and per-language caps
    train_by_language: tuple[tuple[str, int], ...]
    validation_by_language: tuple[tuple[str, int], ...]
    train_repositories: int
    validation_repositories: int
    cleaned_by_language: tuple[tuple[str, int], ...] = ()  # after cleaning, before the caps


@dataclass(frozen=True, slots=True)
class Dataset:
    """Training and validation pairs, and where they came from."""

    train: tuple[Pair, ...]
    validation: tuple[Pair, ...]
    report: DataReport
    fingerprint: str  # sha256 over both splits: equal fingerprints, equal data

    def __post_init__(self) -> None:
        if not self.train:
            raise DataError("the training set is empty after filtering: add sources or loosen the limits")


def held_out_blocklist(
    blocklist_file: Path, exclude_manifests: Sequence[Path] = (), exclude_repo_lists: Sequence[Path] = ()
) -> Blocklist:
    """The held-out blocklist plus every package (and upstream) of the evaluation manifests and every
    repository of the repo-level dev set lists (``codesearch.evaluation.held_out``)."""
    return held_out.held_out_blocklist(blocklist_file, exclude_manifests, exclude_repo_lists)


def build_dataset(
    sources: Sequence[SourceSpec], options: DataOptions, blocklist: Blocklist, cache_dir: Path
) -> Dataset:
    """Read every source and turn the pairs into training and validation splits."""
    if not sources:
        raise DataError("the recipe names no data sources")
    results = [read_source(spec, blocklist, cache_dir) for spec in sources]
    pairs = [pair for result in results for pair in result.pairs]
    skipped: Counter[str] = Counter()
    for result in results:
        skipped.update(dict(result.skipped))
    cleaned = clean_pairs(pairs, options.limits)
    per_repository = cap_groups(
        cleaned.pairs, lambda pair: pair.repo, options.max_pairs_per_repository, options.seed
    )
    balanced = cap_languages(per_repository, options.max_pairs_per_language, options.seed)
    train, validation = split_by_repository(balanced, options.validation_fraction, options.seed)
    report = DataReport(
        source_pins=tuple((result.label, result.pin) for result in results),
        read=len(pairs),
        bad_lines=sum(len(result.bad_lines) for result in results),
        skipped=tuple(sorted(skipped.items())),
        out_of_limits=cleaned.out_of_limits,
        exact_duplicates=cleaned.exact_duplicates,
        near_duplicates=cleaned.near_duplicates,
        capped=len(cleaned.pairs) - len(balanced),
        train_by_language=_by_language(train),
        validation_by_language=_by_language(validation),
        train_repositories=len({pair.repo for pair in train}),
        validation_repositories=len({pair.repo for pair in validation}),
        cleaned_by_language=_by_language(cleaned.pairs),
    )
    return Dataset(tuple(train), tuple(validation), report, fingerprint(train, validation))


def cap_languages(pairs: Sequence[Pair], max_per_language: int, seed: int) -> list[Pair]:
    """At most ``max_per_language`` pairs of each language (a seeded draw), in input order."""
    return cap_groups(pairs, lambda pair: pair.language, max_per_language, seed)


def cap_groups(pairs: Sequence[Pair], group_of: Callable[[Pair], str], cap: int, seed: int) -> list[Pair]:
    """At most ``cap`` pairs of each group (a seeded draw per group), in input order; cap 0: all."""
    if cap <= 0:
        return list(pairs)
    groups: defaultdict[str, list[int]] = defaultdict(list)
    for index, pair in enumerate(pairs):
        groups[group_of(pair)].append(index)
    kept: set[int] = set()
    for name, indices in sorted(groups.items()):
        if len(indices) > cap:
            indices = random.Random(f"{seed}/{name}").sample(indices, cap)
        kept.update(indices)
    return [pair for index, pair in enumerate(pairs) if index in kept]


def split_by_repository(
    pairs: Sequence[Pair], validation_fraction: float, seed: int
) -> tuple[list[Pair], list[Pair]]:
    """Whole repositories go to validation, language by language, until each language's share holds
    ``validation_fraction`` of its pairs.

    A repository counts under its most common language. Repositories are drawn in a seeded order;
    one that would take the language's validation share past twice the fraction is passed over,
    and each language keeps at least one repository in training, so a language with a single
    repository has no validation pairs. Raises DataError when a validation split is asked for and
    all pairs come from one repository.
    """
    if not 0.0 <= validation_fraction < 1.0:
        raise DataError(f"validation_fraction must be in [0, 1), got {validation_fraction}")
    if validation_fraction == 0.0:
        return list(pairs), []
    sizes = Counter(pair.repo for pair in pairs)
    if len(sizes) < 2:
        raise DataError("a validation split by repository needs pairs from at least two repositories")
    languages: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for pair in pairs:
        languages[pair.repo][pair.language] += 1
    repos_by_language: defaultdict[str, list[str]] = defaultdict(list)
    for repo in sorted(sizes):
        main_language = max(sorted(languages[repo]), key=lambda name: languages[repo][name])
        repos_by_language[main_language].append(repo)
    held: set[str] = set()
    for language, repos in sorted(repos_by_language.items()):
        random.Random(f"{seed}/{language}").shuffle(repos)
        wanted = validation_fraction * sum(sizes[repo] for repo in repos)
        count = 0
        for repo in repos[:-1]:
            if count >= wanted:
                break
            if count + sizes[repo] <= 2 * wanted:  # one huge repository would swamp the split
                held.add(repo)
                count += sizes[repo]
    return [p for p in pairs if p.repo not in held], [p for p in pairs if p.repo in held]


def fingerprint(train: Sequence[Pair], validation: Sequence[Pair]) -> str:
    """sha256 over every field of every pair of both splits, in order."""
    both = f"{pairs_digest(tuple(train))}/{pairs_digest(tuple(validation))}"
    return hashlib.sha256(both.encode("ascii")).hexdigest()


def _by_language(pairs: Sequence[Pair]) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(Counter(pair.language for pair in pairs).items()))


TRAIN_FILE = "train.jsonl.gz"
VALIDATION_FILE = "validation.jsonl.gz"
REPORT_FILE = "data-report.json"


def save_dataset(dataset: Dataset, folder: Path) -> None:
    """Write both splits and the report into ``folder`` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    save_pairs(dataset.train, folder / TRAIN_FILE)
    save_pairs(dataset.validation, folder / VALIDATION_FILE)
    record = {"fingerprint": dataset.fingerprint, **dataclasses.asdict(dataset.report)}
    (folder / REPORT_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


def load_dataset(folder: Path) -> Dataset:
    """The data set ``save_dataset`` wrote; raises DataError when it is missing or altered."""
    try:
        record = json.loads((folder / REPORT_FILE).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DataError(f"cannot read the saved data set in {folder}: {exc}") from exc
    expected = record.pop("fingerprint")
    report = DataReport(**{key: _tuples(value) for key, value in record.items()})  # type: ignore[arg-type]
    train, validation = load_pairs(folder / TRAIN_FILE), load_pairs(folder / VALIDATION_FILE)
    if fingerprint(train, validation) != expected:
        raise DataError(f"the saved data set in {folder} changed since it was written")
    return Dataset(train, validation, report, expected)


def _tuples(value: object) -> object:
    """JSON lists back into the report's nested tuples."""
    return tuple(_tuples(item) for item in value) if isinstance(value, list) else value


def save_pairs(pairs: Sequence[Pair], path: Path) -> None:
    """Write ``pairs`` as gzip JSON Lines in ``codesearch extract`` field names (readable back)."""
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for pair in pairs:
            record = {
                "repo": pair.repo,
                "path": pair.path,
                "func_name": pair.name,
                "language": pair.language,
                "code": pair.code,
                "docstring_summary": pair.query,
                "code_without_docstring": pair.code,
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def load_pairs(path: Path) -> tuple[Pair, ...]:
    """Pairs written by ``save_pairs``; any line that does not read back is a DataError."""
    found = read_pair_file(path)
    if found.bad_lines or found.skipped:
        raise DataError(f"{path} does not read back cleanly: was it written by this version?")
    return found.pairs
