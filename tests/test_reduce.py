"""Reductions and dimension-wise ops (TensorReduce.lua + kernels/reduce.py) against NumPy."""

from __future__ import annotations

import numpy as np
import pytest

from luatorch.runtime import LuaError
from luatorch.tensor import Tensor
from tests.conftest import arr

FLOATS = [("Float", np.float32), ("Double", np.float64)]


def put(rt, name: str, a: np.ndarray) -> None:
    """Make global Lua tensor `name` holding a copy of `a` (its dtype picks the type)."""
    rt.lua.globals()._tmp = Tensor.from_array(a)
    rt.execute(f"{name} = torch._wrapany(_tmp); _tmp = nil")


def close(got, want, dtype) -> None:
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(np.asarray(got, np.float64), np.asarray(want, np.float64),
                               rtol=tol, atol=tol)


@pytest.fixture(params=FLOATS, ids=[f[0] for f in FLOATS])
def fx(rt, request):
    """x: a 3x4x5 tensor; xt: a non-contiguous 5x4x3 view of it."""
    tname, dtype = request.param
    a = np.random.default_rng(1).standard_normal((3, 4, 5)).astype(dtype)
    put(rt, "x", a)
    rt.execute("xt = x:transpose(1, 3)")
    return tname, dtype, a


# -- sum / prod / mean / var / std ----------------------------------------------------------------
@pytest.mark.parametrize("op,ref", [("sum", np.sum), ("prod", np.prod), ("mean", np.mean)])
def test_simple_reductions(rt, fx, op, ref):
    tname, dtype, a = fx
    close(rt.eval(f"x:{op}()"), ref(a.astype(np.float64)), dtype)
    close(rt.eval(f"torch.{op}(xt)"), ref(a.astype(np.float64)), dtype)
    for d in (1, 2, 3):
        got = arr(rt, f"x:{op}({d})")
        assert got.shape == tuple(1 if i == d - 1 else s for i, s in enumerate(a.shape))
        close(got, ref(a, axis=d - 1, keepdims=True), dtype)
        # non-contiguous source
        close(arr(rt, f"torch.{op}(xt, {d})"),
              ref(a.transpose(2, 1, 0), axis=d - 1, keepdims=True), dtype)
    assert rt.eval(f"torch.type(torch.{op}(x, 2))") == f"torch.{tname}Tensor"
    # result-tensor forms return the result itself
    rt.execute(f"r = torch.{tname}Tensor(); rr = torch.{op}(r, x, 3); rm = r:{op}(x, 1)")
    assert rt.eval("rr == r and rm == r")
    close(arr(rt, "r"), ref(a, axis=0, keepdims=True), dtype)


def test_sum_integer_and_empty(rt):
    put(rt, "l", np.array([[1, 2], [3, 4]], np.int64))
    assert rt.eval("l:sum()") == 10 and rt.eval("l:prod()") == 24
    assert rt.eval("torch.type(l:sum(1))") == "torch.LongTensor"
    np.testing.assert_array_equal(arr(rt, "l:sum(2)"), [[3], [7]])
    assert rt.eval("torch.Tensor():sum()") == 0


@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std(rt, fx, op):
    tname, dtype, a = fx
    ref = getattr(np, op)
    a64 = a.astype(np.float64)
    close(rt.eval(f"x:{op}()"), ref(a64, ddof=1), dtype)
    close(rt.eval(f"x:{op}(true)"), ref(a64, ddof=0), dtype)
    for d in (1, 2, 3):
        close(arr(rt, f"x:{op}({d})"), ref(a64, axis=d - 1, ddof=1, keepdims=True), dtype)
        close(arr(rt, f"torch.{op}(x, {d}, true)"), ref(a64, axis=d - 1, keepdims=True), dtype)
        close(arr(rt, f"torch.{op}(x, {d}, false)"), ref(a64, axis=d - 1, ddof=1, keepdims=True),
              dtype)
    rt.execute(f"r = torch.{tname}Tensor(); rr = torch.{op}(r, xt, 2, true)")
    close(arr(rt, "r"), ref(a64.transpose(2, 1, 0), axis=1, keepdims=True), dtype)


# -- max / min ------------------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min(rt, fx, op):
    tname, _dtype, a = fx
    ref, aref = getattr(np, op), getattr(np, "arg" + op)
    assert rt.eval(f"x:{op}()") == ref(a).item()
    assert rt.eval(f"torch.{op}(xt)") == ref(a).item()
    for d in (1, 2, 3):
        rt.execute(f"v, i = torch.{op}(x, {d})")
        assert rt.eval("torch.type(i)") == "torch.LongTensor"
        idx = aref(a, axis=d - 1)
        want = np.expand_dims(idx, d - 1) + 1
        np.testing.assert_array_equal(arr(rt, "i"), want)
        np.testing.assert_array_equal(arr(rt, "v"), ref(a, axis=d - 1, keepdims=True))
        rt.execute(f"v, i = xt:{op}({d})")
        at = a.transpose(2, 1, 0)
        np.testing.assert_array_equal(arr(rt, "i"), np.expand_dims(aref(at, axis=d - 1), d - 1)
                                      + 1)
    # result tensors given
    rt.execute(f"""rv = torch.{tname}Tensor(); ri = torch.LongTensor()
                   v2, i2 = torch.{op}(rv, ri, x, 2)
                   v3, i3 = rv:{op}(ri, x, 3)""")
    assert rt.eval("v2 == rv and i2 == ri and v3 == rv and i3 == ri")
    np.testing.assert_array_equal(arr(rt, "ri"), np.expand_dims(aref(a, axis=2), 2) + 1)


def test_max_ties_and_nan(rt):
    put(rt, "t", np.array([[3, 7, 7, 1], [5, 5, 2, 5]], np.float64))
    rt.execute("v, i = t:max(2); w, j = t:min(2)")
    np.testing.assert_array_equal(arr(rt, "i"), [[2], [1]])      # first occurrence
    np.testing.assert_array_equal(arr(rt, "j"), [[4], [3]])
    put(rt, "n", np.array([[1, np.nan, 5, np.nan], [2, 3, 1, 0]], np.float64))
    assert np.isnan(rt.eval("n:max()")) and np.isnan(rt.eval("n:min()"))
    rt.execute("v, i = n:max(2); w, j = n:min(2)")
    assert np.isnan(arr(rt, "v")[0, 0]) and arr(rt, "i")[0, 0] == 2
    assert np.isnan(arr(rt, "w")[0, 0]) and arr(rt, "j")[0, 0] == 2
    np.testing.assert_array_equal(arr(rt, "v")[1], [3])
    np.testing.assert_array_equal(arr(rt, "j")[1], [4])


def test_max_doc_example(rt):
    put(rt, "x", np.array([[1.1994, -0.6290, 0.6888], [-0.0038, -0.0908, -0.2075],
                           [0.3437, -0.9948, 0.1216]]))
    rt.execute("v, i = torch.max(x, 1)")
    np.testing.assert_array_equal(arr(rt, "i"), [[1, 2, 1]])
    assert rt.eval("v:dim()") == 2 and rt.eval("v:size(1)") == 1


# -- cumulative -----------------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["cumsum", "cumprod"])
def test_cumulative(rt, fx, op):
    tname, dtype, a = fx
    ref = getattr(np, op)
    close(arr(rt, f"x:{op}()"), ref(a.astype(np.float64), axis=0), dtype)   # default dim 1
    for d in (1, 2, 3):
        close(arr(rt, f"torch.{op}(xt, {d})"), ref(a.transpose(2, 1, 0), axis=d - 1), dtype)
    rt.execute(f"r = torch.{tname}Tensor(); rr = torch.{op}(r, x, 3)")
    assert rt.eval("rr == r")
    close(arr(rt, "r"), ref(a, axis=2), dtype)


def test_cumprod_doc_example(rt):
    put(rt, "A", np.array([[1, 4, 7], [2, 5, 8], [3, 6, 9]], np.int64))
    np.testing.assert_array_equal(arr(rt, "torch.cumprod(A)"),
                                  [[1, 4, 7], [2, 20, 56], [6, 120, 504]])
    np.testing.assert_array_equal(arr(rt, "torch.cumprod(A, 2)"),
                                  [[1, 4, 28], [2, 10, 80], [3, 18, 162]])


# -- norms, dist, trace, renorm -------------------------------------------------------------------
def _pnorm(a, p, axis=None, keepdims=False):
    a = np.abs(a.astype(np.float64))
    if p == 0:
        return (a != 0).sum(axis=axis, keepdims=keepdims)
    return (a ** p).sum(axis=axis, keepdims=keepdims) ** (1.0 / p)


@pytest.mark.parametrize("p", [1, 2, 3, 0.5, 0])
def test_norm(rt, fx, p):
    tname, dtype, a = fx
    if p == 2:
        close(rt.eval("x:norm()"), _pnorm(a, 2), dtype)
    close(rt.eval(f"x:norm({p})"), _pnorm(a, p), dtype)
    for d in (1, 3):
        close(arr(rt, f"x:norm({p}, {d})"), _pnorm(a, p, d - 1, True), dtype)
        close(arr(rt, f"torch.norm(xt, {p}, {d})"), _pnorm(a.transpose(2, 1, 0), p, d - 1, True),
              dtype)
    rt.execute(f"r = torch.{tname}Tensor(); rr = torch.norm(r, x, {p}, 2)")
    close(arr(rt, "r"), _pnorm(a, p, 1, True), dtype)


def test_dist_trace(rt, fx):
    _tname, dtype, a = fx
    b = np.random.default_rng(2).standard_normal(a.shape).astype(dtype)
    put(rt, "y", b)
    close(rt.eval("x:dist(y)"), _pnorm(a.astype(np.float64) - b, 2), dtype)
    close(rt.eval("torch.dist(x, y, 3)"), _pnorm(a.astype(np.float64) - b, 3), dtype)
    m = a[0]
    put(rt, "m", m)
    close(rt.eval("m:trace()"), np.trace(m.astype(np.float64)), dtype)
    close(rt.eval("torch.trace(m:t())"), np.trace(m.astype(np.float64)), dtype)
    with pytest.raises(LuaError, match="expected a matrix"):
        rt.eval("x:trace()")


def test_renorm(rt, fx):
    tname, dtype, a = fx

    def ref(a, p, dim, maxnorm):
        m1 = np.moveaxis(a.astype(np.float64), dim, 0)
        norms = _pnorm(m1.reshape(m1.shape[0], -1), p, 1)
        f = np.where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)
        return np.moveaxis(m1 * f.reshape(-1, *([1] * (a.ndim - 1))), 0, dim)

    close(arr(rt, "torch.renorm(x, 2, 1, 2.5)"), ref(a, 2, 0, 2.5), dtype)
    close(arr(rt, "torch.renorm(xt, 1, 3, 3)"), ref(a.transpose(2, 1, 0), 1, 2, 3), dtype)
    rt.execute("xc = x:clone(); ret = xc:renorm(2, 2, 1.5)")
    assert rt.eval("ret == xc")
    close(arr(rt, "xc"), ref(a, 2, 1, 1.5), dtype)
    rt.execute(f"r = torch.{tname}Tensor(); torch.renorm(r, x, 2, 3, 1)")
    close(arr(rt, "r"), ref(a, 2, 2, 1), dtype)


# -- sort / topk / kthvalue / median / mode -------------------------------------------------------
def test_sort(rt, fx):
    tname, _dtype, a = fx
    rt.execute("v, i = x:sort()")
    np.testing.assert_array_equal(arr(rt, "v"), np.sort(a, axis=2))
    np.testing.assert_array_equal(arr(rt, "i"), np.argsort(a, axis=2, kind="stable") + 1)
    for d in (1, 2, 3):
        rt.execute(f"v, i = torch.sort(xt, {d}, true)")
        at = a.transpose(2, 1, 0)
        want = -np.sort(-at, axis=d - 1)
        np.testing.assert_array_equal(arr(rt, "v"), want)
        np.testing.assert_array_equal(np.take_along_axis(at, arr(rt, "i") - 1, d - 1), want)
    rt.execute("v, i = torch.sort(x, true)")            # descending on the last dimension
    np.testing.assert_array_equal(arr(rt, "v"), -np.sort(-a, axis=2))
    rt.execute(f"rv = torch.{tname}Tensor(); ri = torch.LongTensor(); "
               f"v2, i2 = torch.sort(rv, ri, x, 1)")
    assert rt.eval("v2 == rv and i2 == ri")
    np.testing.assert_array_equal(arr(rt, "rv"), np.sort(a, axis=0))


def test_sort_ties_stable(rt):
    put(rt, "t", np.array([2, 1, 2, 1, 3], np.float64))
    rt.execute("v, i = t:sort(); w, j = t:sort(1, true)")
    np.testing.assert_array_equal(arr(rt, "i"), [2, 4, 1, 3, 5])
    np.testing.assert_array_equal(arr(rt, "j"), [5, 1, 3, 2, 4])


def test_topk(rt, fx):
    tname, _dtype, a = fx
    rt.execute("v, i = x:topk(2)")                     # 2 smallest along the last dimension
    np.testing.assert_array_equal(arr(rt, "v"), np.sort(a, axis=2)[:, :, :2])
    rt.execute("v, i = torch.topk(x, 3, 2, true, true)")
    want = -np.sort(-a, axis=1)[:, :3, :]
    np.testing.assert_array_equal(arr(rt, "v"), want)
    np.testing.assert_array_equal(np.take_along_axis(a, arr(rt, "i") - 1, 1), want)
    rt.execute("v, i = torch.topk(x, 1, true)")
    np.testing.assert_array_equal(arr(rt, "v"), a.max(axis=2, keepdims=True))
    rt.execute(f"rv = torch.{tname}Tensor(); ri = torch.LongTensor(); torch.topk(rv, ri, xt, 2, 1)")
    np.testing.assert_array_equal(arr(rt, "rv"), np.sort(a.transpose(2, 1, 0), axis=0)[:2])
    with pytest.raises(LuaError, match="k not in range for dimension"):
        rt.eval("x:topk(6)")


def test_kthvalue_median_mode(rt, fx):
    _tname, _dtype, a = fx
    for k in (1, 3, 5):
        rt.execute(f"v, i = x:kthvalue({k})")
        np.testing.assert_array_equal(arr(rt, "v"), np.sort(a, axis=2)[:, :, k - 1:k])
        np.testing.assert_array_equal(np.take_along_axis(a, arr(rt, "i") - 1, 2), arr(rt, "v"))
    rt.execute("v, i = torch.kthvalue(xt, 2, 1)")
    np.testing.assert_array_equal(arr(rt, "v"), np.sort(a.transpose(2, 1, 0), axis=0)[1:2])
    # median: the lower middle element for an even count
    rt.execute("v, i = x:median(2)")
    np.testing.assert_array_equal(arr(rt, "v"), np.sort(a, axis=1)[:, 1:2, :])
    rt.execute("v, i = x:median()")
    np.testing.assert_array_equal(arr(rt, "v"), np.sort(a, axis=2)[:, :, 2:3])
    with pytest.raises(LuaError, match="selected index out of range"):
        rt.eval("x:kthvalue(6)")


def test_median_doc_example(rt):
    put(rt, "x", np.array([[0.7860, 0.7687, -0.9362], [0.0411, 0.5407, -0.3616],
                           [-0.0129, -0.2499, -0.5786]]))
    rt.execute("y, i = torch.median(x)")
    np.testing.assert_array_equal(arr(rt, "y"), [[0.7687], [0.0411], [-0.2499]])
    np.testing.assert_array_equal(arr(rt, "i"), [[2], [1], [2]])
    rt.execute("y, i = torch.median(x, 1)")
    np.testing.assert_array_equal(arr(rt, "i"), [[2, 2, 3]])


def test_mode(rt):
    put(rt, "m", np.array([[1, 2, 2, 3, 3], [5, 4, 4, 5, 5], [7, 8, 9, 6, 0]], np.float64))
    rt.execute("v, i = m:mode()")
    np.testing.assert_array_equal(arr(rt, "v"), [[2], [5], [0]])      # ties: smallest value
    np.testing.assert_array_equal(arr(rt, "i")[[0, 2]], [[3], [5]])
    assert arr(rt, "i")[1, 0] in (1, 4, 5)
    rt.execute("v, i = torch.mode(m, 1)")
    np.testing.assert_array_equal(arr(rt, "v"), [[1, 2, 2, 3, 0]])    # all distinct
    put(rt, "ml", np.array([3, 1, 3, 2], np.int64))
    rt.execute("v, i = ml:mode()")
    assert rt.eval("v[1]") == 3 and rt.eval("i[1]") in (1, 3)


# -- errors ---------------------------------------------------------------------------------------
def test_errors(rt, fx):
    with pytest.raises(LuaError, match=r"bad argument #2 to 'sum' \(dimension 4 out of range\)"):
        rt.execute("x:sum(4)")
    with pytest.raises(LuaError, match=r"^\(command line\):1: .*dimension 0 out of range"):
        rt.execute("x:max(0)")
    with pytest.raises(LuaError, match=r"^\(command line\):1: invalid arguments: "):
        rt.execute("x:sum('a')")
    with pytest.raises(LuaError, match="invalid arguments: "):
        rt.execute("torch.max(x, torch.FloatTensor(), 1)" if fx[0] == "Double"
                   else "torch.max(x, torch.DoubleTensor(), 1)")
    with pytest.raises(LuaError, match="tensor must have one dimension"):
        rt.execute("torch.Tensor():max()")
    with pytest.raises(LuaError, match="invalid dimension 5"):
        rt.execute("x:mean(5)")
