"""The machine-wide embedding cache: checksummed rows, damage dropped, LRU-bounded, shared by processes."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from codesearch.index.machine_cache import FILE_NAME, MachineCache

MODEL = "m" * 64
DIM = 8


def vector(seed: int) -> np.ndarray:
    found = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
    return found / np.linalg.norm(found)


def test_vectors_come_back_exactly_with_their_backend(tmp_path: Path) -> None:
    with MachineCache(tmp_path, max_bytes=1 << 20) as cache:
        cache.put(MODEL, "torch-float32", {"a": vector(1), "b": vector(2)})
        found = cache.get(MODEL, ["a", "b", "c"])
        assert sorted(found) == ["a", "b"]
        assert np.array_equal(found["a"].vector, vector(1)) and found["a"].backend == "torch-float32"
        assert cache.get("other-model", ["a"]) == {}
    with MachineCache(tmp_path, max_bytes=1 << 20) as again:  # another process, later
        assert np.array_equal(again.get(MODEL, ["b"])["b"].vector, vector(2))
    assert (tmp_path / FILE_NAME).stat().st_mode & 0o777 == 0o600  # vectors of the user's code: theirs alone


def test_a_row_damaged_on_disk_is_dropped_never_returned(tmp_path: Path) -> None:
    with MachineCache(tmp_path, max_bytes=1 << 20) as cache:
        cache.put(MODEL, "torch", {"a": vector(1), "b": vector(2)})
    with sqlite3.connect(tmp_path / FILE_NAME) as conn:  # one flipped byte in a's vector
        (blob,) = conn.execute("SELECT vector FROM vectors WHERE embed_hash = 'a'").fetchone()
        flipped = bytes([blob[0] ^ 0xFF]) + blob[1:]
        conn.execute("UPDATE vectors SET vector = ? WHERE embed_hash = 'a'", (flipped,))
    with MachineCache(tmp_path, max_bytes=1 << 20) as cache:
        assert sorted(cache.get(MODEL, ["a", "b"])) == ["b"]
        assert cache.dropped == 1
        assert cache.get(MODEL, ["a"]) == {}  # gone, not merely skipped


@pytest.mark.parametrize("damage", ["flip", "truncate", "garbage"])
def test_a_damaged_file_is_moved_aside_and_a_new_one_made(tmp_path: Path, damage: str) -> None:
    with MachineCache(tmp_path, max_bytes=1 << 20) as cache:
        cache.put(MODEL, "torch", {f"h{i}": vector(i) for i in range(300)})
    path = tmp_path / FILE_NAME
    data = path.read_bytes()
    if damage == "flip":
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes(b ^ 0xFF for b in data[middle : middle + 64]) + data[middle + 64 :])
    elif damage == "truncate":
        path.write_bytes(data[: len(data) // 3])
    else:
        path.write_bytes(b"not a database at all" * 100)
    with MachineCache(tmp_path, max_bytes=1 << 20) as cache:
        found = cache.get(MODEL, [f"h{i}" for i in range(300)])
        for embed_hash, cached in found.items():  # whatever survives is exactly right
            assert np.array_equal(cached.vector, vector(int(embed_hash[1:])))
        cache.put(MODEL, "torch", {"new": vector(999)})
        assert "new" in cache.get(MODEL, ["new"])
    if damage != "flip":  # SQLite cannot read it: moved aside, kept for inspection, nothing trusted
        assert found == {} and len(list(tmp_path.glob(f"{FILE_NAME}.damaged-*"))) == 1


def test_the_least_recently_used_rows_go_first(tmp_path: Path) -> None:
    row_bytes = DIM * 4 + 400
    with MachineCache(tmp_path, max_bytes=10 * row_bytes) as cache:
        cache.put(MODEL, "torch", {f"old{i}": vector(i) for i in range(5)})
        with sqlite3.connect(tmp_path / FILE_NAME) as conn:
            conn.execute("UPDATE vectors SET used_s = used_s - 100")
        cache.get(MODEL, ["old0"])  # used again: now the newest of the old
        cache.put(MODEL, "torch", {f"new{i}": vector(100 + i) for i in range(8)})
        kept = cache.get(MODEL, [*(f"old{i}" for i in range(5)), *(f"new{i}" for i in range(8))])
    assert len(kept) == 10 and "old0" in kept and all(f"new{i}" in kept for i in range(8))


def test_an_unusable_cache_folder_fails_nothing(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("a file where the folder should be")
    with MachineCache(blocker / "cache", max_bytes=1 << 20) as cache:
        cache.put(MODEL, "torch", {"a": vector(1)})
        assert cache.get(MODEL, ["a"]) == {}


WRITER = """
import sys
import numpy as np
from pathlib import Path
from codesearch.index.machine_cache import MachineCache
folder, name = Path(sys.argv[1]), sys.argv[2]
with MachineCache(folder, max_bytes=1 << 30) as cache:
    for round in range(40):
        vectors = {f"{name}-{round}-{i}": np.full(8, round + i, dtype=np.float32) for i in range(25)}
        cache.put("m" * 64, "torch", vectors)
        assert len(cache.get("m" * 64, vectors)) == 25
print("ok")
"""


def test_two_processes_write_one_cache_at_once(tmp_path: Path) -> None:
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path), name], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True) for name in ("a", "b")]
    for writer in writers:
        out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0 and out.strip() == "ok", err
    with MachineCache(tmp_path, max_bytes=1 << 30) as cache:
        wanted = [f"{name}-{r}-{i}" for name in "ab" for r in range(40) for i in range(25)]
        assert len(cache.get(MODEL, wanted)) == 2000


def test_a_writer_killed_mid_write_leaves_only_sound_rows(tmp_path: Path) -> None:
    """kill -9 while a process fills the cache: whatever was committed is exact, the rest is absent."""
    import signal

    endless = WRITER.replace("range(40)", "range(100000)").replace(
        "assert len(cache.get", "print(round, flush=True)\n        assert len(cache.get")
    writer = subprocess.Popen([sys.executable, "-c", endless, str(tmp_path), "k"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    for _ in range(5):  # five rounds committed: it is writing the sixth now
        assert writer.stdout.readline(), writer.stderr.read() if writer.stderr else ""
    writer.send_signal(signal.SIGKILL)
    writer.wait(30)
    with MachineCache(tmp_path, max_bytes=1 << 30) as cache:
        found = cache.get(MODEL, [f"k-{r}-{i}" for r in range(400) for i in range(25)])
        assert len(found) >= 5 * 25 and cache.dropped == 0
        for embed_hash, cached in found.items():
            _, r, i = embed_hash.split("-")
            assert np.array_equal(cached.vector, np.full(8, int(r) + int(i), dtype=np.float32))
        cache.put(MODEL, "torch", {"after": vector(1)})  # and it takes writes again
        assert "after" in cache.get(MODEL, ["after"])
