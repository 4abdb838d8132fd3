"""The stdio transport of ``codesearch mcp``: every line a client sends is served or answered.

The MCP SDK's own transport (``mcp.server.stdio``) leaves a line it cannot parse unanswered, so the
client waits for ever; reads bytes that are not UTF-8 as U+FFFD; and its parser refuses a lone
surrogate (``"\\udcff"``), which in an answer would also stop its writer for good. Here each line
goes through the socket server's parser first (``parse_json``), then:

- not UTF-8, not JSON, or nested too deeply: ``-32700``, ``"id": null``;
- JSON that is not one JSON-RPC message (``[]``, a number, a bad envelope), or over 16 MiB: ``-32600``;
- a string that is not valid Unicode: ``-32602`` when it is in ``params``, else ``-32600``;

each with the request's id when it has a usable one, and the next line is read as usual. What
passes goes to the SDK's server exactly as its own transport would pass it. As that transport does,
file descriptors 0 and 1 are pointed elsewhere while serving (``/dev/null``, stderr), so nothing
printed by accident can break the stream of answers.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any, BinaryIO

import anyio
import anyio.to_thread
import mcp_types
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from mcp.server.mcpserver import MCPServer
from mcp.shared.message import SessionMessage
from pydantic import ValidationError

from codesearch.server.protocol import (
    INVALID_PARAMS,
    INVALID_REQUEST,
    MAX_MESSAGE_BYTES,
    InvalidMessage,
    RequestId,
    parse_json,
)

Incoming = MemoryObjectReceiveStream[SessionMessage | Exception]  # what the SDK's server reads
Outgoing = MemoryObjectSendStream[SessionMessage]  # what it writes


async def serve_checked_stdio(server: MCPServer[Any]) -> None:
    """Serve ``server`` over this process's stdin and stdout until stdin ends."""
    with _claimed_stdio() as (stdin, stdout):
        async with checked_streams(stdin, stdout) as (read_stream, write_stream):
            # MCPServer.run_stdio_async does just this with the SDK's transport; its low-level
            # server has no public name.
            lowlevel = server._lowlevel_server
            await lowlevel.run(read_stream, write_stream, lowlevel.create_initialization_options())


@asynccontextmanager
async def checked_streams(stdin: BinaryIO, stdout: BinaryIO) -> AsyncIterator[tuple[Incoming, Outgoing]]:
    """The SDK server's message streams over ``stdin``/``stdout``, one JSON-RPC message a line."""
    incoming_writer, incoming = anyio.create_memory_object_stream[SessionMessage | Exception](0)
    outgoing, outgoing_reader = anyio.create_memory_object_stream[SessionMessage](0)
    answers = outgoing.clone()  # this transport's own error answers go through the one writer

    async def read_lines() -> None:
        async with incoming_writer, answers:
            while line := await anyio.to_thread.run_sync(_read_line, stdin):
                checked = checked_message(line)
                if isinstance(checked, mcp_types.JSONRPCError):
                    await answers.send(SessionMessage(checked))
                elif checked is not None:
                    await incoming_writer.send(SessionMessage(checked))

    async def write_lines() -> None:
        async with outgoing_reader:
            async for message in outgoing_reader:
                text = message.message.model_dump_json(by_alias=True, exclude_unset=True)
                await anyio.to_thread.run_sync(_write_line, stdout, text.encode("utf-8"))

    async with anyio.create_task_group() as tasks:
        tasks.start_soon(read_lines)
        tasks.start_soon(write_lines)
        yield incoming, outgoing


def checked_message(line: bytes) -> mcp_types.JSONRPCMessage | mcp_types.JSONRPCError | None:
    """The message in one line, or the error that answers it (None for a blank line)."""
    if len(line) > MAX_MESSAGE_BYTES:
        return _error(None, INVALID_REQUEST, f"a message over {MAX_MESSAGE_BYTES} bytes")
    if not line.strip():
        return None
    try:
        data = parse_json(line)
    except InvalidMessage as exc:
        return _error(None, exc.code, str(exc))
    if not isinstance(data, dict):
        return _error(None, INVALID_REQUEST, "a message must be a JSON object (batches are not supported)")
    raw_id = data.get("id")
    request_id = raw_id if isinstance(raw_id, int | str) and not isinstance(raw_id, bool) else None
    if isinstance(request_id, str) and not _is_valid_unicode(request_id):
        request_id = None
    for name, value in data.items():
        if not _is_valid_unicode(name) or not _is_valid_unicode(value):
            code = INVALID_PARAMS if name == "params" else INVALID_REQUEST
            return _error(request_id, code, f"{name!r} holds a string that is not valid Unicode (a lone surrogate)")
    try:
        message: mcp_types.JSONRPCMessage = mcp_types.jsonrpc_message_adapter.validate_python(data, by_name=False)
    except ValidationError:
        return _error(request_id, INVALID_REQUEST, "not a JSON-RPC 2.0 request, notification or response")
    return message


def _is_valid_unicode(value: Any) -> bool:
    """Whether every string in ``value`` (keys included, at any depth) encodes as UTF-8."""
    pending = [value]
    while pending:  # not recursive: a message may nest as deep as the parser allowed
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True


def _error(request_id: RequestId | None, code: int, message: str) -> mcp_types.JSONRPCError:
    return mcp_types.JSONRPCError(
        jsonrpc="2.0", id=request_id, error=mcp_types.ErrorData(code=code, message=message)
    )


def _read_line(stdin: BinaryIO) -> bytes:
    """The next line, or b"" at the end; a line over the limit is read to its end and returned cut,
    still over the limit, so that it is refused rather than held."""
    line = stdin.readline(MAX_MESSAGE_BYTES + 1)
    if len(line) > MAX_MESSAGE_BYTES and not line.endswith(b"\n"):
        while (rest := stdin.readline(MAX_MESSAGE_BYTES)) and not rest.endswith(b"\n"):
            pass
    return line


def _write_line(stdout: BinaryIO, data: bytes) -> None:
    stdout.write(data + b"\n")
    stdout.flush()


@contextmanager
def _claimed_stdio() -> Iterator[tuple[BinaryIO, BinaryIO]]:
    """This process's stdin and stdout for the transport alone: meanwhile fd 0 reads /dev/null and
    fd 1 writes to stderr (as in the SDK's own transport)."""
    saved = (os.dup(0), os.dup(1))
    with os.fdopen(os.dup(0), "rb") as stdin, os.fdopen(os.dup(1), "wb") as stdout:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
        os.dup2(2, 1)
        try:
            yield stdin, stdout
        finally:
            for fd, original in zip((0, 1), saved, strict=True):
                os.dup2(original, fd)
                os.close(original)
