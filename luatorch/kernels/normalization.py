"""Normalization layers of nn: BatchNormalization, LayerNormalization, Normalize, WeightNorm.

One door call per updateOutput / backward.  Optional tensors (weight, bias, gradInput, ...)
arrive as None or false.  Statistics are computed in the input's element type; running means and
variances are updated in place so flattened parameter storages stay shared.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from luatorch.kernels import cudnn_frontend, fused, routes
from luatorch.kernels.activation import fit, nelement_check
from luatorch.tensor import Tensor, TorchError, size_str


def _opt(t: Any) -> Tensor | None:
    return t if isinstance(t, Tensor) else None


def _bn_geometry(x: Tensor, n_features: int) -> tuple:
    """(reduction axes, broadcast shape of per-feature vectors, count per feature)."""
    nd = len(x.size)
    if nd < 2 or x.size[1] != n_features:
        raise TorchError(f"got input{size_str(x.size)}, expected {n_features} features in "
                         "dimension 2")
    axes = (0,) + tuple(range(2, nd))
    shape = [1] * nd
    shape[1] = n_features
    return axes, tuple(shape), x.a.size // n_features


def norm_bn_fwd(out: Tensor, x: Tensor, w: Any, b: Any, rmean: Tensor, rvar: Tensor,
                smean: Tensor, sstd: Tensor, train: bool, momentum: float, eps: float) -> None:
    """y = (x - mean) / sqrt(var + eps) * w + b per feature (dimension 2).

    Training uses the batch statistics (kept in smean and sstd = 1 / sqrt(var + eps)) and folds
    them into the running mean and unbiased variance with `momentum`; evaluation uses the
    running estimates.
    """
    nf = rmean.a.size
    axes, shape, n = _bn_geometry(x, nf)
    a = x.a
    if train and routes.pick("bn_train", a) == routes.CUDNN and n > 1 \
            and cudnn_frontend.bn_supported(a) \
            and cudnn_frontend.bn_train(a, _arr(w), _arr(b), rmean.a, rvar.a, fit(out, x.size),
                                        fit(smean, (nf,)), fit(sstd, (nf,)), momentum, eps):
        return
    if train:
        mean = a.mean(axis=axes)
        c = a - mean.reshape(shape)
        ssq = (c * c).sum(axis=axes)
        invstd = 1 / np.sqrt(ssq / n + eps)
        ra, va = rmean.a, rvar.a
        ra *= 1 - momentum
        ra += momentum * mean
        va *= 1 - momentum
        with np.errstate(divide="ignore", invalid="ignore"):
            va += momentum * (ssq / (n - 1) if n > 1 else ssq * np.inf)
        fit(smean, (nf,))[...] = mean
        fit(sstd, (nf,))[...] = invstd
    else:
        # NOTE: nn sizes save_mean/save_std to the feature count in every mode and THNN leaves
        # them alone outside training (a batch of one): scripts read them, e.g. save_std:max()
        fit(smean, (nf,))
        fit(sstd, (nf,))
        mean = rmean.a
        invstd = 1 / np.sqrt(rvar.a + eps)
    o = fit(out, x.size)
    scale = invstd if _opt(w) is None else invstd * w.a
    if routes.pick("bn_apply", a) == routes.FUSED:
        # one kernel for (x - mean) * scale + bias
        fused.bn_apply(a, mean.reshape(shape), scale.reshape(shape),
                       None if _opt(b) is None else b.a.reshape(shape), o)
        return
    if not train:
        c = a - mean.reshape(shape).astype(a.dtype, copy=False)
    np.multiply(c, scale.reshape(shape).astype(a.dtype, copy=False), out=o)
    if _opt(b) is not None:
        np.add(o, b.a.reshape(shape), out=o)


def _arr(t: Any) -> Any:
    return t.a if isinstance(t, Tensor) else None


def bn_backward_cudnn(x: Tensor, ga: Any, gi: Any, gw: Any, gb: Any, wa: Any, smean: Tensor,
                       sstd: Tensor, scale: float) -> bool:
    """norm_bn_bwd on the cuDNN route: gradInput, and scale * the parameters' gradients added
    (cuDNN overwrites its outputs: they are computed aside); False when cuDNN has no plan."""
    xp = x.xp
    nf = smean.a.size
    dx = fit(gi, x.size) if gi is not None else xp.empty_like(x.a)
    dscale, dbias = xp.empty(nf, x.a.dtype), xp.empty(nf, x.a.dtype)
    gac = ga if ga.flags.c_contiguous else xp.ascontiguousarray(ga)
    if not cudnn_frontend.bn_backward(x.a, gac, wa, smean.a, sstd.a, dx, dscale, dbias):
        return False
    if gw is not None and scale != 0:
        gw.a[...] += scale * dscale
    if gb is not None and scale != 0:
        gb.a[...] += scale * dbias
    return True


def norm_bn_bwd(x: Tensor, g: Tensor, gi: Any, gw: Any, gb: Any, w: Any, rmean: Tensor,
                rvar: Tensor, smean: Tensor, sstd: Tensor, train: bool, scale: float,
                eps: float) -> None:
    """gradInput (if given) and gradWeight/gradBias += scale * ... (if given)."""
    nf = rmean.a.size
    axes, shape, n = _bn_geometry(x, nf)
    ga = nelement_check(x, g)
    if train and routes.pick("bn_backward", x.a) == routes.CUDNN and n > 1 \
            and cudnn_frontend.bn_supported(x.a) and smean.a.size == nf \
            and bn_backward_cudnn(x, ga, _opt(gi), _opt(gw), _opt(gb), _arr(w), smean, sstd,
                                  scale):
        return
    if train:
        if smean.a.size != nf or sstd.a.size != nf:
            raise TorchError("must call :updateOutput() first")
        mean, invstd = smean.a, sstd.a
    else:
        mean, invstd = rmean.a, 1 / np.sqrt(rvar.a + eps)
    c = x.a - mean.reshape(shape).astype(x.a.dtype, copy=False)
    gsum = ga.sum(axis=axes)
    dotp = (c * ga).sum(axis=axes)
    gi, gw, gb, w = _opt(gi), _opt(gw), _opt(gb), _opt(w)
    if gi is not None:
        f = invstd if w is None else invstd * w.a
        o = fit(gi, x.size)
        if train:
            k = (dotp * invstd * invstd / n).reshape(shape)
            np.multiply(c, k, out=o)
            np.subtract(ga, o, out=o)
            np.subtract(o, (gsum / n).reshape(shape), out=o)
            np.multiply(o, f.reshape(shape), out=o)
        else:
            np.multiply(ga, f.reshape(shape), out=o)
    if gw is not None and scale != 0:
        gw.a[...] += scale * dotp * invstd
    if gb is not None and scale != 0:
        gb.a[...] += scale * gsum


# -- LayerNormalization --------------------------------------------------------------------------
def _ln_parts(x: Tensor, eps: float) -> tuple:
    nd = len(x.size)
    if nd not in (1, 2):
        raise TorchError("nn.LayerNormalization: only 1D (a sample) or 2D (a batch) inputs "
                         f"are supported, got input{size_str(x.size)}")
    a = x.a
    n = a.shape[-1]
    c = a - a.mean(axis=-1, keepdims=True)
    norm = np.sqrt((c * c).sum(axis=-1, keepdims=True) + eps)
    return c, norm, np.sqrt(n)


def norm_ln_fwd(out: Tensor, x: Tensor, w: Any, b: Any, eps: float) -> None:
    """y = sqrt(n) (x - mean) / sqrt(||x - mean||^2 + eps) * w + b over the last dimension."""
    c, norm, s = _ln_parts(x, eps)
    o = fit(out, x.size)
    np.divide(c, norm / s, out=o)
    if _opt(w) is not None:
        np.multiply(o, w.a, out=o)
    if _opt(b) is not None:
        np.add(o, b.a, out=o)


def norm_ln_bwd(gi: Any, gw: Any, gb: Any, x: Tensor, g: Tensor, w: Any, eps: float,
                scale: float) -> None:
    """gradInput (if given) and gradWeight/gradBias += scale * ... (if given)."""
    ga = nelement_check(x, g)
    c, norm, s = _ln_parts(x, eps)
    y = c * (s / norm)
    gi, gw, gb, w = _opt(gi), _opt(gw), _opt(gb), _opt(w)
    if gi is not None:
        gy = ga if w is None else ga * w.a
        gc = (gy - c * ((c * gy).sum(axis=-1, keepdims=True) / (norm * norm))) * (s / norm)
        o = fit(gi, x.size)
        np.subtract(gc, gc.mean(axis=-1, keepdims=True), out=o)
    batch = len(x.size) == 2
    if gw is not None and scale != 0:
        p = ga * y
        gw.a[...] += scale * (p.sum(axis=0) if batch else p)
    if gb is not None and scale != 0:
        gb.a[...] += scale * (ga.sum(axis=0) if batch else ga)


# -- Normalize -----------------------------------------------------------------------------------
def _nz_parts(x: Tensor, p: float, eps: float) -> tuple:
    if len(x.size) not in (1, 2):
        raise TorchError("nn.Normalize: only 1d layer supported (1D or 2D input), got "
                         f"input{size_str(x.size)}")
    a = x.a.reshape(1, -1) if len(x.size) == 1 else x.a
    if p == np.inf:
        ab = np.abs(a)
        k = ab.argmax(axis=1)
        norm = ab[np.arange(a.shape[0]), k] + eps
        return a, norm[:, None], None, k
    normp = (np.abs(a) ** p).sum(axis=1, keepdims=True) + eps
    return a, normp ** (1 / p), normp, None


def norm_normalize_fwd(out: Tensor, x: Tensor, p: float, eps: float) -> None:
    """y = x / (sum |x|^p + eps)^(1/p) per sample (p = inf: max |x| + eps)."""
    a, norm, _, _ = _nz_parts(x, p, eps)
    o = fit(out, x.size)
    np.divide(a, norm, out=o.reshape(a.shape))


def norm_normalize_bwd(gi: Tensor, x: Tensor, g: Tensor, p: float, eps: float) -> None:
    """Gradient of norm_normalize_fwd."""
    a, norm, normp, k = _nz_parts(x, p, eps)
    ga = nelement_check(x, g).reshape(a.shape)
    cross = (a * ga).sum(axis=1, keepdims=True)
    if p == np.inf:
        buf = np.zeros_like(a)
        rows = np.arange(a.shape[0])
        buf[rows, k] = a[rows, k] / norm[:, 0]
        res = (ga * norm - buf * cross) / (norm * norm)
    else:
        if p % 2 != 0:
            ab = np.abs(a)
            if p < 2:
                ab = ab + eps
            buf = ab ** (p - 2) * a
        elif p == 2:
            buf = a
        else:
            buf = a ** (p - 2) * a
        res = (ga * normp - buf * cross) / (normp * norm)
    o = fit(gi, x.size)
    o.reshape(a.shape)[...] = res


# -- WeightNorm ----------------------------------------------------------------------------------
def _wn_front(t: Tensor, outdim: int) -> Any:
    """The weight viewed nOut x rest (output dimension first)."""
    a = t.a
    a = np.moveaxis(a, outdim - 1, 0) if outdim != 1 else a
    return a.reshape(a.shape[0], -1)


def norm_wn_rownorm(g: Tensor, v: Tensor) -> None:
    """g = the 2-norm of each row of v."""
    va = v.a
    o = fit(g, (va.shape[0],))
    np.sqrt((va * va).sum(axis=1), out=o)


def norm_wn_weight(weight: Tensor, v: Tensor, g: Tensor, nrm: Tensor, scl: Tensor,
                   outdim: int) -> None:
    """weight = g * v / sqrt(||v||^2 + 1e-4) (rows), written back in the weight's layout."""
    va = v.a
    nout = va.shape[0]
    n = fit(nrm, (nout,))
    np.sqrt((va * va).sum(axis=1) + 1e-4, out=n)
    sc = fit(scl, (nout,))
    np.divide(g.a, n, out=sc)
    w2 = va * sc[:, None]
    wa = weight.a
    if outdim != 1:
        wa = np.moveaxis(wa, outdim - 1, 0)
    wa[...] = w2.reshape(wa.shape)


def norm_wn_grad(gv: Tensor, gg: Tensor, gw: Tensor, v: Tensor, nrm: Tensor, scl: Tensor,
                 outdim: int) -> None:
    """gradG = sum(gradW * v / ||v||), gradV = gradW * g / ||v|| - v g gradG / ||v||^2."""
    d = _wn_front(gw, outdim)
    va = v.a
    n = nrm.a[:, None]
    sc = scl.a[:, None]
    ggv = (d * va / n).sum(axis=1)
    fit(gg, (va.shape[0],))[...] = ggv
    fit(gv, va.shape)[...] = d * sc - va * (sc / n) * ggv[:, None]


EXPORTS: dict[str, Callable] = {k: v for k, v in dict(globals()).items()
                                if k.startswith("norm_") and callable(v)}
