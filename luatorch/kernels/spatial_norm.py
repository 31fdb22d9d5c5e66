"""Spatial and volumetric normalization kernels of nn (THNN's job), one door call per method.

- `snorm_bn_*`: BatchNormalization over every dimension but the feature one (N x C x ...), as
  SpatialBatchNormalization (4-D) and VolumetricBatchNormalization (5-D) use it, plus the
  non-batch input Torch7 accepts in evaluation.  The input is viewed N x C x M; per-channel
  sums go through a gemv (one pass, no temporary), per-channel sums of products through
  einsum, both accumulated across the batch in double precision; the element-wise work is a
  few in-place ufunc passes with out= against per-channel coefficients.
- `snorm_lrn_*`: SpatialCrossMapLRN (across-channel local response normalization).
- `snorm_nll*`: SpatialClassNLLCriterion (weights, sizeAverage, ignoreIndex).
- `snorm_chanmask`: the per-plane mask product of SpatialDropout / VolumetricDropout.

Arrays come from the tensors' own module (`t.xp`): the same code serves NumPy and CuPy.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from luatorch.kernels import cudnn_frontend, fused, routes
from luatorch.kernels.activation import fit, nelement_check
from luatorch.kernels.normalization import bn_backward_cudnn
from luatorch.tensor import Tensor, TorchError, size_str


def _opt(t: Any) -> Tensor | None:
    return t if isinstance(t, Tensor) else None


# -- BatchNormalization over N x C x ... -------------------------------------------------------
def _bn_view(x: Tensor, nf: int, ndim: int, train: bool, what: str = "input") -> Any:
    """`x`'s array viewed N x C x M, with Torch7's checks (non-batch input only in evaluation)."""
    nd = len(x.size)
    if not (nd == ndim or (nd == ndim - 1 and not train)):
        raise TorchError(f"only mini-batch supported ({ndim}D tensor), got {nd}D tensor instead")
    fdim = 0 if nd == ndim - 1 else 1
    if x.size[fdim] != nf:
        raise TorchError(f"got {x.size[fdim]}-feature tensor, expected {nf}")
    a = x.a
    if nd == ndim - 1:
        return a.reshape(1, nf, -1)
    return a.reshape(a.shape[0], nf, -1)


def _row_sums(xp: Any, a3: Any) -> Any:
    """Sum over M of every (n, c) row of an N x C x M array, as N x C.

    A BLAS gemv against a ones vector: as fast as einsum on big planes, and several times
    faster on small ones (4 x 4), where einsum's per-row overhead dominates."""
    nb, nc, m = a3.shape
    return (a3.reshape(nb * nc, m) @ xp.ones(m, dtype=a3.dtype)).reshape(nb, nc)


def _chan_sum(xp: Any, a3: Any) -> Any:
    """Per-channel sum of an N x C x M array (double precision across the batch)."""
    return _row_sums(xp, a3).sum(axis=0, dtype=np.float64)


def _chan_dot(xp: Any, a3: Any, b3: Any) -> Any:
    """Per-channel sum of a3 * b3 (N x C x M each), without a temporary product."""
    return xp.einsum("ncm,ncm->nc", a3, b3).sum(axis=0, dtype=np.float64)


# Statistics come from sums of the raw input (one pass fewer than centring it first) while
# every channel's mean^2 stays within this multiple of its variance: the cancellation in
# E[x^2] - E[x]^2 (and in sum(x g) - mean sum(g)) then costs at most a few float32 units,
# as much as the rounding of the sums themselves.  Past it (data far from zero mean), the
# input is centred first.
_RAW_MAX = 4.0


def _raw_ok(xp: Any, mean: Any, var: Any) -> bool:
    return bool(xp.all(mean * mean <= _RAW_MAX * var))


# Per-channel coefficients are expanded to a C x M block when it stays cache-sized: a (C, 1)
# column broadcast over the planes makes NumPy's binary loops run at half speed (measured
# 0.69 ms against 0.35 ms for an in-place multiply of 32 x 64 x 1024 float32), while a
# contiguous C x M operand lets the loop run over whole samples.  Past this size the block
# would fall out of cache and the column is the faster form again.
_FULL_MAX = 1 << 17


def _coef(xp: Any, v: Any, dtype: Any, m: int) -> Any:
    """A per-channel vector shaped to broadcast over N x C x M, in the data's type."""
    col = v.astype(dtype, copy=False).reshape(-1, 1)
    if m == 1 or col.shape[0] * m > _FULL_MAX:
        return col
    return xp.ascontiguousarray(xp.broadcast_to(col, (col.shape[0], m)))


def snorm_bn_fwd(out: Tensor, x: Tensor, w: Any, b: Any, rmean: Tensor, rvar: Tensor,
                 smean: Tensor, sstd: Tensor, train: bool, momentum: float, eps: float,
                 ndim: int) -> None:
    """y = (x - mean) / sqrt(var + eps) * w + b per feature (dimension 2 of N x C x ...).

    Training normalises with the batch statistics (kept in smean and sstd = 1/sqrt(var + eps))
    and folds them into running_mean / running_var (unbiased) with `momentum`, in place;
    evaluation uses the running estimates and also takes a single (non-batch) sample.
    """
    nf = rmean.a.size
    a3 = _bn_view(x, nf, ndim, train)
    xp, dt = x.xp, a3.dtype
    m = a3.shape[2]
    n = a3.shape[0] * m
    if train and n > 1 and routes.pick("bn_train", a3) == routes.CUDNN \
            and cudnn_frontend.bn_supported(x.a):
        wt, bt = _opt(w), _opt(b)
        if cudnn_frontend.bn_train(x.a, None if wt is None else wt.a,
                                   None if bt is None else bt.a, rmean.a, rvar.a,
                                   fit(out, x.size), fit(smean, (nf,)), fit(sstd, (nf,)),
                                   momentum, eps):
            return
    o3 = fit(out, x.size).reshape(a3.shape)
    w, b = _opt(w), _opt(b)
    centred = False  # whether o3 holds x - mean already
    if train:
        if n == 0:
            raise TorchError("BatchNormalization: empty input")
        mean = _chan_sum(xp, a3) / n
        ssq = _chan_dot(xp, a3, a3) - n * mean * mean
        centred = not _raw_ok(xp, mean, ssq / n)
        if centred:
            np.subtract(a3, _coef(xp, mean, dt, m), out=o3)
            ssq = _chan_dot(xp, o3, o3)
        invstd = 1.0 / xp.sqrt(ssq / n + eps)
        ra, va = rmean.a, rvar.a
        ra *= 1 - momentum
        ra += (momentum * mean).astype(ra.dtype, copy=False)
        va *= 1 - momentum
        unbiased = ssq / (n - 1) if n > 1 else xp.full_like(ssq, np.inf)
        va += (momentum * unbiased).astype(va.dtype, copy=False)
        fit(smean, (nf,))[...] = mean
        fit(sstd, (nf,))[...] = invstd
    else:
        mean = rmean.a.astype(np.float64)
        invstd = 1.0 / xp.sqrt(rvar.a.astype(np.float64) + eps)
    # y = x k + (b - mean k), or (x - mean) k + b from the centred values
    k = invstd if w is None else invstd * w.a
    if routes.pick("bn_apply", a3) == routes.FUSED:
        # one kernel for (x - mean) * k + b
        vec = (1, nf, 1)
        fused.bn_apply(a3, mean.reshape(vec), k.reshape(vec),
                       None if b is None else b.a.reshape(vec), o3)
        return
    if centred:
        src, shift = o3, (None if b is None else b.a)
    else:
        src, shift = a3, (-mean * k if b is None else b.a - mean * k)
    np.multiply(src, _coef(xp, k, dt, m), out=o3)
    if shift is not None:
        np.add(o3, _coef(xp, shift, dt, m), out=o3)


def snorm_bn_bwd(x: Tensor, g: Tensor, gi: Any, gw: Any, gb: Any, w: Any, rmean: Tensor,
                 rvar: Tensor, smean: Tensor, sstd: Tensor, train: bool, scale: float,
                 eps: float, ndim: int) -> None:
    """gradInput (if given; resized) and gradWeight/gradBias += scale * ... (if given)."""
    nf = rmean.a.size
    a3 = _bn_view(x, nf, ndim, train)
    _bn_view(g, nf, ndim, train, "gradOutput")
    g3 = nelement_check(x, g).reshape(a3.shape)
    xp, dt = x.xp, a3.dtype
    m = a3.shape[2]
    n = a3.shape[0] * m
    gi, gw, gb, w = _opt(gi), _opt(gw), _opt(gb), _opt(w)
    if train and n > 1 and routes.pick("bn_backward", a3) == routes.CUDNN \
            and cudnn_frontend.bn_supported(x.a) and smean.a.size == nf \
            and bn_backward_cudnn(x, g3.reshape(x.a.shape), gi, gw, gb,
                                  None if w is None else w.a, smean, sstd, scale):
        return
    if train:
        if smean.a.size != nf or sstd.a.size != nf:
            raise TorchError("must call :updateOutput() first")
        mean, invstd = smean.a.astype(np.float64), sstd.a.astype(np.float64)
    else:
        mean = rmean.a.astype(np.float64)
        invstd = 1.0 / xp.sqrt(rvar.a.astype(np.float64) + eps)
    k = invstd if w is None else invstd * w.a
    need_dot = (gw is not None and scale != 0) or (gi is not None and train)
    need_gsum = (gb is not None and scale != 0) or (gi is not None and train)
    gsum = _chan_sum(xp, g3) if need_gsum else None
    o3 = fit(gi, x.size).reshape(a3.shape) if gi is not None else None
    dotp = None
    centred = False
    if need_dot:
        # sum((x - mean) * g) per channel: from the raw input when the batch's mean is small
        # enough against its spread (_RAW_MAX; invstd^2 is 1 / (var + eps)), else centred
        # first; in evaluation the running estimates say nothing of this input's spread
        if train and need_gsum and _raw_ok(xp, mean * invstd, 1.0):
            dotp = _chan_dot(xp, a3, g3) - mean * gsum
        else:
            centred = True
            c3 = o3 if o3 is not None else xp.empty_like(a3)
            np.subtract(a3, _coef(xp, mean, dt, m), out=c3)
            dotp = _chan_dot(xp, c3, g3)
    if o3 is None:
        pass
    elif not train:
        np.multiply(g3, _coef(xp, k, dt, m), out=o3)
    elif centred:
        # gradInput = (g - c * mean(c g) / var - mean(g)) * invstd * w, c in o3 already
        np.multiply(o3, _coef(xp, -dotp * invstd * invstd / n, dt, m), out=o3)
        np.add(o3, g3, out=o3)
        np.multiply(o3, _coef(xp, k, dt, m), out=o3)
        np.add(o3, _coef(xp, -gsum / n * k, dt, m), out=o3)
    else:
        # gradInput = k (g - mean(g) - (x - mean) mean(c g) / var) = k (g + alpha x + beta)
        alpha = -dotp * invstd * invstd / n
        np.multiply(a3, _coef(xp, alpha, dt, m), out=o3)
        np.add(o3, _coef(xp, -gsum / n - mean * alpha, dt, m), out=o3)
        np.add(o3, g3, out=o3)
        np.multiply(o3, _coef(xp, k, dt, m), out=o3)
    if gw is not None and scale != 0:
        gw.a[...] += (scale * dotp * invstd).astype(gw.a.dtype, copy=False)
    if gb is not None and scale != 0:
        gb.a[...] += (scale * gsum).astype(gb.a.dtype, copy=False)


# -- SpatialCrossMapLRN ------------------------------------------------------------------------
def _lrn_view(x: Tensor) -> Any:
    nd = len(x.size)
    if nd not in (3, 4):
        raise TorchError("Input must be 3D or 4D")
    return x.a if nd == 4 else x.a.reshape((1,) + x.a.shape)


def _window_sum(xp: Any, a: Any, size: int, lead: int) -> Any:
    """s[:, c] = sum of a[:, c - lead .. c - lead + size - 1] (zero outside), over channels."""
    nb, nc = a.shape[0], a.shape[1]
    pad = xp.zeros((nb, nc + size - 1) + a.shape[2:], a.dtype)
    pad[:, lead:lead + nc] = a
    s = pad[:, 0:nc].copy()
    for d in range(1, size):
        s += pad[:, d:d + nc]
    return s


def snorm_lrn_fwd(out: Tensor, scale: Tensor, x: Tensor, size: int, alpha: float, beta: float,
                  k: float) -> None:
    """scale = k + alpha/size * sum of x^2 over `size` neighbouring channels;
    out = x * scale^-beta."""
    size = int(size)
    a = _lrn_view(x)
    xp, dt = x.xp, a.dtype
    pre = (size - 1) // 2
    s = _window_sum(xp, a * a, size, pre)
    sc = fit(scale, x.size).reshape(a.shape)
    np.multiply(s, dt.type(alpha / size), out=sc)
    np.add(sc, dt.type(k), out=sc)
    o = fit(out, x.size).reshape(a.shape)
    np.power(sc, dt.type(-beta), out=o)
    np.multiply(o, a, out=o)


def snorm_lrn_bwd(gi: Tensor, x: Tensor, g: Tensor, scale: Tensor, out: Tensor, size: int,
                  alpha: float, beta: float, k: float) -> None:
    """gradInput = g * scale^-beta - 2 alpha beta / size * x * sum(g * out / scale) over the
    channels whose window holds this one."""
    size = int(size)
    a = _lrn_view(x)
    if scale.size != x.size or out.size != x.size:
        raise TorchError("SpatialCrossMapLRN: call updateOutput() with this input first")
    ga = nelement_check(x, g).reshape(a.shape)
    xp, dt = x.xp, a.dtype
    sc = scale.a.reshape(a.shape)
    ya = out.a.reshape(a.shape)
    pre = (size - 1) // 2
    ratio = ga * ya
    np.divide(ratio, sc, out=ratio)
    acc = _window_sum(xp, ratio, size, size - 1 - pre)
    o = fit(gi, x.size).reshape(a.shape)
    np.power(sc, dt.type(-beta), out=o)
    np.multiply(o, ga, out=o)
    np.multiply(acc, a, out=acc)
    np.multiply(acc, dt.type(2 * alpha * beta / size), out=acc)
    np.subtract(o, acc, out=o)


# -- SpatialClassNLLCriterion ------------------------------------------------------------------
_NLL = "nn.SpatialClassNLLCriterion"


def _nll_parts(x: Tensor, t: Any, w: Any, ignore_index: Any) -> tuple:
    """(input N x C x M, (batch, class, pixel) index arrays of the targets, per-pixel weights
    N x M or None for all ones, total weight)."""
    nd = len(x.size)
    if nd not in (3, 4):
        raise TorchError(f"{_NLL}: only batches of spatial inputs supported (4D tensors), got "
                         f"input{size_str(x.size)}")
    xp = x.xp
    a = x.a if nd == 4 else x.a.reshape((1,) + x.a.shape)
    nb, nc = a.shape[0], a.shape[1]
    a3 = a.reshape(nb, nc, -1)
    if not isinstance(t, Tensor):
        raise TorchError(f"{_NLL}: target tensor expected")
    ok = (len(t.size) == nd - 1 and t.size[0:] == x.size[0:1] + x.size[2:]) if nd == 4 \
        else (len(t.size) == 2 and t.size == x.size[1:])
    if not ok:
        raise TorchError(f"{_NLL}: size mismatch (got input: {size_str(x.size)}, target: "
                         f"{size_str(t.size)})")
    ta = t.a.reshape(nb, -1)
    ti = xp.trunc(ta).astype(np.int64) if ta.dtype.kind == "f" else ta.astype(np.int64)
    valid = ti != int(ignore_index) if ignore_index is not None else None
    bad = (ti < 1) | (ti > nc)
    if valid is not None:
        bad &= valid
    if bool(bad.any()):
        v = int(ti[bad][0])
        raise TorchError(f"{_NLL}: target out of range (got {v}, expected a class index "
                         f"between 1 and {nc})")
    idx = ti - 1
    if valid is not None:
        idx = xp.where(valid, idx, 0)
    wt = _opt(w)
    if wt is not None:
        if wt.a.size != nc:
            raise TorchError(f"{_NLL}: weight tensor should be defined either for all {nc} "
                             f"classes or no classes but got weight tensor of shape: "
                             f"{size_str(wt.size)}")
        cw = wt.a.reshape(-1)[idx].astype(a.dtype, copy=False)
        if valid is not None:
            cw = cw * valid
    elif valid is not None:
        cw = valid.astype(a.dtype)
    else:
        cw = None
    total = float(cw.sum(dtype=np.float64)) if cw is not None else float(ti.size)
    where = (xp.arange(nb)[:, None], idx, xp.arange(idx.shape[1])[None, :])
    return a3, where, cw, total


def snorm_nll(x: Tensor, t: Any, w: Any, size_average: bool, ignore_index: Any = -100) -> tuple:
    """-sum w[t] x[t] over every pixel (/ total weight): returns (loss, total weight)."""
    a3, where, cw, total = _nll_parts(x, t, w, ignore_index)
    xp = x.xp
    picked = a3[where]
    if cw is None:
        s = -picked.sum(dtype=np.float64)
    else:
        s = -xp.einsum("nm,nm->", picked, cw, dtype=np.float64)
    if size_average and total != 0:
        s = s / total
    return float(a3.dtype.type(s)), float(a3.dtype.type(total))


def snorm_nll_grad(gi: Tensor, x: Tensor, t: Any, w: Any, size_average: bool,
                   ignore_index: Any = -100, total: float | None = None) -> None:
    """gradInput = -w[t] (/ total weight) at each pixel's target class, 0 elsewhere.

    `total` is the total weight the last forward stored (THNN divides by it); None takes
    this batch's."""
    a3, where, cw, fresh = _nll_parts(x, t, w, ignore_index)
    total = fresh if total is None else total
    o = fit(gi, x.size)
    o.fill(0)
    if not total > 0:  # THNN leaves the gradient at zero
        return
    sc = a3.dtype.type(-1.0 / total if size_average else -1.0)
    o.reshape(a3.shape)[where] = sc if cw is None else cw * sc


# -- SpatialDropout / VolumetricDropout ---------------------------------------------------------
def snorm_chanmask(out: Tensor, x: Tensor, mask: Any) -> None:
    """out = x * mask, the mask (N x C x 1 x 1 ..., or a number) broadcast over each plane."""
    o = fit(out, x.size)
    m = mask.a if isinstance(mask, Tensor) else x.a.dtype.type(mask)
    np.multiply(x.a, m, out=o)


EXPORTS: dict[str, Callable] = {k: v for k, v in dict(globals()).items()
                                if k.startswith("snorm_") and callable(v)}
