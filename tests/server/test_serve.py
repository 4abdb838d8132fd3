"""The server on a real Unix socket: every method, concurrency, and hostile clients."""

from __future__ import annotations

import dataclasses
import json
import socket
import stat
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from codesearch.errors import CodesearchError
from codesearch.index.store import IndexStore
from codesearch.server.address import default_socket_path
from codesearch.server.protocol import (
    INVALID_PARAMS,
    INVALID_REQUEST,
    MESSAGE_TOO_LARGE,
    METHOD_NOT_FOUND,
    PARSE_ERROR,
    REPO_UNAVAILABLE,
    SERVER_BUSY,
    SERVER_NOT_INITIALIZED,
    USER_ERROR,
    Notification,
    Response,
    decode_message,
    encode_frame,
    read_frame,
    request_message,
)
from codesearch.server.serve import Server
from tests.fakes import hashing_params
from tests.server.helpers import LIMITS, TIMEOUT_S, RawClient, start_server

Connect = Callable[[], RawClient]


def names(result: dict[str, object]) -> list[str]:
    return [hit["qualified_name"] for hit in result["hits"]]  # type: ignore[attr-defined,index]


def test_search_answers_like_ask_json(connect: Connect, repo: Path) -> None:
    result = connect().call("search", {"root": str(repo), "query": "hash_password", "k": 3})
    assert result["root"] == str(repo)
    top = result["hits"][0]
    assert top["qualified_name"] == "hash_password" and top["path"] == "server/passwords.py"
    assert set(top) == {
        "path",
        "start_line",
        "end_line",
        "name",
        "qualified_name",
        "kind",
        "language",
        "score",
        "signature",
        "docstring_summary",
        "dense_rank",
        "lexical_rank",
    }
    with_code = connect().call(
        "search", {"root": str(repo / "server"), "query": "hash_password", "k": 1, "includeCode": True}
    )
    assert with_code["hits"][0]["code"].startswith("def hash_password")
    assert result["semantic"] == {"embedded": 6, "definitions": 6}


def test_the_server_finishes_embedding_an_interrupted_index(short_dir: Path, repo: Path) -> None:
    from codesearch.config import Settings
    from codesearch.indexer.updates import update_repository
    from tests.indexer.test_updates import Interrupted, StopsAfter

    with IndexStore.open(repo / ".codesearch", expected=hashing_params(), create=True) as store:
        with pytest.raises(Interrupted):
            update_repository(store, repo, Settings(round_chunks=2), lambda: StopsAfter(rounds=1))
        assert store.semantic_coverage().embedded == 2
    server = start_server(short_dir / "server.sock")
    try:
        served = server.registry.get(repo, None, create=False)
        assert served.watcher.wait_for(1, TIMEOUT_S) is not None  # the catch-up round
        client = RawClient(server.socket_path)
        try:
            result = client.call("search", {"root": str(repo), "query": "hash_password", "k": 1})
        finally:
            client.close()
        assert result["semantic"] == {"embedded": 6, "definitions": 6}
    finally:
        server.stop()


def test_search_filters_and_user_errors(connect: Connect, repo: Path) -> None:
    client = connect()
    filtered = client.call("search", {"root": str(repo), "query": "price", "k": 10, "path": "server/cart*"})
    assert filtered["hits"] and all(hit["path"] == "server/cart.py" for hit in filtered["hits"])
    assert client.call("search", {"root": str(repo), "query": "price", "languages": ["go"]})["hits"] == []
    empty = client.answer(client.send("search", {"root": str(repo), "query": "   "}))
    assert empty.error is not None and empty.error.code == USER_ERROR and "empty" in empty.error.message
    bad_k = client.answer(client.send("search", {"root": str(repo), "query": "x", "k": "ten"}))
    assert bad_k.error is not None and bad_k.error.code == INVALID_PARAMS
    no_root = client.answer(client.send("search", {"query": "x"}))
    assert no_root.error is not None and no_root.error.code == INVALID_PARAMS


def test_initialize_then_workspace_symbol(connect: Connect, repo: Path) -> None:
    client = connect()
    init = client.call("initialize", {"rootUri": repo.as_uri(), "processId": None, "capabilities": {}})
    assert init["capabilities"]["workspaceSymbolProvider"] is True
    assert init["codesearch"]["repo"]["root"] == str(repo)
    client.send_raw(encode_frame({"jsonrpc": "2.0", "method": "initialized", "params": {}}))
    symbols = client.call("workspace/symbol", {"query": "total_price"})
    top = symbols[0]
    assert top["name"] == "total_price" and top["kind"] == 6 and top["containerName"] == "Cart"
    assert top["location"]["uri"] == (repo / "server" / "cart.py").as_uri()
    assert top["location"]["range"]["start"] == {"line": 1, "character": 0}
    assert client.call("workspace/symbol", {"query": ""}) == []


def test_similar_excludes_itself_and_refuses_paths_outside(
    connect: Connect, repo: Path, tmp_path: Path
) -> None:
    client = connect()
    result = client.call("similar", {"path": str(repo / "server" / "passwords.py"), "line": 7, "k": 3})
    assert "verify_password" not in names(result) and len(result["hits"]) == 3
    by_uri = client.call("similar", {"path": (repo / "server" / "cart.py").as_uri(), "line": 3, "k": 2})
    assert "Cart.total_price" not in names(by_uri)
    relative = client.call("similar", {"root": str(repo), "path": "server/cart.py", "line": 11, "k": 2})
    assert "apply_discount" not in names(relative)
    (tmp_path / "elsewhere.py").write_text("def f():\n    pass\n")
    for params in (
        {"root": str(repo), "path": "../elsewhere.py", "line": 1},
        {"root": str(repo), "path": str(tmp_path / "elsewhere.py"), "line": 1},
    ):
        refused = client.answer(client.send("similar", params))
        assert refused.error is not None and refused.error.code in (INVALID_PARAMS, USER_ERROR), refused
    nothing_there = client.answer(
        client.send("similar", {"root": str(repo), "path": "server/cart.py", "line": 9})
    )
    assert nothing_there.error is not None and nothing_there.error.code == USER_ERROR


def test_status_and_reindex_with_progress(connect: Connect, repo: Path) -> None:
    client = connect()
    status = client.call("status")
    assert status["server"]["model"] == "test/hashing"
    assert [(r["root"], r["files"]) for r in status["repos"]] == [(str(repo), 2)]
    request_id = client.send("reindex", {"root": str(repo), "full": True, "workDoneToken": "t1"})
    progress = []
    while True:
        message = client.receive()
        if isinstance(message, Notification):
            assert message.method == "$/progress" and message.params["token"] == "t1"
            progress.append(message.params["value"]["kind"])
        else:
            assert isinstance(message, Response) and message.id == request_id and message.error is None
            break
    assert progress[0] == "begin" and progress[-1] == "end" and "report" in progress
    summary = message.result["summary"]
    assert summary["files_new"] == 2 and summary["chunks_total"] == 6
    # A full rebuild re-embeds nothing the machine-wide embedding cache holds (index/machine_cache.py).
    assert (summary["chunks_embedded"], summary["chunks_cached"]) == (0, 6)


def test_file_changes_reach_searches_and_initialized_clients(connect: Connect, repo: Path) -> None:
    client = connect()
    client.call("initialize", {"rootUri": repo.as_uri()})
    (repo / "server" / "coupons.py").write_text("def redeem_coupon(code):\n    return code.upper()\n")
    while True:
        message = client.receive()
        assert message is not None
        is_update = isinstance(message, Notification) and message.method == "codesearch/indexUpdated"
        if is_update and message.params["summary"]["files_new"] == 1:
            break
    assert names(client.call("search", {"query": "redeem_coupon", "k": 1})) == ["redeem_coupon"]


def test_searches_see_one_version_of_a_file_while_it_flips(
    server: Server, connect: Connect, repo: Path
) -> None:
    """8 clients search while the watcher swaps a file between two versions: never a mix of both."""
    versions = [
        "def alpha_one():\n    pass\n\n\ndef alpha_two():\n    pass\n",
        "def beta_one():\n    pass\n\n\ndef beta_two():\n    pass\n",
    ]
    watcher = server.registry.all()[0].watcher
    generation = watcher.generation
    (repo / "server" / "flip.py").write_text(versions[0])
    assert watcher.wait_for(generation + 1, TIMEOUT_S) is not None
    stop = threading.Event()
    problems: list[str] = []

    def search_forever() -> None:
        client = connect()
        while not stop.is_set():
            found = names(client.call("search", {"root": str(repo), "query": "alpha beta one two", "k": 8}))
            flip = {name.split("_")[0] for name in found if name.split("_")[0] in ("alpha", "beta")}
            if len(found) != 8 or len(flip) != 1:
                problems.append(f"{found}")

    searchers = [threading.Thread(target=search_forever) for _ in range(8)]
    for thread in searchers:
        thread.start()
    try:
        for flip in range(1, 9):
            generation = watcher.generation
            (repo / "server" / "flip.py").write_text(versions[flip % 2])
            assert watcher.wait_for(generation + 1, TIMEOUT_S) is not None
    finally:
        stop.set()
        for thread in searchers:
            thread.join()
    assert problems == []


def test_hostile_messages_get_errors_and_the_connection_goes_on(connect: Connect, repo: Path) -> None:
    client = connect()
    client.send_raw(b"Content-Length: 9\r\n\r\n{not json")
    answer = client.receive()
    assert isinstance(answer, Response) and answer.id is None and answer.error is not None
    assert answer.error.code == PARSE_ERROR
    unknown = client.answer(client.send("drop_tables"))
    assert unknown.error is not None and unknown.error.code == METHOD_NOT_FOUND
    client.send_raw(encode_frame({"jsonrpc": "2.0", "id": 99, "method": "search", "params": [1, 2]}))
    assert client.answer(99).error.code == INVALID_PARAMS  # type: ignore[union-attr]
    deep = b"[" * 60_000  # deeper than the JSON parser's recursion limit, under the test's 64 KiB frames
    for body in (deep, b"\xff\xfe{}"):
        client.send_raw(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
        answer = client.receive()
        assert isinstance(answer, Response) and answer.id is None and answer.error is not None
        assert answer.error.code == PARSE_ERROR and "\n" not in answer.error.message
    surrogate = b'{"jsonrpc":"2.0","id":"r \\udcff","method":"status"}'  # an id UTF-8 cannot carry back
    client.send_raw(b"Content-Length: %d\r\n\r\n%s" % (len(surrogate), surrogate))
    assert client.answer("r \udcff").result["repos"]  # type: ignore[arg-type]
    assert client.call("status")["repos"]


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"Content-Length: 99999999\r\n\r\n", MESSAGE_TOO_LARGE),  # over the 64 KiB test limit
        (b"Content-Length: 12\r\nContent-Length: 12\r\n\r\n", INVALID_REQUEST),
        (b"no header here\r\n\r\n", INVALID_REQUEST),
    ],
)
def test_broken_frames_get_one_error_then_the_connection_closes(
    connect: Connect, raw: bytes, code: int, repo: Path
) -> None:
    client = connect()
    client.send_raw(raw)
    answer = client.receive()
    assert isinstance(answer, Response) and answer.error is not None and answer.error.code == code
    assert client.is_closed_by_server()
    assert connect().call("search", {"root": str(repo), "query": "cart"})["hits"]  # everyone else is served


def test_slow_and_vanishing_clients_do_not_hurt_others(connect: Connect, repo: Path) -> None:
    slow = connect()
    slow.send_raw(b'Content-Length: 100\r\n\r\n{"jsonrpc": ')  # and then nothing, for longer than 0.5 s
    answer = slow.receive()
    assert isinstance(answer, Response) and answer.error is not None and "in time" in answer.error.message
    assert slow.is_closed_by_server()
    for _ in range(5):
        leaver = connect()
        leaver.send("search", {"root": str(repo), "query": "hash a password"})
        leaver.close()  # before the answer
    assert connect().call("search", {"root": str(repo), "query": "cart"})["hits"]


def test_lsp_shutdown_and_exit_end_only_that_session(server: Server, connect: Connect) -> None:
    client = connect()
    assert client.call("shutdown") is None
    client.send_raw(encode_frame({"jsonrpc": "2.0", "method": "exit"}))
    assert client.is_closed_by_server()
    assert connect().call("status")["repos"] and not server.wait(0)


def test_shutdown_server_stops_it_and_removes_the_socket(server: Server, connect: Connect) -> None:
    assert connect().call("shutdown", {"server": True}) is None
    assert server.wait(TIMEOUT_S)
    assert not server.socket_path.exists()


def test_an_index_locked_by_another_writer_is_unavailable(connect: Connect, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "a.py").write_text("def a():\n    pass\n")
    with IndexStore.open(other / ".codesearch", expected=hashing_params(), create=True):
        client = connect()
        refused = client.answer(client.send("search", {"root": str(other), "query": "a"}))
    assert refused.error is not None and refused.error.code == REPO_UNAVAILABLE
    assert "being written" in refused.error.message
    assert isinstance(
        client.call("search", {"root": str(other), "query": "a"})["hits"], list
    )  # served once free


def test_fixed_roots_refuse_other_repositories(short_dir: Path, repo: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    with IndexStore.open(other / ".codesearch", expected=hashing_params(), create=True):
        pass
    server = start_server(short_dir / "fixed.sock", fixed_roots=[repo])
    try:
        client = RawClient(server.socket_path)
        refused = client.answer(client.send("search", {"root": str(other), "query": "a"}))
        assert refused.error is not None and refused.error.code == REPO_UNAVAILABLE
        client.close()
    finally:
        server.stop()


def test_a_second_server_on_the_same_socket_is_refused(server: Server) -> None:
    with pytest.raises(CodesearchError, match="already listens"):
        start_server(server.socket_path)
    assert server.socket_path.exists()


def test_tcp_needs_the_token_in_initialize(short_dir: Path, repo: Path) -> None:
    server = start_server(short_dir / "tcp.sock", tcp_port=0, token="s3cret")
    try:
        assert server.tcp_address is not None and server.tcp_address[0] == "127.0.0.1"
        rude = RawClient(server.tcp_address)
        refused = rude.answer(rude.send("status"))
        assert refused.error is not None and refused.error.code == SERVER_NOT_INITIALIZED
        assert rude.is_closed_by_server()
        wrong = RawClient(server.tcp_address)
        assert wrong.answer(wrong.send("initialize", {"token": "guess"})).error is not None
        assert wrong.is_closed_by_server()
        polite = RawClient(server.tcp_address)
        polite.call("initialize", {"token": "s3cret", "rootUri": repo.as_uri(), "create": True})
        while getattr(polite.receive(), "method", None) != "codesearch/indexUpdated":
            pass  # the index is being built by the first round
        assert polite.call("search", {"query": "cart"})["hits"]
        for client in (rude, wrong, polite):
            client.close()
    finally:
        server.stop()


def test_long_path_globs_and_relative_roots_are_refused(
    connect: Connect, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Row 12: a relative root or index folder once meant one under the server's working folder."""
    monkeypatch.chdir(repo.parent)  # the server's folder, here this process's: "shop" names the repo
    client = connect()
    glob = client.answer(client.send("search", {"root": str(repo), "query": "cart", "path": "*" * 60_000}))
    assert glob.error is not None and glob.error.code == USER_ERROR
    assert glob.error.message == "the path glob is 60,000 characters long; the limit is 1,024"
    for params in ({"roots": [repo.name, str(repo)]}, {"root": str(repo), "indexDir": "shop/.codesearch"}):
        refused = client.answer(client.send("search", {"query": "cart", **params}))
        assert refused.error is not None and refused.error.code == INVALID_PARAMS
        assert "must be an absolute path" in refused.error.message
    assert names(client.call("search", {"roots": [str(repo)], "query": "cart", "path": "server/c*"}))


def refused_or_cut(sock: socket.socket) -> Response:
    """The one error a TCP connection got before the server closed it."""
    reader = sock.makefile("rb")
    body = read_frame(reader)
    assert body is not None
    answer = decode_message(body)
    assert isinstance(answer, Response) and answer.error is not None
    assert reader.read(1) == b""  # then closed
    reader.close()
    return answer


def test_idle_tcp_connections_never_crowd_out_unix_clients(short_dir: Path) -> None:
    """Another local user holding 128 silent TCP connections: the owner's socket clients are served,
    only 8 TCP connections wait for a token at a time, and those are cut at the deadline."""
    limits = dataclasses.replace(LIMITS, auth_timeout_s=1.0)
    server = start_server(short_dir / "tcp.sock", limits, tcp_port=0, token="s3cret")
    assert server.tcp_address is not None
    idle = [socket.create_connection(server.tcp_address, timeout=TIMEOUT_S) for _ in range(128)]
    try:
        owners = [RawClient(server.socket_path) for _ in range(4)]
        assert all(owner.call("status")["server"]["pid"] for owner in owners)
        assert server.connection_count() <= 8 + len(owners)
        answers = [refused_or_cut(sock) for sock in idle]
        refused = [a for a in answers if a.error is not None and a.error.code == SERVER_BUSY]
        cut = [a for a in answers if a.error is not None and "within 1 s" in a.error.message]
        # Connections the kernel queued late are accepted once the first 8 are cut: more than 8 may be.
        assert len(refused) + len(cut) == len(idle) and len(cut) >= 8 and len(refused) >= 64
        polite = RawClient(server.tcp_address)  # the slots of the cut ones are free again
        assert polite.call("initialize", {"token": "s3cret"})["capabilities"]
        for client in (*owners, polite):
            client.close()
    finally:
        for sock in idle:
            sock.close()
        server.stop()


def test_before_the_token_a_tcp_frame_is_limited_to_64_kib(short_dir: Path) -> None:
    limits = dataclasses.replace(LIMITS, max_message_bytes=16 * 1024 * 1024)
    server = start_server(short_dir / "tcp.sock", limits, tcp_port=0, token="s3cret")
    assert server.tcp_address is not None
    try:
        stranger = socket.create_connection(server.tcp_address, timeout=TIMEOUT_S)
        stranger.sendall(b"Content-Length: 16777216\r\n\r\n" + b"[" * 100_000)  # the rest never comes
        answer = refused_or_cut(stranger)  # at once: the body is not waited for (nor held)
        assert answer.error is not None and answer.error.code == MESSAGE_TOO_LARGE
        assert "65536" in answer.error.message and "before initialize" in answer.error.message
        stranger.close()
        owner = RawClient(server.tcp_address)
        owner.call("initialize", {"token": "s3cret"})
        big = "x" * 200_000  # over 64 KiB, fine once authorized
        error = owner.answer(owner.send("search", {"query": big})).error
        assert error is not None and error.code != MESSAGE_TOO_LARGE
        owner.close()
    finally:
        server.stop()


def test_requests_in_flight_when_the_server_stops_get_answers_or_a_closed_socket(
    server: Server, repo: Path
) -> None:
    client = RawClient(server.socket_path)
    for _ in range(10):
        client.send_raw(encode_frame(request_message(1, "search", {"root": str(repo), "query": "cart"})))
    server.stop()
    try:
        while (message := client.receive()) is not None:
            assert isinstance(message, Response)
    except ConnectionResetError:
        pass  # closed with answers unread: also fine
    client.close()


def test_initialize_creates_an_index_only_when_asked(connect: Connect, tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "tool.py").write_text("def sharpen_pencil(pencil):\n    return pencil\n")
    client = connect()
    declined = client.call("initialize", {"rootUri": fresh.as_uri()})["codesearch"]
    assert declined["repo"] is None and "no index" in declined["repoError"]
    assert not (fresh / ".codesearch").exists()
    created = client.call("initialize", {"rootUri": fresh.as_uri(), "create": True})["codesearch"]
    assert created["repo"] == {"root": str(fresh.resolve()), "indexDir": str(fresh.resolve() / ".codesearch")}
    while True:
        message = client.receive()
        if isinstance(message, Notification) and message.method == "codesearch/indexUpdated":
            break
    assert names(client.call("search", {"query": "sharpen_pencil", "k": 1})) == ["sharpen_pencil"]


def test_the_socket_and_its_folder_are_private_and_published(server: Server) -> None:
    assert stat.S_IMODE(server.socket_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(server.socket_path.parent.stat().st_mode) == 0o700
    info_path = server.socket_path.with_name("server.json")
    assert stat.S_IMODE(info_path.stat().st_mode) == 0o600
    info = json.loads(info_path.read_text())
    assert info["socket"] == str(server.socket_path) and info["protocolVersion"] == 1
    assert info["tcpPort"] is None


def test_the_default_socket_lives_in_the_runtime_folder(isolated_home: Path) -> None:
    assert default_socket_path() == isolated_home / "run" / "codesearch" / "server.sock"


def test_search_over_several_served_repositories_is_one_ranking(server: Server, connect: Connect, repo: Path) -> None:
    other = repo.parent / "billing"
    (other / ".git").mkdir(parents=True)
    (other / "charges.py").write_text("def charge_card(card, amount):\n    return card.charge(amount)\n")
    served = server.registry.get(other, None, create=True)
    assert served.watcher.wait_for(1, TIMEOUT_S) is not None
    result = connect().call("search", {"roots": [str(repo), str(other)], "query": "charge the card", "k": 4})
    assert result["roots"] == [str(repo), str(other.resolve())]
    hits = result["hits"]
    # Each index's fused scores are z-scores over its own candidates: the merge is by them
    # (see search/multi_repository.py).
    assert ("billing", "charge_card") in [(hit["repository"], hit["qualified_name"]) for hit in hits[:2]]
    assert {hit["repository"] for hit in hits} == {"shop", "billing"}
    assert [hit["score"] for hit in hits] == sorted((hit["score"] for hit in hits), reverse=True)
    alone = [connect().call("search", {"root": str(root), "query": "x"})["semantic"] for root in (repo, other)]
    assert result["semantic"]["definitions"] == sum(semantic["definitions"] for semantic in alone)
    refused = connect()
    answer = refused.answer(refused.send("search", {"roots": [], "query": "x"}))
    assert answer.error is not None and answer.error.code == INVALID_PARAMS
