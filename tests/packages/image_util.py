"""What the image tests share: NumPy arrays to and from Lua tensors."""

from __future__ import annotations

import numpy as np


def _np(t) -> np.ndarray:
    """A Lua nested table (from :totable()) as an array."""
    if not hasattr(t, "values"):
        return np.asarray(t)
    return np.asarray([_np(v) for v in t.values()])


def _lua(a: np.ndarray, ttype: str = "Double") -> str:
    """Lua source building `a` as a torch.<ttype>Tensor of the same shape."""
    flat = ", ".join(repr(float(v)) for v in a.reshape(-1))
    dims = ", ".join(str(d) for d in a.shape)
    return f"torch.{ttype}Tensor({{{flat}}}):view({dims})"


def _run(r, expr: str) -> np.ndarray:
    """The tensor a Lua expression gives, as an array."""
    return _np(r.execute(f"return ({expr}):totable()"))
