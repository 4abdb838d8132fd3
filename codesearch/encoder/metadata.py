"""The encoder metadata file: how a model folder wants its inputs framed and its outputs pooled.

A model folder may hold ``codesearch-encoder.json`` next to its weights. It is the seam through
which a trained encoder tells codesearch its pooling, delimiters, max length and (optionally) a
base model plus adapter file. Folders without it (any Hugging Face encoder) get metadata inferred
from sentence-transformers files when present, else plain defaults. This module is pure: JSON in,
a frozen record out, no torch.

Example ``codesearch-encoder.json`` for an encoder trained with end-delimiter pooling::

    {"format_version": 1, "pooling": "end_delimiter", "max_length": 256,
     "query_prefix": "[", "query_suffix": "]", "code_prefix": "{", "code_suffix": "}"}
"""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, cast, get_args

from codesearch.errors import ModelLoadError

logger = logging.getLogger(__name__)

METADATA_FILE_NAME = "codesearch-encoder.json"
FORMAT_VERSION = 1
# Mean pooling and absolute position embeddings make longer inputs possible on some models, but
# BERT-style encoders are trained at <= 512 tokens and attention cost grows with the square.
MAX_INFERRED_LENGTH = 512

PoolingMode = Literal["mean", "cls", "end_delimiter"]
AdapterMode = Literal["replace", "add"]
POOLING_MODES: tuple[str, ...] = get_args(PoolingMode)
ADAPTER_MODES: tuple[str, ...] = get_args(AdapterMode)

# sentence-transformers pooling names -> ours ("lasttoken" is the final token, as end_delimiter
# with no suffix).
_ST_POOLING = {"mean": "mean", "cls": "cls", "lasttoken": "end_delimiter"}
_ST_LEGACY_KEYS = {
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
    "pooling_mode_weightedmean_tokens": "weightedmean",
    "pooling_mode_lasttoken": "lasttoken",
}


@dataclass(frozen=True, slots=True)
class EncoderMetadata:
    """Everything about a model folder that is not weights or tokenizer (schema version 1).

    Attributes:
        format_version: schema version of the file; newer versions are refused.
        pooling: "mean" (attention-masked mean of the last hidden states), "cls" (first token) or
            "end_delimiter" (the hidden state at the last token of the suffix, as in Neelakantan
            et al. 2022, "Text and Code Embeddings by Contrastive Pre-Training"; with an empty
            suffix, the final token, e.g. [SEP] or </s>).
        max_length: tokens per input, special tokens and delimiters included. Truncation cuts
            the body, never the delimiters.
        normalize: L2-normalise embeddings (cosine similarity becomes a dot product).
        query_prefix, query_suffix: text put around a natural-language query, e.g. "[" and "]".
        code_prefix, code_suffix: text put around a code snippet, e.g. "{" and "}".
        base_model: where the network weights come from when this folder holds only an adapter:
            "default", a folder (relative to this one, or absolute) or a hub name.
        adapter: a safetensors file in this folder applied over the weights.
        adapter_mode: "replace" (its tensors replace those of the same name) or "add" (they are
            deltas added to them).
        base_sha256: digest of the base model's weight files the adapter was trained over
            (network.weights_digest); loading refuses another base, since an adapter over the
            wrong weights embeds garbage without any error.
        trained_from, recipe_hash, validation: provenance written by ``codesearch train`` (the
            model training started from, the recipe's sha256, validation metrics by name). They
            are informational (nothing reads them to embed) and left out of the JSON when unset,
            so folders without them keep their fingerprint.
    """

    format_version: int = FORMAT_VERSION
    pooling: PoolingMode = "mean"
    max_length: int = MAX_INFERRED_LENGTH
    normalize: bool = True
    query_prefix: str = ""
    query_suffix: str = ""
    code_prefix: str = ""
    code_suffix: str = ""
    base_model: str | None = None
    adapter: str | None = None
    adapter_mode: AdapterMode = "replace"
    base_sha256: str | None = None
    trained_from: str | None = None
    recipe_hash: str | None = None
    validation: dict[str, float] | None = None

    def __post_init__(self) -> None:
        if self.format_version != FORMAT_VERSION:
            raise ModelLoadError(
                f"encoder metadata format_version {self.format_version} is not supported "
                f"(this codesearch reads version {FORMAT_VERSION}); upgrade codesearch"
            )
        if self.pooling not in POOLING_MODES:
            raise ModelLoadError(f"pooling must be one of {', '.join(POOLING_MODES)}, got {self.pooling!r}")
        if self.adapter_mode not in ADAPTER_MODES:
            raise ModelLoadError(f"adapter_mode must be one of {', '.join(ADAPTER_MODES)}")
        if isinstance(self.max_length, bool) or not isinstance(self.max_length, int) or self.max_length < 4:
            raise ModelLoadError(f"max_length must be an integer >= 4, got {self.max_length!r}")

    def to_json(self) -> str:
        """The file's text: every field (unset provenance fields left out), stable key order."""
        data = dataclasses.asdict(self)
        for name in _OMITTED_WHEN_UNSET:
            if data[name] is None:
                del data[name]
        return json.dumps(data, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> EncoderMetadata:
        """Parse a file's text; unknown keys and wrong types are errors (they are usually typos)."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ModelLoadError(f"invalid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise ModelLoadError("expected a JSON object")
        known = {field.name: field for field in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(known))
        if unknown:
            raise ModelLoadError(f"unknown field(s) {', '.join(unknown)}")
        for name, value in data.items():
            _check_type(name, value)
        return cls(**data)

    def save(self, folder: Path) -> Path:
        """Write ``codesearch-encoder.json`` into ``folder``; returns the file's path."""
        path = folder / METADATA_FILE_NAME
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def load(cls, folder: Path) -> EncoderMetadata | None:
        """Read ``folder``'s metadata file; None when the folder has none."""
        path = folder / METADATA_FILE_NAME
        if not path.is_file():
            return None
        try:
            return cls.from_json(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ModelLoadError(f"cannot read {path}: {exc}") from exc
        except ModelLoadError as exc:
            raise ModelLoadError(f"{path}: {exc}") from exc


_STR_FIELDS = {"query_prefix", "query_suffix", "code_prefix", "code_suffix", "pooling", "adapter_mode"}
_OPTIONAL_STR_FIELDS = {"base_model", "adapter", "base_sha256", "trained_from", "recipe_hash"}
_PROVENANCE_FIELDS = ("trained_from", "recipe_hash", "validation")
# Left out of the JSON when unset, so folders without them keep the fingerprint they had before
# these fields existed.
_OMITTED_WHEN_UNSET = ("base_sha256", *_PROVENANCE_FIELDS)


def _check_type(name: str, value: Any) -> None:
    if name in _STR_FIELDS and not isinstance(value, str):
        raise ModelLoadError(f"{name} must be a string, got {value!r}")
    if name in _OPTIONAL_STR_FIELDS and value is not None and not isinstance(value, str):
        raise ModelLoadError(f"{name} must be a string or null, got {value!r}")
    if name == "normalize" and not isinstance(value, bool):
        raise ModelLoadError(f"normalize must be true or false, got {value!r}")
    if name in {"format_version", "max_length"} and (isinstance(value, bool) or not isinstance(value, int)):
        raise ModelLoadError(f"{name} must be an integer, got {value!r}")
    if name == "validation" and value is not None and not (
        isinstance(value, dict)
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value.values())
    ):
        raise ModelLoadError(f"validation must be an object of metric name -> number, got {value!r}")


def read_metadata(folder: Path) -> EncoderMetadata:
    """The folder's ``codesearch-encoder.json``, else metadata inferred from its other files."""
    found = EncoderMetadata.load(folder)
    return found if found is not None else infer_metadata(folder)


def infer_metadata(folder: Path) -> EncoderMetadata:
    """Metadata for a folder without our file, from sentence-transformers files when present.

    Pooling comes from ``1_Pooling/config.json`` (else mean); max length from
    ``sentence_bert_config.json``'s ``max_seq_length`` (else min(tokenizer max length, 512));
    query and code prefixes from the sentence-transformers "query" and "document" prompts.
    """
    st_config = _read_json(folder / "sentence_bert_config.json")
    max_length = st_config.get("max_seq_length")
    if not isinstance(max_length, int) or isinstance(max_length, bool) or max_length < 4:
        max_length = _tokenizer_max_length(folder)
    prompts = _read_json(folder / "config_sentence_transformers.json").get("prompts") or {}
    return EncoderMetadata(
        pooling=_infer_pooling(folder),
        max_length=max_length,
        query_prefix=_prompt(prompts, "query"),
        code_prefix=_prompt(prompts, "document", "passage", "code"),
    )


def _infer_pooling(folder: Path) -> PoolingMode:
    path = folder / "1_Pooling" / "config.json"
    config = _read_json(path)
    if not config:
        return "mean"
    modes = config.get("pooling_mode")
    if modes is None:
        modes = [mode for key, mode in _ST_LEGACY_KEYS.items() if config.get(key) is True]
    if isinstance(modes, str):
        modes = [modes]
    if not isinstance(modes, list) or len(modes) != 1 or modes[0] not in _ST_POOLING:
        raise ModelLoadError(
            f"{path}: pooling {modes!r} is not supported (codesearch does mean, cls and last-token "
            f"pooling); write a {METADATA_FILE_NAME} next to the weights to choose one"
        )
    return cast(PoolingMode, _ST_POOLING[modes[0]])


def _tokenizer_max_length(folder: Path) -> int:
    # Tokenizers without a limit report a huge sentinel (int(1e30)); the cap handles it.
    declared = _read_json(folder / "tokenizer_config.json").get("model_max_length")
    if isinstance(declared, int | float) and not isinstance(declared, bool) and declared >= 4:
        return int(min(declared, MAX_INFERRED_LENGTH))
    return MAX_INFERRED_LENGTH


def _prompt(prompts: Any, *names: str) -> str:
    if not isinstance(prompts, dict):
        return ""
    for name in names:
        value = prompts.get(name)
        if isinstance(value, str):
            return value
    return ""


def _read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path``; {} when the file is absent. Malformed files are errors."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelLoadError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ModelLoadError(f"{path}: expected a JSON object")
    return data
