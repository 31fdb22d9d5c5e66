"""Fused kernels of nn.Linear: each Lua method is one door call doing resize, product and bias.

Inputs are 1-D (one sample) or 2-D (a batch, one sample per row); the weight is
outputSize x inputSize, the bias (optional) has outputSize elements.  Products go through the
array module's `matmul` straight into the result buffer, so they run at its BLAS speed.  These
run on every training step: the checks are kept to a few attribute reads.
"""

from __future__ import annotations

from typing import Any, Optional

from luatorch.tensor import DTYPE_NAME, Storage, Tensor, TorchError, size_str


def _typename(t: Tensor) -> str:
    return f"torch.{DTYPE_NAME.get(t.dtype, str(t.dtype))}Tensor"


def _fit(out: Tensor, shape: tuple) -> Any:
    """`out` resized to `shape` (contiguous); returns its array.  A result without storage of
    its own gets an unfilled buffer (every element is about to be written)."""
    if out.size == shape and out.a.flags.c_contiguous:
        return out.a
    st = out.storage
    if st.size() == 0 and len(st.views) <= 1:
        n = 1
        for s in shape:
            n *= s
        dev = st.device
        out.set_geometry(Storage(dev.empty(n, out.dtype), dev), 0, shape)
    else:
        out.resize(shape)
    return out.a


def _bad_input(x: Any, weight: Tensor, what: str) -> TorchError:
    """The error for an argument that is not a tensor of the weight's type."""
    if not isinstance(x, Tensor):
        return TorchError(f"{what} must be a vector or matrix (got {type(x).__name__})")
    return TorchError(f"{what} is a {_typename(x)} but the module holds {_typename(weight)}s "
                      f"(convert one of them with :type())")


def _arrays(x: Any, weight: Tensor, what: str) -> Any:
    """x's array, checked to be a tensor of the weight's element type."""
    if type(x) is not Tensor or x.a.dtype != weight.a.dtype:
        raise _bad_input(x, weight, what)
    return x.a


def lin_forward(out: Tensor, x: Any, weight: Tensor, bias: Optional[Tensor]) -> None:
    """out = x W^T + b for a sample (1-D x) or a batch (2-D x, one sample per row)."""
    xa = _arrays(x, weight, "input")
    wa = weight.a
    nout, nin = wa.shape
    if out.a.dtype != wa.dtype:
        raise _bad_input(out, weight, "output")
    xp = weight.storage.device.xp
    nd = xa.ndim
    if nd == 1 and len(x.size) == 1:
        if xa.shape[0] != nin:
            raise TorchError(f"size mismatch, {size_str(weight.size)}, {size_str(x.size)}")
        oa = _fit(out, (nout,))
        xp.matmul(wa, xa, out=oa)
    elif nd == 2:
        if xa.shape[1] != nin:
            raise TorchError(f"size mismatch, m1: {size_str(x.size)}, "
                             f"m2: {size_str((nin, nout))}")
        oa = _fit(out, (xa.shape[0], nout))
        xp.matmul(xa, wa.T, out=oa)
    else:
        raise TorchError("input must be vector or matrix")
    if bias is not None:
        ba = bias.a
        if ba.dtype != wa.dtype or ba.shape != (nout,):
            raise TorchError(f"bias must be a {_typename(weight)} of {nout} elements")
        xp.add(oa, ba, out=oa)


def lin_grad_input(gin: Tensor, x: Any, gout: Any, weight: Tensor) -> None:
    """gradInput = gradOutput W, sized like the input."""
    xa = _arrays(x, weight, "input")
    ga = _arrays(gout, weight, "gradOutput")
    if gin.a.dtype != weight.a.dtype:
        raise _bad_input(gin, weight, "gradInput")
    wa = weight.a
    nout, nin = wa.shape
    xp = weight.storage.device.xp
    nd = xa.ndim
    if nd == 1 and len(x.size) == 1:
        if ga.shape != (nout,):
            raise TorchError(f"size mismatch, {size_str((nin, nout))}, {size_str(gout.size)}")
        xp.matmul(ga, wa, out=_fit(gin, (nin,)))
    elif nd == 2:
        if ga.ndim != 2 or ga.shape[1] != nout or ga.shape[0] != xa.shape[0]:
            raise TorchError(f"size mismatch, m1: {size_str(gout.size)}, "
                             f"m2: {size_str(weight.size)}")
        xp.matmul(ga, wa, out=_fit(gin, (xa.shape[0], nin)))
    else:
        raise TorchError("input must be vector or matrix")


def lin_acc_grad(x: Any, gout: Any, gweight: Tensor, gbias: Optional[Tensor],
                 scale: float = 1.0) -> None:
    """gradWeight += scale gradOutput^T x; gradBias += scale * (sum of gradOutput rows)."""
    xa = _arrays(x, gweight, "input")
    ga = _arrays(gout, gweight, "gradOutput")
    gw = gweight.a
    nout, nin = gw.shape
    xp = gweight.storage.device.xp
    nd = xa.ndim
    if nd == 1 and len(x.size) == 1:
        if ga.shape != (nout,) or xa.shape[0] != nin:
            raise TorchError(f"size mismatch, {size_str(gout.size)}, {size_str(x.size)}")
        prod = ga[:, None] * xa
        g = ga
    elif nd == 2:
        if ga.ndim != 2 or ga.shape[0] != xa.shape[0] or ga.shape[1] != nout \
                or xa.shape[1] != nin:
            raise TorchError(f"size mismatch, m1: {size_str(gout.size[::-1])}, "
                             f"m2: {size_str(x.size)}")
        prod = xp.matmul(ga.T, xa)
        g = ga.sum(axis=0)
    else:
        raise TorchError("input must be vector or matrix")
    if scale != 1:
        prod *= scale
    gw += prod
    if gbias is not None:
        gb = gbias.a
        if gb.dtype != gw.dtype or gb.shape != (nout,):
            raise TorchError(f"gradBias must be a {_typename(gweight)} of {nout} elements")
        if scale != 1:
            g = g * scale
        gb += g


EXPORTS = {
    "lin_forward": lin_forward,
    "lin_grad_input": lin_grad_input,
    "lin_acc_grad": lin_acc_grad,
}
