"""Virtual GPUs: NumPy memory tagged with a device index, so multi-GPU code runs without a GPU.

A virtual GPU behaves as a real one where it matters to scripts: tensors on it have a CUDA
type, new tensors go to the current device, and an op mixing devices fails.
"""

from __future__ import annotations

import gc
import os
import weakref
from typing import Any

import numpy as np

from luatorch.backend.cpu import CpuDevice

# NOTE: what a virtual GPU holds (an 8 GiB card of compute capability 3.5, the oldest cutorch
# built for) unless LUATORCH_VIRTUAL_GPU_MEMORY gives another size in MiB: a script can be
# checked against a smaller card's memory before it meets one.
TOTAL_MEMORY = 8 << 30


class GpuOutOfMemory(MemoryError):
    """A device allocation past the card's memory (cudaErrorMemoryAllocation)."""


def _total_memory() -> int:
    env = os.environ.get("LUATORCH_VIRTUAL_GPU_MEMORY", "").strip()
    if not env:
        return TOTAL_MEMORY
    try:
        mib = int(env)
    except ValueError:
        raise ValueError(f"LUATORCH_VIRTUAL_GPU_MEMORY must be a number of MiB, got {env!r}") \
            from None
    if mib <= 0:
        raise ValueError(f"LUATORCH_VIRTUAL_GPU_MEMORY must be positive, got {mib}")
    return mib << 20


class VirtualDevice(CpuDevice):
    """One virtual GPU: NumPy buffers, tagged `cuda:i`, counted against the card's memory."""

    def __init__(self, index: int, total: int = TOTAL_MEMORY):
        self.index = index
        self.name = f"cuda:{index}"
        self.total = total
        self.used = 0

    def _count(self, buf: Any) -> Any:
        # the buffer's bytes stay counted until NumPy frees it
        n = int(buf.nbytes)
        if n:
            self.used += n
            weakref.finalize(buf, self._release, n)
        return buf

    def _release(self, n: int) -> None:
        self.used -= n

    def _reserve(self, n: int, dtype: Any) -> None:
        need = n * np.dtype(dtype).itemsize
        if self.used + need > self.total:
            # NOTE: as cutorch's heap tracking does, a full card first runs the collectors:
            # tensors a script has dropped hold their memory until Lua's collector runs
            from luatorch import tensor

            for hook in tensor._gc_hook[:1]:
                hook()
            gc.collect()
        if self.used + need > self.total:
            raise GpuOutOfMemory(f"{need} bytes asked on GPU {self.index + 1}, "
                                 f"{self.total - self.used} free of {self.total}")

    def empty(self, n: int, dtype: Any) -> Any:
        self._reserve(n, dtype)
        return self._count(np.empty(n, dtype=dtype))

    def zeros(self, n: int, dtype: Any) -> Any:
        self._reserve(n, dtype)
        return self._count(np.zeros(n, dtype=dtype))

    def properties(self) -> dict:
        """cudaDeviceProp-like fields, as cutorch.getDeviceProperties shows them."""
        return {"name": f"luatorch virtual GPU {self.index + 1}", "major": 3, "minor": 5,
                "totalGlobalMem": self.total, "freeGlobalMem": self.total - self.used,
                "multiProcessorCount": 1, "warpSize": 32, "maxThreadsPerBlock": 1024,
                "clockRate": 0, "integrated": 0, "canMapHostMemory": 1}

    def memory(self) -> tuple:
        """(free bytes, total bytes)."""
        return self.total - self.used, self.total


def make(n: int) -> list:
    """`n` virtual GPUs, indexed 0..n-1."""
    total = _total_memory()
    return [VirtualDevice(i, total) for i in range(n)]
