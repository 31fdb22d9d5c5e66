"""Reductions and dimension-wise operations: sum/prod/mean/var/std, max/min, cumulative ops,
norms, sort/topk/kthvalue/median/mode.

Door functions take Tensor handles; dimensions arrive 1-based (None = the op's default) and
become 0-based here.  Dimension-wise results keep the reduced dimension with size 1, as Torch7
does.  Index results are written 1-based into LongTensors.  Float tensors accumulate in double
(Torch7's `accreal`), integer tensors in int64.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, Callable

import numpy as np

from luatorch.tensor import Tensor, TorchError, size_str


# -- helpers --------------------------------------------------------------------------------------
def _argerr(n: int, fname: str, msg: str) -> TorchError:
    """Torch7's THArgCheck wording."""
    return TorchError(f"bad argument #{n} to '{fname}' ({msg})")


def _axis(t: Tensor, d: int | None, fname: str, argn: int = 2,
          msg: str = "dimension {} out of range", default_last: bool = False) -> int:
    """1-based Lua dimension -> 0-based axis, with Torch7's range check."""
    n = len(t.size)
    if d is None:
        d = n if default_last else 1
    d = int(d)
    if not 1 <= d <= n:
        raise _argerr(argn, fname, msg.format(d))
    return d - 1


def _fit(out: Tensor, shape: Sequence[int]) -> None:
    """Resize `out` to `shape` unless it already has it (Torch7 keeps the geometry then)."""
    shape = tuple(int(s) for s in shape)
    if out.size != shape:
        out.resize(shape)


def _acc(dtype: np.dtype) -> Any:
    """Accumulation type: double for floating point, int64 for integers."""
    return np.float64 if dtype.kind == "f" else np.int64


def _num(v: Any) -> Any:
    """A Python number from a NumPy/CuPy scalar or 0-d array."""
    v = v.item() if hasattr(v, "item") else v
    return v


def _keep(t: Tensor, ax: int, n: int = 1) -> tuple:
    size = list(t.size)
    size[ax] = n
    return tuple(size)


def _store(out: Tensor, shape: Sequence[int], value: Any) -> None:
    _fit(out, shape)
    out.a[...] = value


def _need(t: Tensor, fname: str) -> None:
    if not t.size:
        raise _argerr(1, fname, "tensor must have one dimension")


def _quiet() -> Any:
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


# -- sum / prod / mean ----------------------------------------------------------------------------
def rd_sumall(t: Tensor) -> Any:
    """Sum of all elements (0 for an empty tensor)."""
    if not t.size:
        return 0
    return _num(t.a.sum(dtype=_acc(t.dtype)))


def rd_sum(out: Tensor, t: Tensor, d: int) -> None:
    """Sum over dimension `d`, keeping it with size 1."""
    ax = _axis(t, d, "sum")
    _store(out, _keep(t, ax), t.a.sum(axis=ax, keepdims=True, dtype=_acc(t.dtype)))


def rd_prodall(t: Tensor) -> Any:
    """Product of all elements (1 for an empty tensor)."""
    if not t.size:
        return 1
    return _num(t.a.prod(dtype=_acc(t.dtype)))


def rd_prod(out: Tensor, t: Tensor, d: int) -> None:
    """Product over dimension `d`, keeping it with size 1."""
    ax = _axis(t, d, "prod")
    _store(out, _keep(t, ax), t.a.prod(axis=ax, keepdims=True, dtype=_acc(t.dtype)))


def rd_meanall(t: Tensor) -> float:
    """Mean of all elements."""
    if not t.size:
        raise _argerr(1, "mean", "empty Tensor")
    return _num(t.a.mean(dtype=np.float64))


def rd_mean(out: Tensor, t: Tensor, d: int) -> None:
    """Mean over dimension `d`, keeping it with size 1."""
    ax = _axis(t, d, "mean", msg="invalid dimension {}")
    _store(out, _keep(t, ax), t.a.mean(axis=ax, keepdims=True, dtype=np.float64))


# -- var / std ------------------------------------------------------------------------------------
def _var(a: Any, axis: int | None, biased: bool) -> Any:
    n = a.size if axis is None else a.shape[axis]
    ddof = 0 if biased or n == 0 else 1
    with _quiet():
        return a.var(axis=axis, keepdims=axis is not None, dtype=np.float64, ddof=ddof)


def rd_varall(t: Tensor, biased: bool = False) -> float:
    """Variance of all elements; unbiased (n-1) unless `biased`."""
    if not t.size:
        raise _argerr(1, "var", "empty Tensor")
    return _num(_var(t.a, None, bool(biased)))


def rd_var(out: Tensor, t: Tensor, d: int, biased: bool = False) -> None:
    """Variance over dimension `d` (n-1 normalisation unless `biased`), keeping it."""
    ax = _axis(t, d, "var", 3, "invalid dimension {}")
    _store(out, _keep(t, ax), _var(t.a, ax, bool(biased)))


def rd_stdall(t: Tensor, biased: bool = False) -> float:
    """Standard deviation of all elements; unbiased unless `biased`."""
    if not t.size:
        raise _argerr(1, "std", "empty Tensor")
    v = rd_varall(t, biased)
    return math.sqrt(v) if v >= 0 else float("nan")


def rd_std(out: Tensor, t: Tensor, d: int, biased: bool = False) -> None:
    """Standard deviation over dimension `d`, keeping it."""
    ax = _axis(t, d, "std", 3, "invalid dimension {}")
    v = _var(t.a, ax, bool(biased))
    with _quiet():
        _store(out, _keep(t, ax), t.xp.sqrt(v))


# -- max / min ------------------------------------------------------------------------------------
def rd_maxall(t: Tensor) -> Any:
    """Largest element; NaN when any element is NaN (Torch7 stops at the first NaN)."""
    _need(t, "max")
    return _num(t.a.max())


def rd_minall(t: Tensor) -> Any:
    """Smallest element; NaN when any element is NaN."""
    _need(t, "min")
    return _num(t.a.min())


def _extreme(vals: Tensor, idx: Tensor, t: Tensor, d: int, fname: str,
             arg: Callable) -> None:
    ax = _axis(t, d, fname)
    xp = t.xp
    # argmax/argmin pick the first occurrence, and the first NaN when there is one: Torch7's rule
    i = arg(t.a, axis=ax, keepdims=True)
    v = xp.take_along_axis(t.a, i, axis=ax)
    shape = _keep(t, ax)
    _store(vals, shape, v)
    _store(idx, shape, i + 1)


def rd_max(vals: Tensor, idx: Tensor, t: Tensor, d: int) -> None:
    """Max over dimension `d` into (vals, 1-based idx), both keeping the dimension."""
    _extreme(vals, idx, t, d, "max", t.xp.argmax)


def rd_min(vals: Tensor, idx: Tensor, t: Tensor, d: int) -> None:
    """Min over dimension `d` into (vals, 1-based idx), both keeping the dimension."""
    _extreme(vals, idx, t, d, "min", t.xp.argmin)


# -- cumulative -----------------------------------------------------------------------------------
def rd_cumsum(out: Tensor, t: Tensor, d: int | None = None) -> None:
    """Cumulative sum along `d` (default 1)."""
    ax = _axis(t, d, "cumsum")
    _store(out, t.size, t.xp.cumsum(t.a, axis=ax, dtype=_acc(t.dtype)))


def rd_cumprod(out: Tensor, t: Tensor, d: int | None = None) -> None:
    """Cumulative product along `d` (default 1)."""
    ax = _axis(t, d, "cumprod")
    _store(out, t.size, t.xp.cumprod(t.a, axis=ax, dtype=_acc(t.dtype)))


# -- norms ----------------------------------------------------------------------------------------
def _pnorm(xp: Any, a: Any, p: float, axis: int | None) -> Any:
    keep = axis is not None
    a = a.astype(np.float64, copy=False)
    with _quiet():
        if p == 0:
            return (a != 0).sum(axis=axis, keepdims=keep, dtype=np.float64)
        if p == 1:
            return xp.abs(a).sum(axis=axis, keepdims=keep)
        if p == 2:
            return xp.sqrt((a * a).sum(axis=axis, keepdims=keep))
        if math.isinf(p) and p > 0:
            return xp.abs(a).max(axis=axis, keepdims=keep)
        return (xp.abs(a) ** p).sum(axis=axis, keepdims=keep) ** (1.0 / p)


def rd_normall(t: Tensor, p: float = 2) -> float:
    """p-norm of all elements (p=0 counts non-zeros)."""
    if not t.size:
        return 0.0
    return _num(_pnorm(t.xp, t.a, float(p), None))


def rd_norm(out: Tensor, t: Tensor, p: float, d: int) -> None:
    """p-norms over dimension `d`, keeping it."""
    ax = _axis(t, d, "norm", 3, "invalid dimension {}")
    _store(out, _keep(t, ax), _pnorm(t.xp, t.a, float(p), ax))


def rd_renorm(out: Tensor, t: Tensor, p: float, d: int, maxnorm: float) -> None:
    """Rescale each slice `t:select(d, i)` whose p-norm exceeds `maxnorm` to norm `maxnorm`."""
    ax = _axis(t, d, "renorm", 3, "invalid dimension {}")
    if not p > 0:
        raise _argerr(2, "renorm", "non-positive-norm not supported")
    if len(t.size) < 2:
        raise _argerr(1, "renorm", f"need at least 2 dimensions, got {len(t.size)} dimensions")
    xp = t.xp
    rows = xp.moveaxis(t.a, ax, 0).reshape(t.size[ax], -1)
    norms = _pnorm(xp, rows, float(p), 1)
    with _quiet():
        scale = xp.where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)
    shape = [1] * len(t.size)
    shape[ax] = t.size[ax]
    res = t.a * scale.reshape(shape)
    _store(out, t.size, res)


def rd_dist(a: Tensor, b: Tensor, p: float = 2) -> float:
    """p-norm of a - b (element counts must match, sizes need not)."""
    if a.numel() != b.numel():
        raise TorchError(f"inconsistent tensor size, expected tensor {size_str(a.size)} and src "
                         f"{size_str(b.size)} to have the same number of elements, but got "
                         f"{a.numel()} and {b.numel()} elements respectively")
    if not a.size:
        return 0.0
    xp = a.xp
    diff = a.a.reshape(-1).astype(np.float64) - b.a.reshape(-1).astype(np.float64)
    return _num(_pnorm(xp, diff, float(p), None))


def rd_trace(t: Tensor) -> Any:
    """Sum of the main diagonal of a matrix."""
    if len(t.size) != 2:
        raise _argerr(1, "trace", "expected a matrix")
    return _num(t.xp.trace(t.a, dtype=_acc(t.dtype)))


# -- sorting and order statistics -----------------------------------------------------------------
def _argsort(xp: Any, a: Any, axis: int, descending: bool = False) -> Any:
    """Stable argsort; descending keeps equal elements in their original order."""
    kw = {"kind": "stable"} if xp is np else {}
    if not descending:
        return xp.argsort(a, axis=axis, **kw)
    n = a.shape[axis]
    rev = xp.flip(a, axis=axis)
    return (n - 1) - xp.flip(xp.argsort(rev, axis=axis, **kw), axis=axis)


def rd_sort(vals: Tensor, idx: Tensor, t: Tensor, d: int | None = None,
            descending: bool = False) -> None:
    """Sort along `d` (default last) into values and 1-based indices."""
    _need(t, "sort")
    ax = _axis(t, d, "sort", msg="invalid dimension {}", default_last=True)
    xp = t.xp
    i = _argsort(xp, t.a, ax, bool(descending))
    v = xp.take_along_axis(t.a, i, axis=ax)
    _store(vals, t.size, v)
    _store(idx, t.size, i + 1)


def rd_topk(vals: Tensor, idx: Tensor, t: Tensor, k: int = 1, d: int | None = None,
            largest: bool = False, sort: bool = False) -> None:
    """The k smallest (or largest with `largest`) elements along `d`, sorted."""
    _need(t, "topk")
    ax = _axis(t, d, "topk", 3, "dim not in range", default_last=True)
    k = int(k)
    if not 0 < k <= t.size[ax]:
        raise _argerr(2, "topk", "k not in range for dimension")
    xp = t.xp
    i = _argsort(xp, t.a, ax, bool(largest))
    i = xp.take(i, xp.arange(k), axis=ax)
    v = xp.take_along_axis(t.a, i, axis=ax)
    shape = _keep(t, ax, k)
    _store(vals, shape, v)
    _store(idx, shape, i + 1)


def rd_kthvalue(vals: Tensor, idx: Tensor, t: Tensor, k: int, d: int | None = None) -> None:
    """k-th smallest element along `d` (default last), keeping the dimension."""
    _need(t, "kthvalue")
    ax = _axis(t, d, "kthvalue", 3, "dimension out of range", default_last=True)
    k = int(k)
    if not 0 < k <= t.size[ax]:
        raise _argerr(2, "kthvalue", "selected index out of range")
    xp = t.xp
    i = _argsort(xp, t.a, ax)
    i = xp.take(i, xp.asarray([k - 1]), axis=ax)
    v = xp.take_along_axis(t.a, i, axis=ax)
    shape = _keep(t, ax)
    _store(vals, shape, v)
    _store(idx, shape, i + 1)


def rd_median(vals: Tensor, idx: Tensor, t: Tensor, d: int | None = None) -> None:
    """Median along `d` (default last): the lower middle element for even counts."""
    _need(t, "median")
    ax = _axis(t, d, "median", 3, "dimension out of range", default_last=True)
    rd_kthvalue(vals, idx, t, (t.size[ax] - 1) // 2 + 1, ax + 1)


def rd_mode(vals: Tensor, idx: Tensor, t: Tensor, d: int | None = None) -> None:
    """Most frequent value along `d` (default last); ties go to the smallest value."""
    _need(t, "mode")
    ax = _axis(t, d, "mode", 3, "dimension out of range", default_last=True)
    xp = t.xp
    n = t.size[ax]
    rows = xp.moveaxis(t.a, ax, -1).reshape(-1, n)
    order = _argsort(xp, rows, 1)
    srt = xp.take_along_axis(rows, order, axis=1)
    start = xp.ones(srt.shape, dtype=bool)
    start[:, 1:] = srt[:, 1:] != srt[:, :-1]
    last = xp.ones(srt.shape, dtype=bool)
    last[:, :-1] = start[:, 1:]
    pos = xp.broadcast_to(xp.arange(n), srt.shape)
    run_start = xp.maximum.accumulate(xp.where(start, pos, 0), axis=1)
    run_len = xp.where(last, pos - run_start + 1, 0)
    best = xp.argmax(run_len, axis=1)[:, None]          # first = smallest value among ties
    v = xp.take_along_axis(srt, best, axis=1)
    i = xp.take_along_axis(order, best, axis=1)
    kept = list(t.size)
    kept.pop(ax)
    shape_last = tuple(kept) + (1,)
    v = xp.moveaxis(v.reshape(shape_last), -1, ax)
    i = xp.moveaxis(i.reshape(shape_last), -1, ax)
    shape = _keep(t, ax)
    _store(vals, shape, v)
    _store(idx, shape, i + 1)


EXPORTS: dict[str, Callable] = {k: v for k, v in dict(globals()).items()
                                if k.startswith("rd_") and callable(v)}
