"""BLAS-like operations: dot, matrix-vector, matrix-matrix, batched products, outer product, cross.

Every `bl_add*` door function computes `r = beta * t + alpha * (product)` with Torch7's checks and
wording; `bl_mv/mm/bmm/ger` are the beta = 0 forms that size the result themselves.  Products go
through the array module's `matmul`, straight into the result when it is contiguous and does not
alias an operand (so `torch.mm` runs at the BLAS speed of the array library).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable

from luatorch.tensor import Storage, Tensor, TorchError, size_str


def _argerr(n: int, fname: str, msg: str) -> TorchError:
    return TorchError(f"bad argument #{n} to '{fname}' ({msg})")


def _fit(out: Tensor, shape: Sequence[int]) -> None:
    """Resize `out` to `shape` unless it already has it (Torch7 keeps the geometry then)."""
    shape = tuple(int(s) for s in shape)
    if out.size != shape:
        out.resize(shape)


def _fit_fresh(out: Tensor, shape: Sequence[int]) -> None:
    """Like _fit, but a result with no storage of its own gets an uninitialised buffer (every
    element is about to be written), saving the zero-fill of a fresh storage."""
    shape = tuple(int(s) for s in shape)
    if out.size == shape:
        return
    st = out.storage
    if st.size() == 0 and len(st.views) <= 1 and all(s > 0 for s in shape):
        n = 1
        for s in shape:
            n *= s
        dev = st.device
        out.set_geometry(Storage(dev.empty(n, out.dtype), dev), 0, shape)
    else:
        out.resize(shape)


def _scalar(t: Tensor, v: float) -> Any:
    """A scalar as Torch7's `real` of t's type (integer types truncate)."""
    return int(v) if t.dtype.kind in "iu" else float(v)


def _aliases(r: Tensor, *srcs: Tensor) -> bool:
    return any(r.storage is s.storage for s in srcs)


def _product_into(r: Tensor, beta: float, t: Tensor, alpha: float, prod: Callable,
                  operands: Sequence[Tensor], shape: tuple) -> None:
    """r = beta*t + alpha*prod(); prod(out) computes the product (into `out` when given)."""
    beta, alpha = _scalar(t, beta), _scalar(t, alpha)
    alias = _aliases(r, *operands)
    early = prod(None) if alias else None        # read the operands before r is written
    if beta == 0:
        _fit_fresh(r, shape)
    else:
        _fit(r, shape)
        if r is not t:
            r.a[...] = t.a
    if not r.size:
        return
    ra = r.a
    if beta == 0:
        if early is not None:
            ra[...] = early
        elif ra.flags.c_contiguous:
            prod(ra)
        else:
            ra[...] = prod(None)
        if alpha != 1:
            ra *= alpha
        return
    p = early if early is not None else prod(None)
    if alpha != 1:
        p = p * alpha
    if beta != 1:
        ra *= beta
    ra += p


def _matmul(xp: Any, a: Any, b: Any) -> Callable:
    def run(out: Any | None) -> Any:
        if out is None:
            return xp.matmul(a, b)
        return xp.matmul(a, b, out=out)
    return run


# -- dot ------------------------------------------------------------------------------------------
def bl_dot(a: Tensor, b: Tensor) -> Any:
    """Dot product of two tensors seen as vectors (element counts must match)."""
    if a.numel() != b.numel():
        raise TorchError(f"inconsistent tensor size, expected tensor {size_str(a.size)} and src "
                         f"{size_str(b.size)} to have the same number of elements, but got "
                         f"{a.numel()} and {b.numel()} elements respectively")
    if not a.size:
        return 0
    v = a.xp.dot(a.a.reshape(-1), b.a.reshape(-1))
    return v.item()


# -- matrix-vector --------------------------------------------------------------------------------
def _check_mv(t: Tensor | None, mat: Tensor, vec: Tensor) -> None:
    if len(mat.size) != 2 or len(vec.size) != 1:
        raise TorchError(f"matrix and vector expected, got {len(mat.size)}D, {len(vec.size)}D")
    if mat.size[1] != vec.size[0]:
        raise TorchError(f"size mismatch, {size_str(mat.size)}, {size_str(vec.size)}")
    if t is None:
        return
    if len(t.size) != 1:
        raise TorchError(f"vector expected, got t: {len(t.size)}D")
    if t.size[0] != mat.size[0]:
        raise TorchError(f"size mismatch, t: {size_str(t.size)}, mat: {size_str(mat.size)}")


def bl_addmv(r: Tensor, beta: float, t: Tensor, alpha: float, mat: Tensor, vec: Tensor) -> None:
    """r = beta*t + alpha*(mat @ vec)."""
    _check_mv(t, mat, vec)
    _product_into(r, beta, t, alpha, _matmul(t.xp, mat.a, vec.a), (mat, vec), t.size)


def bl_mv(r: Tensor, mat: Tensor, vec: Tensor) -> None:
    """r = mat @ vec."""
    _check_mv(None, mat, vec)
    _product_into(r, 0, r, 1, _matmul(mat.xp, mat.a, vec.a), (mat, vec), (mat.size[0],))


# -- matrix-matrix --------------------------------------------------------------------------------
def _check_mm(t: Tensor | None, m1: Tensor, m2: Tensor) -> None:
    if len(m1.size) != 2 or len(m2.size) != 2:
        raise TorchError(f"matrices expected, got {len(m1.size)}D, {len(m2.size)}D tensors")
    if m1.size[1] != m2.size[0]:
        raise TorchError(f"size mismatch, m1: {size_str(m1.size)}, m2: {size_str(m2.size)}")
    if t is None:
        return
    if len(t.size) != 2:
        raise TorchError(f"matrix expected, got {len(t.size)}D tensor for t")
    if t.size[0] != m1.size[0] or t.size[1] != m2.size[1]:
        raise TorchError(f"size mismatch, t: {size_str(t.size)}, m1: {size_str(m1.size)}, "
                         f"m2: {size_str(m2.size)}")


def bl_addmm(r: Tensor, beta: float, t: Tensor, alpha: float, m1: Tensor, m2: Tensor) -> None:
    """r = beta*t + alpha*(m1 @ m2)."""
    _check_mm(t, m1, m2)
    _product_into(r, beta, t, alpha, _matmul(t.xp, m1.a, m2.a), (m1, m2), t.size)


def bl_mm(r: Tensor, m1: Tensor, m2: Tensor) -> None:
    """r = m1 @ m2."""
    _check_mm(None, m1, m2)
    _product_into(r, 0, r, 1, _matmul(m1.xp, m1.a, m2.a), (m1, m2),
                  (m1.size[0], m2.size[1]))


# -- outer product --------------------------------------------------------------------------------
def _check_r(t: Tensor | None, v1: Tensor, v2: Tensor) -> None:
    if len(v1.size) != 1 or len(v2.size) != 1:
        raise TorchError(f"vector and vector expected, got {len(v1.size)}D, {len(v2.size)}D "
                         f"tensors")
    if t is None:
        return
    if len(t.size) != 2:
        raise TorchError(f"expected matrix, got {len(t.size)}D tensor for t")
    if t.size[0] != v1.size[0] or t.size[1] != v2.size[0]:
        raise TorchError(f"size mismatch, t: {size_str(t.size)}, vec1: {size_str(v1.size)}, "
                         f"vec2: {size_str(v2.size)}")


def _outer(xp: Any, a: Any, b: Any) -> Callable:
    def run(out: Any | None) -> Any:
        if out is None:
            return xp.multiply.outer(a, b)
        return xp.multiply(a[:, None], b[None, :], out=out)
    return run


def bl_addr(r: Tensor, beta: float, t: Tensor, alpha: float, v1: Tensor, v2: Tensor) -> None:
    """r = beta*t + alpha*outer(v1, v2)."""
    _check_r(t, v1, v2)
    _product_into(r, beta, t, alpha, _outer(t.xp, v1.a, v2.a), (v1, v2), t.size)


def bl_ger(r: Tensor, v1: Tensor, v2: Tensor) -> None:
    """r = outer(v1, v2)."""
    _check_r(None, v1, v2)
    _product_into(r, 0, r, 1, _outer(v1.xp, v1.a, v2.a), (v1, v2), (v1.size[0], v2.size[0]))


# -- batched --------------------------------------------------------------------------------------
def _check_batch(fname: str, b1: Tensor, b2: Tensor) -> None:
    if len(b1.size) != 3:
        raise _argerr(1, fname, f"expected 3D tensor, got {len(b1.size)}D")
    if len(b2.size) != 3:
        raise _argerr(2, fname, f"expected 3D tensor, got {len(b2.size)}D")
    if b1.size[0] != b2.size[0]:
        raise _argerr(2, fname, f"equal number of batches expected, got {b1.size[0]}, "
                                f"{b2.size[0]}")
    if b1.size[2] != b2.size[1]:
        raise _argerr(2, fname, f"wrong matrix size, batch1: {b1.size[1]}x{b1.size[2]}, "
                                f"batch2: {b2.size[1]}x{b2.size[2]}")


def bl_baddbmm(r: Tensor, beta: float, t: Tensor, alpha: float, b1: Tensor, b2: Tensor) -> None:
    """r[i] = beta*t[i] + alpha*(b1[i] @ b2[i])."""
    _check_batch("baddbmm", b1, b2)
    want = (b1.size[0], b1.size[1], b2.size[2])
    if len(t.size) != 3 or t.size != want:
        raise _argerr(1, "baddbmm", "output tensor of incorrect size")
    _product_into(r, beta, t, alpha, _matmul(t.xp, b1.a, b2.a), (b1, b2), t.size)


def bl_bmm(r: Tensor, b1: Tensor, b2: Tensor) -> None:
    """r[i] = b1[i] @ b2[i]."""
    _check_batch("bmm", b1, b2)
    _product_into(r, 0, r, 1, _matmul(b1.xp, b1.a, b2.a), (b1, b2),
                  (b1.size[0], b1.size[1], b2.size[2]))


def bl_addbmm(r: Tensor, beta: float, t: Tensor, alpha: float, b1: Tensor, b2: Tensor) -> None:
    """r = beta*t + alpha*sum_i(b1[i] @ b2[i]), done as one matrix product."""
    _check_batch("addbmm", b1, b2)
    if len(t.size) != 2 or t.size != (b1.size[1], b2.size[2]):
        raise _argerr(1, "addbmm", "output tensor of incorrect size")
    xp = t.xp
    nb, n, m = b1.size
    p = b2.size[2]
    # sum_i A_i B_i == [A_1 ... A_b] @ [B_1; ...; B_b]
    wide = xp.moveaxis(b1.a, 0, 1).reshape(n, nb * m)
    tall = b2.a.reshape(nb * m, p)
    _product_into(r, beta, t, alpha, _matmul(xp, wide, tall), (b1, b2), t.size)


# -- cross product --------------------------------------------------------------------------------
def bl_cross(r: Tensor, a: Tensor, b: Tensor, d: int | None = None) -> None:
    """Cross product along dimension `d` (default: the first of size 3)."""
    if len(a.size) != len(b.size):
        raise TorchError(f"inconsistent tensor dimension {len(a.size)}D, {len(b.size)}D")
    if a.size != b.size:
        raise TorchError(f"inconsistent tensor sizes {size_str(a.size)}, {size_str(b.size)}")
    if d is None or d == 0:
        ax = next((i for i, s in enumerate(a.size) if s == 3), None)
        if ax is None:
            raise TorchError(f"no dimension of size 3 in a: {size_str(a.size)}")
    else:
        ax = int(d) - 1
        if not 0 <= ax < len(a.size):
            raise _argerr(3, "cross", f"dimension {int(d)} out of range")
        if a.size[ax] != 3:
            raise _argerr(3, "cross", f"dimension {int(d)} does not have size 3")
    xp = a.xp
    x, y = xp.moveaxis(a.a, ax, 0), xp.moveaxis(b.a, ax, 0)
    res = xp.stack([x[1] * y[2] - x[2] * y[1],
                    x[2] * y[0] - x[0] * y[2],
                    x[0] * y[1] - x[1] * y[0]])
    _fit(r, a.size)
    r.a[...] = xp.moveaxis(res, 0, ax)


EXPORTS: dict[str, Callable] = {k: v for k, v in dict(globals()).items()
                                if k.startswith("bl_") and callable(v)}
