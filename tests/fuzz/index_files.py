"""Fuzz target ``index folders``: a real index whose files a checkout crafted, asked, checked and rebuilt.

A checkout may commit its own ``.codesearch/``. Each input is a fresh copy of a small indexed repository
(the hashing stand-in's vectors) with one thing crafted: a field of the vectors file's header or any of its
words (the sidecar's size and CRC recomputed, so that the file reaches the checks of hnsw_file.py), its
length; the sidecar's JSON; bytes or the length of the SQLite database; a value of its ``meta`` table; the
paths, lines and names of its rows; a junk write-ahead log; a FIFO, a directory, an empty file or a link
(to /dev/zero, to a file of someone else's, to a file that is not there) in place of any file of the
index, the lock and ``.gitignore`` included; the ``.codesearch`` folder itself a link (to World.outside's
index), a file or a FIFO. Then ``ask --json``, ``status --check``, and for some inputs ``ask`` for a
terminal and ``index``, run through the CLI's click group in a child process (index_worker.py: a native
library's crash ends the child, and names the input). Each must answer (exit code 0) or fail in one line
``Error: ...`` (exit code 1; ``status --check`` reports damage with exit code 1), never a traceback; no
answer holds World.outside's MARKER; the file a link pointed at is unchanged, and the file a link named
but was not there is still not there.
"""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import sqlite3
import struct
import zlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codesearch.index.hnsw_file import HEADER
from tests.fuzz.harness import ANSWERED, MARKER, REFUSED, Failure, Target, World, clipped, register
from tests.fuzz.index_worker import Worker
from tests.fuzz.live import files_of
from tests.fuzz.repositories import index_with_hashing, write_repo

INDEX_FILES = ("index.sqlite3", "index.sqlite3-wal", "index.sqlite3-shm", "vectors.json", "vectors.2.hnsw", "lock",
               ".gitignore")
META_KEYS = ("schema_version", "model_id", "model_hash", "dim", "hnsw_m", "hnsw_ef_construction", "created_at_s",
             "updated_at_s", "lexical_version", "vectors_generation", "records_version")
HOSTILE_SQL = (0, -1, 1, 2, 3, 32, 2**31, 2**63 - 1, -(2**63), 1e308, -1.5, math.inf, "", "x", "\x1b[2J", "\x00",
               "../outside/secret.py", "/etc/passwd", "a\nb", "é" * 2000, b"\xff\xfe", None)
WORD_VALUES = (0, 1, 2, 5, 6, 7, 8, 31, 32, 33, 0xFFFF, 0x10000, 0xFFFFFFFF)
FIELD_VALUES = (0, 1, 2, 3, 4, 7, 8, 16, 32, 200, 2**31 - 1, 2**32 - 1, 2**40, 2**63, -1)
MULT_VALUES = (0.0, -1.0, 1e300, math.inf, math.nan, 1 / math.log(16), 1 / math.log(2))
SIDECARS = ("{", "[]", "null", "7", '"x"', "{}", "\udcff", '{"format": 1}', "[" * 100_000, '{"a":' * 50_000)


@dataclass(frozen=True)
class Crafting:
    kind: str
    choices: tuple[Any, ...]  # what the kind needs: fields, values, fractions of a length
    commands: tuple[str, ...]  # "ask --json", "status --check", "ask", "index"


def crafting(world: World, rng: random.Random) -> Crafting:
    kind = rng.choice(("vectors header",) * 3 + ("vectors words",) * 2 + (
        "vectors length", "sidecar", "sidecar", "database bytes", "database bytes", "database length", "meta", "meta",
        "rows", "rows", "wal", "odd file", "odd file", "odd file", "folder"))
    choices: tuple[Any, ...]
    if kind == "vectors header":
        field = rng.randrange(len(HEADER.format) - 1)
        value = rng.choice(MULT_VALUES) if field == 11 else rng.choice(FIELD_VALUES) if rng.random() < 0.8 else (
            rng.getrandbits(31 if field == 6 else 64))
        choices = (field, value, rng.random() < 0.9)
    elif kind == "vectors words":
        choices = (tuple((rng.random(), rng.choice(WORD_VALUES) if rng.random() < 0.8 else rng.getrandbits(32))
                         for _ in range(rng.choice((1, 1, 2, 4)))), rng.random() < 0.8)
    elif kind in ("vectors length", "database length"):
        choices = (rng.choice((0.0, rng.random(), 0.5, 1.0)), rng.choice((0, 0, 1, 4, 4096, 100_000)),
                   rng.random() < 0.5)
    elif kind == "sidecar":
        choices = (rng.choice(SIDECARS) if rng.random() < 0.4 else json.dumps(
            {key: rng.choice((0, 1, 2, 3, -1, 2**64, 1.5, "2", None, [], {})) if rng.random() < 0.5 else "same"
             for key in ("format", "generation", "size_bytes", "crc32")}),)
    elif kind == "database bytes":
        choices = (tuple((rng.random() * (0.1 if rng.random() < 0.5 else 1.0), rng.randrange(256))
                         for _ in range(rng.choice((1, 2, 8, 32)))),)
    elif kind == "meta":
        choices = (rng.choice(META_KEYS), rng.choice(HOSTILE_SQL), rng.random() < 0.2)
    elif kind == "rows":
        table, column = rng.choice((("chunks", "path"), ("files", "path"), ("chunks", "start_line"),
                                    ("chunks", "end_line"), ("chunks", "name"), ("chunks", "code"),
                                    ("chunks", "language"), ("chunks", "kind"), ("chunks", "qualified_name"),
                                    ("files", "language"), ("chunks", "embed_hash")))
        choices = (table, column, rng.choice(HOSTILE_SQL))
    elif kind == "wal":
        choices = (rng.randrange(2**32), rng.choice((32, 100, 4096, 20_000)))
    elif kind == "odd file":
        choices = (rng.choice(INDEX_FILES), rng.choice(("fifo", "directory", "empty", "/dev/zero", "victim", "absent",
                                                        "outside")))
    else:
        choices = (rng.choice(("outside", "/dev", "victim folder", "absent", "file", "fifo")),)
    commands = ("ask --json", "status --check") + (("ask",) if rng.random() < 0.3 else ()) + (
        ("index",) if rng.random() < 0.3 else ())
    return Crafting(kind, choices, commands)


@dataclass
class Folders:
    template: Path  # the indexed repository every input copies
    copy: Path
    victim: Path  # someone else's file: links point at it
    absent: Path  # a file that is not there: links name it
    worker: Worker
    outside: Path
    outside_files: dict[str, tuple[int, int]]


@contextmanager
def live(world: World) -> Iterator[Folders]:
    base = world.scratch / "index-folders"
    template = write_repo(base / "template")
    index_with_hashing(template)
    victim, absent = base / "victim.txt", base / "absent.txt"
    victim.write_text("someone else's file\n")
    try:
        with Worker(world) as worker:
            yield Folders(template, base / "copy", victim, absent, worker, world.outside, files_of(world.outside))
    finally:
        shutil.rmtree(base, ignore_errors=True)


def check_crafting(folders: Folders, given: Crafting) -> str:
    shutil.rmtree(folders.copy, ignore_errors=True)
    shutil.copytree(folders.template, folders.copy, symlinks=True)
    _craft(folders, given)
    outcome = ANSWERED
    for command in given.commands:
        argv = {"ask --json": ["ask", "--repo", str(folders.copy), "--json", "total price of the cart"],
                "ask": ["ask", "--repo", str(folders.copy), "read the private key"],
                "status --check": ["status", str(folders.copy), "--check"],
                "index": ["index", str(folders.copy)]}[command]
        answer = folders.worker.ask({"argv": argv})
        if _judge(command, answer) == REFUSED and command.startswith("ask"):
            outcome = REFUSED
    if folders.victim.read_text() != "someone else's file\n" or os.path.lexists(folders.absent):
        raise Failure("a file outside the index was written through a link")
    if files_of(folders.outside) != folders.outside_files:
        raise Failure("the repository outside was written to")
    return outcome


def _judge(command: str, answer: dict[str, Any]) -> str:
    if answer["traceback"] is not None:
        raise Failure(f"{command}: {clipped(answer['traceback'])}")
    output = answer["stdout"] + answer["stderr"]
    if MARKER in output:
        raise Failure(f"{command} answered from outside the repository: {clipped(output)}")
    if "Traceback" in output or answer["exit_code"] not in (0, 1):
        raise Failure(f"{command}: exit code {answer['exit_code']}: {clipped(output)}")
    if answer["exit_code"] == 0:
        if command == "ask --json":
            json.loads(answer["stdout"])
        return ANSWERED
    errors = [line for line in answer["stderr"].splitlines() if line.startswith("Error: ")]
    if command == "status --check" and not errors:
        return REFUSED  # damage reported on stdout
    if len(errors) != 1 or not answer["stderr"].rstrip("\n").endswith(errors[0]):
        raise Failure(f"{command}: not one line of error: {clipped(answer['stderr'])}")
    return REFUSED


def _craft(folders: Folders, given: Crafting) -> None:
    index = folders.copy / ".codesearch"
    choices = given.choices
    if given.kind.startswith("vectors"):
        vectors = index / "vectors.2.hnsw"
        data = bytearray(vectors.read_bytes())
        if given.kind == "vectors header":
            field, value, is_vouched = choices
            values = list(HEADER.unpack_from(data, 0))
            values[field] = value
            with suppress(struct.error):  # a value its field cannot hold: the header stays as it was
                HEADER.pack_into(data, 0, *values)
        elif given.kind == "vectors words":
            words, is_vouched = choices
            for fraction, value in words:
                struct.pack_into("<I", data, int(fraction * (len(data) - 4)) & ~3, value)
        else:
            fraction, extra, is_vouched = choices
            data = data[: int(fraction * len(data))] + bytes(extra)
        vectors.write_bytes(bytes(data))
        if is_vouched:  # the sidecar's fingerprint recomputed, as a checkout that crafts the file would
            (index / "vectors.json").write_text(json.dumps(
                {"format": 1, "generation": 2, "size_bytes": len(data), "crc32": zlib.crc32(data)}))
    elif given.kind == "sidecar":
        (text,) = choices
        if '"same"' in text:
            found = json.loads((index / "vectors.json").read_text())
            crafted = json.loads(text)
            text = json.dumps({key: found[key] if value == "same" else value for key, value in crafted.items()})
        (index / "vectors.json").write_text(text, errors="surrogateescape")
    elif given.kind in ("database bytes", "database length"):
        _craft_database(index / "index.sqlite3", given)
    elif given.kind in ("meta", "rows"):
        _craft_rows(index / "index.sqlite3", given)
    elif given.kind == "wal":
        seed, size = choices
        (index / "index.sqlite3-wal").write_bytes(random.Random(seed).randbytes(size))
    elif given.kind == "odd file":
        _replace(index / choices[0], choices[1], folders)
    else:
        _replace(index, choices[0], folders)


def _craft_database(database: Path, given: Crafting) -> None:
    data = bytearray(database.read_bytes())
    if given.kind == "database bytes":
        for fraction, value in given.choices[0]:
            data[int(fraction * (len(data) - 1))] = value
    else:
        fraction, extra, on_a_page = given.choices
        cut = int(fraction * len(data))
        data = data[: cut - cut % 4096 if on_a_page else cut] + bytes(extra)
    database.write_bytes(bytes(data))


def _craft_rows(database: Path, given: Crafting) -> None:
    connection = sqlite3.connect(database)
    try:
        with suppress(sqlite3.IntegrityError):  # NOT NULL or UNIQUE: the row stays as it was
            if given.kind == "rows":
                table, column, value = given.choices
                connection.execute(f"UPDATE {table} SET {column} = ?", (_sql(value),))
            else:
                key, value, is_deleted = given.choices
                if is_deleted:
                    connection.execute("DELETE FROM meta WHERE key = ?", (key,))
                else:
                    connection.execute("UPDATE meta SET value = ? WHERE key = ?", (_sql(value), key))
        connection.commit()
    finally:
        connection.close()


def _sql(value: Any) -> Any:
    """``value`` as SQLite takes it: a string holding NUL as it is, an infinity as a string."""
    return str(value) if isinstance(value, float) and not math.isfinite(value) else value


def _replace(path: Path, what: str, folders: Folders) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        with suppress(FileNotFoundError):
            path.unlink()
    if what == "fifo":
        os.mkfifo(path)
    elif what == "directory":
        path.mkdir()
    elif what in ("empty", "file"):
        path.write_bytes(b"")
    else:
        target = {"/dev/zero": Path("/dev/zero"), "/dev": Path("/dev"), "victim": folders.victim,
                  "victim folder": folders.victim.parent, "absent": folders.absent,
                  "outside": folders.outside / ".codesearch" / (path.name if path.name != ".codesearch" else "")}[what]
        path.symlink_to(target)


register(Target("index folders", crafting, check_crafting, inputs=1000, timeout_s=60.0, live=live))
