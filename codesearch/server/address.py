"""Where the server listens and how clients find it: files in the per-user runtime folder.

    <runtime>/server.sock     the Unix socket (0600), <runtime> = config.user_runtime_dir() (0700;
                              an existing folder must be this user's and writable by no one else)
    <runtime>/server.sock.lock flock'ed by the running server: two servers never share a socket
    <runtime>/server.json     the running server's pid, socket, TCP port (if any), model (0600)
    <runtime>/token           the TCP token, created on first use (0600; a token file must be this
                              user's or root's, not a link, and closed to others)

Nothing here imports more than the standard library, so ``codesearch ask`` stays fast. The
server's lock and listening socket are made here too, next to the paths they use.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import stat
from pathlib import Path
from typing import Any

from codesearch.config import user_runtime_dir
from codesearch.errors import CodesearchError, ConfigError

SOCKET_FILE_NAME = "server.sock"
INFO_FILE_NAME = "server.json"
TOKEN_FILE_NAME = "token"
MAX_UNIX_SOCKET_PATH = 104  # sun_path is 108 bytes on Linux, 104 on macOS
MAX_TOKEN_FILE_BYTES = 4096  # a token is one short line


def default_socket_path() -> Path:
    return user_runtime_dir() / SOCKET_FILE_NAME


def default_token_path() -> Path:
    return user_runtime_dir() / TOKEN_FILE_NAME


def info_path_for(socket_path: Path) -> Path:
    return (
        socket_path.with_name(INFO_FILE_NAME)
        if socket_path.name == SOCKET_FILE_NAME
        else socket_path.with_name(socket_path.name + ".json")
    )


def prepare_private_dir(folder: Path) -> None:
    """Create the socket's ``folder`` (mode 0700), or check that an existing one may hold it.

    An existing folder is never chmod-ed: it may be shared (``/tmp``), and its mode is its
    owner's. It must be this user's and writable by no one else, sticky bit or not: whoever can
    create files in it could take the socket's lock first, or plant the server's info file.

    Raises:
        ConfigError: it cannot be created, is not a folder, is another user's, or others may write in it.
    """
    try:
        folder.mkdir(mode=0o700, parents=True)
        return
    except FileExistsError:
        pass
    except OSError as exc:
        raise ConfigError(f"cannot create the server folder {folder}: {exc.strerror}") from exc
    try:
        info = folder.stat()
    except OSError as exc:
        raise ConfigError(f"cannot use the server folder {folder}: {exc.strerror}") from exc
    advice = "give --socket a path in a folder only you can write"
    if not stat.S_ISDIR(info.st_mode):
        raise ConfigError(f"{folder} is not a folder; {advice}")
    if info.st_uid != os.getuid():
        raise ConfigError(f"the socket folder {folder} belongs to another user; {advice}")
    if info.st_mode & 0o022:
        raise ConfigError(f"the socket folder {folder} is writable by other users; {advice}")


def tcp_token(path: Path | None) -> str:
    """The token TCP clients must send: from ``path``, else from the default token file (made if missing)."""
    if path is None:
        path = default_token_path()
        prepare_private_dir(path.parent)
    return read_or_create_token(path)


def read_or_create_token(path: Path) -> str:
    """The token in ``path`` (see ``read_token``); a new random one (file mode 0600) when the file does not exist.

    Raises:
        ConfigError: the file is not fit to hold the token (``read_token``), or cannot be created.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:  # a link counts as existing (O_EXCL does not follow it): read_token refuses it
        return read_token(path)
    except OSError as exc:
        raise ConfigError(f"cannot create the token file {path}: {exc.strerror}") from exc
    import secrets  # here, not at the top: it costs `codesearch ask` ~10 ms of imports

    token = secrets.token_urlsafe(32)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(token + "\n")
    return token


def read_token(path: Path) -> str:
    """The token in ``path``: a regular file, not a link, of this user (or root), that no one else may read or write.

    A file another user made is refused even at mode 0600: they know what they wrote, and the token
    lets them search, and read with ``includeCode``, whatever this user may read.
    """
    try:  # O_NONBLOCK: a FIFO in its place must not hang the server
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        reason = "it is a link" if exc.errno == errno.ELOOP else exc.strerror
        raise ConfigError(f"cannot use the token file {path}: {reason}") from exc
    try:
        info = os.fstat(fd)  # of the file opened, not of whatever the path names a moment later
        if not stat.S_ISREG(info.st_mode):
            raise ConfigError(f"the token file {path} is not a regular file")
        if info.st_uid not in (os.getuid(), 0):
            raise ConfigError(f"the token file {path} belongs to another user; use a token file of your own")
        if stat.S_IMODE(info.st_mode) & 0o077:
            raise ConfigError(f"the token file {path} is open to other users; run `chmod 600 {path}`")
        data = os.read(fd, MAX_TOKEN_FILE_BYTES + 1)
    finally:
        os.close(fd)
    try:
        text = data.decode("ascii").strip()
    except UnicodeDecodeError:
        raise ConfigError(f"the token file {path} is not ASCII text") from None
    if len(data) > MAX_TOKEN_FILE_BYTES:
        raise ConfigError(f"the token file {path} is over {MAX_TOKEN_FILE_BYTES} bytes")
    if not text:
        raise ConfigError(f"the token file {path} is empty")
    return text


def write_info(path: Path, info: dict[str, Any]) -> None:
    """Publish the running server's details (atomically, mode 0600)."""
    temporary = path.with_name(path.name + f".{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(info, handle, indent=1)
    os.replace(temporary, path)


def read_info(path: Path) -> dict[str, Any] | None:
    """The running server's details, or None when no server published any."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def remove_quietly(path: Path) -> None:
    try:
        path.unlink()
    except OSError as exc:
        if exc.errno != errno.ENOENT:
            raise


def take_server_lock(socket_path: Path) -> int:
    """flock ``<socket>.lock`` for this process's lifetime; the descriptor (close it to release).

    Raises:
        CodesearchError: another live server holds it (its pid is named).
    """
    lock_path = socket_path.with_name(socket_path.name + ".lock")
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
        os.close(fd)
        raise CodesearchError(
            f"a codesearch server (pid {holder or '?'}) already listens on {socket_path}; "
            "stop it with `codesearch serve --stop`"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def bind_unix_socket(socket_path: Path) -> socket.socket:
    """A listening Unix socket at ``socket_path`` (mode 0600); call with the server lock held."""
    remove_quietly(socket_path)  # a dead server's socket: whoever holds the lock may remove it
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    # Made 0600 by bind itself: a chmod after would leave a moment when anyone could connect.
    umask = os.umask(0o177)
    try:
        listener.bind(str(socket_path))
        listener.listen(64)
    except BaseException:
        listener.close()
        raise
    finally:
        os.umask(umask)
    return listener
