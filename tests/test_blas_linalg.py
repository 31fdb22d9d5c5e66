"""BLAS products, LAPACK-style linear algebra and convolutions (TensorLinalg.lua + kernels)."""

from __future__ import annotations

import numpy as np
import pytest

from luatorch.runtime import LuaError
from luatorch.tensor import Tensor
from tests.conftest import arr

FLOATS = [("Float", np.float32), ("Double", np.float64)]
IDS = [f[0] for f in FLOATS]


def put(rt, name: str, a: np.ndarray) -> None:
    """Make global Lua tensor `name` holding a copy of `a` (its dtype picks the type)."""
    rt.lua.globals()._tmp = Tensor.from_array(a)
    rt.execute(f"{name} = torch._wrapany(_tmp); _tmp = nil")


def close(got, want, dtype, tol: float = 0.0) -> None:
    tol = tol or (2e-4 if dtype == np.float32 else 1e-10)
    np.testing.assert_allclose(np.asarray(got, np.float64), np.asarray(want, np.float64),
                               rtol=tol, atol=tol)


def rnd(shape, dtype, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# -- dot / mv / mm / bmm / ger / cross ------------------------------------------------------------
@pytest.mark.parametrize("tname,dtype", FLOATS, ids=IDS)
def test_products(rt, tname, dtype):
    A, B, v, w = rnd((4, 3), dtype, 1), rnd((3, 5), dtype, 2), rnd(3, dtype, 3), rnd(4, dtype, 4)
    put(rt, "A", A), put(rt, "B", B), put(rt, "v", v), put(rt, "w", w)
    close(rt.eval("torch.dot(v, v)"), v.astype(np.float64) @ v, dtype)
    close(rt.eval("A:dot(A)"), (A.astype(np.float64) ** 2).sum(), dtype)
    close(arr(rt, "torch.mv(A, v)"), A @ v, dtype)
    close(arr(rt, "torch.mm(A, B)"), A @ B, dtype)
    close(arr(rt, "torch.mm(B:t(), A:t())"), B.T @ A.T, dtype)        # non-contiguous operands
    close(arr(rt, "torch.mv(A:t(), w)"), A.T @ w, dtype)
    close(arr(rt, "torch.ger(w, v)"), np.outer(w, v), dtype)
    # result forms: torch.mm(res, a, b) and res:mm(a, b) return res, resized
    rt.execute(f"""r = torch.{tname}Tensor(7)
                   r1 = torch.mm(r, A, B); r2 = r:mm(A, B)
                   q = torch.{tname}Tensor(); q1 = q:mv(A, v); g = torch.{tname}Tensor()
                   g1 = g:ger(w, v)""")
    assert rt.eval("r1 == r and r2 == r and q1 == q and g1 == g")
    close(arr(rt, "r"), A @ B, dtype)
    close(arr(rt, "q"), A @ v, dtype)
    # a non-contiguous result view of the right size is written in place
    rt.execute(f"big = torch.{tname}Tensor(5, 4):zero(); view = big:t(); torch.mm(view, A, B)")
    close(arr(rt, "big"), (A @ B).T, dtype)
    assert rt.eval("torch.type(torch.mm(A, B))") == f"torch.{tname}Tensor"
    X, Y = rnd((3, 4, 2), dtype, 5), rnd((3, 2, 6), dtype, 6)
    put(rt, "X", X), put(rt, "Y", Y)
    close(arr(rt, "torch.bmm(X, Y)"), X @ Y, dtype)
    rt.execute(f"bb = torch.{tname}Tensor(); bb:bmm(X, Y)")
    close(arr(rt, "bb"), X @ Y, dtype)


def test_mm_aliasing(rt):
    M = rnd((3, 3), np.float64, 7)
    put(rt, "M", M)
    rt.execute("M:mm(M:clone(), M)")          # result aliases an operand
    close(arr(rt, "M"), M @ M, np.float64)
    put(rt, "M", M)
    rt.execute("M:addmm(M, M)")               # M = M + M*M
    close(arr(rt, "M"), M + M @ M, np.float64)


def test_integer_mm(rt):
    put(rt, "a", np.array([[1, 2], [3, 4]], np.int64))
    np.testing.assert_array_equal(arr(rt, "torch.mm(a, a)"), [[7, 10], [15, 22]])
    assert rt.eval("torch.dot(a, a)") == 30


@pytest.mark.parametrize("tname,dtype", FLOATS, ids=IDS)
def test_addmm_overloads(rt, tname, dtype):
    M, A, B = rnd((4, 5), dtype, 1), rnd((4, 3), dtype, 2), rnd((3, 5), dtype, 3)
    put(rt, "M", M), put(rt, "A", A), put(rt, "B", B)
    P = A.astype(np.float64) @ B
    cases = {
        "torch.addmm(M, A, B)": M + P,
        "torch.addmm(0.5, M, A, B)": 0.5 * M + P,
        "torch.addmm(M, 2, A, B)": M + 2 * P,
        "torch.addmm(0.5, M, 2, A, B)": 0.5 * M + 2 * P,
        "torch.addmm(r0, M, A, B)": M + P,
        "torch.addmm(r0, 3, M, A, B)": 3 * M + P,
        "torch.addmm(r0, M, -1, A, B)": M - P,
        "torch.addmm(r0, 3, M, -1, A, B)": 3 * M - P,
        "M:clone():addmm(A, B)": M + P,
        "M:clone():addmm(2, A, B)": M + 2 * P,
        "M:clone():addmm(0.5, 2, A, B)": 0.5 * M + 2 * P,
        "r0:addmm(M, A, B)": M + P,
        "r0:addmm(M, 2, A, B)": M + 2 * P,
        "r0:addmm(0, M, 2, A, B)": 2 * P,
        "torch.addmm(M:t():t(), A, B:t():contiguous():t())": M + P,
    }
    for expr, want in cases.items():
        rt.execute(f"r0 = torch.{tname}Tensor()")
        close(arr(rt, expr), want, dtype)
    rt.execute(f"r0 = torch.{tname}Tensor(); out = torch.addmm(r0, M, A, B)")
    assert rt.eval("out == r0")


@pytest.mark.parametrize("tname,dtype", FLOATS, ids=IDS)
def test_addmv_addr(rt, tname, dtype):
    y, A, v = rnd(4, dtype, 1), rnd((4, 3), dtype, 2), rnd(3, dtype, 3)
    put(rt, "y", y), put(rt, "A", A), put(rt, "v", v)
    close(arr(rt, "torch.addmv(y, A, v)"), y + A @ v, dtype)
    close(arr(rt, "torch.addmv(2, y, 3, A, v)"), 2 * y + 3 * (A @ v), dtype)
    close(arr(rt, "y:clone():addmv(0.5, A, v)"), y + 0.5 * (A @ v), dtype)
    close(arr(rt, "y:clone():addmv(2, 0.5, A, v)"), 2 * y + 0.5 * (A @ v), dtype)
    # doc examples for addr
    rt.execute(f"""xv = torch.{tname}Tensor({{1, 2, 3}}); yv = torch.{tname}Tensor({{1, 2}})
                   M = torch.{tname}Tensor(3, 2):zero()
                   M:addr(xv, yv)""")
    np.testing.assert_array_equal(arr(rt, "M"), [[1, 2], [2, 4], [3, 6]])
    rt.execute("M:addr(2, 1, xv, yv)")
    np.testing.assert_array_equal(arr(rt, "M"), [[3, 6], [6, 12], [9, 18]])
    rt.execute(f"Am = torch.{tname}Tensor({{{{1, 2}}, {{3, 4}}, {{5, 6}}}}); "
               "M:addr(2, Am, 1, xv, yv)")
    np.testing.assert_array_equal(arr(rt, "M"), [[3, 6], [8, 12], [13, 18]])
    np.testing.assert_array_equal(arr(rt, "torch.addr(Am, xv, yv)"), [[2, 4], [5, 8], [8, 12]])


@pytest.mark.parametrize("tname,dtype", FLOATS, ids=IDS)
def test_batched(rt, tname, dtype):
    X, Y = rnd((3, 4, 2), dtype, 5), rnd((3, 2, 6), dtype, 6)
    M2, M3 = rnd((4, 6), dtype, 7), rnd((3, 4, 6), dtype, 8)
    put(rt, "X", X), put(rt, "Y", Y), put(rt, "M2", M2), put(rt, "M3", M3)
    S = np.einsum("bij,bjk->ik", X.astype(np.float64), Y)
    close(arr(rt, "torch.addbmm(M2, X, Y)"), M2 + S, dtype)
    close(arr(rt, "torch.addbmm(0.5, M2, 2, X, Y)"), 0.5 * M2 + 2 * S, dtype)
    close(arr(rt, "M2:clone():addbmm(0.5, M2, 2, X, Y)"), 0.5 * M2 + 2 * S, dtype)
    close(arr(rt, "torch.baddbmm(M3, X, Y)"), M3 + X @ Y, dtype)
    close(arr(rt, "M3:clone():baddbmm(2, M3, 3, X, Y)"), 2 * M3 + 3 * (X @ Y), dtype)
    with pytest.raises(LuaError, match="wrong matrix size, batch1: 4x2, batch2: 4x2"):
        rt.execute("torch.bmm(X, X)")
    with pytest.raises(LuaError, match="output tensor of incorrect size"):
        rt.execute("torch.addbmm(M3:select(1, 1):t(), X, Y)")


@pytest.mark.parametrize("tname,dtype", FLOATS, ids=IDS)
def test_cross(rt, tname, dtype):
    a, b = rnd((4, 3), dtype, 1), rnd((4, 3), dtype, 2)
    put(rt, "a", a), put(rt, "b", b)
    close(arr(rt, "torch.cross(a, b)"), np.cross(a, b), dtype)
    close(arr(rt, "a:cross(b, 2)"), np.cross(a, b), dtype)
    close(arr(rt, "torch.cross(a:t(), b:t())"), np.cross(a, b).T, dtype)
    rt.execute(f"r = torch.{tname}Tensor(); torch.cross(r, a, b, 2)")
    close(arr(rt, "r"), np.cross(a, b), dtype)
    with pytest.raises(LuaError, match="no dimension of size 3"):
        rt.execute(f"torch.cross(torch.{tname}Tensor(2, 2), torch.{tname}Tensor(2, 2))")


def test_size_errors(rt):
    rt.execute("a = torch.Tensor(2, 3); b = torch.Tensor(4, 5); v = torch.Tensor(4)")
    with pytest.raises(LuaError, match=r"^\(command line\):1: size mismatch, m1: \[2 x 3\], "
                                       r"m2: \[4 x 5\]"):
        rt.execute("torch.mm(a, b)")
    with pytest.raises(LuaError, match=r"size mismatch, m1: \[2 x 3\], m2: \[4 x 5\]"):
        rt.execute("torch.addmm(torch.Tensor(2, 5), a, b)")
    with pytest.raises(LuaError, match=r"size mismatch, t: \[3 x 3\], m1: \[2 x 3\], "
                                       r"m2: \[3 x 2\]"):
        rt.execute("torch.addmm(torch.Tensor(3, 3), a, a:t())")
    with pytest.raises(LuaError, match=r"size mismatch, \[2 x 3\], \[4\]"):
        rt.execute("torch.mv(a, v)")
    with pytest.raises(LuaError, match=r"size mismatch, t: \[4\], mat: \[2 x 3\]"):
        rt.execute("torch.addmv(v, a, torch.Tensor(3))")
    with pytest.raises(LuaError, match="matrices expected, got 1D, 2D tensors"):
        rt.execute("torch.mm(v, b)")
    with pytest.raises(LuaError, match="matrix and vector expected, got 2D, 2D"):
        rt.execute("torch.mv(a, b)")
    with pytest.raises(LuaError, match=r"size mismatch, t: \[2 x 3\], vec1: \[4\], vec2: \[4\]"):
        rt.execute("torch.addr(a, v, v)")
    with pytest.raises(LuaError, match="inconsistent tensor size"):
        rt.execute("torch.dot(a, v)")
    with pytest.raises(LuaError, match="invalid arguments: "):
        rt.execute("torch.mm(a, torch.FloatTensor(3, 2))")
    with pytest.raises(LuaError, match=r"^\(command line\):1: invalid arguments: "):
        rt.execute("torch.addmm(a, 'x', b)")


# -- LAPACK ---------------------------------------------------------------------------------------
def colmajor(rt, expr: str) -> bool:
    return rt.eval(f"{expr}:stride(1)") == 1 and rt.eval(f"{expr}:stride(2)") == rt.eval(
        f"{expr}:size(1)")


@pytest.mark.parametrize("tname,dtype", FLOATS, ids=IDS)
def test_gesv_inverse(rt, tname, dtype):
    a = np.array([[6.80, -2.11, 5.66, 5.97, 8.23], [-6.05, -3.30, 5.36, -4.44, 1.08],
                  [-0.45, 2.58, -2.70, 0.27, 9.04], [8.32, 2.71, 4.35, -7.17, 2.14],
                  [-9.67, -5.14, -7.26, 6.08, -6.87]], dtype).T
    b = np.array([[4.02, 6.19, -8.22, -7.57, -3.03], [-1.56, 4.00, -8.67, 1.75, 2.86],
                  [9.81, -4.09, -4.57, -8.61, 8.99]], dtype).T
    put(rt, "a", a), put(rt, "b", b)
    rt.execute("x, lu = torch.gesv(b, a)")
    want = [[-0.8007, -0.3896, 0.9555], [-0.6952, -0.5544, 0.2207], [0.5939, 0.8422, 1.9006],
            [1.3217, -0.1038, 5.3577], [0.5658, 0.1057, 4.0406]]
    close(arr(rt, "x"), want, dtype, 1e-4)
    close(arr(rt, "x"), np.linalg.solve(a.astype(np.float64), b), dtype, 1e-3)
    assert colmajor(rt, "x") and colmajor(rt, "lu")
    lu = arr(rt, "lu").astype(np.float64)
    L, U = np.tril(lu, -1) + np.eye(5), np.triu(lu)
    prod = L @ U                                     # a row permutation of a
    for row in prod:
        assert np.abs(a - row).sum(axis=1).min() < 1e-3
    # result tensors and a 1-D right-hand side
    rt.execute(f"""rb = torch.{tname}Tensor(); ra = torch.{tname}Tensor()
                   x2, lu2 = torch.gesv(rb, ra, b:select(2, 1), a)""")
    assert rt.eval("x2 == rb and lu2 == ra") and rt.eval("rb:dim()") == 2
    close(arr(rt, "rb")[:, 0], np.array(want)[:, 0], dtype, 1e-4)
    # inverse
    rt.execute("ai = torch.inverse(a)")
    close(arr(rt, "ai"), np.linalg.inv(a.astype(np.float64)), dtype, 1e-3)
    assert colmajor(rt, "ai")
    rt.execute(f"ri = torch.{tname}Tensor(); torch.inverse(ri, a:t())")
    close(arr(rt, "ri"), np.linalg.inv(a.T.astype(np.float64)), dtype, 1e-3)
    with pytest.raises(LuaError, match=r"Lapack Error in gesv : U\(2,2\) is zero, singular U"):
        rt.execute(f"torch.gesv(torch.{tname}Tensor(2, 1):fill(1), "
                   f"torch.{tname}Tensor(2, 2):fill(1))")
    with pytest.raises(LuaError, match="U is singular"):
        rt.execute(f"torch.inverse(torch.{tname}Tensor(3, 3):zero())")
    with pytest.raises(LuaError, match="A should be square, but is 2x3"):
        rt.execute(f"torch.gesv(torch.{tname}Tensor(2, 1), torch.{tname}Tensor(2, 3))")
    with pytest.raises(LuaError, match="does not implement the torch.gesv"):
        rt.execute("torch.gesv(torch.LongTensor(2, 1), torch.LongTensor(2, 2))")


@pytest.mark.parametrize("tname,dtype", FLOATS, ids=IDS)
def test_svd(rt, tname, dtype):
    a = np.array([[8.79, 6.11, -9.15, 9.57, -3.49, 9.84], [9.93, 6.91, -7.93, 1.64, 4.02, 0.15],
                  [9.83, 5.04, 4.86, 8.83, 9.80, -8.99], [5.45, -0.27, 4.85, 0.74, 10.00, -6.02],
                  [3.16, 7.98, 3.01, 5.80, 4.27, -5.31]], dtype).T
    put(rt, "a", a)
    rt.execute("u, s, v = torch.svd(a)")
    close(arr(rt, "s"), [27.4687, 22.6432, 8.5584, 5.9857, 2.0149], dtype, 1e-4)
    u, s, v = arr(rt, "u"), arr(rt, "s"), arr(rt, "v")
    assert u.shape == (6, 5) and v.shape == (5, 5) and colmajor(rt, "u")
    close(u @ np.diag(s) @ v.T, a, dtype, 1e-3)
    want_v0 = np.array([-0.2514, -0.3968, -0.6922, -0.3662, -0.4076])
    assert np.allclose(np.abs(v[:, 0]), np.abs(want_v0), atol=1e-4)      # up to sign
    rt.execute("U, S, V = torch.svd(a, 'A')")
    assert arr(rt, "U").shape == (6, 6) and arr(rt, "V").shape == (5, 5)
    rt.execute("ut, st, vt = torch.svd(a:t())")                        # wide: m < n
    assert arr(rt, "ut").shape == (5, 5) and arr(rt, "vt").shape == (6, 5)
    close(arr(rt, "ut") @ np.diag(arr(rt, "st")) @ arr(rt, "vt").T, a.T, dtype, 1e-3)
    rt.execute(f"""ru = torch.{tname}Tensor(); rs = torch.{tname}Tensor()
                   rv = torch.{tname}Tensor(); u2 = torch.svd(ru, rs, rv, a)""")
    assert rt.eval("u2 == ru")
    close(arr(rt, "rs"), s, dtype)
    with pytest.raises(LuaError, match="invalid arguments: "):
        rt.execute("torch.svd(a, 'X')")


@pytest.mark.parametrize("tname,dtype", FLOATS, ids=IDS)
def test_symeig_eig(rt, tname, dtype):
    a = np.array([[1.96, 0.00, 0.00, 0.00, 0.00], [-6.49, 3.80, 0.00, 0.00, 0.00],
                  [-0.47, -6.39, 4.17, 0.00, 0.00], [-7.20, 1.50, -1.51, 5.70, 0.00],
                  [-0.65, -6.34, 2.67, 1.80, -7.10]], dtype).T      # upper triangle holds A
    put(rt, "a", a)
    want = [-11.0656, -6.2287, 0.8640, 8.8655, 16.0948]
    close(arr(rt, "torch.symeig(a)"), want, dtype, 1e-4)
    rt.execute("e, v = torch.symeig(a, 'V')")
    e, v = arr(rt, "e"), arr(rt, "v")
    sym = np.triu(a) + np.triu(a, 1).T
    close(v @ np.diag(e) @ v.T, sym, dtype, 1e-3)
    assert colmajor(rt, "v")
    close(arr(rt, "torch.symeig(a:t(), 'N', 'L')"), want, dtype, 1e-4)     # lower triangle
    rt.execute(f"re = torch.{tname}Tensor(); rv = torch.{tname}Tensor()"
               f"; e2, v2 = torch.symeig(re, rv, a, 'V', 'U')")
    assert rt.eval("e2 == re and v2 == rv")
    # eig: doc example, eigenvalues in LAPACK order as (real, imaginary) rows
    put(rt, "b", sym.astype(dtype))
    rt.execute("e, v = torch.eig(b, 'V')")
    close(arr(rt, "e"), [[16.0948, 0], [-11.0656, 0], [-6.2287, 0], [0.8640, 0], [8.8655, 0]],
          dtype, 1e-4)
    ev = arr(rt, "v")
    close(ev @ np.diag(arr(rt, "e")[:, 0]) @ ev.T, sym, dtype, 1e-3)
    assert arr(rt, "torch.eig(b)").shape == (5, 2)
    # complex pair: a rotation-like matrix
    r = np.array([[0, -2, 0], [2, 0, 0], [0, 0, 3]], dtype)
    put(rt, "r", r)
    rt.execute("e, v = torch.eig(r, 'V')")
    e, v = arr(rt, "e"), arr(rt, "v")
    w, _V = np.linalg.eig(r.astype(np.float64))
    close(e, np.stack([w.real, w.imag], 1), dtype)
    j = int(np.nonzero(w.imag > 0)[0][0])
    vc = v[:, j] + 1j * v[:, j + 1]                 # LAPACK layout of a complex pair
    np.testing.assert_allclose(r @ vc, w[j] * vc, atol=1e-5)


@pytest.mark.parametrize("tname,dtype", FLOATS, ids=IDS)
def test_cholesky(rt, tname, dtype):
    A = np.array([[1.2705, 0.9971, 0.4948, 0.1389, 0.2381],
                  [0.9971, 0.9966, 0.6752, 0.0686, 0.1196],
                  [0.4948, 0.6752, 1.1434, 0.0314, 0.0582],
                  [0.1389, 0.0686, 0.0314, 0.0270, 0.0526],
                  [0.2381, 0.1196, 0.0582, 0.0526, 0.3957]], dtype)
    B = np.array([[0.6219, 0.3439, 0.0431], [0.5642, 0.1756, 0.0153], [0.2334, 0.8594, 0.4103],
                  [0.7556, 0.1966, 0.9637], [0.1420, 0.7185, 0.7476]], dtype)
    put(rt, "A", A), put(rt, "B", B)
    rt.execute("chol = torch.potrf(A)")
    U = arr(rt, "chol")
    close(U[0], [1.1272, 0.8846, 0.4390, 0.1232, 0.2112], dtype, 1e-4)
    assert np.all(np.tril(U, -1) == 0) and colmajor(rt, "chol")
    close(U.T @ U, A, dtype, 1e-4)
    rt.execute(f"L = torch.{tname}Tensor(); torch.potrf(L, A, 'L')")
    close(arr(rt, "L"), U.T, dtype, 1e-5)
    rt.execute("X = torch.potrs(B, chol)")
    # (the doc's printed A is rounded, so its printed solution cannot be reproduced exactly)
    close(arr(rt, "X"), np.linalg.solve(A.astype(np.float64), B), dtype, 1e-2)
    close(A.astype(np.float64) @ arr(rt, "X"), B, dtype, 1e-3)
    close(arr(rt, "torch.potrs(B, L, 'L')"), arr(rt, "X"), dtype, 1e-2)
    close(arr(rt, "torch.potri(chol)"), np.linalg.inv(A.astype(np.float64)), dtype,
          0.5 if dtype == np.float32 else 1e-8)
    with pytest.raises(LuaError, match="the leading minor of order 2 is not positive definite"):
        rt.execute(f"torch.potrf(torch.{tname}Tensor({{{{1, 2}}, {{2, 1}}}}))")


@pytest.mark.parametrize("tname,dtype", FLOATS, ids=IDS)
def test_qr_gels_trtrs(rt, tname, dtype):
    put(rt, "a", np.array([[12, -51, 4], [6, 167, -68], [-4, 24, -41]], dtype))
    rt.execute("q, r = torch.qr(a)")
    close(arr(rt, "q"), [[-0.8571, 0.3943, 0.3314], [-0.4286, -0.9029, -0.0343],
                         [0.2857, -0.1714, 0.9429]], dtype, 1e-4)
    close(arr(rt, "r"), [[-14, -21, 14], [0, -175, 70], [0, 0, -35]], dtype, 1e-3)
    assert colmajor(rt, "q")
    m = rnd((6, 4), dtype, 3)
    put(rt, "m", m)
    rt.execute(f"rq = torch.{tname}Tensor(); rr = torch.{tname}Tensor(); "
               "q2, r2 = torch.qr(rq, rr, m)")
    assert rt.eval("q2 == rq and r2 == rr") and arr(rt, "rq").shape == (6, 4)
    close(arr(rt, "rq") @ arr(rt, "rr"), m, dtype, 1e-4)
    rt.execute("qw, rw = torch.qr(m:t())")
    assert arr(rt, "qw").shape == (4, 4) and arr(rt, "rw").shape == (4, 6)
    # gels: doc example (overdetermined): n rows as Torch7's current gels, a column-major view
    # whose storage keeps LAPACK's residual rows below the solution
    A = np.array([[1.44, -9.96, -7.55, 8.34, 7.08, -5.45], [-7.84, -0.28, 3.24, 8.09, 2.52, -5.70],
                  [-4.39, -3.24, 6.27, 5.28, 0.74, -1.19], [4.53, 3.83, -6.64, 2.06, -2.47, 4.70]],
                 dtype).T
    B = np.array([[8.58, 8.26, 8.48, -5.28, 5.72, 8.93], [9.35, -4.43, -0.70, -0.26, -7.36, -2.52]],
                 dtype).T
    put(rt, "A", A), put(rt, "B", B)
    rt.execute("x = torch.gels(B, A)")
    x = arr(rt, "x")
    assert x.shape == (4, 2) and rt.eval("x:stride(1) == 1 and x:stride(2) == 6")
    close(x, [[-0.4506, 0.2497], [-0.8492, -0.9020], [0.7066, 0.6323], [0.1289, 0.1351]],
          dtype, 1e-3)
    full = arr(rt, f"torch.{tname}Tensor(x:storage(), 1, torch.LongStorage{{2, 6}}):t()")
    resid = np.linalg.norm(B.astype(np.float64) - A.astype(np.float64) @ x)
    close(np.sqrt((full[4:].astype(np.float64) ** 2).sum()), resid, dtype, 1e-3)
    close(resid, 17.390200628863, dtype, 1e-3)
    # underdetermined: minimum-norm solution
    put(rt, "W", A.T.copy()), put(rt, "c", B[:4].copy())
    rt.execute(f"rb = torch.{tname}Tensor(); ra = torch.{tname}Tensor(); torch.gels(rb, ra, c, W)")
    close(arr(rt, "rb"), np.linalg.lstsq(A.T.astype(np.float64), B[:4], rcond=None)[0], dtype,
          1e-3)
    # trtrs (doc example)
    T = np.array([[6.80, -2.11, 5.66, 5.97, 8.23], [0, -3.30, 5.36, -4.44, 1.08],
                  [0, 0, -2.70, 0.27, 9.04], [0, 0, 0, -7.17, 2.14], [0, 0, 0, 0, -6.87]], dtype)
    Bt = np.array([[4.02, 6.19, -8.22, -7.57, -3.03], [-1.56, 4.00, -8.67, 1.75, 2.86],
                   [9.81, -4.09, -4.57, -8.61, 8.99]], dtype).T
    put(rt, "T", T), put(rt, "Bt", Bt)
    close(arr(rt, "torch.trtrs(Bt, T)")[0], [-3.5416, -0.2514, 3.0847], dtype, 1e-3)
    close(arr(rt, "torch.trtrs(Bt, T:t(), 'L', 'T')"), arr(rt, "torch.trtrs(Bt, T)"), dtype, 1e-3)


# -- convolutions ---------------------------------------------------------------------------------
def ref_xcorr2(x, k, full=False):
    """Loop reference for a 2-D cross-correlation (test only)."""
    if full:
        x = np.pad(x, [(k.shape[0] - 1,) * 2, (k.shape[1] - 1,) * 2])
    oh, ow = x.shape[0] - k.shape[0] + 1, x.shape[1] - k.shape[1] + 1
    out = np.zeros((oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[i, j] = (x[i:i + k.shape[0], j:j + k.shape[1]] * k).sum()
    return out


@pytest.mark.parametrize("tname,dtype", FLOATS, ids=IDS)
def test_conv2_xcorr2(rt, tname, dtype):
    x, k = rnd((7, 6), dtype, 1), rnd((3, 2), dtype, 2)
    put(rt, "x", x), put(rt, "k", k)
    kf = k[::-1, ::-1]
    close(arr(rt, "torch.xcorr2(x, k)"), ref_xcorr2(x, k), dtype)
    close(arr(rt, "torch.conv2(x, k)"), ref_xcorr2(x, kf), dtype)
    close(arr(rt, "torch.conv2(x, k, 'F')"), ref_xcorr2(x, kf, True), dtype)
    close(arr(rt, "x:xcorr2(k, 'F')"), ref_xcorr2(x, k, True), dtype)
    assert arr(rt, "torch.conv2(x, k, 'F')").shape == (9, 7)
    close(arr(rt, "torch.conv2(x:t(), k:t())"), ref_xcorr2(x.T, kf.T), dtype)   # non-contiguous
    rt.execute(f"r = torch.{tname}Tensor(); r1 = torch.conv2(r, x, k)")
    assert rt.eval("r1 == r")
    # 3-D input with 3-D kernel: plane by plane
    X, K = rnd((2, 5, 5), dtype, 3), rnd((2, 2, 3), dtype, 4)
    put(rt, "X", X), put(rt, "K", K)
    want = np.stack([ref_xcorr2(X[p], K[p, ::-1, ::-1]) for p in range(2)])
    close(arr(rt, "torch.conv2(X, K)"), want, dtype)
    # 3-D input with 4-D kernel: like a matrix-vector product over planes
    K4 = rnd((3, 2, 2, 2), dtype, 5)
    put(rt, "K4", K4)
    want = np.stack([sum(ref_xcorr2(X[p], K4[q, p], True) for p in range(2)) for q in range(3)])
    close(arr(rt, "torch.xcorr2(X, K4, 'F')"), want, dtype)
    with pytest.raises(LuaError, match="conv2Dmul : Input image is smaller than kernel"):
        rt.execute("torch.conv2(k, x)")
    with pytest.raises(LuaError, match="invalid number of input planes"):
        rt.execute(f"torch.conv2(X, torch.{tname}Tensor(3, 3, 2, 2))")
    with pytest.raises(LuaError, match="invalid arguments: "):
        rt.execute("torch.conv2(x, k, 'Q')")


def test_conv3(rt):
    x, k = rnd((4, 5, 6), np.float64, 1), rnd((2, 3, 2), np.float64, 2)
    put(rt, "x", x), put(rt, "k", k)
    out = arr(rt, "torch.xcorr3(x, k)")
    assert out.shape == (3, 3, 5)
    assert np.isclose(out[1, 2, 3], (x[1:3, 2:5, 3:5] * k).sum())
    full = arr(rt, "torch.conv3(x, k, 'F')")
    assert full.shape == (5, 7, 7)
    assert np.isclose(full.sum(), x.sum() * k.sum())
