"""The CPU device: buffers are NumPy arrays."""

from __future__ import annotations

from typing import Any

import numpy as np


class Device:
    """Base device: owns an array module and knows how to make views of its buffers."""

    name = "device"
    xp: Any = np
    index = -1

    def empty(self, n: int, dtype: Any) -> Any:
        """A fresh 1-D buffer of `n` elements (contents undefined)."""
        return self.xp.empty(n, dtype=dtype)

    def zeros(self, n: int, dtype: Any) -> Any:
        """A fresh 1-D buffer of `n` zeros."""
        return self.xp.zeros(n, dtype=dtype)

    def view(self, buf: Any, offset: int, shape: tuple, strides: tuple) -> Any:
        """A strided view of `buf` (element offset and element strides)."""
        raise NotImplementedError

    def send(self, a: Any) -> Any:
        """Copy an array from anywhere onto this device."""
        raise NotImplementedError

    def synchronize(self) -> None:
        """Wait until queued work on this device is done."""

    def use(self) -> None:
        """Make this the device new work runs on (cutorch.setDevice)."""

    def __repr__(self) -> str:
        return f"<Device {self.name}>"


class CpuDevice(Device):
    """NumPy memory in this process."""

    name = "cpu"
    xp = np

    def view(self, buf: np.ndarray, offset: int, shape: tuple, strides: tuple) -> np.ndarray:
        isz = buf.itemsize
        return np.ndarray(shape, buf.dtype, buffer=buf, offset=offset * isz,
                          strides=tuple(s * isz for s in strides))

    def send(self, a: Any) -> np.ndarray:
        if isinstance(a, np.ndarray):
            return a
        get = getattr(a, "get", None)
        return get() if get is not None else np.asarray(a)
