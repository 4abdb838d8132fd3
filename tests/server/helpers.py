"""Helpers for server tests: the sample repository's files, a started server, a raw socket client."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from codesearch.config import Settings
from codesearch.server.connection import ConnectionLimits
from codesearch.server.protocol import Response, decode_message, encode_frame, read_frame, request_message
from codesearch.server.serve import Server
from tests.fakes import HashingEncoder

TIMEOUT_S = 20.0
LIMITS = ConnectionLimits(max_message_bytes=64 * 1024, frame_timeout_s=0.5, send_timeout_s=2.0)

CART = '''\
class Cart:
    def total_price(self, items):
        """Add up the price of every item."""
        return sum(item.price for item in items)

    def remove_item(self, item):
        self.items.remove(item)


def apply_discount(price, percent):
    """Reduce a price by a percentage."""
    return price * (1 - percent / 100)
'''
PASSWORDS = '''\
def hash_password(password, salt):
    """Hash a password with a salt."""
    return sha256(salt + password)


def verify_password(password, salt, digest):
    return hash_password(password, salt) == digest
'''


def start_server(socket_path: Path, limits: ConnectionLimits = LIMITS, **kwargs: Any) -> Server:
    server = Server(
        HashingEncoder(), lambda root: Settings(debounce_s=0.05), socket_path, limits=limits, **kwargs
    )
    server.start()
    return server


class RawClient:
    """A socket that speaks frames by hand, for well-behaved and hostile requests alike."""

    def __init__(self, address: Path | tuple[str, int]) -> None:
        family = socket.AF_UNIX if isinstance(address, Path) else socket.AF_INET
        self.sock = socket.socket(family, socket.SOCK_STREAM)
        self.sock.settimeout(TIMEOUT_S)
        self.sock.connect(str(address) if isinstance(address, Path) else address)
        self.reader = self.sock.makefile("rb")
        self.next_id = 1
        self.skipped: list[Any] = []  # messages that arrived while waiting for an answer

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send(self, method: str, params: Any = None) -> int:
        request_id = self.next_id
        self.next_id += 1
        self.send_raw(encode_frame(request_message(request_id, method, params)))
        return request_id

    def receive(self) -> Any:
        """The next message (notifications ``answer`` skipped come first); None once the server closed."""
        if self.skipped:
            return self.skipped.pop(0)
        body = read_frame(self.reader)
        return None if body is None else decode_message(body)

    def answer(self, request_id: int) -> Response:
        """The answer to ``request_id``; messages before it are kept for ``receive``."""
        while True:
            body = read_frame(self.reader)
            assert body is not None, "the server closed the connection"
            message = decode_message(body)
            if isinstance(message, Response) and message.id == request_id:
                return message
            self.skipped.append(message)

    def call(self, method: str, params: Any = None) -> Any:
        answer = self.answer(self.send(method, params))
        assert answer.error is None, answer.error
        return answer.result

    def is_closed_by_server(self) -> bool:
        try:
            return self.reader.read(1) == b""
        except ConnectionResetError:
            return True

    def close(self) -> None:
        self.reader.close()
        self.sock.close()
