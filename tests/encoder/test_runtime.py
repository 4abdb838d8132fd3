from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch

from codesearch.encoder.runtime import physical_core_count, resolve_device, resolve_dtype, set_cpu_threads
from codesearch.errors import ConfigError

CPU = torch.device("cpu")


@pytest.fixture
def restore_threads() -> Iterator[None]:
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


def test_explicit_dtypes_are_honoured() -> None:
    assert resolve_dtype("float32", CPU) is torch.float32
    assert resolve_dtype("bfloat16", CPU) is torch.bfloat16
    assert resolve_dtype("auto", CPU) in {torch.float32, torch.bfloat16}


def test_bad_dtype_and_device_are_config_errors() -> None:
    with pytest.raises(ConfigError, match="dtype must be one of"):
        resolve_dtype("fp8", CPU)
    with pytest.raises(ConfigError, match="unknown device"):
        resolve_device("toaster")


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU message")
def test_cuda_without_a_gpu_says_so() -> None:
    with pytest.raises(ConfigError, match="no CUDA GPU"):
        resolve_device("cuda")


def test_threads_default_to_physical_cores(restore_threads: None) -> None:
    assert physical_core_count() >= 1
    assert set_cpu_threads(0) == physical_core_count() == torch.get_num_threads()
    assert set_cpu_threads(1) == 1 == torch.get_num_threads()
