"""Virtual GPUs: NumPy memory tagged with a device index, so multi-GPU code runs without a GPU.

A virtual GPU behaves as a real one where it matters to scripts: tensors on it have a CUDA
type, new tensors go to the current device, and an op mixing devices fails.
"""

from __future__ import annotations

from luatorch.backend.cpu import CpuDevice

# NOTE: what getDeviceProperties and getMemoryUsage report for a virtual GPU (an 8 GiB card of
# compute capability 3.5, the oldest cutorch built for), since NumPy has no such limits.
TOTAL_MEMORY = 8 << 30


class VirtualDevice(CpuDevice):
    """One virtual GPU: NumPy buffers, tagged `cuda:i`."""

    def __init__(self, index: int):
        self.index = index
        self.name = f"cuda:{index}"

    def properties(self) -> dict:
        """cudaDeviceProp-like fields, as cutorch.getDeviceProperties shows them."""
        return {"name": f"luatorch virtual GPU {self.index + 1}", "major": 3, "minor": 5,
                "totalGlobalMem": TOTAL_MEMORY, "freeGlobalMem": TOTAL_MEMORY,
                "multiProcessorCount": 1, "warpSize": 32, "maxThreadsPerBlock": 1024,
                "clockRate": 0, "integrated": 0, "canMapHostMemory": 1}

    def memory(self) -> tuple:
        """(free bytes, total bytes)."""
        return TOTAL_MEMORY, TOTAL_MEMORY


def make(n: int) -> list:
    """`n` virtual GPUs, indexed 0..n-1."""
    return [VirtualDevice(i) for i in range(n)]
