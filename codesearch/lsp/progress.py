"""Index progress shown in the editor: LSP's server-initiated ``window/workDoneProgress``.

The server asks the client for a token (``window/workDoneProgress/create``), then sends
``$/progress`` with ``begin``, at most ten ``report``s a second, and ``end``. A client that did not
announce ``window.workDoneProgress`` in its capabilities, or that refuses the token, sees nothing:
progress is a courtesy, never a reason to fail the work it describes.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Protocol

from codesearch.records import IndexProgress

logger = logging.getLogger(__name__)

REPORT_INTERVAL_S = 0.1  # as the socket server's $/progress: at most ten reports a second
CREATE_TIMEOUT_S = 10.0  # a client that does not answer the token request gets no progress


class ClientChannel(Protocol):
    """What progress needs of the connection to the editor."""

    def request(self, method: str, params: Any, timeout_s: float) -> Any:
        """Send a request to the client and wait for its result; raises on an error or a timeout."""

    def notify(self, method: str, params: Any) -> None: ...


class WorkDoneProgress:
    """One piece of work (an index update) shown in the editor: ``begin``, ``report``..., ``end``."""

    def __init__(self, client: ClientChannel, token: str, *, is_supported: bool) -> None:
        self._client = client
        self._token = token
        self._is_shown = False
        self._is_supported = is_supported
        self._last_report_s = 0.0

    def begin(self, title: str, message: str) -> None:
        """Ask the client for the token and open the progress; without a token nothing is shown."""
        if not self._is_supported:
            return
        try:
            self._client.request("window/workDoneProgress/create", {"token": self._token}, CREATE_TIMEOUT_S)
        except Exception as exc:  # a refusal, a timeout, a client that left: the work goes on unseen
            logger.info("no progress shown in the editor: %s", exc)
            return
        self._is_shown = True
        self._send({"kind": "begin", "title": title, "cancellable": False, "message": message, "percentage": 0})

    def report_index(self, progress: IndexProgress) -> None:
        """An index update's progress (the callback of ``indexing.index_repository``)."""
        now = time.monotonic()
        is_last = progress.files_done >= progress.files_total
        if not self._is_shown or (now - self._last_report_s < REPORT_INTERVAL_S and not is_last):
            return
        self._last_report_s = now
        total = progress.files_total
        self._send(
            {
                "kind": "report",
                "percentage": 100 * progress.files_done // total if total else 100,
                "message": f"{progress.files_done}/{total} files, {progress.chunks_embedded} embedded",
            }
        )

    def end(self, message: str) -> None:
        if self._is_shown:
            self._is_shown = False
            self._send({"kind": "end", "message": message})

    def _send(self, value: dict[str, Any]) -> None:
        self._client.notify("$/progress", {"token": self._token, "value": value})
