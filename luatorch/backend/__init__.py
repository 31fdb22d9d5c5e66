"""Devices: where a storage's buffer lives, and the array module (`xp`) that works on it."""

from __future__ import annotations

from typing import Any

import numpy as np

from luatorch.backend.cpu import CpuDevice, Device

cpu = CpuDevice()


def array_module(a: Any) -> Any:
    """The NumPy-compatible module owning array `a` (NumPy or CuPy)."""
    if isinstance(a, np.ndarray):
        return np
    from luatorch.backend import cuda

    return cuda.array_module(a)


__all__ = ["Device", "CpuDevice", "cpu", "array_module"]
