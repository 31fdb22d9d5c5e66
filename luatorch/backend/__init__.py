"""Devices: where a storage's buffer lives, and the array module (`xp`) that works on it.

The GPU registry lives here too: the GPUs this process uses (real CuPy devices, or virtual
ones over NumPy when asked for) and which of them is current, as cutorch keeps them.
"""

from __future__ import annotations

import importlib.util
import os
from typing import Any, List, Optional

import numpy as np

from luatorch.backend.cpu import CpuDevice, Device

cpu = CpuDevice()


def array_module(a: Any) -> Any:
    """The NumPy-compatible module owning array `a` (NumPy or CuPy)."""
    if isinstance(a, np.ndarray):
        return np
    from luatorch.backend import cuda

    return cuda.array_module(a)


class _Gpus:
    """The process's GPUs and the current one (0-based here, 1-based in Lua)."""

    def __init__(self) -> None:
        self.devices: Optional[List[Device]] = None   # None: not probed yet
        self.current = 0
        self.virtual = 0


gpus = _Gpus()


def configure_gpus(virtual: int = 0) -> None:
    """Use `virtual` virtual GPUs when > 0; else the real CuPy devices, probed on first use."""
    gpus.current = 0
    if virtual > 0:
        if gpus.virtual != virtual:
            from luatorch.backend import virtual as v

            gpus.devices = v.make(virtual)
            gpus.virtual = virtual
    elif gpus.virtual:
        gpus.devices = None
        gpus.virtual = 0


_DRIVER_NODES = ("/dev/nvidiactl", "/dev/nvidia0", "/dev/dxg")


def real_gpus_possible() -> bool:
    """Whether this process may use real GPUs: CuPy installed and an NVIDIA driver's device node
    present.  Decided without importing CuPy, so that CPU-only scripts start as quickly on a GPU
    machine as anywhere; the door checks devices when this is true (real GPUs need the same
    checks as virtual ones: mixing a CudaTensor with a FloatTensor must fail in Torch7's words,
    not in CuPy's)."""
    if os.environ.get("LUATORCH_DEVICE_CHECKS") in ("0", "1"):
        return os.environ["LUATORCH_DEVICE_CHECKS"] == "1"
    if not any(os.path.exists(p) for p in _DRIVER_NODES):
        return False
    return importlib.util.find_spec("cupy") is not None


def gpu_devices() -> List[Device]:
    """The GPUs in use (real or virtual); probing CuPy the first time."""
    devs = gpus.devices
    if devs is None:
        # NOTE: CuPy is imported only here, when a script first asks for a GPU: a CPU-only
        # run never pays for importing it.
        from luatorch.backend import cuda

        devs = gpus.devices = [cuda.CudaDevice(i) for i in range(cuda.device_count())]
    return devs


def current_gpu() -> Optional[Device]:
    """The current GPU, or None when there is none."""
    devs = gpu_devices()
    return devs[gpus.current] if devs else None


__all__ = ["Device", "CpuDevice", "cpu", "array_module", "gpus", "configure_gpus", "gpu_devices",
           "current_gpu"]
