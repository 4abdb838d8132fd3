"""JSON-RPC 2.0 messages with LSP-style framing, over any binary file-like objects.

A frame is ``Content-Length: <bytes>\\r\\n`` (other headers allowed and ignored, e.g.
``Content-Type``), an empty line, then exactly that many bytes of UTF-8 JSON: the length counts
bytes, not characters. The same code serves the server, the client and the tests (BytesIO).

Two kinds of failure, because they call for different answers:
- a broken *frame* (bad or missing header, a body over the size limit, end of stream inside a
  frame) leaves the stream out of step, so ``read_frame`` raises ``ProtocolError`` and the
  connection must be answered once and closed;
- a broken *message* in a good frame (invalid JSON, not a request) leaves the stream in step, so
  ``decode_message`` raises ``InvalidMessage`` carrying the request id when there is one, and the
  connection answers with an error and carries on.
"""

from __future__ import annotations

import json
import threading
from typing import Any, NamedTuple, Protocol

from codesearch.errors import ProtocolError

JSONRPC_VERSION = "2.0"
MAX_MESSAGE_BYTES = 16 * 1024 * 1024
MAX_HEADER_LINE_BYTES = 1024
MAX_HEADER_LINES = 16

# JSON-RPC 2.0 codes.
PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
# Server-defined codes (the JSON-RPC range -32099..-32000); -32002 keeps LSP's meaning.
USER_ERROR = -32000  # a CodesearchError: the message is written for people
SERVER_NOT_INITIALIZED = -32002  # a TCP client that has not sent initialize with the token
REPO_UNAVAILABLE = -32010  # this server cannot serve that repository; clients search in-process
MESSAGE_TOO_LARGE = -32011  # the frame is over the size limit; the connection is then closed
SERVER_BUSY = -32012  # too many connections; the connection is then closed
REQUEST_CANCELLED = -32800  # LSP: the server is shutting down before it could answer

RequestId = int | str


class InvalidMessage(ProtocolError):
    """A well-framed message that is not valid JSON-RPC; ``request_id`` is set when one was found."""

    def __init__(self, message: str, code: int, request_id: RequestId | None = None) -> None:
        super().__init__(message, code)
        self.request_id = request_id


# The message types are NamedTuples rather than dataclasses: the client imports this module on
# the warm path of `codesearch ask`, and a NamedTuple costs a tenth of a slotted dataclass to define.
class Request(NamedTuple):
    """A call that wants an answer."""

    id: RequestId
    method: str
    params: Any  # dict, list or None, as sent


class Notification(NamedTuple):
    """A call without an id: nobody answers it."""

    method: str
    params: Any


class RpcErrorBody(NamedTuple):
    """The ``error`` member of a response."""

    code: int
    message: str
    data: Any = None


class Response(NamedTuple):
    """The answer to a request: ``error`` is None on success."""

    id: RequestId | None
    result: Any = None
    error: RpcErrorBody | None = None


Message = Request | Notification | Response


class _Writable(Protocol):
    def write(self, data: bytes, /) -> int: ...

    def flush(self) -> None: ...


class _LineReader(Protocol):
    def readline(self, size: int = -1, /) -> bytes: ...

    def read(self, size: int = -1, /) -> bytes: ...


def read_frame(rfile: _LineReader, max_bytes: int = MAX_MESSAGE_BYTES) -> bytes | None:
    """The body of the next frame, or None at a clean end of stream (between frames).

    Raises:
        ProtocolError: a malformed header, a body longer than ``max_bytes`` (code
            MESSAGE_TOO_LARGE; the body is not read), or the stream ending inside a frame.
    """
    length: int | None = None
    for count in range(MAX_HEADER_LINES + 1):
        line = rfile.readline(MAX_HEADER_LINE_BYTES)
        if not line:
            if count == 0:
                return None
            raise ProtocolError("the stream ended inside a message header", INVALID_REQUEST)
        if not line.endswith(b"\n"):
            raise ProtocolError("a header line is too long or unterminated", INVALID_REQUEST)
        if line in (b"\r\n", b"\n"):
            break
        length = _header_length(line, length)
    else:
        raise ProtocolError(f"more than {MAX_HEADER_LINES} header lines", INVALID_REQUEST)
    if length is None:
        raise ProtocolError("a message header without Content-Length", INVALID_REQUEST)
    if length > max_bytes:
        raise ProtocolError(
            f"message of {length} bytes is over the limit of {max_bytes} bytes", MESSAGE_TOO_LARGE
        )
    body = rfile.read(length)
    if len(body) != length:
        raise ProtocolError(f"the stream ended after {len(body)} of {length} body bytes", INVALID_REQUEST)
    return body


def _header_length(line: bytes, previous: int | None) -> int | None:
    name, separator, value = line.partition(b":")
    if not separator:
        raise ProtocolError("a header line without ':'", INVALID_REQUEST)
    if name.strip().lower() != b"content-length":
        return previous
    text = value.strip()
    if previous is not None or not text.isdigit() or len(text) > 12:
        raise ProtocolError("a missing, repeated or non-numeric Content-Length", INVALID_REQUEST)
    return int(text)


def encode_frame(message: dict[str, Any]) -> bytes:
    """One message as a frame: header and compact UTF-8 JSON body.

    A message may hold a lone surrogate that a client sent: an id or a path that ``json.loads`` read
    from a ``\\udcff`` escape and an answer echoes. UTF-8 cannot carry it, so such a message is written
    with every non-ASCII character escaped, which parses back to the same strings (the answer was
    lost, and the server dropped the connection, when the write failed).
    """
    text = json.dumps(message, ensure_ascii=False, separators=(",", ":"))
    try:
        body = text.encode("utf-8")
    except UnicodeEncodeError:
        body = json.dumps(message, separators=(",", ":")).encode("ascii")
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def parse_json(body: bytes) -> Any:
    """The JSON value in ``body``, one untrusted message (socket, LSP and MCP alike).

    Deep nesting (``[[[[...``) needs no check of its own: the json module's parser counts against
    the interpreter's recursion limit and raises RecursionError after about a thousand levels,
    cheaply, and nothing after it walks a message recursively.

    Raises:
        InvalidMessage: PARSE_ERROR for bytes that are not UTF-8 or not JSON, or nested too deeply.
    """
    try:
        return json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InvalidMessage(f"the message is not UTF-8: {exc.reason} at byte {exc.start}", PARSE_ERROR) from None
    except RecursionError:
        raise InvalidMessage("invalid JSON: nested too deeply", PARSE_ERROR) from None
    except ValueError as exc:
        raise InvalidMessage(f"invalid JSON: {exc}", PARSE_ERROR) from None


def decode_message(body: bytes) -> Message:
    """Parse a frame body into a Request, Notification or Response.

    Raises:
        InvalidMessage: PARSE_ERROR for bytes that are not UTF-8 JSON, INVALID_REQUEST for JSON
            that is not a JSON-RPC 2.0 message object (batches included: they are not supported).
    """
    data = parse_json(body)
    if not isinstance(data, dict):
        raise InvalidMessage("a message must be a JSON object (batches are not supported)", INVALID_REQUEST)
    raw_id = data.get("id")
    request_id = raw_id if isinstance(raw_id, int | str) and not isinstance(raw_id, bool) else None
    if data.get("jsonrpc") != JSONRPC_VERSION:
        raise InvalidMessage('"jsonrpc" must be "2.0"', INVALID_REQUEST, request_id)
    if "id" in data and raw_id is not None and request_id is None:
        raise InvalidMessage('"id" must be a string or an integer', INVALID_REQUEST)
    params = data.get("params")
    if params is not None and not isinstance(params, dict | list):
        raise InvalidMessage('"params" must be an object or an array', INVALID_REQUEST, request_id)
    if "method" in data:
        method = data["method"]
        if not isinstance(method, str) or not method:
            raise InvalidMessage('"method" must be a non-empty string', INVALID_REQUEST, request_id)
        if request_id is None:
            return Notification(method, params)
        return Request(request_id, method, params)
    if "result" in data or "error" in data:
        return Response(request_id, data.get("result"), _error_body(data.get("error")))
    raise InvalidMessage("a message needs a method, a result or an error", INVALID_REQUEST, request_id)


def _error_body(error: Any) -> RpcErrorBody | None:
    if error is None:
        return None
    if not isinstance(error, dict) or not isinstance(error.get("code"), int):
        return RpcErrorBody(INTERNAL_ERROR, f"malformed error object: {error!r}")
    return RpcErrorBody(error["code"], str(error.get("message", "")), error.get("data"))


def request_message(request_id: RequestId, method: str, params: Any = None) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": JSONRPC_VERSION, "id": request_id, "method": method}
    if params is not None:
        message["params"] = params
    return message


def notification_message(method: str, params: Any = None) -> dict[str, Any]:
    message: dict[str, Any] = {"jsonrpc": JSONRPC_VERSION, "method": method}
    if params is not None:
        message["params"] = params
    return message


def result_message(request_id: RequestId, result: Any) -> dict[str, Any]:
    return {"jsonrpc": JSONRPC_VERSION, "id": request_id, "result": result}


def error_message(request_id: RequestId | None, code: int, message: str, data: Any = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"jsonrpc": JSONRPC_VERSION, "id": request_id, "error": error}


class MessageWriter:
    """Writes whole frames to a binary file, one writer at a time (responses come from many threads)."""

    def __init__(self, wfile: _Writable) -> None:
        self._wfile = wfile
        self._lock = threading.Lock()  # guards _wfile: frames must never interleave

    def write(self, message: dict[str, Any]) -> None:
        """Send one message. Raises OSError (and ValueError once closed) from the file."""
        frame = encode_frame(message)
        with self._lock:
            self._wfile.write(frame)
            self._wfile.flush()
