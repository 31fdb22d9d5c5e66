"""Criterions of nn (THNN's job): one door call per updateOutput / updateGradInput.

`loss_*` forward functions return the loss as a Lua number (rounded to the input's element type,
as Torch7's one-element output tensor would); `loss_*_grad` functions take gradInput first and
resize it.  Targets arrive as tensors or plain numbers.  Class indices are 1-based; a bad one
raises "<criterion>: target out of range ...".  Arrays come from the tensors' own module.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from luatorch.capture import CAPTURING
from luatorch.kernels import fused, routes
from luatorch.kernels.activation import fit, logsoftmax_into, nelement_check
from luatorch.random import get_generator
from luatorch.tensor import Tensor, TorchError, size_str

_EPS = 1e-12


# -- helpers -------------------------------------------------------------------------------------
def _ret(x: Tensor, v: Any) -> float:
    """A loss as Torch7 returns it: stored in the input's element type, read as a double."""
    if hasattr(v, "item"):  # a 0-d array or scalar (NumPy's scalar types refuse CuPy's arrays)
        v = v.item()
    return float(x.a.dtype.type(v)) if x.a.dtype.kind == "f" else float(v)


def _target(x: Tensor, t: Any) -> Any:
    """Target values in the input's shape (a number is broadcast)."""
    if isinstance(t, Tensor):
        return nelement_check(x, t, "input", "target")
    return x.a.dtype.type(t)


def _n(x: Tensor) -> int:
    return x.a.size if x.size else 0


def _norm(x: Tensor, size_average: bool, n: int | None = None) -> float:
    n = _n(x) if n is None else n
    return 1.0 / n if size_average and n else 1.0


# -- element-wise regression losses --------------------------------------------------------------
def loss_mse(x: Tensor, t: Any, size_average: bool) -> float:
    """sum (x - t)^2, divided by the element count when size_average."""
    if not x.size:
        return 0.0
    d = x.a - _target(x, t)
    return _ret(x, np.vdot(d, d) * _norm(x, size_average))


def loss_mse_grad(gi: Tensor, x: Tensor, t: Any, size_average: bool) -> None:
    """gradInput = 2 (x - t) / n."""
    o = fit(gi, x.size)
    if x.size:
        ta = _target(x, t)
        if routes.pick("mse_grad", o) == routes.FUSED and ta.dtype == o.dtype:
            k = x.a.dtype.type(2 * _norm(x, size_average))
            fused.kernel("mse_grad")(x.a, ta, k, o)
            return
        np.subtract(x.a, ta, out=o)
        np.multiply(o, 2 * _norm(x, size_average), out=o)


def loss_abs(x: Tensor, t: Any, size_average: bool) -> float:
    """sum |x - t| (/ n)."""
    if not x.size:
        return 0.0
    return _ret(x, np.abs(x.a - _target(x, t)).sum() * _norm(x, size_average))


def loss_abs_grad(gi: Tensor, x: Tensor, t: Any, size_average: bool) -> None:
    """gradInput = (x - t >= 0 ? 1 : -1) / n."""
    o = fit(gi, x.size)
    if x.size:
        nv = _norm(x, size_average)
        x.xp.copyto(o, x.xp.where(x.a - _target(x, t) >= 0, nv, -nv))


def loss_smoothl1(x: Tensor, t: Any, size_average: bool) -> float:
    """sum (|d| < 1 ? d^2 / 2 : |d| - 1/2) (/ n)."""
    if not x.size:
        return 0.0
    z = np.abs(x.a - _target(x, t))
    v = x.xp.where(z < 1, 0.5 * z * z, z - 0.5).sum()
    return _ret(x, v * _norm(x, size_average))


def loss_smoothl1_grad(gi: Tensor, x: Tensor, t: Any, size_average: bool) -> None:
    """gradInput = clamp(x - t, -1, 1) / n."""
    o = fit(gi, x.size)
    if x.size:
        np.subtract(x.a, _target(x, t), out=o)
        np.clip(o, -1, 1, out=o)
        np.multiply(o, _norm(x, size_average), out=o)


def loss_wmse_target(buf: Tensor, x: Tensor, t: Tensor, w: Tensor) -> None:
    """buf = target * weight, the weight repeated over the rows of a batch."""
    ta = nelement_check(x, t, "input", "target")
    o = fit(buf, x.size)
    wa = w.a
    if len(x.size) - 1 == len(w.size):
        wa = wa.reshape((1,) + wa.shape)
    elif w.a.size != x.a.size:
        raise TorchError(f"inconsistent tensor size: weight{size_str(w.size)} and "
                         f"input{size_str(x.size)}")
    else:
        wa = wa.reshape(x.a.shape)
    np.multiply(ta, wa, out=o)


def loss_kldiv(x: Tensor, t: Any, size_average: bool) -> float:
    """sum t * (log t - x) over t > 0 (/ n)."""
    if not x.size:
        return 0.0
    ta = _target(x, t)
    with np.errstate(all="ignore"):
        v = x.xp.where(ta > 0, ta * (np.log(ta) - x.a), 0).sum()
    return _ret(x, v * _norm(x, size_average))


def loss_kldiv_grad(gi: Tensor, x: Tensor, t: Any, size_average: bool) -> None:
    """gradInput = -t / n where t > 0."""
    o = fit(gi, x.size)
    if x.size:
        ta = _target(x, t)
        x.xp.copyto(o, x.xp.where(ta > 0, -ta * _norm(x, size_average), 0))


def loss_l1cost(x: Tensor) -> float:
    """sum |x|."""
    return _ret(x, np.abs(x.a).sum()) if x.size else 0.0


def loss_l1cost_grad(gi: Tensor, x: Tensor) -> None:
    """gradInput = sign(x)."""
    o = fit(gi, x.size)
    if x.size:
        np.sign(x.a, out=o)


# -- two-class margins ---------------------------------------------------------------------------
def loss_margin(x: Tensor, t: Any, margin: float, size_average: bool) -> float:
    """sum max(0, margin - y x) (/ n)."""
    if not x.size:
        return 0.0
    z = margin - x.a * _target(x, t)
    return _ret(x, np.maximum(z, 0).sum() * _norm(x, size_average))


def loss_margin_grad(gi: Tensor, x: Tensor, t: Any, margin: float, size_average: bool) -> None:
    """gradInput = -y / n where y x < margin."""
    o = fit(gi, x.size)
    if x.size:
        ya = _target(x, t)
        x.xp.copyto(o, x.xp.where(x.a * ya < margin, -ya * _norm(x, size_average), 0))


def loss_softmargin(x: Tensor, t: Any, size_average: bool) -> float:
    """sum log(1 + exp(-y x)) (/ n)."""
    if not x.size:
        return 0.0
    v = np.logaddexp(0, -x.a * _target(x, t)).sum()
    return _ret(x, v * _norm(x, size_average))


def loss_softmargin_grad(gi: Tensor, x: Tensor, t: Any, size_average: bool) -> None:
    """gradInput = -y exp(-y x) / (1 + exp(-y x)) / n."""
    o = fit(gi, x.size)
    if x.size:
        ya = _target(x, t)
        z = np.exp(x.a * ya)  # 1 / exp(-yx): the gradient is -y / (1 + exp(yx))
        np.add(z, 1, out=z)
        np.divide(-ya * _norm(x, size_average), z, out=o)


def loss_hinge(x: Tensor, y: Any, margin: float, size_average: bool) -> float:
    """sum (y == 1 ? x : max(0, margin - x)) (/ n) (other labels count in both terms)."""
    if not x.size:
        return 0.0
    ya = _target(x, y)
    a = x.a
    xp = x.xp
    v = xp.where(ya == -1, 0, a).sum() + xp.where(ya == 1, 0, np.maximum(margin - a, 0)).sum()
    return _ret(x, v * _norm(x, size_average))


def loss_hinge_grad(gi: Tensor, x: Tensor, y: Any, margin: float, size_average: bool) -> None:
    """gradInput = y, zero where y == -1 and x > margin (/ n)."""
    o = fit(gi, x.size)
    if x.size:
        ya = _target(x, y)
        v = x.xp.where((ya == -1) & (x.a > margin), 0, ya)
        np.multiply(v, _norm(x, size_average), out=o)


# -- binary cross-entropy ------------------------------------------------------------------------
def _bce_weights(x: Tensor, w: Any) -> Any:
    if w is None or w is False:
        return None
    wa = w.a
    if len(x.size) == 1:
        if wa.size != x.a.size:
            raise TorchError(f"weights{size_str(w.size)} and input{size_str(x.size)} have "
                             "different number of elements")
        return wa.reshape(x.a.shape)
    if len(x.size) != 2 or wa.size != x.size[1]:
        raise TorchError(f"weights{size_str(w.size)} should have one element per column of "
                         f"input{size_str(x.size)}")
    return wa.reshape(1, -1)


def _bce_check(x: Tensor, t: Tensor) -> Any:
    if not isinstance(t, Tensor) or t.a.size != x.a.size:
        raise TorchError("input and target size mismatch")
    return t.a.reshape(x.a.shape)


def loss_bce(x: Tensor, t: Tensor, w: Any, size_average: bool) -> float:
    """-sum w (t log(x + eps) + (1 - t) log(1 - x + eps)) (/ n)."""
    if not x.size:
        return 0.0
    ta = _bce_check(x, t)
    a = x.a
    v = ta * np.log(a + _EPS) + (1 - ta) * np.log(1 - a + _EPS)
    wa = _bce_weights(x, w)
    if wa is not None:
        v = v * wa
    return _ret(x, -v.sum() * _norm(x, size_average))


def loss_bce_grad(gi: Tensor, x: Tensor, t: Tensor, w: Any, size_average: bool) -> None:
    """gradInput = -w (t - x) / ((1 - x + eps) (x + eps)) / n."""
    o = fit(gi, x.size)
    if not x.size:
        return
    ta = _bce_check(x, t)
    a = x.a
    np.divide(a - ta, (1 - a + _EPS) * (a + _EPS), out=o)
    np.multiply(o, _norm(x, size_average), out=o)
    wa = _bce_weights(x, w)
    if wa is not None:
        np.multiply(o, wa, out=o)


def _squeeze_unless_one(x: Tensor) -> tuple:
    """Shape after Torch7's squeeze (kept as is for a one-element tensor)."""
    if x.a.size == 1:
        return x.size
    return tuple(s for s in x.size if s != 1) or (1,)


def loss_mlsm(sig: Tensor, x: Tensor, t: Tensor, w: Any, size_average: bool) -> float:
    """MultiLabelSoftMargin: sigmoid(x) into `sig`, then the (weighted) BCE against t."""
    if not x.size:
        return 0.0
    shape = _squeeze_unless_one(x)
    s = fit(sig, shape)
    s[...] = 1 / (1 + np.exp(-x.a.reshape(shape)))
    return loss_bce(sig, t, w, size_average)


def loss_mlsm_grad(gi: Tensor, sig: Tensor, x: Tensor, t: Tensor, w: Any,
                   size_average: bool) -> None:
    """BCE gradient through the sigmoid, shaped like the input."""
    o = fit(gi, x.size)
    if not x.size:
        return
    s = sig.a
    ta = _bce_check(sig, t)
    g = (s - ta) / ((1 - s + _EPS) * (s + _EPS)) * _norm(sig, size_average)
    wa = _bce_weights(sig, w)
    if wa is not None:
        g = g * wa
    o[...] = (g * s * (1 - s)).reshape(o.shape)


# -- class-index losses --------------------------------------------------------------------------
def _indices(name: str, xshape: tuple, t: Any, n_classes: int, xp: Any,
             ignore_index: Any = None) -> tuple:
    """(0-based class indices, mask of counted rows or None) of a batch, checking the range."""
    nframe = xshape[0]
    if isinstance(t, Tensor):
        if len(t.size) > 1:
            raise TorchError(f"{name}: multi-target not supported")
        ta = t.a if t.size else xp.zeros(0)
        if ta.shape[0] < nframe or (nframe > 1 and ta.shape[0] != nframe):
            raise TorchError(f"{name}: size mismatch (got input: {size_str(xshape)}, "
                             f"target: {size_str(t.size)})")
        if ta.shape[0] != nframe:
            ta = ta[:nframe]
    else:
        if nframe != 1:
            raise TorchError(f"{name}: size mismatch (got input: {size_str(xshape)}, "
                             "target: a number)")
        ta = xp.asarray([t])
    if ta.dtype.kind == "f":
        ti = xp.trunc(ta).astype(np.int64)
    else:
        ti = ta.astype(np.int64, copy=False)
    if CAPTURING[0] and (ignore_index is None or not 1 <= int(ignore_index) <= n_classes):
        # NOTE: the range check reads the targets back, which a CUDA graph capture refuses;
        # a captured step trusts its targets, as its replays (which run no Python) must
        return ti - 1, None
    lo, hi = int(ti.min()), int(ti.max())
    if lo >= 1 and hi <= n_classes and (ignore_index is None
                                        or not lo <= int(ignore_index) <= hi):
        return ti - 1, None
    valid = None
    if ignore_index is not None:
        valid = ti != int(ignore_index)
    bad = (ti < 1) | (ti > n_classes)
    if valid is not None:
        bad &= valid
    if bad.any():
        v = int(ti[bad][0])
        raise TorchError(f"{name}: target out of range (got {v}, expected a class index "
                         f"between 1 and {n_classes})")
    idx = ti - 1
    if valid is not None:
        idx = xp.where(valid, idx, 0)
    return idx, valid


def _shape(a: Any) -> tuple:
    return tuple(int(s) for s in a.shape)


def _as_batch(name: str, x: Tensor, what: str) -> Any:
    nd = len(x.size)
    if nd == 1:
        return x.a.reshape(1, -1)
    if nd == 2:
        return x.a
    raise TorchError(f"{name}: {what}")


def _class_weights(name: str, w: Any, n_classes: int) -> Any:
    if w is None or w is False:
        return None
    if w.a.size != n_classes:
        raise TorchError(f"{name}: weight tensor should be defined either for all {n_classes} "
                         f"classes or no classes but got weight tensor of shape: "
                         f"{size_str(w.size)}")
    return w.a.reshape(-1)


_ROWS: dict = {}


def _rows(n: int, xp: Any) -> Any:
    """arange(n), cached for NumPy."""
    if xp is not np:
        return xp.arange(n)
    r = _ROWS.get(n)
    if r is None:
        r = _ROWS[n] = np.arange(n)
    return r


def _nll_parts(name: str, x2: Any, t: Any, w: Any, ignore_index: Any, xp: Any) -> tuple:
    """(rows, indices, per-row weights or None for all ones, total weight)."""
    nframe, n_classes = x2.shape
    idx, valid = _indices(name, x2.shape, t, n_classes, xp, ignore_index)
    wa = _class_weights(name, w, n_classes)
    if wa is None:
        if valid is None:
            return _rows(nframe, xp), idx, None, float(nframe)
        cw = valid.astype(x2.dtype)
    else:
        cw = wa[idx].astype(x2.dtype, copy=False)
        if valid is not None:
            cw = cw * valid
    return _rows(nframe, xp), idx, cw, float(cw.sum())


def loss_nll(x: Tensor, t: Any, w: Any, size_average: bool, ignore_index: Any = -100,
             name: str = "nn.ClassNLLCriterion") -> tuple:
    """-sum w[t] x[t] (/ total weight): returns (loss, total weight)."""
    x2 = _as_batch(name, x, "input tensor should be 1D or 2D")
    rows, idx, cw, total = _nll_parts(name, x2, t, w, ignore_index, x.xp)
    picked = x2[rows, idx]
    out = -(picked.sum() if cw is None else picked @ cw)
    if size_average and total:
        out = out / total
    return _ret(x, out), total


def loss_nll_grad(gi: Tensor, x: Tensor, t: Any, w: Any, size_average: bool,
                  ignore_index: Any = -100, total: float | None = None,
                  name: str = "nn.ClassNLLCriterion") -> None:
    """gradInput = -w[t] (/ total weight) at the target class, 0 elsewhere.

    `total` is the total weight the last forward stored (THNN divides by it, not by this
    batch's; the criterion starts it at 1); None takes this batch's.
    """
    x2 = _as_batch(name, x, "input tensor should be 1D or 2D")
    rows, idx, cw, fresh = _nll_parts(name, x2, t, w, ignore_index, x.xp)
    total = fresh if total is None else total
    o = fit(gi, x.size)
    o.fill(0)
    if not total > 0:  # THNN leaves the gradient at zero
        return
    o2 = o.reshape(x2.shape)
    o2[rows, idx] = -_nll_scale(x, cw, total, size_average)


def _nll_scale(x: Tensor, cw: Any, total: float, size_average: bool) -> Any:
    """THNN's gradient magnitude at each target: w[t] / total in a batch (sizeAverage), and
    for one sample 1 (sizeAverage, whatever the total) or w[t]."""
    if len(x.size) == 1:
        if cw is None:
            return 1.0
        # cw is 0 only where the target is ignored (or weighs 0, when the total is 0 too)
        return (cw != 0).astype(cw.dtype) if size_average else cw
    scale = 1.0 / total if size_average else 1.0
    return scale if cw is None else cw * scale


def _ce_shape(x: Tensor) -> tuple:
    shape = tuple(s for s in x.size if s != 1) or (1,)
    if len(shape) > 2:
        raise TorchError("nn.CrossEntropyCriterion: input tensor should be 1D or 2D "
                         "(after squeeze)")
    return shape


def _ce_target(t: Any) -> Any:
    if isinstance(t, Tensor) and len(t.size) > 1:
        sq = tuple(s for s in t.size if s != 1) or (1,)
        return Tensor(t.storage, t.offset, sq,
                      tuple(st for s, st in zip(t.size, t.stride) if s != 1) or (1,))
    return t


def loss_ce(lsm: Tensor, x: Tensor, t: Any, w: Any, size_average: bool,
            ignore_index: Any = -100) -> tuple:
    """CrossEntropy: LogSoftMax of the (squeezed) input into `lsm`, then ClassNLL; returns
    (loss, total weight)."""
    name = "nn.CrossEntropyCriterion"
    shape = _ce_shape(x)
    o = fit(lsm, shape)
    a = x.a.reshape(shape)
    logsoftmax_into(o, a, len(shape) - 1)
    return loss_nll(lsm, _ce_target(t), w, size_average, ignore_index, name)


def loss_ce_grad(gi: Tensor, lsm: Tensor, x: Tensor, t: Any, w: Any, size_average: bool,
                 ignore_index: Any = -100, total: float | None = None) -> None:
    """gradInput = (softmax(x) - onehot(t)) w[t] (/ total weight), shaped like the input;
    `total` as in loss_nll_grad."""
    name = "nn.CrossEntropyCriterion"
    shape = _ce_shape(x)
    if lsm.size != shape:
        o = fit(lsm, shape)
        logsoftmax_into(o, x.a.reshape(shape), len(shape) - 1)
    y2 = _as_batch(name, lsm, "input tensor should be 1D or 2D")
    rows, idx, cw, fresh = _nll_parts(name, y2, _ce_target(t), w, ignore_index, x.xp)
    total = fresh if total is None else total
    o = fit(gi, x.size)
    o2 = o.reshape(y2.shape)
    if not total > 0:  # THNN leaves the gradient at zero
        o.fill(0)
        return
    c = _nll_scale(lsm, cw, total, size_average)
    np.exp(y2, out=o2)
    np.multiply(o2, c if isinstance(c, float) else c[:, None], out=o2)
    o2[rows, idx] -= c


def loss_multimargin(x: Tensor, t: Any, p: int, margin: float, w: Any,
                     size_average: bool) -> float:
    """sum_{i != y} max(0, margin - x[y] + x[i])^p w[y] / dim (/ nframe)."""
    name = "nn.MultiMarginCriterion"
    x2 = _as_batch(name, x, "vector or matrix expected")
    nframe, dim = x2.shape
    _mm_check(name, x, t, nframe)
    idx, _ = _indices(name, x2.shape, t, dim, x.xp)
    rows = x.xp.arange(nframe)
    z = margin - x2[rows, idx][:, None] + x2
    z[rows, idx] = 0
    h = np.maximum(z, 0)
    if p == 2:
        h = h * h
    wa = _class_weights(name, w, dim)
    if wa is not None:
        h = h * wa[idx][:, None]
    s = h.sum() / dim
    if size_average:
        s = s / nframe
    return _ret(x, s)


def _mm_check(name: str, x: Tensor, t: Any, nframe: int) -> None:
    if len(x.size) == 2 and (not isinstance(t, Tensor) or len(t.size) != 1
                             or t.size[0] != nframe):
        raise TorchError(f"{name}: inconsistent target size")


def loss_multimargin_grad(gi: Tensor, x: Tensor, t: Any, p: int, margin: float, w: Any,
                          size_average: bool) -> None:
    """Gradient of loss_multimargin."""
    name = "nn.MultiMarginCriterion"
    x2 = _as_batch(name, x, "vector or matrix expected")
    nframe, dim = x2.shape
    _mm_check(name, x, t, nframe)
    idx, _ = _indices(name, x2.shape, t, dim, x.xp)
    rows = x.xp.arange(nframe)
    g = 1.0 / (nframe * dim) if size_average else 1.0 / dim
    z = margin - x2[rows, idx][:, None] + x2
    z[rows, idx] = 0
    h = x.xp.where(z > 0, g if p == 1 else 2 * g * z, 0)
    wa = _class_weights(name, w, dim)
    if wa is not None:
        h = h * wa[idx][:, None]
    o = fit(gi, x.size)
    o2 = o.reshape(x2.shape)
    o2[...] = h
    o2[rows, idx] = -h.sum(axis=1)


def _mlm_parts(x: Tensor, t: Tensor) -> tuple:
    name = "nn.MultiLabelMarginCriterion"
    x2 = _as_batch(name, x, "vector or matrix expected")
    nframe, dim = x2.shape
    if not isinstance(t, Tensor) or len(t.size) != len(x.size) or t.size != x.size:
        raise TorchError(f"{name}: inconsistent target size")
    ta = t.a.reshape(nframe, dim)
    ti = (np.trunc(ta) if ta.dtype.kind == "f" else ta).astype(np.int64)
    if bool((ti < 0).any()) or bool((ti > dim).any()):
        v = int(ti[(ti < 0) | (ti > dim)][0])
        raise TorchError(f"{name}: target out of range (got {v}, expected class indices "
                         f"between 1 and {dim}, 0 to end the list)")
    valid = np.cumprod(ti > 0, axis=1).astype(bool)
    idx = np.where(valid, ti - 1, 0)
    rows = np.broadcast_to(np.arange(nframe)[:, None], (nframe, dim))
    is_target = np.zeros((nframe, dim), bool)
    is_target[rows[valid], idx[valid]] = True
    xt = np.take_along_axis(x2, idx, axis=1)
    z = 1 - xt[:, :, None] + x2[:, None, :]
    mask = valid[:, :, None] & ~is_target[:, None, :]
    return x2, idx, valid, is_target, z, mask


def loss_mlm(x: Tensor, t: Tensor, is_target: Tensor, size_average: bool) -> float:
    """sum over targets j and non-targets i of max(0, 1 - x[y_j] + x[i]) / dim (/ nframe)."""
    x2, _idx, _valid, ist, z, mask = _mlm_parts(x, t)
    nframe, dim = x2.shape
    it = fit(is_target, x.size)
    it[...] = ist.reshape(it.shape)
    s = (np.maximum(z, 0) * mask).sum() / dim
    if size_average:
        s = s / nframe
    return _ret(x, s)


def loss_mlm_grad(gi: Tensor, x: Tensor, t: Tensor, size_average: bool) -> None:
    """Gradient of loss_mlm."""
    x2, idx, _valid, _ist, z, mask = _mlm_parts(x, t)
    nframe, dim = x2.shape
    g = 1.0 / (nframe * dim) if size_average else 1.0 / dim
    pos = (z > 0) & mask
    o = fit(gi, x.size)
    o2 = o.reshape(nframe, dim)
    o2[...] = pos.sum(axis=1) * g
    rows = np.broadcast_to(np.arange(nframe)[:, None], (nframe, dim))
    np.subtract.at(o2, (rows, idx), pos.sum(axis=2) * g)


# -- embeddings and rankings ---------------------------------------------------------------------
def loss_l1hinge(x1: Tensor, x2: Tensor, y: float, margin: float) -> float:
    """||x1 - x2||_1, or max(0, margin - ||x1 - x2||_1) when y == -1."""
    d = float(np.abs(x1.a - nelement_check(x1, x2, "input1", "input2")).sum())
    if y == -1:
        d = max(0.0, margin - d)
    return _ret(x1, d)


def loss_l1hinge_grad(g1: Tensor, g2: Tensor, x1: Tensor, x2: Tensor, y: float,
                      margin: float) -> None:
    """sign(x1 - x2) (a random sign where equal, as Torch7), negated/zeroed for y == -1."""
    d = x1.a - nelement_check(x1, x2, "input1", "input2")
    dist = float(np.abs(d).sum())
    o1 = fit(g1, x1.size)
    np.sign(d, out=o1)
    zero = o1 == 0
    k = int(zero.sum())
    if k:
        draws = get_generator(None).raw(k) % 2
        o1[zero] = x1.xp.asarray((2.0 * (draws + 1) - 3).astype(o1.dtype))
    if y == -1:
        if dist > margin:
            o1.fill(0)
        else:
            np.negative(o1, out=o1)
    o2 = fit(g2, x2.size)
    np.negative(o1.reshape(o2.shape), out=o2)


def _cos_parts(x1: Tensor, x2: Tensor, y: Any, margin: float) -> tuple:
    a = x1.a
    b = nelement_check(x1, x2, "input1", "input2")
    if len(x1.size) == 1:
        a = a.reshape(1, -1)
        b = b.reshape(1, -1)
    elif len(x1.size) != 2:
        raise TorchError("nn.CosineEmbeddingCriterion: inputs should be 1D or 2D")
    nframe = a.shape[0]
    if isinstance(y, Tensor):
        if y.a.size != nframe:
            raise TorchError(f"nn.CosineEmbeddingCriterion: target{size_str(y.size)} should "
                             f"have one label per sample ({nframe})")
        ya = y.a.reshape(-1)
    else:
        ya = np.full(nframe, y, a.dtype)
    w1 = (a * b).sum(axis=1)
    w22 = (a * a).sum(axis=1) + _EPS
    w32 = (b * b).sum(axis=1) + _EPS
    w = np.sqrt(w22 * w32)
    cos = w1 / w
    out = np.where(ya == -1, np.maximum(cos - margin, 0), np.where(ya == 1, 1 - cos, cos))
    return a, b, ya, w1, w22, w32, w, cos, out


def loss_cosine(x1: Tensor, x2: Tensor, y: Any, margin: float, size_average: bool) -> float:
    """sum (y == 1 ? 1 - cos(x1, x2) : max(0, cos(x1, x2) - margin)) (/ nframe)."""
    a, _, _, _, _, _, _, _, out = _cos_parts(x1, x2, y, margin)
    s = out.sum()
    if size_average:
        s = s / a.shape[0]
    return _ret(x1, s)


def loss_cosine_grad(g1: Tensor, g2: Tensor, x1: Tensor, x2: Tensor, y: Any, margin: float,
                     size_average: bool) -> None:
    """Gradient of loss_cosine for both inputs."""
    a, b, ya, w1, w22, w32, w, _cos, out = _cos_parts(x1, x2, y, margin)
    da = b / w[:, None] - a * (w1 / (w22 * w))[:, None]
    db = a / w[:, None] - b * (w1 / (w32 * w))[:, None]
    f = np.where(ya == 1, -1.0, np.where((ya == -1) & (out <= 0), 0.0, 1.0))
    if size_average:
        f = f / a.shape[0]
    o1 = fit(g1, x1.size)
    o2 = fit(g2, x1.size)
    o1[...] = (da * f[:, None]).reshape(o1.shape)
    o2[...] = (db * f[:, None]).reshape(o2.shape)


def loss_ranking(x1: Tensor, x2: Tensor, y: Any, margin: float, size_average: bool) -> float:
    """max(0, -y (x1 - x2) + margin), summed (/ batch) for a tensor of labels."""
    if not isinstance(y, Tensor):
        return float(max(0.0, -y * (x1.a.reshape(-1)[0] - x2.a.reshape(-1)[0]) + margin))
    d = np.maximum(-_target(x1, y) * (x1.a - nelement_check(x1, x2, "input1", "input2"))
                   + margin, 0)
    s = d.sum()
    if size_average:
        s = s / y.size[0]
    return _ret(x1, s)


def loss_ranking_grad(g1: Tensor, g2: Tensor, x1: Tensor, x2: Tensor, y: Any, margin: float,
                      size_average: bool) -> None:
    """-y and y where the margin is violated (dist >= 0), 0 elsewhere."""
    if not isinstance(y, Tensor):
        dist = -y * (x1.a.reshape(-1)[0] - x2.a.reshape(-1)[0]) + margin
        v = 0.0 if dist < 0 else float(y)
        fit(g1, (1,))[0] = -v
        fit(g2, (1,))[0] = v
        return
    ya = _target(x1, y)
    dist = -ya * (x1.a - nelement_check(x1, x2, "input1", "input2")) + margin
    f = (dist >= 0) * (1.0 / y.size[0] if size_average else 1.0)
    o1 = fit(g1, x1.size)
    o2 = fit(g2, x1.size)
    np.multiply(-ya, f, out=o1)
    np.multiply(ya, f, out=o2)


def loss_distratio(x: Tensor, y: Tensor, size_average: bool) -> float:
    """sum X + log(exp(-X) + exp(-Y)) (/ number of distances)."""
    if x.a.size != y.a.size or x.size[:1] != y.size[:1]:
        raise TorchError("nn.DistanceRatioCriterion: number of distances don't match")
    v = (x.a + np.logaddexp(-x.a, -y.a.reshape(x.a.shape))).sum()
    if size_average:
        v = v / x.size[0]
    return _ret(x, v)


def loss_distratio_grad(dx: Tensor, dy: Tensor, x: Tensor, y: Tensor,
                        size_average: bool) -> None:
    """dX = 1 - e^-X / (e^-X + e^-Y), dY = -e^-Y / (e^-X + e^-Y) (/ number of distances)."""
    if x.a.size != y.a.size or x.size[:1] != y.size[:1]:
        raise TorchError("nn.DistanceRatioCriterion: number of distances don't match")
    ya = y.a.reshape(x.a.shape)
    px = 1 / (1 + np.exp(x.a - ya))  # e^-X / (e^-X + e^-Y)
    f = 1.0 / x.size[0] if size_average else 1.0
    o1 = fit(dx, x.size)
    o2 = fit(dy, y.size)
    np.multiply(1 - px, f, out=o1)
    o2[...] = ((px - 1) * f).reshape(o2.shape)


# -- ClassSimplexCriterion -----------------------------------------------------------------------
def loss_simplex_embed(out: Tensor, n_classes: int) -> None:
    """The nClasses x nClasses matrix of regular-simplex vertices (zero-padded columns)."""
    n = int(n_classes) - 1
    a = np.zeros((n + 1, n))
    for k in range(n):
        a[k, k] = 1.0 if k == 0 else np.sqrt(1 - np.sum(a[k, :k] ** 2))
        c = (a[k, k] ** 2 - 1 - 1 / n) / a[k, k]
        a[k + 1:, k] = c
    o = fit(out, (n + 1, n + 1))
    o.fill(0)
    o[:, :n] = out.xp.asarray(a.astype(o.dtype))


def loss_simplex_target(out: Tensor, simplex: Tensor, t: Any) -> None:
    """The simplex rows of the target classes (a vector for a number, a matrix for a tensor)."""
    s = simplex.a
    n = s.shape[0]
    name = "nn.ClassSimplexCriterion"
    if isinstance(t, Tensor):
        if len(t.size) != 1:
            raise TorchError(f"{name}: 1D tensors only!")
        idx, _ = _indices(name, t.size, t, n, simplex.xp)
        o = fit(out, (t.size[0], n))
    else:
        idx, _ = _indices(name, (1,), t, n, simplex.xp)
        o = fit(out, (n,))
        idx = idx[0]
    o[...] = s[idx]


EXPORTS: dict[str, Callable] = {k: v for k, v in dict(globals()).items()
                                if k.startswith("loss_") and callable(v)}
