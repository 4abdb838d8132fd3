"""The packed training set: every pair's token ids, compressed into one file that travels to a GPU machine.

A GPU machine gets the working tree and nothing more (no corpora, no pip base model), so
``training/gpu_run.py`` neither mines nor tokenizes: what it needs is here, as numpy arrays in one
``.npz`` whose members are LZMA-compressed (``np.load`` reads it like any ``.npz``; code token ids take
~4.4 bits each, against ~5.8 with numpy's own deflate):

- ``train``: each pair's code row, framed as at search time and cut to ``max_length``, and its query in
  ``1 + len(STYLES)`` forms, the summary and its rewrites (``query_styles``), framed at
  ``max_query_length``, so the step-seeded draw of styles needs no text (a rewrite equal to the summary is
  stored empty and means the summary). Its repository (repository batches) and language.
- ``validation`` and, when given, ``heldout``: code and query rows framed as ``codesearch eval`` frames
  them, repository, language, and a copy group (same language and code, whitespace and case aside) for
  the protocols' copies.
- ``vocabulary``: the token ids used anywhere above, ascending; every id stored here is an index into it,
  so the base's word embeddings travel for those rows only (``base_bundle.py``).
- ``meta``: the recipe (TrainConfig JSON), the data fingerprint, and the framing details.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from codesearch.encoder.framing import Framing, frame_texts
from codesearch.errors import DataError
from codesearch.evaluation.pairs import Pair, squeeze
from training.model import Tokenizing
from training.query_styles import STYLES, rewrite

FORMAT_VERSION = 1
SPLITS = ("train", "validation", "heldout")
QUERY_FORMS = 1 + len(STYLES)  # the summary, then one rewrite per style, in STYLES order


@dataclass(frozen=True, slots=True)
class Rows:
    """Token-id rows: row ``i`` is ``ids[starts[i] : starts[i] + lengths[i]]``."""

    ids: np.ndarray  # (total,) uint16, indices into the pack's vocabulary
    lengths: np.ndarray  # (n,) uint16

    @property
    def starts(self) -> np.ndarray:
        """(n,) int64 offsets of the rows in ``ids``."""
        ends = np.cumsum(self.lengths, dtype=np.int64)
        return ends - self.lengths.astype(np.int64)

    @classmethod
    def from_lists(cls, rows: Sequence[Sequence[int]]) -> Rows:
        lengths = np.array([len(row) for row in rows], dtype=np.uint16)
        ids = np.fromiter((token for row in rows for token in row), dtype=np.uint16, count=int(lengths.sum()))
        return cls(ids, lengths)


@dataclass(frozen=True, slots=True)
class PackedSplit:
    """One split's rows and labels; ``queries`` holds ``forms`` rows per pair (row ``i * forms + f``)."""

    codes: Rows
    queries: Rows
    forms: int
    repos: np.ndarray  # (n,) int32 -> TokenPack.repos
    languages: np.ndarray  # (n,) int16 -> TokenPack.languages
    copy_groups: np.ndarray  # (n,) int32: equal for pairs of one language with the same code

    def __len__(self) -> int:
        return len(self.repos)


@dataclass(frozen=True, slots=True)
class TokenPack:
    """A packed data set (see the module docstring)."""

    meta: dict[str, Any]
    vocabulary: np.ndarray  # (v,) int64 token ids of the base tokenizer, ascending
    splits: dict[str, PackedSplit]

    @property
    def repos(self) -> list[str]:
        return list(self.meta["repos"])

    @property
    def languages(self) -> list[str]:
        return list(self.meta["languages"])


def query_forms(pair: Pair) -> list[str]:
    """The summary, then its rewrite in each of STYLES ("" where the rewrite is the summary itself)."""
    forms = [rewrite(pair.query, pair.language, style) for style in STYLES]
    return [pair.query, *("" if form == pair.query else form for form in forms)]


def copy_groups(pairs: Sequence[Pair]) -> np.ndarray:
    """(n,) int32 group numbers: equal for pairs of one language whose code is the same (``squeeze``)."""
    numbers: dict[tuple[str, str], int] = {}
    return np.array(
        [numbers.setdefault((pair.language, squeeze(pair.code)), len(numbers)) for pair in pairs], dtype=np.int32
    )


def pack_pairs(
    pairs: Sequence[Pair],
    tokenizing: Tokenizing,
    repos: Sequence[str],
    languages: Sequence[str],
    *,
    is_training: bool,
) -> dict[str, np.ndarray]:
    """The arrays ``write_pack`` stores for one split: training queries in every form at the training
    length, other splits' queries as ``codesearch eval`` frames them."""
    if is_training:
        texts = [form for pair in pairs for form in query_forms(pair)]
        framing = tokenizing.train_query_framing or tokenizing.query_framing
    else:
        texts, framing = [pair.query for pair in pairs], tokenizing.query_framing
    said = [index for index, text in enumerate(texts) if text]
    query_rows: list[list[int]] = [[] for _ in texts]
    for index, row in zip(said, framed_rows(tokenizing.tokenizer, framing, [texts[i] for i in said]), strict=True):
        query_rows[index] = row
    codes = Rows.from_lists(framed_rows(tokenizing.tokenizer, tokenizing.code_framing, [p.code for p in pairs]))
    queries = Rows.from_lists(query_rows)
    repo_number = {name: number for number, name in enumerate(repos)}
    language_number = {name: number for number, name in enumerate(languages)}
    return {
        "code_ids": codes.ids,
        "code_lengths": codes.lengths,
        "query_ids": queries.ids,
        "query_lengths": queries.lengths,
        "repos": np.array([repo_number[pair.repo] for pair in pairs], dtype=np.int32),
        "languages": np.array([language_number[pair.language] for pair in pairs], dtype=np.int16),
        "copy_groups": copy_groups(pairs),
    }


CUT_CHARS = 4096  # far more text than 128 tokens of real code take; a row that comes out short is redone


def framed_rows(tokenizer: Any, framing: Framing, texts: Sequence[str]) -> list[list[int]]:
    """``frame_texts``, fast on long texts: each is cut at a space before CUT_CHARS first.

    The tokenizer splits words at spaces before it cuts them into pieces, so the tokens of the text up to
    a space are the first tokens of the whole text: a row that the cut text fills is the row of the whole
    text. Only rows that come out shorter than ``framing.max_length`` are tokenized again from the whole text.
    """
    cut = [_cut_at_space(text) for text in texts]
    rows = frame_texts(tokenizer, framing, cut)
    again = [i for i, row in enumerate(rows) if len(row) < framing.max_length and len(cut[i]) < len(texts[i])]
    for index, row in zip(again, frame_texts(tokenizer, framing, [texts[i] for i in again]), strict=True):
        rows[index] = row
    return rows


def _cut_at_space(text: str) -> str:
    if len(text) <= CUT_CHARS:
        return text
    space = text.rfind(" ", 0, CUT_CHARS)
    return text[:space] if space > 0 else text


def write_pack(path: Path, meta: dict[str, Any], splits: dict[str, dict[str, np.ndarray]], pad_id: int) -> int:
    """Write ``splits`` (``pack_pairs`` arrays, token ids still the base tokenizer's) and ``meta`` to
    ``path``, every id remapped into the vocabulary used (``pad_id`` included, stored in the meta as
    remapped); returns the file's size in bytes."""
    rows = [arrays[key] for arrays in splits.values() for key in ("code_ids", "query_ids")]
    used = np.unique(np.concatenate([*rows, np.array([pad_id], dtype=np.uint16)]))
    remap = np.zeros(int(used.max()) + 1 if used.size else 1, dtype=np.uint16)
    remap[used] = np.arange(len(used), dtype=np.uint16)
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.tmp")
    with zipfile.ZipFile(scratch, "w", compression=zipfile.ZIP_LZMA) as archive:
        header = json.dumps({"format_version": FORMAT_VERSION, **meta, "pad_id": int(remap[pad_id])}).encode()
        put_array(archive, "meta", np.frombuffer(header, np.uint8))
        put_array(archive, "vocabulary", used.astype(np.uint16))
        for split, arrays in splits.items():
            for key, array in arrays.items():
                put_array(archive, f"{split}.{key}", remap[array] if key.endswith("_ids") else array)
    scratch.replace(path)
    return path.stat().st_size


def put_array(archive: zipfile.ZipFile, name: str, array: np.ndarray) -> None:
    """``array`` as member ``name`` of an ``.npz`` being written (``np.load`` reads it back)."""
    with archive.open(f"{name}.npy", "w", force_zip64=True) as handle:
        np.lib.format.write_array(handle, np.ascontiguousarray(array), allow_pickle=False)


def read_pack(path: Path) -> TokenPack:
    """The pack at ``path``; raises DataError when it is missing, damaged or of another format."""
    try:
        with np.load(path, allow_pickle=False) as members:
            meta = json.loads(bytes(members["meta"]).decode())
            if meta.get("format_version") != FORMAT_VERSION:
                raise DataError(f"{path} is pack format {meta.get('format_version')}, expected {FORMAT_VERSION}")
            splits = {
                split: PackedSplit(
                    Rows(members[f"{split}.code_ids"], members[f"{split}.code_lengths"]),
                    Rows(members[f"{split}.query_ids"], members[f"{split}.query_lengths"]),
                    QUERY_FORMS if split == "train" else 1,
                    members[f"{split}.repos"],
                    members[f"{split}.languages"],
                    members[f"{split}.copy_groups"],
                )
                for split in SPLITS
                if f"{split}.repos" in members.files
            }
            vocabulary = members["vocabulary"].astype(np.int64)
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        raise DataError(f"cannot read the token pack {path}: {exc}") from exc
    return TokenPack(meta, vocabulary, splits)
