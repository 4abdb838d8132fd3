"""The run log: one JSON object per line in ``run/log.jsonl`` (steps, evaluations, a stop)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from training.records import Evaluation


def evaluation_record(evaluation: Evaluation) -> dict[str, Any]:
    return {name: getattr(evaluation, name) for name in Evaluation.__slots__}


class RunLog:
    """Appends JSON lines to the run log (rank 0 only; others pass None)."""

    def __init__(self, path: Path | None) -> None:
        self._path = path

    def write(self, record: dict[str, Any]) -> None:
        if self._path is None:
            return
        self._path.parent.mkdir(parents=True, exist_ok=True)
        with self._path.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"time": round(time.time(), 3), **record}) + "\n")
