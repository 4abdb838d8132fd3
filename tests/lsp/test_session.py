"""The LSP session over real pipes: lifecycle, errors, cancellation, progress (stand-in repository)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from codesearch.errors import CodesearchError
from codesearch.server.protocol import (
    INVALID_PARAMS,
    INVALID_REQUEST,
    MESSAGE_TOO_LARGE,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    REQUEST_CANCELLED,
    SERVER_NOT_INITIALIZED,
    USER_ERROR,
    Notification,
    Request,
    Response,
    encode_frame,
    error_message,
)
from tests.lsp.helpers import PipeSession, StandInWorkspace

PROGRESS_CAPABILITIES = {"capabilities": {"window": {"workDoneProgress": True}}}


class Opened:
    """The open_workspace of a session: records what it was asked for."""

    def __init__(self, *, has_index: bool = True) -> None:
        self.has_index = has_index
        self.workspaces: list[StandInWorkspace] = []

    def __call__(self, root: Path, options: Mapping[str, Any]) -> StandInWorkspace:
        self.workspaces.append(StandInWorkspace(root, options, has_index=self.has_index))
        return self.workspaces[-1]

    @property
    def workspace(self) -> StandInWorkspace:
        [workspace] = self.workspaces
        return workspace


@pytest.fixture
def opened() -> Opened:
    return Opened()


@pytest.fixture
def session(opened: Opened, tmp_path: Path) -> Iterator[PipeSession]:
    started = PipeSession(opened, tmp_path)
    yield started
    for workspace in opened.workspaces:
        workspace.finish_update()
    started.close()


def test_initialize_announces_workspace_symbols(session: PipeSession, opened: Opened, tmp_path: Path) -> None:
    result = session.initialize({"processId": None, "rootUri": None, "capabilities": {}})
    assert result["capabilities"] == {"workspaceSymbolProvider": True}
    assert result["serverInfo"]["name"] == "codesearch"
    assert opened.workspace.root == tmp_path  # no folder named: the default (the current folder)


def test_the_root_comes_from_root_uri_then_workspace_folders(opened: Opened, tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for params, expected in [
        ({"rootUri": (tmp_path / "a").as_uri(), "workspaceFolders": [{"uri": (tmp_path / "b").as_uri()}]}, "a"),
        ({"rootUri": None, "workspaceFolders": [{"uri": (tmp_path / "b").as_uri(), "name": "b"}]}, "b"),
        ({"rootPath": str(tmp_path / "a")}, "a"),
    ]:
        session = PipeSession(opened, tmp_path)
        session.initialize({**params, "initializationOptions": {"createIndex": False}})
        session.close()
        assert opened.workspaces[-1].root == tmp_path / expected
        assert opened.workspaces[-1].options == {"createIndex": False}


def test_a_fixed_root_wins_over_the_clients(opened: Opened, tmp_path: Path) -> None:
    session = PipeSession(opened, tmp_path, fixed_root=tmp_path / "fixed")
    session.initialize({"rootUri": tmp_path.as_uri()})
    session.close()
    assert opened.workspace.root == tmp_path / "fixed"


def test_a_root_that_is_not_a_folder_gets_invalid_params(session: PipeSession, tmp_path: Path) -> None:
    answer = session.answer(session.send("initialize", {"rootUri": (tmp_path / "missing").as_uri()}))
    assert answer.error is not None and answer.error.code == INVALID_PARAMS
    assert session.initialize()["capabilities"]  # a later initialize with a good root succeeds


def test_requests_before_initialize_are_refused(session: PipeSession) -> None:
    answer = session.answer(session.send("workspace/symbol", {"query": "x"}))
    assert answer.error is not None and answer.error.code == SERVER_NOT_INITIALIZED


def test_bad_requests_get_json_rpc_errors_and_the_session_goes_on(session: PipeSession) -> None:
    session.initialize()
    cases = [
        (session.send("textDocument/definition", {}), METHOD_NOT_FOUND),
        (session.send("workspace/symbol", [1, 2]), INVALID_PARAMS),
        (session.send("workspace/symbol", {"query": 7}), INVALID_PARAMS),
        (session.send("workspace/symbol", {}), INVALID_PARAMS),
        (session.send("initialize", {}), INVALID_REQUEST),
        (session.send("workspace/symbol", {"query": "too long"}), USER_ERROR),
    ]
    for request_id, code in cases:
        answer = session.answer(request_id)
        assert answer.error is not None and answer.error.code == code, answer
    session.send_raw(b"Content-Length: 9\r\n\r\n{not json")
    parse_error = session.receive()
    assert isinstance(parse_error, Response) and parse_error.id is None
    assert parse_error.error is not None and parse_error.error.code == PARSE_ERROR
    session.notify("workspace/didChangeWatchedFiles", {"changes": [{"uri": "file:///x.py", "type": 2}]})
    session.notify("textDocument/didOpen", {"textDocument": {"uri": "file:///x.py"}})
    session.notify("no/such/notification", "not even an object")
    assert session.call("workspace/symbol", {"query": "retry with backoff"}) == [
        {"name": "retry with backoff", "kind": 12, "limit": 50}
    ]
    assert session.call("workspace/symbol", {"query": "  "}) == []


def test_shutdown_then_exit_ends_with_code_0(session: PipeSession, opened: Opened) -> None:
    session.initialize()
    assert session.call("shutdown") is None
    answer = session.answer(session.send("workspace/symbol", {"query": "x"}))
    assert answer.error is not None and answer.error.code == INVALID_REQUEST
    session.notify("exit")
    assert session.wait() == 0
    assert opened.workspace.is_closed


def test_exit_without_shutdown_ends_with_code_1(session: PipeSession) -> None:
    session.initialize()
    session.notify("exit")
    assert session.wait() == 1


def test_the_end_of_input_ends_the_session(session: PipeSession) -> None:
    session.initialize()
    assert session.close_input() == 1


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"Content-Length: 12\r\nContent-Length: 12\r\n\r\n", INVALID_REQUEST),
        (b"Content-Type: text/plain\r\n\r\n{}", INVALID_REQUEST),
        (b"X" * 2000 + b"\r\n", INVALID_REQUEST),
        (b"Content-Length: 1000001\r\n\r\n", MESSAGE_TOO_LARGE),
    ],
)
def test_a_broken_frame_gets_one_error_and_a_clean_exit(opened: Opened, tmp_path: Path, data: bytes, code: int) -> None:
    session = PipeSession(opened, tmp_path, max_message_bytes=1_000_000)
    session.initialize()
    session.send_raw(data)
    assert session.wait() == 1
    [answer] = session.rest()
    assert isinstance(answer, Response) and answer.id is None
    assert answer.error is not None and answer.error.code == code
    session.close()


def test_a_search_waits_for_the_first_index(opened: Opened, tmp_path: Path) -> None:
    opened.has_index = False
    session = PipeSession(opened, tmp_path)
    session.initialize()
    session.notify("initialized", {})
    assert opened.workspace.update_started.wait(20)
    request_id = session.send("workspace/symbol", {"query": "parse a date"})
    opened.workspace.finish_update()
    assert session.answer(request_id).result == [{"name": "parse a date", "kind": 12, "limit": 50}]
    session.close()


def test_a_search_without_an_index_and_no_update_is_an_error_for_the_user(opened: Opened, tmp_path: Path) -> None:
    opened.has_index = False
    session = PipeSession(opened, tmp_path)
    session.initialize()  # no `initialized`: no update runs
    answer = session.answer(session.send("workspace/symbol", {"query": "parse a date"}))
    assert answer.error is not None and answer.error.code == USER_ERROR
    assert "no index" in answer.error.message
    session.close()


def test_cancel_request_answers_a_waiting_search_with_request_cancelled(opened: Opened, tmp_path: Path) -> None:
    opened.has_index = False
    session = PipeSession(opened, tmp_path)
    session.initialize()
    session.notify("initialized", {})
    assert opened.workspace.update_started.wait(20)
    waiting = session.send("workspace/symbol", {"query": "parse a date"})
    session.notify("$/cancelRequest", {"id": 999})  # unknown ids are ignored
    for no_id in ([waiting], {}, None, True, 1.5):  # found by tests/fuzz/live_lsp.py: a list ended the session
        session.notify("$/cancelRequest", {"id": no_id})
    session.notify("$/cancelRequest", {"id": waiting})
    answer = session.answer(waiting)
    assert answer.error is not None and answer.error.code == REQUEST_CANCELLED
    opened.workspace.finish_update()
    assert session.call("workspace/symbol", {"query": "x"})  # the session goes on
    session.close()


def test_searches_still_waiting_at_exit_are_cancelled(opened: Opened, tmp_path: Path) -> None:
    opened.has_index = False
    session = PipeSession(opened, tmp_path)
    session.initialize()
    session.notify("initialized", {})
    assert opened.workspace.update_started.wait(20)
    waiting = session.send("workspace/symbol", {"query": "parse a date"})
    session.notify("exit")
    answers = [m for m in session.rest() if isinstance(m, Response)]
    assert [(a.id, a.error.code if a.error else None) for a in answers] == [(waiting, REQUEST_CANCELLED)]
    assert session.wait() == 1
    opened.workspace.finish_update()
    session.close()


def progress_values(session: PipeSession) -> list[dict[str, Any]]:
    return [params["value"] for params in session.notifications("$/progress")]


def until_notification(session: PipeSession, method: str, **value: Any) -> list[Any]:
    """The messages up to and including the notification ``method`` whose params hold ``value``."""
    messages = []
    while True:
        message = session.receive()
        assert message is not None, f"the server ended before {method} {value}"
        messages.append(message)
        if isinstance(message, Notification) and message.method == method:
            params = message.params.get("value", message.params)
            if value.items() <= params.items():
                return messages


def test_an_index_update_shows_work_done_progress(opened: Opened, tmp_path: Path) -> None:
    session = PipeSession(opened, tmp_path)
    session.initialize(PROGRESS_CAPABILITIES)
    session.notify("initialized", {})
    create = session.next_request()
    assert create.method == "window/workDoneProgress/create"
    token = create.params["token"]
    session.respond(create.id, None)
    assert opened.workspace.update_started.wait(20)
    opened.workspace.finish_update()
    messages = until_notification(session, "$/progress", kind="end")
    values = [m.params["value"] for m in messages if isinstance(m, Notification) and m.params["token"] == token]
    kinds = [value["kind"] for value in values]
    assert kinds[0] == "begin" and kinds[-1] == "end" and set(kinds[1:-1]) == {"report"}, values
    assert values[0]["title"] == "codesearch: indexing"
    assert values[-2]["percentage"] == 100 and values[-2]["message"] == "2/2 files, 3 embedded"
    assert values[-1]["message"] == "2 files, 3 definitions (2 files new or changed, 3 embedded)"
    session.close()


def test_no_progress_without_the_clients_capability(opened: Opened, tmp_path: Path) -> None:
    session = PipeSession(opened, tmp_path)
    session.initialize({"capabilities": {"window": {"workDoneProgress": False}}})
    session.notify("initialized", {})
    assert opened.workspace.update_started.wait(20)
    opened.workspace.finish_update()
    assert session.call("workspace/symbol", {"query": "x"})
    session.notify("exit")
    assert [m for m in session.rest() if not isinstance(m, Response)] == []
    session.close()


def test_a_refused_progress_token_still_updates_the_index(opened: Opened, tmp_path: Path) -> None:
    opened.has_index = False
    session = PipeSession(opened, tmp_path)
    session.initialize(PROGRESS_CAPABILITIES)
    session.notify("initialized", {})
    create = session.next_request()
    session.send_raw(encode_frame(error_message(create.id, METHOD_NOT_FOUND, "no progress here")))
    assert opened.workspace.update_started.wait(20)
    opened.workspace.finish_update()
    assert session.call("workspace/symbol", {"query": "x"})
    assert progress_values(session) == []
    session.close()


def test_a_failed_update_is_shown_to_the_user(opened: Opened, tmp_path: Path) -> None:
    session = PipeSession(opened, tmp_path)
    session.initialize(PROGRESS_CAPABILITIES)
    session.notify("initialized", {})
    create = session.next_request()
    session.respond(create.id, None)
    assert opened.workspace.update_started.wait(20)
    opened.workspace.finish_update(CodesearchError("the disk is full"))
    messages = until_notification(session, "window/showMessage")
    shown = [m.params for m in messages if isinstance(m, Notification) and m.method == "window/showMessage"]
    assert shown == [{"type": 1, "message": "codesearch: the disk is full"}]
    ends = [m.params["value"] for m in messages if isinstance(m, Notification) and m.method == "$/progress"]
    assert ends[-1] == {"kind": "end", "message": "failed: the disk is full"}
    assert not any(isinstance(m, Request) for m in messages)
    session.close()
