"""LAPACK-style linear algebra (gesv, trtrs, gels, inverse, svd, symeig, eig, potrf/potrs/potri,
qr) and 2-D / 3-D convolution and cross-correlation.

Results follow Torch7's conventions: matrices that LAPACK returns in column-major order come back
"transposed" (strides 1, m), vectors and the svd/qr companions are contiguous.  The numerics are
the array module's `linalg` (NumPy or CuPy), which call the same LAPACK drivers except for svd
(NumPy uses gesdd: singular vectors agree with Torch7's gesvd up to sign).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable

import numpy as np

from luatorch.tensor import DTYPE_NAME, Tensor, TorchError


def _argerr(n: int, fname: str, msg: str) -> TorchError:
    return TorchError(f"bad argument #{n} to '{fname}' ({msg})")


def _fit(out: Tensor, shape: Sequence[int]) -> None:
    shape = tuple(int(s) for s in shape)
    if out.size != shape:
        out.resize(shape)


def _store(out: Tensor, value: Any) -> None:
    """Write `value` into `out`, resized to its shape when needed."""
    _fit(out, value.shape)
    if out.size:
        out.a[...] = value


def _store_colmajor(out: Tensor, value: Any) -> None:
    """Write a matrix into `out` laid out column-major (strides 1, rows), as LAPACK returns it."""
    rows, cols = value.shape
    out.resize((cols, rows))
    out.set_geometry(out.storage, out.offset, (rows, cols), (1, rows))
    if out.size:
        out.a[...] = value


def _is_linalg_error(exc: BaseException) -> bool:
    return isinstance(exc, np.linalg.LinAlgError) or type(exc).__name__ == "LinAlgError"


def _float_check(fname: str, *ts: Tensor) -> None:
    for t in ts:
        if t.dtype.kind != "f":
            raise TorchError(f"torch.{_tname(t)}Tensor does not implement the torch.{fname}() "
                             f"function")


def _tname(t: Tensor) -> str:
    return DTYPE_NAME[t.dtype]


def _square(fname: str, a: Tensor, argn: int = 1, detailed: bool = False) -> None:
    if len(a.size) != 2:
        if detailed:
            raise _argerr(argn, fname, f"A should have 2 dimensions, but has {len(a.size)}")
        raise _argerr(argn, fname, "A should be 2 dimensional")
    if a.size[0] != a.size[1]:
        if detailed:
            raise _argerr(argn, fname, f"A should be square, but is {a.size[0]}x{a.size[1]}")
        raise _argerr(argn, fname, "A should be square")


def _rhs(fname: str, b: Tensor, a: Tensor) -> Any:
    """B as an m x k matrix (a 1-D B is one column), checked against A's rows."""
    if len(b.size) not in (1, 2):
        raise _argerr(1, fname, f"B should have 1 or 2 dimensions, but has {len(b.size)}")
    if a.size[0] != b.size[0]:
        raise _argerr(2, fname, f"A,B size incompatible - A has {a.size[0]} rows, B has "
                                f"{b.size[0]}")
    return b.a.reshape(b.size[0], 1) if len(b.size) == 1 else b.a


def _first_zero_pivot(xp: Any, a: Any) -> int:
    """1-based index of the first zero pivot of an LU factorisation with partial pivoting."""
    lu = _lu(xp, a)[0]
    d = xp.abs(xp.diagonal(lu))
    zero = xp.nonzero(d == 0)[0]
    return int(zero[0]) + 1 if zero.size else a.shape[0]


def _lu(xp: Any, a: Any) -> tuple[Any, Any]:
    """LU with partial pivoting stored as getrf does; returns (lu, perm), a[perm] == L @ U."""
    # unit L below the diagonal, U on and above; one vectorised rank-1 update per column
    lu = xp.array(a, copy=True)
    n = lu.shape[0]
    perm = xp.arange(n)
    for j in range(n):
        p = j + int(xp.argmax(xp.abs(lu[j:, j])))
        if p != j:
            lu[[j, p]] = lu[[p, j]]
            perm[[j, p]] = perm[[p, j]]
        piv = lu[j, j]
        if piv == 0 or j == n - 1:
            continue
        lu[j + 1:, j] /= piv
        lu[j + 1:, j + 1:] -= xp.multiply.outer(lu[j + 1:, j], lu[j, j + 1:])
    return lu, perm


# -- linear systems -------------------------------------------------------------------------------
def la_gesv(rb: Tensor, ra: Tensor, b: Tensor, a: Tensor) -> None:
    """Solve A X = B: X into rb (m x k), the LU factors of A into ra."""
    _float_check("gesv", a, b)
    _square("gesv", a, 2, detailed=True)
    bm = _rhs("gesv", b, a)
    xp = a.xp
    am = a.a.copy()
    try:
        x = xp.linalg.solve(am, bm)
    except Exception as exc:
        if not _is_linalg_error(exc):
            raise
        k = _first_zero_pivot(xp, am)
        raise TorchError(f"Lapack Error in gesv : U({k},{k}) is zero, singular U.") from None
    lu = _lu(xp, am)[0]
    _store_colmajor(rb, x)
    _store_colmajor(ra, lu)


def la_trtrs(rb: Tensor, ra: Tensor, b: Tensor, a: Tensor, uplo: str = "U", trans: str = "N",
             diag: str = "N") -> None:
    """Solve a triangular system A X = B (or A^T X = B with trans 'T')."""
    _float_check("trtrs", a, b)
    _square("trtrs", a, 2, detailed=True)
    bm = _rhs("trtrs", b, a)
    xp = a.xp
    tri = xp.triu(a.a) if uplo == "U" else xp.tril(a.a)
    if diag == "U":
        tri = tri.copy()
        xp.fill_diagonal(tri, 1)
    d = xp.diagonal(tri)
    zero = xp.nonzero(d == 0)[0]
    if zero.size:
        k = int(zero[0]) + 1
        raise TorchError(f"Lapack Error in trtrs : A({k},{k}) is zero, singular A")
    m = tri.T if trans == "T" else tri
    x = xp.linalg.solve(m, bm)
    _store_colmajor(rb, x)
    _store_colmajor(ra, a.a.copy())


def la_gels(rb: Tensor, ra: Tensor, b: Tensor, a: Tensor) -> None:
    """Least squares (m >= n) or minimum norm (m < n) solution of A X = B."""
    # As Torch7's current gels, rb is the n x k solution, a column-major view with leading
    # dimension max(m, n): when m > n its storage still holds LAPACK's residual rows below the
    # solution (Torch7 shrinks the view's first size to n).  ra gets A's QR (LQ) factors.
    _float_check("gels", a, b)
    if len(a.size) != 2:
        raise _argerr(2, "gels", f"A should have 2 dimensions, but has {len(a.size)}")
    bm = _rhs("gels", b, a)
    xp = a.xp
    m, n = a.size
    am = a.a
    if m >= n:
        q, r = xp.linalg.qr(am, mode="complete")
        _zero_diag_check(xp, r[:n, :n])
        qtb = q.T @ bm
        x = xp.array(qtb, copy=True)
        x[:n] = xp.linalg.solve(r[:n, :n], qtb[:n])
        factors = xp.linalg.qr(am, mode="raw")[0].T
    else:
        q, r = xp.linalg.qr(am.T, mode="reduced")       # A = R^T Q^T (an LQ factorisation)
        _zero_diag_check(xp, r)
        y = xp.linalg.solve(r.T, bm)
        x = q @ y
        factors = xp.linalg.qr(am.T, mode="raw")[0]
    _store_colmajor(rb, x.astype(a.dtype, copy=False))
    if m > n:
        rb.set_geometry(rb.storage, rb.offset, (n, x.shape[1]), (1, m))
    _store_colmajor(ra, factors.astype(a.dtype, copy=False))


def _zero_diag_check(xp: Any, r: Any) -> None:
    zero = xp.nonzero(xp.diagonal(r) == 0)[0]
    if zero.size:
        raise TorchError(f"Lapack Error in gels : The {int(zero[0]) + 1}-th diagonal element of "
                         f"the triangular factor of A is zero")


def la_inverse(r: Tensor, a: Tensor) -> None:
    """Inverse of a square matrix."""
    _float_check("inverse", a)
    _square("inverse", a)
    xp = a.xp
    am = a.a.copy()
    try:
        inv = xp.linalg.inv(am)
    except Exception as exc:
        if not _is_linalg_error(exc):
            raise
        k = _first_zero_pivot(xp, am)
        raise TorchError(f"Lapack Error getrf : U({k},{k}) is 0, U is singular") from None
    _store_colmajor(r, inv)


# -- decompositions -------------------------------------------------------------------------------
def la_svd(ru: Tensor, rs: Tensor, rv: Tensor, a: Tensor, jobu: str = "S") -> None:
    """A = U diag(S) V^T; 'S' gives U m x k and V n x k, 'A' gives U m x m and V n x n."""
    _float_check("svd", a)
    if len(a.size) != 2:
        raise _argerr(1, "svd", "A should be 2 dimensional")
    xp = a.xp
    u, s, vt = xp.linalg.svd(a.a, full_matrices=(jobu == "A"))
    _store_colmajor(ru, u)
    _store(rs, s)
    _store(rv, xp.ascontiguousarray(vt.T))


def la_symeig(re: Tensor, rv: Tensor, a: Tensor, jobz: str = "N", uplo: str = "U") -> None:
    """Eigenvalues (ascending) and, with 'V', eigenvectors (columns) of a symmetric matrix."""
    _float_check("symeig", a)
    _square("symeig", a)
    xp = a.xp
    am = a.a.copy()
    if jobz == "V":
        e, v = xp.linalg.eigh(am, UPLO=uplo)
    else:
        e, v = xp.linalg.eigvalsh(am, UPLO=uplo), am
    _store(re, e)
    _store_colmajor(rv, v)


def _eig(xp: Any, am: Any, vectors: bool) -> Any:
    """xp.linalg.eig / eigvals, on the host when the array module has none (CuPy)."""
    fn = getattr(xp.linalg, "eig" if vectors else "eigvals", None)
    if fn is not None:
        return fn(am)
    host = am.get() if hasattr(am, "get") else np.asarray(am)
    if vectors:
        w, v = np.linalg.eig(host)
        return xp.asarray(w), xp.asarray(v)
    return xp.asarray(np.linalg.eigvals(host))


def la_eig(re: Tensor, rv: Tensor, a: Tensor, jobvr: str = "N") -> None:
    """Eigenvalues as n x 2 (real, imaginary) rows; with 'V' the right eigenvectors."""
    # eigenvectors use LAPACK's real layout: a complex pair j, j+1 stores Re(v_j), Im(v_j)
    _float_check("eig", a)
    _square("eig", a)
    xp = a.xp
    am = a.a.copy()
    if jobvr == "V":
        w, v = _eig(xp, am, True)
    else:
        w, v = _eig(xp, am, False), None
    w = xp.asarray(w)
    e = xp.stack([w.real, w.imag if xp.iscomplexobj(w) else xp.zeros_like(w)], axis=1)
    _store(re, e.astype(a.dtype, copy=False))
    if v is None:
        return
    vr = v.real.astype(a.dtype, copy=True)
    if xp.iscomplexobj(v):
        wi = w.imag
        # a pair with positive imaginary part first: column j = Re(v_j), column j+1 = Im(v_j)
        js = xp.nonzero(wi > 0)[0]
        if js.size:
            vr[:, js + 1] = v[:, js].imag
    _store_colmajor(rv, vr)


def la_potrf(r: Tensor, a: Tensor, uplo: str = "U") -> None:
    """Cholesky factor: U with A = U^T U ('U', default) or L with A = L L^T ('L')."""
    _float_check("potrf", a)
    _square("potrf", a)
    xp = a.xp
    # the factorisation reads only the `uplo` triangle of A
    low = a.a.T if uplo == "U" else a.a
    sym = xp.tril(low) + xp.tril(low, -1).T
    try:
        c = xp.linalg.cholesky(sym)
    except Exception as exc:
        if not _is_linalg_error(exc):
            raise
        k = _first_not_pd(xp, sym)
        raise TorchError(f"Lapack Error in potrf : the leading minor of order {k} is not "
                         f"positive definite") from None
    _store_colmajor(r, c.T if uplo == "U" else c)


def la_pstrf(r: Tensor, piv: Tensor, a: Tensor, uplo: str = "U", tol: Any = -1) -> None:
    """Cholesky with complete pivoting of a symmetric positive semidefinite A (LAPACK pstrf):
    P^T A P = U^T U ('U') or L L^T ('L'); piv gets P as 1-based indices (an IntTensor)."""
    _float_check("pstrf", a)
    _square("pstrf", a)
    xp = a.xp
    n = a.size[0]
    dt = a.a.dtype
    # like LAPACK, only the `uplo` triangle of A is read
    low = a.a.T if uplo == "U" else a.a
    w = xp.tril(low) + xp.tril(low, -1).T
    perm = xp.arange(n)
    if n:
        diag = xp.diagonal(w).copy()
        # LAPACK's default stopping value: n * (relative machine precision) * max(diag(A))
        stop = n * np.finfo(dt).eps / 2 * float(diag.max()) if tol < 0 else float(tol)
        if not float(diag.max()) > 0:
            raise _pstrf_error()
    # the right-looking unblocked algorithm (pstf2): one column of L per step, each step
    # vectorised; w keeps the not yet factored trailing matrix, updated by rank 1
    for j in range(n):
        d = xp.diagonal(w)[j:]
        p = j + int(xp.argmax(d))
        ajj = float(w[p, p])
        if not ajj > stop:
            raise _pstrf_error()
        if p != j:
            w[[j, p]] = w[[p, j]]
            w[:, [j, p]] = w[:, [p, j]]
            perm[[j, p]] = perm[[p, j]]
        ljj = np.sqrt(dt.type(ajj))
        w[j, j] = ljj
        col = w[j + 1:, j]
        col /= ljj
        w[j + 1:, j + 1:] -= xp.outer(col, col)
    lower = xp.tril(w)
    _store_colmajor(r, lower.T if uplo == "U" else lower)
    piv.resize((n,))
    if n:
        piv.a[...] = perm + 1


def _pstrf_error() -> TorchError:
    return TorchError("Lapack Error pstrf : matrix is rank deficient or not positive semidefinite")


def _first_not_pd(xp: Any, sym: Any) -> int:
    """Order of the first leading minor that is not positive definite (binary search)."""
    lo, hi = 1, sym.shape[0]
    while lo < hi:
        mid = (lo + hi) // 2
        try:
            xp.linalg.cholesky(sym[:mid, :mid])
            lo = mid + 1
        except Exception:  # noqa: BLE001
            hi = mid
    return lo


def _chol_factor(xp: Any, c: Any, uplo: str) -> Any:
    """The triangular factor U (A = U^T U) from a Cholesky result of either triangle."""
    return xp.triu(c) if uplo == "U" else xp.tril(c).T


def la_potrs(r: Tensor, b: Tensor, chol: Tensor, uplo: str = "U") -> None:
    """Solve A X = B given the Cholesky factor of A."""
    _float_check("potrs", b, chol)
    _square("potrs", chol, 2, detailed=True)
    bm = _rhs("potrs", b, chol)
    xp = chol.xp
    u = _chol_factor(xp, chol.a, uplo)
    y = xp.linalg.solve(u.T, bm)
    _store_colmajor(r, xp.linalg.solve(u, y))


def la_potri(r: Tensor, chol: Tensor, uplo: str = "U") -> None:
    """Inverse of A given its Cholesky factor (the full symmetric matrix)."""
    _float_check("potri", chol)
    _square("potri", chol)
    xp = chol.xp
    u = _chol_factor(xp, chol.a, uplo)
    d = xp.nonzero(xp.diagonal(u) == 0)[0]
    if d.size:
        k = int(d[0]) + 1
        raise TorchError(f"Lapack Error potri : A({k},{k}) is 0, A cannot be factorized")
    uinv = xp.linalg.solve(u, xp.eye(u.shape[0], dtype=u.dtype))
    _store_colmajor(r, uinv @ uinv.T)


def la_qr(rq: Tensor, rr: Tensor, a: Tensor) -> None:
    """Thin QR: Q m x k (orthonormal columns), R k x n upper triangular, k = min(m, n)."""
    _float_check("qr", a)
    if len(a.size) != 2:
        raise _argerr(1, "qr", "A should be 2 dimensional")
    xp = a.xp
    q, r = xp.linalg.qr(a.a, mode="reduced")
    _store_colmajor(rq, q)
    _store(rr, r)


# -- convolutions ---------------------------------------------------------------------------------
def _windows(xp: Any, x: Any, kshape: tuple) -> Any:
    """Sliding windows over the last len(kshape) axes: shape (..., out..., k...)."""
    nd = len(kshape)
    axes = tuple(range(x.ndim - nd, x.ndim))
    swv = getattr(xp.lib.stride_tricks, "sliding_window_view", None)
    if swv is not None:
        return swv(x, kshape, axis=axes)
    lead, sp = x.shape[:-nd], x.shape[-nd:]
    shape = lead + tuple(a - b + 1 for a, b in zip(sp, kshape)) + tuple(kshape)
    strides = x.strides + x.strides[-nd:]
    return xp.lib.stride_tricks.as_strided(x, shape=shape, strides=strides)


def _conv(fname: str, r: Tensor, x: Tensor, k: Tensor, vf: str, xc: str, nd: int) -> None:
    """Shared body of conv2/xcorr2 (nd = 2) and conv3/xcorr3 (nd = 3)."""
    vf = (vf or "V").upper()
    if vf not in ("V", "F"):
        raise _argerr(8, fname, "type of convolution can 'V' or 'F'")
    xd, kd = len(x.size), len(k.size)
    if xd == nd and kd == nd:
        kind = "mul"
    elif xd == nd + 1 and kd == nd + 1:
        kind = "cmul"
        if x.size[0] != k.size[0]:
            raise _argerr(2, fname, "invalid number of input/kernel planes")
    elif xd == nd + 1 and kd == nd + 2:
        kind = "mv"
        if k.size[1] != x.size[0]:
            raise _argerr(2, fname, "invalid number of input planes")
    else:
        raise TorchError(f"{fname}: expected a {nd}D input with a {nd}D kernel, a {nd + 1}D "
                         f"input with a {nd + 1}D kernel or a {nd + 1}D input with a {nd + 2}D "
                         f"kernel, got {xd}D and {kd}D")
    xs, ks = x.size[-nd:], k.size[-nd:]
    tag = f"conv{nd}D{kind}"
    if vf == "V" and any(a < b for a, b in zip(xs, ks)):
        raise _argerr(2, fname, f"{tag} : Input image is smaller than kernel")
    xp = x.xp
    xa, ka = x.a, k.a
    if xc == "C":                                   # convolution = correlation, kernel flipped
        ka = xp.flip(ka, axis=tuple(range(kd - nd, kd)))
    if vf == "F":
        pad = [(0, 0)] * (xd - nd) + [(s - 1, s - 1) for s in ks]
        xa = xp.pad(xa, pad)
    w = _windows(xp, xa, tuple(ks))                 # (planes?, out..., k...)
    sp = tuple(range(nd))
    kaxes = (tuple(range(nd, 2 * nd)), sp)
    if kind == "mul":
        res = xp.tensordot(w, ka, axes=kaxes)
    elif kind == "cmul":
        # plane by plane through the very call the single-plane form makes, so that each plane
        # is bit for bit the 2-D (3-D) result, as in Torch7 (a batched einsum sums in another
        # order)
        res = xp.stack([xp.tensordot(w[i], ka[i], axes=kaxes) for i in range(w.shape[0])])
    else:
        # w: (p, out..., k...), ka: (q, p, k...) -> (q, out...)
        res = xp.tensordot(ka, w, axes=((1,) + tuple(range(2, 2 + nd)),
                                        (0,) + tuple(range(1 + nd, 1 + 2 * nd))))
    _store(r, res)


def la_conv2(r: Tensor, x: Tensor, k: Tensor, vf: str = "V") -> None:
    """2-D convolution (kernel flipped), valid ('V') or full ('F')."""
    _conv("conv2", r, x, k, vf, "C", 2)


def la_xcorr2(r: Tensor, x: Tensor, k: Tensor, vf: str = "V") -> None:
    """2-D cross-correlation, valid ('V') or full ('F')."""
    _conv("xcorr2", r, x, k, vf, "X", 2)


def la_conv3(r: Tensor, x: Tensor, k: Tensor, vf: str = "V") -> None:
    """3-D convolution, valid ('V') or full ('F')."""
    _conv("conv3", r, x, k, vf, "C", 3)


def la_xcorr3(r: Tensor, x: Tensor, k: Tensor, vf: str = "V") -> None:
    """3-D cross-correlation, valid ('V') or full ('F')."""
    _conv("xcorr3", r, x, k, vf, "X", 3)


EXPORTS: dict[str, Callable] = {k: v for k, v in dict(globals()).items()
                                if k.startswith("la_") and callable(v)}
