"""Fused element-wise kernels for CuPy arrays: one launch where the generic code makes several.

Each kernel computes exactly what the generic NumPy-API code beside its caller computes, in the
same order of operations; `routes.pick` decides when it serves (CuPy arrays, `routes.flags.fused`).
The kernels are compiled by CuPy on first use and cached by it.

  bn_apply   y = (x - mean) * k + b, per-feature vectors broadcast   (BatchNormalization)
  bn_relu    the same, then max(y, 0)                                (BatchNorm + ReLU)
  sgd        momentum buffer, Nesterov and the step in one pass     (optim.sgd)
  adam       both moments, the denominator and the step in one pass (optim.adam)
  mse_grad   gradInput = k (x - t)                                   (MSECriterion)
"""

from __future__ import annotations

from typing import Any, Dict

from luatorch.kernels import routes
from luatorch.tensor import Tensor

_kernels: Dict[str, Any] = {}

# name: (input params, output params, body)
_SOURCES = {
    "bn_apply": ("T x, T mean, T k, T b", "T y", "y = (x - mean) * k + b"),
    "bn_relu": ("T x, T mean, T k, T b", "T y",
                "T v = (x - mean) * k + b; y = v > (T)0 ? v : (T)0"),
    "sgd": ("T mom, T damp1, T clr, int32 nesterov", "T g, T buf, T x",
            "buf = buf * mom + damp1 * g;"
            "if (nesterov) { g = g + mom * buf; x = x - clr * g; } else { x = x - clr * buf; }"),
    "adam": ("T g, T beta1, T rest1, T beta2, T rest2, T eps, T step", "T m, T v, T denom, T x",
             "m = m * beta1 + rest1 * g;"
             "v = v * beta2 + (rest2 * g) * g;"
             "denom = sqrt(v) + eps;"
             "x = x + (step * m) / denom"),
    "mse_grad": ("T x, T t, T k", "T o", "o = (x - t) * k"),
}


def kernel(name: str) -> Any:
    """The CuPy ElementwiseKernel `name` (built once)."""
    k = _kernels.get(name)
    if k is None:
        import cupy  # noqa: PLC0415

        ins, outs, body = _SOURCES[name]
        # NOTE: no FMA contraction, so a fused step rounds as the generic one does
        k = _kernels[name] = cupy.ElementwiseKernel(ins, outs, body, f"luatorch_{name}",
                                                    options=("--fmad=false",))
    return k


def bn_apply(x: Any, mean: Any, k: Any, b: Any, y: Any, relu: bool = False) -> None:
    """y = (x - mean) * k + b (then ReLU when asked); mean, k, b broadcast against x."""
    t = x.dtype.type
    kernel("bn_relu" if relu else "bn_apply")(x, mean.astype(x.dtype, copy=False),
                                              k.astype(x.dtype, copy=False),
                                              t(0) if b is None else b.astype(x.dtype, copy=False),
                                              y)


def _same(*ts: Any) -> bool:
    """Tensors of one element type, contiguous, of the same element count."""
    a0 = ts[0].a
    return all(t.a.dtype == a0.dtype and t.a.size == a0.size and t.is_contiguous() for t in ts)


def optim_sgd_fused(x: Tensor, g: Tensor, buf: Tensor, clr: float, mom: float, damp: float,
                    nesterov: bool) -> bool:
    """optim.sgd's momentum and step as one kernel, when the fused route serves x (False: the
    caller does them itself).  Writes the gradient too under Nesterov, as the generic steps do."""
    if routes.pick("sgd", x.a) != routes.FUSED or not _same(x, g, buf):
        return False
    t = x.a.dtype.type
    kernel("sgd")(t(mom), t(1 - damp), t(clr), 1 if nesterov else 0, g.a, buf.a, x.a)
    return True


def optim_adam_fused(x: Tensor, g: Tensor, m: Tensor, v: Tensor, denom: Tensor, beta1: float,
                     beta2: float, eps: float, step: float) -> bool:
    """optim.adam's moment updates, denominator and step as one kernel (False: not served)."""
    if routes.pick("adam", x.a) != routes.FUSED or not _same(x, g, m, v, denom):
        return False
    t = x.a.dtype.type
    kernel("adam")(g.a, t(beta1), t(1 - beta1), t(beta2), t(1 - beta2), t(eps), t(-step), m.a,
                   v.a, denom.a, x.a)
    return True


EXPORTS = {"optim_sgd_fused": optim_sgd_fused, "optim_adam_fused": optim_adam_fused}
