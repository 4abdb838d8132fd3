"""WorkDoneProgress: the token asked for first, reports at most ten a second, nothing when refused."""

from __future__ import annotations

from typing import Any

from codesearch.errors import CodesearchError
from codesearch.lsp.progress import WorkDoneProgress
from codesearch.records import IndexProgress


class Channel:
    def __init__(self, *, refuses: bool = False) -> None:
        self.refuses = refuses
        self.sent: list[tuple[str, Any]] = []

    def request(self, method: str, params: Any, timeout_s: float) -> Any:
        self.sent.append((method, params))
        if self.refuses:
            raise CodesearchError("the client refused")
        return None

    def notify(self, method: str, params: Any) -> None:
        self.sent.append((method, params))


def kinds(channel: Channel) -> list[str]:
    return [params["value"]["kind"] for method, params in channel.sent if method == "$/progress"]


def test_reports_come_between_begin_and_end_at_most_ten_a_second() -> None:
    channel = Channel()
    progress = WorkDoneProgress(channel, "t", is_supported=True)
    progress.begin("indexing", "starting")
    assert channel.sent[0] == ("window/workDoneProgress/create", {"token": "t"})
    for done in range(1, 50):  # within one interval: only the first and the last are sent
        progress.report_index(IndexProgress(done, 50, done * 2, 0.1))
    progress.report_index(IndexProgress(50, 50, 100, 0.2))
    progress.end("done")
    assert kinds(channel) == ["begin", "report", "report", "end"]
    last_report = channel.sent[-2][1]["value"]
    assert last_report == {"kind": "report", "percentage": 100, "message": "50/50 files, 100 embedded"}
    assert all(params["token"] == "t" for method, params in channel.sent[1:])


def test_an_empty_repository_reports_100_percent() -> None:
    channel = Channel()
    progress = WorkDoneProgress(channel, "t", is_supported=True)
    progress.begin("indexing", "starting")
    progress.report_index(IndexProgress(0, 0, 0, 0.0))
    assert channel.sent[-1][1]["value"]["percentage"] == 100


def test_nothing_is_sent_without_support_or_a_token() -> None:
    for channel, is_supported in [(Channel(), False), (Channel(refuses=True), True)]:
        progress = WorkDoneProgress(channel, "t", is_supported=is_supported)
        progress.begin("indexing", "starting")
        progress.report_index(IndexProgress(1, 1, 1, 0.1))
        progress.end("done")
        assert kinds(channel) == []
