"""Connecting to Ray: a local instance, or a running cluster by address, with one-line errors.

``ray.init`` against an address nobody answers retries for minutes, so an explicit address is
first probed with a plain TCP connection (``connect_timeout_s``); ``auto`` is left to Ray, which
fails at once when it finds no running cluster on this machine.
"""

from __future__ import annotations

import logging
import socket
from dataclasses import dataclass
from types import ModuleType, TracebackType
from typing import Any

from codesearch.errors import ClusterError

logger = logging.getLogger(__name__)

LOCAL = ""  # the address meaning: start a Ray instance on this machine for this run
CLIENT_SCHEME = "ray://"
INSTALL_HINT = 'pip install "codesearch[ray]"'


def import_ray() -> ModuleType:
    """The ``ray`` module, or ClusterError naming the extra that installs it."""
    try:
        import ray
    except ImportError as exc:
        raise ClusterError(f"--ray needs the ray extra, which is not installed: {INSTALL_HINT}") from exc
    return ray


@dataclass(frozen=True, slots=True)
class ClusterShape:
    """What the cluster offers right now (Ray's logical resources, summed over nodes)."""

    cpus: int
    gpus: int
    nodes: int


class RayConnection:
    """A connection to Ray for one run; a context manager.

    It disconnects (and stops the local instance it started) on close, and leaves alone a Ray
    session the caller had already started in this process (tests, notebooks).
    """

    def __init__(self, ray: ModuleType, owns_session: bool) -> None:
        self.ray = ray
        self._owns_session = owns_session

    @classmethod
    def connect(cls, address: str = LOCAL, *, connect_timeout_s: float = 10.0) -> RayConnection:
        """Connect to ``address`` ("" local, "auto", "host:port" or "ray://host:port").

        Raises ClusterError: no ``ray`` module, or no cluster answers at ``address``.
        """
        ray = import_ray()
        if address not in (LOCAL, "auto"):
            _probe(address, connect_timeout_s)
        if ray.is_initialized():
            return cls(ray, owns_session=False)
        options: dict[str, Any] = {"logging_level": logging.WARNING, "log_to_driver": False}
        if address == LOCAL:
            options["include_dashboard"] = False
        try:
            ray.init(address=address or None, **options)
        except (ConnectionError, RuntimeError, TimeoutError, ValueError) as exc:
            raise ClusterError(f"cannot connect to the Ray cluster at {address}: {_first_line(exc)}") from exc
        return cls(ray, owns_session=True)

    def shape(self) -> ClusterShape:
        resources = self.ray.cluster_resources()
        nodes = sum(1 for node in self.ray.nodes() if node.get("Alive"))
        return ClusterShape(int(resources.get("CPU", 0)), int(resources.get("GPU", 0)), nodes)

    def close(self) -> None:
        if self._owns_session:
            self.ray.shutdown()

    def __enter__(self) -> RayConnection:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _probe(address: str, timeout_s: float) -> None:
    """Fail fast when nothing listens at ``address`` (Ray itself would retry for minutes)."""
    host, _, port = address.removeprefix(CLIENT_SCHEME).rpartition(":")
    if not host or not port.isdigit():
        raise ClusterError(f"bad Ray address {address!r}: use auto, HOST:PORT or ray://HOST:PORT")
    try:
        socket.create_connection((host, int(port)), timeout=timeout_s).close()
    except OSError as exc:
        raise ClusterError(f"cannot reach the Ray cluster at {address}: {exc.strerror or exc}") from exc


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
