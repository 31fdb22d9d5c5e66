"""Transfer functions of nn (THNN's job): one door call per updateOutput / updateGradInput.

Every `act_*` function takes the result tensor first and resizes it itself.  Element-wise layers
accept any shape; gradOutput needs the input's number of elements (THNN's check).  `inplace`
layers overwrite the input (or gradOutput) and point the result at it, as THNN does.  Arrays
come from the tensors' own module (`t.xp`), so the same code serves NumPy and CuPy.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Callable

import numpy as np

from luatorch.backend import array_module
from luatorch.errors import lua_type_name
from luatorch.random import get_generator
from luatorch.tensor import Tensor, TorchError, size_str

warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"luatorch\.kernels\.")


# -- helpers -------------------------------------------------------------------------------------
def fit(out: Tensor, size: tuple) -> Any:
    """Resize `out` to `size` (kept when already so and contiguous); return its array."""
    if out.size != size or not out.is_contiguous():
        out.resize(size)
    return out.a


def alias(dst: Tensor, src: Tensor) -> None:
    """Point `dst` at `src`'s storage and geometry (Torch7's `dst:set(src)`)."""
    if dst.storage is not src.storage or dst.offset != src.offset or dst.size != src.size \
            or dst.stride != src.stride:
        dst.set_geometry(src.storage, src.offset, src.size, src.stride)


def nelement_check(x: Tensor, g: Tensor, xname: str = "input", gname: str = "gradOutput") -> Any:
    """`g`'s array in `x`'s shape; THNN's error when the element counts differ."""
    ga = g.a
    if g.size != x.size:
        if ga.size != x.a.size:
            raise TorchError(
                f"{xname} and {gname} have different number of elements: {xname}"
                f"{size_str(x.size)} has {x.a.size if x.size else 0} elements, while {gname}"
                f"{size_str(g.size)} has {ga.size if g.size else 0} elements")
        ga = ga.reshape(x.a.shape)
    return ga


def real(t: Tensor, v: float) -> Any:
    """A Lua number as the tensor's element type (float tensors round to float32)."""
    return t.a.dtype.type(v)


def need_tensor(v: Any, n: int, fname: str) -> None:
    """Torch7's error for a non-tensor where a layer reads a tensor (a table as a Tanh's input
    would otherwise read as an empty tensor and give an empty output)."""
    if not isinstance(v, Tensor):
        raise TorchError(f"bad argument #{n} to '{fname}' (tensor expected, got "
                         f"{lua_type_name(v)})")


def _unary(out: Tensor, x: Tensor, inplace: bool) -> Any | None:
    """Target array of an element-wise forward (None for an empty input)."""
    need_tensor(x, 1, "forward")
    if inplace:
        alias(out, x)
        return x.a if x.size else None
    if not x.size:
        fit(out, ())
        return None
    return fit(out, x.size)


def _grad(gi: Tensor, x: Tensor, g: Tensor, inplace: bool, xname: str = "input") -> tuple:
    """(target array, gradOutput array) of an element-wise backward."""
    need_tensor(g, 2, "backward")
    ga = nelement_check(x, g, xname)
    if inplace:
        alias(gi, g)
        return (g.a if g.size else None), ga
    if not x.size:
        fit(gi, ())
        return None, ga
    return fit(gi, x.size), ga


def _pos_neg(o: Any, a: Any, slope: Any) -> None:
    """o = max(a, 0) + slope * min(a, 0) (np.where is slow on random masks)."""
    neg = np.minimum(a, 0)
    np.multiply(neg, slope, out=neg)
    np.maximum(a, 0, out=o)
    np.add(o, neg, out=o)


def _slope_grad(o: Any, a: Any, ga: Any, slope: Any) -> None:
    """o = a > 0 ? ga : slope * ga."""
    neg = ga * slope
    np.multiply(neg, a <= 0, out=neg)
    np.multiply(ga, a > 0, out=o)
    np.add(o, neg, out=o)


# -- Threshold / ReLU ----------------------------------------------------------------------------
_BITS = {2: np.int16, 4: np.int32, 8: np.int64}


def _bits_type(o: Any, a: Any) -> Any:
    """The integer type of `o`'s float width (None unless `o` and `a` share one float type)."""
    if o.dtype.kind != "f" or a.dtype != o.dtype:
        return None
    return _BITS.get(o.dtype.itemsize)


def _select(o: Any, a: Any, mask: Any) -> None:
    """o = mask ? a : 0, exactly: +0 where the mask is off, even for a = inf, NaN or -x.

    The bits are multiplied as integers by the 0/1 mask: a float product would give NaN for
    inf * 0 and -0 for negatives, and it measured slower (bool -> float cast in the loop)."""
    it = _bits_type(o, a)
    if it is None:
        np.multiply(a, mask, out=o)
    else:
        np.multiply(a.view(it), mask, out=o.view(it))


def act_threshold_fwd(out: Tensor, x: Tensor, th: float, val: float, inplace: bool) -> None:
    """y = x > th ? x : val (a NaN input stays NaN, as np.maximum leaves it for ReLU)."""
    o = _unary(out, x, inplace)
    if o is None:
        return
    a = x.a
    if val == 0 and th == 0:
        np.maximum(a, 0, out=o)
        return
    keep = a <= th
    np.logical_not(keep, out=keep)
    it = _bits_type(o, a)
    if val == 0:
        _select(o, a, keep)
    elif it is not None:
        # y = ((x ^ v) * keep) ^ v on the bits: x where kept, v's exact bits elsewhere
        v = real(x, val).view(it)
        oi = o.view(it)
        np.bitwise_xor(a.view(it), v, out=oi)
        np.multiply(oi, keep, out=oi)
        np.bitwise_xor(oi, v, out=oi)
    else:
        tmp = a * keep
        np.logical_not(keep, out=keep)
        np.multiply(keep, real(x, val), out=o)
        np.add(o, tmp, out=o)


def act_threshold_bwd(gi: Tensor, x: Tensor, g: Tensor, th: float, inplace: bool) -> None:
    """gradInput = x > th ? gradOutput : 0 (x is the output when in place)."""
    o, ga = _grad(gi, x, g, inplace)
    if o is None:
        return
    _select(o, ga, x.a > th)


# -- HardTanh / ReLU6 ----------------------------------------------------------------------------
def act_hardtanh_fwd(out: Tensor, x: Tensor, lo: float, hi: float, inplace: bool) -> None:
    """y = clamp(x, lo, hi)."""
    o = _unary(out, x, inplace)
    if o is not None:
        np.clip(x.a, real(x, lo), real(x, hi), out=o)


def act_hardtanh_bwd(gi: Tensor, x: Tensor, g: Tensor, lo: float, hi: float,
                     inplace: bool) -> None:
    """gradInput = lo < x < hi ? gradOutput : 0: the bounds pass nothing, in place or not, as
    in the current THNN (nn bb1c26c; earlier ones passed them out of place)."""
    o, ga = _grad(gi, x, g, inplace)
    if o is None:
        return
    a = x.a
    np.multiply(ga, (a > lo) & (a < hi), out=o)


# -- LeakyReLU / ELU -----------------------------------------------------------------------------
def act_leaky_fwd(out: Tensor, x: Tensor, negval: float, inplace: bool) -> None:
    """y = x > 0 ? x : negval * x."""
    o = _unary(out, x, inplace)
    if o is not None:
        _pos_neg(o, x.a, real(x, negval))


def act_leaky_bwd(gi: Tensor, x: Tensor, g: Tensor, negval: float, inplace: bool) -> None:
    """gradInput = x > 0 ? g : negval * g."""
    o, ga = _grad(gi, x, g, inplace)
    if o is not None:
        _slope_grad(o, x.a, ga, real(x, negval))


def act_elu_fwd(out: Tensor, x: Tensor, alpha: float, inplace: bool) -> None:
    """y = x > 0 ? x : alpha * (exp(x) - 1)."""
    o = _unary(out, x, inplace)
    if o is not None:
        a = x.a
        neg = np.minimum(a, 0)
        np.expm1(neg, out=neg)
        np.multiply(neg, real(x, alpha), out=neg)
        np.maximum(a, 0, out=o)
        np.add(o, neg, out=o)


def act_elu_bwd(gi: Tensor, y: Tensor, g: Tensor, alpha: float, inplace: bool) -> None:
    """gradInput = y > 0 ? g : g * (y + alpha), from the output y."""
    o, ga = _grad(gi, y, g, inplace, "output")
    if o is not None:
        b = y.a
        tmp = ga * (b + real(y, alpha))
        np.multiply(tmp, b <= 0, out=tmp)
        np.multiply(ga, b > 0, out=o)
        np.add(o, tmp, out=o)


# -- Sigmoid / Tanh and friends ------------------------------------------------------------------
def act_sigmoid_fwd(out: Tensor, x: Tensor) -> None:
    """y = 1 / (1 + exp(-x))."""
    o = _unary(out, x, False)
    if o is not None:
        np.negative(x.a, out=o)
        np.exp(o, out=o)
        np.add(o, 1, out=o)
        np.reciprocal(o, out=o)


def act_sigmoid_bwd(gi: Tensor, g: Tensor, y: Tensor) -> None:
    """gradInput = g * (1 - y) * y."""
    o, ga = _grad(gi, y, g, False, "output")
    if o is not None:
        b = y.a
        np.multiply(ga, (1 - b) * b, out=o)


def act_tanh_fwd(out: Tensor, x: Tensor) -> None:
    """y = tanh(x)."""
    o = _unary(out, x, False)
    if o is not None:
        np.tanh(x.a, out=o)


def act_tanh_bwd(gi: Tensor, g: Tensor, y: Tensor) -> None:
    """gradInput = g * (1 - y^2)."""
    o, ga = _grad(gi, y, g, False, "output")
    if o is not None:
        b = y.a
        np.multiply(ga, 1 - b * b, out=o)


def act_tanhshrink_fwd(out: Tensor, x: Tensor) -> None:
    """y = x - tanh(x)."""
    o = _unary(out, x, False)
    if o is not None:
        a = x.a
        np.subtract(a, np.tanh(a), out=o)


def act_tanhshrink_bwd(gi: Tensor, x: Tensor, g: Tensor) -> None:
    """gradInput = g * tanh(x)^2."""
    o, ga = _grad(gi, x, g, False)
    if o is not None:
        t = np.tanh(x.a)
        np.multiply(ga, t * t, out=o)


def act_hardshrink_fwd(out: Tensor, x: Tensor, lam: float) -> None:
    """y = |x| > lambda ? x : 0."""
    o = _unary(out, x, False)
    if o is not None:
        a = x.a
        np.multiply(a, (a > lam) | (a < -lam), out=o)


def act_hardshrink_bwd(gi: Tensor, x: Tensor, g: Tensor, lam: float) -> None:
    """gradInput = |x| > lambda ? g : 0."""
    o, ga = _grad(gi, x, g, False)
    if o is not None:
        a = x.a
        np.multiply(ga, (a > lam) | (a < -lam), out=o)


def act_softshrink_fwd(out: Tensor, x: Tensor, lam: float) -> None:
    """y = x - lambda (x > lambda), x + lambda (x < -lambda), else 0."""
    o = _unary(out, x, False)
    if o is not None:
        a = x.a
        lv = real(x, lam)
        tmp = a + lv
        np.multiply(tmp, a < -lam, out=tmp)
        np.subtract(a, lv, out=o)
        np.multiply(o, a > lam, out=o)
        np.add(o, tmp, out=o)


def act_softshrink_bwd(gi: Tensor, x: Tensor, g: Tensor, lam: float) -> None:
    """gradInput = |x| > lambda ? g : 0."""
    act_hardshrink_bwd(gi, x, g, lam)


def act_softplus_fwd(out: Tensor, x: Tensor, beta: float, threshold: float) -> None:
    """y = x * beta > threshold ? x : log(1 + exp(beta * x)) / beta."""
    o = _unary(out, x, False)
    if o is not None:
        a = x.a
        bx = a * real(x, beta)
        lin = bx > threshold
        soft = np.log1p(np.exp(np.minimum(bx, real(x, threshold)))) / real(x, beta)
        np.multiply(soft, ~lin, out=soft)
        np.multiply(a, lin, out=o)
        np.add(o, soft, out=o)


def act_softplus_bwd(gi: Tensor, g: Tensor, y: Tensor, beta: float, threshold: float) -> None:
    """gradInput = g * (1 - exp(-beta * y)), or g where beta * y > threshold."""
    o, ga = _grad(gi, y, g, False, "output")
    if o is not None:
        by = y.a * real(y, beta)
        lin = by > threshold
        z = np.exp(np.minimum(by, real(y, threshold)))
        soft = ga * (z - 1) / z
        np.multiply(soft, ~lin, out=soft)
        np.multiply(ga, lin, out=o)
        np.add(o, soft, out=o)


def act_softsign_fwd(out: Tensor, x: Tensor) -> None:
    """y = x / (1 + |x|)."""
    o = _unary(out, x, False)
    if o is not None:
        a = x.a
        np.divide(a, 1 + np.abs(a), out=o)


def act_softsign_bwd(gi: Tensor, x: Tensor, g: Tensor) -> None:
    """gradInput = g / (1 + |x|)^2."""
    o, ga = _grad(gi, x, g, False)
    if o is not None:
        d = 1 + np.abs(x.a)
        np.divide(ga, d * d, out=o)


def act_logsigmoid_fwd(out: Tensor, x: Tensor) -> None:
    """y = -log(1 + exp(-x)), computed without overflow."""
    o = _unary(out, x, False)
    if o is not None:
        np.logaddexp(0, -x.a, out=o)
        np.negative(o, out=o)


def act_logsigmoid_bwd(gi: Tensor, x: Tensor, g: Tensor) -> None:
    """gradInput = g * exp(-x) / (1 + exp(-x)) = g * sigmoid(-x)."""
    o, ga = _grad(gi, x, g, False)
    if o is not None:
        s = np.exp(x.a)
        np.add(s, 1, out=s)
        np.divide(ga, s, out=o)


# -- PReLU / RReLU -------------------------------------------------------------------------------
def _prelu_weight(x: Tensor, w: Tensor, nplanes: int) -> Any:
    """The weight broadcast against the input (one slope, or one per plane)."""
    if nplanes == 0:
        return w.a.reshape(())
    nd = len(x.size)
    ax = 0 if nd in (1, 3) else 1
    if nd > 4 or x.size[ax] != nplanes:
        got = x.size[ax] if nd and ax < nd else 0
        raise TorchError(f"wrong number of input planes. Expected {nplanes} but got {got}.")
    shape = [1] * nd
    shape[ax] = nplanes
    return w.a.reshape(shape)


def act_prelu_fwd(out: Tensor, x: Tensor, w: Tensor, nplanes: int) -> None:
    """y = x > 0 ? x : w * x."""
    o = _unary(out, x, False)
    if o is not None:
        _pos_neg(o, x.a, _prelu_weight(x, w, nplanes))


def act_prelu_bwd(gi: Tensor, x: Tensor, g: Tensor, w: Tensor, nplanes: int) -> None:
    """gradInput = x > 0 ? g : w * g."""
    o, ga = _grad(gi, x, g, False)
    if o is not None:
        _slope_grad(o, x.a, ga, _prelu_weight(x, w, nplanes))


def act_prelu_acc(gw: Tensor, x: Tensor, g: Tensor, nplanes: int, scale: float) -> None:
    """gradWeight += scale * sum(x * g where x <= 0) (per plane)."""
    if not x.size:
        return
    ga = nelement_check(x, g)
    a = x.a
    prod = np.minimum(a, 0) * ga
    if nplanes == 0:
        gw.a[...] += scale * prod.sum()
        return
    _prelu_weight(x, gw, nplanes)
    ax = 0 if len(x.size) in (1, 3) else 1
    axes = tuple(i for i in range(len(x.size)) if i != ax)
    s = prod.sum(axis=axes) if axes else prod
    gw.a[...] += scale * s.reshape(gw.a.shape)


def act_rrelu_fwd(out: Tensor, noise: Tensor, x: Tensor, lower: float, upper: float,
                  train: bool, inplace: bool) -> None:
    """Training: negative inputs times a U(lower, upper) draw (kept in noise); else the mean."""
    if train:
        if not x.size:
            fit(noise, ())
        else:
            nz = fit(noise, x.size)
            neg = x.a <= 0
            k = int(neg.sum())
            nz.fill(1)
            if k:
                gen = get_generator(None)
                draws = gen.uniform_array(k) * (upper - lower) + lower
                nz[neg] = x.xp.asarray(draws.astype(nz.dtype))
    o = _unary(out, x, inplace)
    if o is None:
        return
    a = x.a
    if train:
        np.multiply(a, noise.a, out=o)
    else:
        _pos_neg(o, a, real(x, (lower + upper) / 2))


def act_rrelu_bwd(gi: Tensor, x: Tensor, g: Tensor, noise: Tensor, lower: float, upper: float,
                  train: bool, inplace: bool) -> None:
    """gradInput = g * noise in training (random slopes), else the fixed mean slope."""
    o, ga = _grad(gi, x, g, inplace)
    if o is None:
        return
    if train and upper - lower > 1e-6:
        np.multiply(ga, noise.a, out=o)
    else:
        _slope_grad(o, x.a, ga, real(x, (lower + upper) / 2))


# -- CReLU ---------------------------------------------------------------------------------------
def act_crelu_fwd(out: Tensor, x: Tensor, batched: bool) -> None:
    """y = [relu(x), relu(-x)] joined along the feature dimension (after flattening)."""
    if not x.size:
        fit(out, ())
        return
    size = list(x.size)
    size[1 if batched else 0] *= 2
    o = fit(out, tuple(size))
    n = size[0] if batched else 1
    a = x.a.reshape(n, -1)
    ov = o.reshape(n, 2, -1)
    np.maximum(a, 0, out=ov[:, 0])
    np.maximum(-a, 0, out=ov[:, 1])


def act_crelu_bwd(gi: Tensor, x: Tensor, g: Tensor, batched: bool) -> None:
    """gradInput = g_pos * (x > 0) - g_neg * (x < 0)."""
    if not x.size:
        fit(gi, ())
        return
    n = x.size[0] if batched else 1
    if g.a.size != 2 * x.a.size:
        raise TorchError(f"gradOutput{size_str(g.size)} should have twice the elements of "
                         f"input{size_str(x.size)}")
    o = fit(gi, x.size)
    a = x.a.reshape(n, -1)
    gv = g.a.reshape(n, 2, -1)
    res = gv[:, 0] * (a > 0) - gv[:, 1] * (a < 0)
    o[...] = res.reshape(o.shape)


# -- SoftMax family ------------------------------------------------------------------------------
def _sm_axis(x: Tensor, what: str = "1D, 2D, 3D or 4D tensor expected") -> int:
    """THNN's feature dimension: vectors and (batch) planes use the first non-batch axis."""
    nd = len(x.size)
    if nd == 0 or nd > 4:
        raise TorchError(what)
    return 0 if nd in (1, 3) else 1


_ONES: dict = {}
# smallest row sum of exp(x - global max) trusted not to have lost a row to underflow
_SAFE_SUM = {np.dtype(np.float32): 1e-30, np.dtype(np.float64): 1e-290}


def _ones(n: int, dtype: Any, xp: Any) -> Any:
    if xp is not np:
        return xp.ones(n, dtype)
    key = (n, dtype)
    v = _ONES.get(key)
    if v is None:
        v = _ONES[key] = np.ones(n, dtype)
    return v


def rowsum(a: Any, ax: int) -> Any:
    """Sum along `ax`, keeping the dimension (a matrix-vector product for rows: much faster
    than a reduction over a short last axis)."""
    if ax == a.ndim - 1 and a.ndim <= 2 and a.dtype.kind == "f":
        xp = np if isinstance(a, np.ndarray) else array_module(a)
        return (a @ _ones(a.shape[-1], a.dtype, xp))[..., None]
    return a.sum(axis=ax, keepdims=True)


def _exp_shifted(o: Any, a: Any, ax: int) -> Any:
    """o = exp(a - shift) with a per-row shift; returns (shift, row sums of o) (kept dims).

    Rows of a vector or matrix share one shift (the global max: one cheap reduction instead
    of a slow one per short row) unless a row sum then risks underflow, or anything is not
    finite; otherwise each row is shifted by its own max, as THNN does.
    """
    if ax == a.ndim - 1 and a.ndim <= 2 and a.dtype in _SAFE_SUM:
        shift = a.max()
        np.subtract(a, shift, out=o)
        np.exp(o, out=o)
        sums = rowsum(o, ax)
        if sums.min() >= _SAFE_SUM[a.dtype]:
            return shift, sums
    shift = a.max(axis=ax, keepdims=True)
    np.subtract(a, shift, out=o)
    np.exp(o, out=o)
    return shift, rowsum(o, ax)


def softmax_into(o: Any, a: Any, ax: int, negate: bool = False) -> None:
    """o = softmax(a) (or softmax(-a)) along `ax`."""
    if negate:
        a = np.negative(a)
    _, sums = _exp_shifted(o, a, ax)
    np.divide(o, sums, out=o)


def _geometry(shape: tuple, ax: int) -> tuple:
    """(frames, classes, positions): THNN's nframe, dim and stride for a class axis `ax`."""
    return math.prod(shape[:ax]), shape[ax], math.prod(shape[ax + 1:])


def logsoftmax_into(o: Any, a: Any, ax: int) -> None:
    """o = log(softmax(a)) along `ax`.

    Double follows THNN's order, so that results are Torch7's to the bit: per-row max, the sum
    of exp(x - max) left to right, then x - (max + log(sum)).  NumPy reduces over a leading
    axis row by row, left to right, but over the contiguous axis pairwise; so the classes go
    first: a matrix is summed transposed (D x N), planes as N x D x M, a vector cumulatively.
    NOTE: Float takes the faster (a - shift) - log(sum(exp(a - shift))) with one shift for
    all rows where safe: THNN accumulated floats in double, so float arithmetic in either
    order is an ulp away from Torch7, and the exact order costs up to twice the time.
    """
    if a.dtype != np.float64:
        shift, sums = _exp_shifted(o, a, ax)
        np.log(sums, out=sums)
        np.subtract(a, shift, out=o)  # (a - shift) first: exact where a and shift are close
        np.subtract(o, sums, out=o)
        return
    if a.size == 0:
        return
    xp = np if isinstance(a, np.ndarray) else array_module(a)
    n, d, m = _geometry(a.shape, ax)
    if n * m == 1:
        av = a.reshape(d)
        mx = av.max()
        ls = mx + np.log(xp.cumsum(np.exp(av - mx))[-1])
    elif m == 1:
        av = a.reshape(n, d)
        c = xp.array(av.T, order="C")
        mx = c.max(axis=0)
        np.subtract(c, mx, out=c)
        ls = (np.log(np.exp(c, out=c).sum(axis=0)) + mx)[:, None]
    else:
        av = a.reshape(n, d, m)
        mx = av.max(axis=1, keepdims=True)
        ls = np.log(np.exp(av - mx).sum(axis=1, keepdims=True)) + mx
    np.subtract(av, ls, out=o.reshape(av.shape))


def _class_sums(a: Any, ax: int) -> Any:
    """Sums of `a` over the class axis `ax` added left to right, as THNN's loops (kept dims)."""
    xp = np if isinstance(a, np.ndarray) else array_module(a)
    n, d, m = _geometry(a.shape, ax)
    keep = a.shape[:ax] + (1,) + a.shape[ax + 1:]
    if n * m == 1:
        return xp.cumsum(a.reshape(d))[-1:].reshape(keep)
    if m == 1:
        return xp.array(a.reshape(n, d).T, order="C").sum(axis=0).reshape(keep)
    return xp.ascontiguousarray(a.reshape(n, d, m)).sum(axis=1).reshape(keep)


def act_softmax_fwd(out: Tensor, x: Tensor, negate: bool) -> None:
    """SoftMax (SoftMin when negate) over THNN's feature dimension."""
    ax = _sm_axis(x)
    o = fit(out, x.size)
    softmax_into(o, x.a, ax, negate)


def act_softmax_bwd(gi: Tensor, g: Tensor, y: Tensor, negate: bool) -> None:
    """gradInput = y * (g - sum(g * y)) (negated for SoftMin)."""
    ax = _sm_axis(y)
    ga = nelement_check(y, g, "output", "gradOutput")
    o = fit(gi, y.size)
    b = y.a
    s = rowsum(ga * b, ax)
    np.subtract(ga, s, out=o)
    np.multiply(o, b, out=o)
    if negate:
        np.negative(o, out=o)


def act_logsoftmax_fwd(out: Tensor, x: Tensor) -> None:
    """LogSoftMax over THNN's feature dimension."""
    ax = _sm_axis(x)
    o = fit(out, x.size)
    logsoftmax_into(o, x.a, ax)


def act_logsoftmax_bwd(gi: Tensor, g: Tensor, y: Tensor) -> None:
    """gradInput = g - exp(y) * sum(g): Double sums in THNN's order (Torch7's gradients to the
    bit), Float by a matrix-vector product (faster; THNN summed floats in double anyway)."""
    ax = _sm_axis(y)
    ga = nelement_check(y, g, "output", "gradOutput")
    o = fit(gi, y.size)
    s = _class_sums(ga, ax) if ga.dtype == np.float64 else rowsum(ga, ax)
    np.exp(y.a, out=o)
    np.multiply(o, s, out=o)
    np.subtract(ga, o, out=o)


# -- GatedLinearUnit -----------------------------------------------------------------------------
def _glu_halves(x: Tensor, dim: int | None) -> tuple:
    nd = len(x.size)
    d = nd if dim is None else int(dim)
    if not 1 <= d <= nd:
        raise TorchError(f"dimension {d} out of range of {nd}D tensor")
    n = x.size[d - 1]
    if n % 2:
        raise TorchError("halving dimension needs to be even")
    ax = d - 1
    h = n // 2
    a = x.a
    first = a[(slice(None),) * ax + (slice(0, h),)]
    second = a[(slice(None),) * ax + (slice(h, n),)]
    return ax, h, first, second


def act_glu_fwd(out: Tensor, x: Tensor, dim: int | None) -> None:
    """y = a * sigmoid(b) with [a, b] the two halves of `dim` (default: the last)."""
    ax, h, first, second = _glu_halves(x, dim)
    size = list(x.size)
    size[ax] = h
    o = fit(out, tuple(size))
    sig = np.exp(-second)
    np.add(sig, 1, out=sig)
    np.divide(first, sig, out=o)


def act_glu_bwd(gi: Tensor, x: Tensor, g: Tensor, dim: int | None) -> None:
    """gradInput = [g * sigmoid(b), g * a * sigmoid(b) * (1 - sigmoid(b))]."""
    ax, h, first, second = _glu_halves(x, dim)
    size = list(x.size)
    size[ax] = h
    ga = g.a
    if tuple(size) != g.size:
        if ga.size != first.size:
            raise TorchError(f"gradOutput{size_str(g.size)} does not match the output size "
                             f"{size_str(tuple(size))}")
        ga = ga.reshape(first.shape)
    o = fit(gi, x.size)
    sig = np.exp(-second)
    np.add(sig, 1, out=sig)
    np.reciprocal(sig, out=sig)
    lo = o[(slice(None),) * ax + (slice(0, h),)]
    hi = o[(slice(None),) * ax + (slice(h, 2 * h),)]
    np.multiply(ga, sig, out=lo)
    np.multiply(lo, first * (1 - sig), out=hi)


EXPORTS: dict[str, Callable] = {k: v for k, v in dict(globals()).items()
                                if k.startswith("act_") and callable(v)}
