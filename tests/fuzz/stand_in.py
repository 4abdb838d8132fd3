"""The hashing stand-in wherever codesearch loads or identifies its model, in this process (``hashing_model``)
or in a process of its own (``python -m tests.fuzz.stand_in ARGS...``: the ``codesearch`` command line).

The live targets fuzz a real ``codesearch serve`` process and the index-file targets run ``ask``, ``status``
and ``index`` on indexes the stand-in built (tests/fakes.py). The model took 5-7 s to load on these 2 cores,
20 s under load, once per process: the fuzz suite would spend its time loading it. What the stand-in
replaces is the model alone: the command line, the server, the index and the search are the real ones.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from types import TracebackType
from typing import Any
from unittest import mock

from codesearch.encoder.identity import ModelIdentity
from tests.fakes import DIM, HashingEncoder


class StandInEncoder(HashingEncoder):
    """The hashing encoder, closed as a context manager like ``Encoder``."""

    def __enter__(self) -> StandInEncoder:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _identity(*args: Any, **kwargs: Any) -> ModelIdentity:
    return ModelIdentity(HashingEncoder.model_id, HashingEncoder.model_hash, DIM)


def _encoder(*args: Any, **kwargs: Any) -> StandInEncoder:
    return StandInEncoder()


@contextmanager
def hashing_model() -> Iterator[None]:
    """Within the block, every model codesearch identifies, loads or exports is the hashing stand-in."""
    with ExitStack() as stack:
        for name, replacement in (
            ("codesearch.encoder.identity.describe_model", _identity),  # what `index` records
            ("codesearch.encoder.model.Encoder.load", _encoder),  # `serve`, and `index` when it embeds
            ("codesearch.encoder.onnx_export.ensure_export", lambda *args, **kwargs: None),
            ("codesearch.search.searcher.load_query_encoder", _encoder),  # `ask` without a server
        ):
            stack.enter_context(mock.patch(name, replacement))
        yield


def main() -> None:
    from codesearch.cli.entry import main as codesearch_main

    sys.argv[0] = "codesearch"
    with hashing_model():
        codesearch_main()


if __name__ == "__main__":
    main()
