"""Lp pooling across features (nn.FeatureLPPooling, THNN's FeatureLPPooling): each output
feature is (sum of x^p over `width` consecutive input features)^(1/p), windows `stride` apart.

The feature axis is the first (or the second in batch mode) and up to two more dimensions follow.
The sums run over the window offsets (at most 16), one strided slice each, accumulated in double
precision as THNN's accreal; the backward adds g * (x / y)^(p - 1) for each offset, leaving
gradInput zero where the output is zero, as THNN does.
"""

from __future__ import annotations

from typing import Any

from luatorch.kernels.activation import fit
from luatorch.tensor import Tensor, TorchError, size_str


def _geometry(x: Tensor, width: int, stride: int, batch: bool) -> tuple:
    """(feature axis, number of output features) after THNN's checks."""
    nd = len(x.size)
    if batch and not 2 <= nd <= 4:
        raise TorchError(f"input must be 2-4 dimensions for batch mode, but got: "
                         f"{size_str(x.size)}")
    if not batch and not 1 <= nd <= 3:
        raise TorchError(f"input must be 1-3 dimensions for non-batch mode, but got: "
                         f"{size_str(x.size)}")
    axis = 1 if batch else 0
    n = x.size[axis]
    if n < width:
        raise TorchError(f"input feature size {n} is smaller than the pooling width {width}")
    return axis, (n - width) // stride + 1


def _window(axis: int, i: int, o: int, stride: int) -> tuple:
    """Offset i of every window along the feature axis."""
    return (slice(None),) * axis + (slice(i, i + (o - 1) * stride + 1, stride),)


def flp_fwd(out: Tensor, x: Tensor, power: float, width: int, stride: int,
            batch: bool) -> None:
    """y = (sum over each feature window of x^p)^(1/p)."""
    width, stride, p = int(width), int(stride), float(power)
    axis, o = _geometry(x, width, stride, bool(batch))
    xp = x.xp
    a = x.a
    size = list(x.size)
    size[axis] = o
    acc: Any = None
    for i in range(width):
        term = xp.power(a[_window(axis, i, o, stride)].astype(xp.float64), p)
        acc = term if acc is None else acc + term
    fit(out, tuple(size))[...] = xp.power(acc, 1.0 / p)


def flp_bwd(gi: Tensor, x: Tensor, y: Tensor, g: Tensor, power: float, width: int, stride: int,
            batch: bool) -> None:
    """gradInput = sum over the windows holding x of g * (x / y)^(p - 1), where y != 0."""
    width, stride, p = int(width), int(stride), float(power)
    axis, o = _geometry(x, width, stride, bool(batch))
    if g.size != y.size:
        raise TorchError(f"gradOutput{size_str(g.size)} should be of size {size_str(y.size)}")
    xp = x.xp
    a = x.a
    ya = y.a
    live = ya != 0
    # a zero output contributes nothing; 1 in its place keeps the division finite
    safe = xp.where(live, ya, 1)
    gz = xp.where(live, g.a, 0)
    res = xp.zeros(a.shape, dtype=a.dtype)
    for i in range(width):
        sel = _window(axis, i, o, stride)
        res[sel] += gz * xp.power(a[sel] / safe, p - 1)
    fit(gi, x.size)[...] = res


EXPORTS = {
    "flp_fwd": flp_fwd,
    "flp_bwd": flp_bwd,
}
