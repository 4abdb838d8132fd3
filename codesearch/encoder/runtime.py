"""Runtime choices for the network: device, numeric precision and CPU threads.

torch is imported inside functions only; callers are already on the slow path of loading a model.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING

from codesearch.errors import ConfigError

if TYPE_CHECKING:
    import torch

logger = logging.getLogger(__name__)

DTYPES = ("auto", "float32", "bfloat16")
_SYS_CPU = Path("/sys/devices/system/cpu")


def resolve_device(device: str) -> torch.device:
    """``device`` ("cpu", "cuda", "cuda:1", "mps") checked against what this machine has."""
    import torch

    try:
        resolved = torch.device(device)
    except (RuntimeError, ValueError) as exc:
        raise ConfigError(f"unknown device {device!r}: {exc}") from exc
    if resolved.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {device!r} asked for, but torch sees no CUDA GPU")
    if resolved.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(f"device {device!r} asked for, but MPS is not available")
    return resolved


def resolve_dtype(dtype: str, device: torch.device) -> torch.dtype:
    """The weights' dtype. "auto" is bfloat16 where the hardware computes it natively.

    On CPU, bf16 is only fast with AVX512-BF16 or AMX; elsewhere torch emulates it and it is
    slower than float32. bf16 keeps cosine >= 0.9999 to float32 on MiniLM (see bench/embed.py).
    """
    import torch

    if dtype not in DTYPES:
        raise ConfigError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    if dtype == "float32":
        return torch.float32
    if dtype == "bfloat16" or has_fast_bf16(device):
        return torch.bfloat16
    return torch.float32


def has_fast_bf16(device: torch.device) -> bool:
    """Whether bf16 matmuls run natively on ``device``."""
    import torch

    if device.type == "cuda":
        return bool(torch.cuda.is_bf16_supported())
    if device.type != "cpu":
        return False
    # Private helpers (torch >= 2.1); absent ones mean "cannot tell", so stay on float32.
    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)


def set_cpu_threads(threads: int) -> int:
    """Set torch's intra-op threads (process-wide); 0 means one per physical core. Returns it."""
    import torch

    count = threads if threads > 0 else physical_core_count()
    torch.set_num_threads(count)
    return count


def physical_core_count() -> int:
    """Physical cores this process may run on (hyper-threads share one core's matmul units)."""
    allowed = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    cores: set[tuple[str, str]] = set()
    for cpu in allowed:
        topology = _SYS_CPU / f"cpu{cpu}" / "topology"
        try:
            package = (topology / "physical_package_id").read_text().strip()
            core = (topology / "core_id").read_text().strip()
        except OSError:
            return max(1, len(allowed))
        cores.add((package, core))
    if cores:
        return len(cores)
    return max(1, os.cpu_count() or 1)
