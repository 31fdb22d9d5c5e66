"""CUDA devices on CuPy, imported lazily so CPU-only installs never touch it."""

from __future__ import annotations

from typing import Any

import numpy as np

from luatorch.backend.cpu import Device

try:  # NOTE: CuPy imports fine without a GPU; only device calls fail.
    import cupy as _cp
except Exception:  # pragma: no cover - depends on the machine
    _cp = None


def device_count() -> int:
    """Number of usable CUDA devices (0 when CuPy or a driver is missing)."""
    if _cp is None:
        return 0
    try:
        return int(_cp.cuda.runtime.getDeviceCount())
    except Exception:
        return 0


available = device_count() > 0


def array_module(a: Any) -> Any:
    """`cupy` for CuPy arrays, NumPy otherwise."""
    if _cp is not None and isinstance(a, _cp.ndarray):
        return _cp
    return np


class CudaDevice(Device):
    """One GPU, through CuPy."""

    def __init__(self, index: int):
        if _cp is None:
            raise RuntimeError("cuda runtime error: CuPy is not installed")
        self.index = index
        self.name = f"cuda:{index}"
        self.xp = _cp

    def empty(self, n: int, dtype: Any) -> Any:
        with _cp.cuda.Device(self.index):
            return _cp.empty(n, dtype=dtype)

    def zeros(self, n: int, dtype: Any) -> Any:
        with _cp.cuda.Device(self.index):
            return _cp.zeros(n, dtype=dtype)

    def view(self, buf: Any, offset: int, shape: tuple, strides: tuple) -> Any:
        isz = buf.itemsize
        return _cp.ndarray(shape, buf.dtype, memptr=buf.data + offset * isz,
                           strides=tuple(s * isz for s in strides))

    def send(self, a: Any) -> Any:
        with _cp.cuda.Device(self.index):
            return _cp.asarray(a)

    def use(self) -> None:
        # NOTE: CuPy refuses arrays of another device than its current one, as cutorch's
        # checkGPU does: setDevice must move both
        _cp.cuda.runtime.setDevice(self.index)

    def synchronize(self) -> None:
        with _cp.cuda.Device(self.index):
            _cp.cuda.Device().synchronize()

    def properties(self) -> dict:
        """cudaDeviceProp fields, as cutorch.getDeviceProperties shows them."""
        p = dict(_cp.cuda.runtime.getDeviceProperties(self.index))
        out = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in p.items()
               if isinstance(v, (int, float, bytes, str))}
        out["freeGlobalMem"] = self.memory()[0]
        return out

    def memory(self) -> tuple:
        """(free bytes, total bytes)."""
        with _cp.cuda.Device(self.index):
            free, total = _cp.cuda.runtime.memGetInfo()
        return int(free), int(total)
