"""Up-sampling of the last two (spatial) or three (volumetric) dimensions, for nn.UpSampling:
nearest neighbour by an integer scale, and (bi/tri)linear interpolation with aligned corners
(THNN's Spatial/VolumetricUpSampling{Nearest,Bilinear,Trilinear}).

Both are separable.  Nearest is one broadcast assignment (forward) or one block sum (backward).
Linear interpolation runs one axis at a time, width first as THNN nests its sums: each output
position reads two taps with weights (1 - lambda, lambda) computed in double precision, as THNN's
accreal.  The backward folds the taps back per axis; positions that read the same input element
are added in a few vectorised steps (the loop runs over the largest number of outputs sharing one
input, about the scale), never over elements.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from luatorch.kernels.activation import fit
from luatorch.kernels.common import on_axis, table_cache
from luatorch.tensor import Tensor, TorchError, size_str

_cached = table_cache(128)  # interpolation taps and fold steps, per geometry


def _nd(x: Tensor) -> int:
    """The number of up-sampled dimensions: 2 for a 4D input, 3 for a 5D one."""
    if len(x.size) not in (4, 5):
        raise TorchError(f"4D or 5D input tensor expected but got: {size_str(x.size)}")
    return len(x.size) - 2


def _check_grad(g: Tensor, want: tuple) -> None:
    if g.size != want:
        raise TorchError(f"gradOutput{size_str(g.size)} should be of size {size_str(want)}")


def _taps(xp: Any, dtype: Any, n: int, o: int) -> tuple:
    """Per output position of one axis: the two input taps (NumPy and xp) and their weights."""
    def make() -> tuple:
        r = (n - 1) / (o - 1) if o > 1 else 0.0
        pos = r * np.arange(o, dtype=np.float64)
        i0 = pos.astype(np.int64)
        i1 = i0 + (i0 < n - 1)
        l1 = (pos - i0).astype(dtype)
        l0 = (np.asarray(1, dtype=dtype) - l1).astype(dtype)
        return (np.concatenate([i0, i1]), xp.asarray(i0), xp.asarray(i1), xp.asarray(l0),
                xp.asarray(l1))
    return _cached(("taps", xp.__name__, str(np.dtype(dtype)), n, o), make)


def _fold_steps(xp: Any, idx: np.ndarray) -> list:
    """For an index map (position -> input position): steps (input positions, positions), each
    input position at most once per step, so that each step is one fancy `+=`."""
    def make() -> list:
        order = np.argsort(idx, kind="stable")
        uniq, starts, counts = np.unique(idx[order], return_index=True, return_counts=True)
        return [(xp.asarray(uniq[counts > k]), xp.asarray(order[starts[counts > k] + k]))
                for k in range(int(counts.max()))]
    return _cached(("fold", xp.__name__, idx.tobytes()), make)


def _shape_on(axis: int, v: Any) -> Any:
    """A 1-D array shaped to broadcast along the axis `axis` places from the end."""
    return v.reshape((-1,) + (1,) * (axis - 1))


def ups_nearest_fwd(out: Tensor, x: Tensor, scale: int) -> None:
    """Nearest-neighbour up-sampling of the last 2 or 3 dimensions by an integer factor."""
    s = int(scale)
    if s < 1:
        raise TorchError(f"scale_factor must be greater than 1, but got: {s}")
    nd = _nd(x)
    lead, sizes = x.size[:-nd], x.size[-nd:]
    o = fit(out, tuple(lead) + tuple(n * s for n in sizes))
    blocks = tuple(lead) + sum(((n, s) for n in sizes), ())
    src = x.a[(Ellipsis,) + (slice(None), None) * nd]
    o.reshape(blocks)[...] = src


def ups_nearest_bwd(gi: Tensor, x: Tensor, g: Tensor, scale: int) -> None:
    """gradInput of nearest up-sampling: the sum over each block of scale^d outputs."""
    s = int(scale)
    nd = _nd(x)
    lead, sizes = x.size[:-nd], x.size[-nd:]
    _check_grad(g, tuple(lead) + tuple(n * s for n in sizes))
    blocks = tuple(lead) + sum(((n, s) for n in sizes), ())
    axes = tuple(len(lead) + 2 * i + 1 for i in range(nd))
    x.xp.sum(g.a.reshape(blocks), axis=axes, out=fit(gi, x.size))


def _linear_sizes(x: Tensor, oT: int, oH: int, oW: int) -> tuple:
    nd = _nd(x)
    outs = (int(oH), int(oW)) if nd == 2 else (int(oT), int(oH), int(oW))
    sizes = x.size[-nd:]
    if min(sizes) < 1 or min(outs) < 1:
        raise TorchError(f"input and output sizes should be greater than 0, but got input "
                         f"{size_str(tuple(sizes))} output {size_str(outs)}")
    return nd, x.size[:-nd], sizes, outs


def ups_linear_fwd(out: Tensor, x: Tensor, oT: int, oH: int, oW: int) -> None:
    """(Bi/tri)linear up-sampling of the last 2 (oT ignored) or 3 dimensions, corners aligned."""
    nd, lead, sizes, outs = _linear_sizes(x, oT, oH, oW)
    xp = x.xp
    a = x.a
    for ax in range(1, nd + 1):
        n, o = sizes[-ax], outs[-ax]
        if n == o:
            continue
        _, i0, i1, l0, l1 = _taps(xp, a.dtype, n, o)
        a = xp.take(a, i0, axis=a.ndim - ax) * _shape_on(ax, l0) \
            + xp.take(a, i1, axis=a.ndim - ax) * _shape_on(ax, l1)
    fit(out, tuple(lead) + outs)[...] = a


def ups_linear_bwd(gi: Tensor, x: Tensor, g: Tensor, oT: int, oH: int, oW: int) -> None:
    """gradInput of linear up-sampling: the taps of every axis folded back, outermost first."""
    nd, lead, sizes, outs = _linear_sizes(x, oT, oH, oW)
    _check_grad(g, tuple(lead) + outs)
    xp = x.xp
    a = g.a
    for ax in range(nd, 0, -1):
        n, o = sizes[-ax], outs[-ax]
        if n == o:
            continue
        both, _, _, l0, l1 = _taps(xp, a.dtype, n, o)
        vals = xp.concatenate([a * _shape_on(ax, l0), a * _shape_on(ax, l1)],
                              axis=a.ndim - ax)
        shape = list(a.shape)
        shape[a.ndim - ax] = n
        res = xp.zeros(tuple(shape), dtype=a.dtype)
        for ins, pos in _fold_steps(xp, both):
            res[on_axis(ax, ins)] += xp.take(vals, pos, axis=a.ndim - ax)
        a = res
    fit(gi, x.size)[...] = a


EXPORTS = {
    "ups_nearest_fwd": ups_nearest_fwd,
    "ups_nearest_bwd": ups_nearest_bwd,
    "ups_linear_fwd": ups_linear_fwd,
    "ups_linear_bwd": ups_linear_bwd,
}
