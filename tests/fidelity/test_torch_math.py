"""torch maths as Torch7 computes it (issue 11, 'torch': bitwise ops, alias sampling, bhistc,
pstrf, integer wrap-around, gels, range/linspace/logspace into views, logNormal)."""

from __future__ import annotations

import numpy as np
import pytest

from luatorch.runtime import Runtime
from tests.conftest import arr


# -- integer stores and arithmetic wrap as C does --------------------------------------------------
@pytest.mark.parametrize("tname, dtype", [("Byte", np.uint8), ("Char", np.int8),
                                          ("Short", np.int16), ("Int", np.int32)])
def test_integer_stores_wrap(rt: Runtime, tname: str, dtype: type) -> None:
    vals = [256, -1, 257.5, 70000, -129, 2 ** 33 + 3]
    rt.execute(f"x = torch.{tname}Tensor({len(vals)}); m = torch.{tname}Tensor(2, 3)")
    for i, v in enumerate(vals, 1):
        rt.execute(f"x[{i}] = {v!r}")
    # C's conversion of the double (x86: through a 32-bit int for the small types, INT_MIN when
    # out of range), which NumPy's cast performs
    with np.errstate(invalid="ignore"):
        ref = np.array(vals, np.float64).astype(dtype)
    assert arr(rt, "x").tolist() == ref.tolist()
    rt.execute("m:fill(256); m[{2, 3}] = -1; m[1] = 300")
    assert arr(rt, "m").tolist() == np.array([[300] * 3, [256, 256, -1]]).astype(dtype).tolist()
    rt.execute(f"s = torch.{tname}Storage(2):fill(-2); s[1] = 256")
    assert [rt.eval("s[1]"), rt.eval("s[2]")] == np.array([256, -2]).astype(dtype).tolist()


def test_byte_arithmetic_wraps(rt: Runtime) -> None:
    rt.execute("a = torch.ByteTensor({200, 255, 16}); b = torch.ByteTensor({100, 2, 16})")
    a, b = np.array([200, 255, 16], np.uint8), np.array([100, 2, 16], np.uint8)
    assert arr(rt, "torch.add(a, b)").tolist() == (a + b).tolist()
    assert arr(rt, "torch.cmul(a, b)").tolist() == (a * b).tolist()
    assert arr(rt, "torch.mul(a, 2)").tolist() == (a * np.uint8(2)).tolist()
    assert arr(rt, "a:clone():add(300)").tolist() == (a + np.uint8(44)).tolist()


# -- bitwise family ------------------------------------------------------------------------------
_INTS = [("Byte", np.uint8), ("Char", np.int8), ("Short", np.int16), ("Int", np.int32),
         ("Long", np.int64)]


def _ints(rt: Runtime, name: str, tname: str, vals: list) -> None:
    rt.execute(f"{name} = torch.{tname}Tensor({{{', '.join(map(str, vals))}}})")


@pytest.mark.parametrize("tname, dtype", _INTS)
def test_bitwise_matches_numpy(rt: Runtime, tname: str, dtype: type) -> None:
    av = [-100, -3, 0, 5, 77, 126]
    bv = [3, 6, 127, -1, 12, 90]
    _ints(rt, "a", tname, av)
    _ints(rt, "b", tname, bv)
    a = np.array(av).astype(dtype)
    b = np.array(bv).astype(dtype)
    for op, uf in [("bitand", np.bitwise_and), ("bitor", np.bitwise_or),
                   ("bitxor", np.bitwise_xor)]:
        assert arr(rt, f"torch.{op}(a, 45)").tolist() == uf(a, dtype(45)).tolist()
        assert arr(rt, f"a:clone():{op}(45)").tolist() == uf(a, dtype(45)).tolist()
        assert arr(rt, f"torch.c{op}(a, b)").tolist() == uf(a, b).tolist()
        assert arr(rt, f"torch.{tname}Tensor():c{op}(a, b)").tolist() == uf(a, b).tolist()
    # shifts work on the unsigned bits: >> is logical, << wraps
    u = np.dtype(f"u{a.itemsize}")
    for q in (1, 3):
        ref_l = np.left_shift(a.view(u), u.type(q)).view(dtype)
        ref_r = np.right_shift(a.view(u), u.type(q)).view(dtype)
        assert arr(rt, f"torch.lshift(a, {q})").tolist() == ref_l.tolist()
        assert arr(rt, f"torch.rshift(a, {q})").tolist() == ref_r.tolist()
    _ints(rt, "c", tname, [1, 2, 0, 3, 1, 2])
    c = np.array([1, 2, 0, 3, 1, 2]).astype(u)
    assert arr(rt, "torch.clshift(a, c)").tolist() == np.left_shift(a.view(u), c).view(
        dtype).tolist()
    assert arr(rt, "torch.crshift(a, c)").tolist() == np.right_shift(a.view(u), c).view(
        dtype).tolist()


def test_bitwise_into_strided_view(rt: Runtime) -> None:
    rt.execute("m = torch.LongTensor(4, 3):fill(13); m[{{}, 2}]:bitand(6); m[{{}, 3}]:lshift(2)")
    assert arr(rt, "m").tolist() == [[13, 4, 52]] * 4


def test_bitwise_on_floats(rt: Runtime) -> None:
    for op in ("bitand", "bitor", "bitxor"):
        ok, msg = rt.execute(f"return pcall(function() torch.Tensor(2):{op}(1) end)")
        assert not ok and f"{op} is only supported for integer type tensors" in msg
        ok, msg = rt.execute(f"return pcall(function() torch.FloatTensor(2):c{op}("
                             "torch.FloatTensor(2)) end)")
        assert not ok and f"c{op} is only supported for integer type tensors" in msg
    # shifts on float types scale by powers of two, as Torch7's mul / div by pow(2, v)
    rt.execute("f = torch.Tensor({3, -5, 0.5})")
    assert arr(rt, "torch.lshift(f, 2)").tolist() == [12, -20, 2]
    assert arr(rt, "torch.rshift(f, 1)").tolist() == [1.5, -2.5, 0.25]
    assert arr(rt, "torch.clshift(f, torch.Tensor({1, 2, 3}))").tolist() == [6, -20, 4]
    assert arr(rt, "torch.crshift(f, torch.Tensor({1, 2, 3}))").tolist() == [1.5, -1.25, 0.0625]


# -- range / linspace / logspace -------------------------------------------------------------------
@pytest.mark.parametrize("fn, args, ref", [
    ("range", "0, 3", [0, 1, 2, 3]),
    ("linspace", "0, 3, 4", [0, 1, 2, 3]),
    ("logspace", "0, 3, 4", [1, 10, 100, 1000]),
])
def test_sequences_fill_a_view_in_index_order(rt: Runtime, fn: str, args: str, ref: list) -> None:
    rt.execute(f"x = torch.zeros(2, 3); y = x:narrow(2, 2, 2); y:{fn}({args})")
    assert arr(rt, "x").tolist() == [[0, ref[0], ref[1]], [0, ref[2], ref[3]]]
    assert rt.eval("y:dim()") == 2
    rt.execute(f"z = torch.zeros(2, 2); torch.{fn}(z, {args})")
    assert arr(rt, "z").tolist() == [ref[:2], ref[2:]]


@pytest.mark.parametrize("tname, dtype", [("Double", np.float64), ("Float", np.float32)])
def test_linspace_logspace_in_torch7_arithmetic(rt: Runtime, tname: str, dtype: type) -> None:
    a, b, n = 0.1, 2.3, 37
    i = np.arange(n, dtype=dtype)
    ref = dtype(a) + i * (dtype(b) - dtype(a)) / dtype(n - 1)  # a + i*(b-a)/(n-1) in `real`
    got = arr(rt, f"torch.{tname}Tensor():linspace({a}, {b}, {n})")
    assert got.dtype == dtype and np.array_equal(got, ref)
    got = arr(rt, f"torch.{tname}Tensor():logspace({a}, {b}, {n})")
    np.testing.assert_allclose(got, np.power(dtype(10), ref), rtol=2e-7 if dtype is np.float32
                               else 1e-15)


def test_integer_linspace_divides_as_c(rt: Runtime) -> None:
    # Torch7 defines linspace for float types only; integer types here take the same formula
    # in C integer arithmetic (truncating division)
    i = np.arange(4)
    assert arr(rt, "torch.LongTensor():linspace(0, 10, 4)").tolist() == (i * 10 // 3).tolist()
    assert arr(rt, "torch.IntTensor():linspace(10, 0, 4)").tolist() == [10, 7, 4, 0]


# -- logNormal ------------------------------------------------------------------------------------
def test_lognormal_takes_the_underlying_normal(rt: Runtime) -> None:
    rt.execute("torch.manualSeed(7); t = torch.Tensor(4000):logNormal(0.3, 0.05)"
               "; torch.manualSeed(7); n = torch.Tensor(4000):normal(0.3, 0.05)"
               "; torch.manualSeed(7); s = torch.logNormal(0.3, 0.05)")
    t, n = arr(rt, "t"), arr(rt, "n")
    assert np.allclose(np.log(t), n, rtol=0, atol=1e-12)  # same draws, exponentiated
    assert rt.eval("s") == t[0]
    assert np.log(t).mean() == pytest.approx(0.3, abs=0.005)


# -- gels -----------------------------------------------------------------------------------------
def test_gels_overdetermined_returns_n_rows(rt: Runtime) -> None:
    rng = np.random.RandomState(3)
    a, b = rng.randn(7, 3), rng.randn(7, 2)
    ref = np.linalg.lstsq(a, b, rcond=None)[0]
    rt.execute(f"a = torch.Tensor({a.tolist()!r}); b = torch.Tensor({b.tolist()!r})".replace(
        "[", "{").replace("]", "}"))
    np.testing.assert_allclose(arr(rt, "torch.gels(b, a)"), ref, atol=1e-12)
    rt.execute("tb, ta = torch.Tensor(), torch.Tensor(); torch.gels(tb, ta, b, a)")
    np.testing.assert_allclose(arr(rt, "tb"), ref, atol=1e-12)
    rt.execute("a2, b2 = a:clone(), b:clone(); torch.gels(b2, a2, b2, a2)")
    np.testing.assert_allclose(arr(rt, "b2"), ref, atol=1e-12)
    rt.execute("v = torch.gels(b:select(2, 1):clone(), a)")
    np.testing.assert_allclose(arr(rt, "v"), ref[:, :1], atol=1e-12)


# -- bhistc ---------------------------------------------------------------------------------------
def _bhistc_ref(x: np.ndarray, nbins: int, lo: float, hi: float) -> np.ndarray:
    dt = x.dtype.type
    lo, hi = dt(lo), dt(hi)
    if lo == hi:
        lo, hi = x.min(), x.max()
    out = np.zeros((x.shape[0], nbins))
    for i, row in enumerate(x):
        v = row[(row >= lo) & (row <= hi)]
        b = np.minimum(((v - lo) / (hi - lo) * dt(nbins)).astype(np.int64), nbins - 1)
        np.add.at(out[i], b, 1)
    return out


@pytest.mark.parametrize("tname, dtype", [("Double", np.float64), ("Float", np.float32)])
def test_bhistc_matches_numpy(rt: Runtime, tname: str, dtype: type) -> None:
    rt.execute("torch.manualSeed(3)")
    rt.execute(f"x = torch.{tname}Tensor(9, 5):normal(); xt = x:t()")  # xt: 5 x 9, strided
    x = arr(rt, "xt")
    for args, ref in [("xt, 7, -1, 1", _bhistc_ref(x, 7, -1, 1)),
                      ("xt, 4", _bhistc_ref(x, 4, 0, 0)),
                      ("xt", _bhistc_ref(x, 100, 0, 0))]:
        got = arr(rt, f"torch.bhistc({args})")
        assert got.dtype == dtype and np.array_equal(got, ref)
    assert np.array_equal(arr(rt, "xt:bhistc(7, -1, 1)"), _bhistc_ref(x, 7, -1, 1))
    rt.execute(f"r = torch.{tname}Tensor(); torch.bhistc(r, xt, 6, -2, 2)")
    assert np.array_equal(arr(rt, "r"), _bhistc_ref(x, 6, -2, 2))


def test_bhistc_doc_example_and_errors(rt: Runtime) -> None:
    rt.execute("x = torch.Tensor({{2, 4, 2, 2, 5, 4}, {3, 5, 1, 5, 3, 5}, {3, 4, 2, 5, 5, 1}})")
    assert arr(rt, "torch.bhistc(x, 5, 1, 5)").tolist() == [[0, 3, 0, 2, 1], [1, 0, 2, 0, 3],
                                                            [1, 1, 1, 1, 2]]
    ok, msg = rt.execute("return pcall(torch.bhistc, torch.Tensor(2, 2, 2))")
    assert not ok and "the input must be a 2d tensor" in msg


# -- pstrf ----------------------------------------------------------------------------------------
def _pstrf_ref(a: np.ndarray) -> tuple:
    """Textbook Cholesky with complete pivoting: (L, 0-based perm), a[perm][:, perm] = L L^T."""
    a = a.astype(np.float64).copy()
    n = a.shape[0]
    perm = np.arange(n)
    lo = np.zeros_like(a)
    for j in range(n):
        rest = np.diag(a)[j:] - (lo[j:, :j] ** 2).sum(1)
        p = j + int(np.argmax(rest))
        a[[j, p]] = a[[p, j]]
        a[:, [j, p]] = a[:, [p, j]]
        lo[[j, p]] = lo[[p, j]]
        perm[[j, p]] = perm[[p, j]]
        lo[j, j] = np.sqrt(rest[p - j])
        lo[j + 1:, j] = (a[j + 1:, j] - lo[j + 1:, :j] @ lo[j, :j]) / lo[j, j]
    return lo, perm


def _lua_matrix(m: np.ndarray) -> str:
    return "{" + ", ".join("{" + ", ".join(repr(float(v)) for v in row) + "}" for row in m) + "}"


@pytest.mark.parametrize("tname, dtype, tol", [("Double", np.float64, 1e-12),
                                               ("Float", np.float32, 1e-4)])
def test_pstrf_matches_reference(rt: Runtime, tname: str, dtype: type, tol: float) -> None:
    rng = np.random.RandomState(5)
    m = rng.rand(6, 6)
    a = m @ m.T + 0.1 * np.eye(6)
    lo, perm = _pstrf_ref(a.astype(dtype))
    rt.execute(f"a = torch.{tname}Tensor({_lua_matrix(a)})")
    rt.execute("u, piv = torch.pstrf(a); l, pl = torch.pstrf(a, 'L')")
    assert rt.eval("torch.type(piv)") == "torch.IntTensor"
    assert arr(rt, "piv").tolist() == (perm + 1).tolist()
    assert arr(rt, "pl").tolist() == (perm + 1).tolist()
    np.testing.assert_allclose(arr(rt, "u"), lo.T, atol=tol)
    np.testing.assert_allclose(arr(rt, "l"), lo, atol=tol)
    assert rt.eval("u:stride(1) == 1 and u:stride(2) == 6")  # column-major as LAPACK's
    rt.execute(f"r = torch.{tname}Tensor(); p = torch.IntTensor()"
               "; r2, p2 = torch.pstrf(r, p, a, 'L')")
    assert rt.eval("r2 == r and p2 == p")
    np.testing.assert_allclose(arr(rt, "r"), lo, atol=tol)


def test_pstrf_reads_one_triangle_and_refuses_deficient(rt: Runtime) -> None:
    rt.execute("a = torch.Tensor({{4, 2}, {2, 3}}); b = a:clone(); b[2][1] = 99")
    assert np.allclose(arr(rt, "torch.pstrf(b)"), arr(rt, "torch.pstrf(a)"))  # U reads the upper
    assert np.allclose(arr(rt, "torch.pstrf(b:t(), 'L')"), arr(rt, "torch.pstrf(a, 'L')"))
    ok, msg = rt.execute("return pcall(torch.pstrf, torch.Tensor({{1, 1}, {1, 1}}))")
    assert not ok and "matrix is rank deficient or not positive semidefinite" in msg
    # the tolerance is LAPACK's stopping value: the last pivot here is 1 - 1/1.5
    rt.execute("c = torch.Tensor({{1, 1}, {1, 1.5}})")
    assert rt.execute("return (pcall(torch.pstrf, c, 'U', 0.3))") is True
    assert rt.execute("return (pcall(torch.pstrf, c, 'U', 0.4))") is False
    assert rt.execute("return (pcall(torch.pstrf, c, 0.4))") is False


# -- multinomialAliasSetup / multinomialAlias -----------------------------------------------------
def _alias_ref(p: np.ndarray) -> tuple:
    """Torch7's two-stack setup loop, step by step; alias 0 = none (then q = 1)."""
    n = p.size
    q = n * p
    alias = np.zeros(n, np.int64)
    smaller = [i for i in range(n) if q[i] < 1]
    larger = [i for i in range(n) if not q[i] < 1]
    while smaller and larger:
        big, sm = larger[-1], smaller[-1]
        alias[sm] = big + 1
        q[big] -= 1.0 - q[sm]
        if q[big] < 1:
            smaller[-1] = big
            larger.pop()
        else:
            smaller.pop()
    if q.max() > 1:
        q /= q.max()
    q[alias == 0] = 1
    alias[alias == 0] = 1
    return alias, q


@pytest.mark.parametrize("n", [1, 3, 5, 64, 1000])
def test_alias_setup_matches_torch7_loop(rt: Runtime, n: int) -> None:
    rt.execute(f"torch.manualSeed({n}); p = torch.Tensor({n}):uniform(0.05, 1); p:div(p:sum())"
               "; s = torch.multinomialAliasSetup(p)")
    alias, q = _alias_ref(arr(rt, "p").copy())
    assert rt.eval("torch.type(s[1])") == "torch.LongTensor"
    assert rt.eval("torch.type(s[2])") == "torch.DoubleTensor"
    assert arr(rt, "s[1]").tolist() == alias.tolist()
    np.testing.assert_allclose(arr(rt, "s[2]"), q, rtol=0, atol=1e-12)
    # a given state table is refilled in place
    rt.execute("j, qq = s[1], s[2]; s2 = torch.multinomialAliasSetup(p, s)")
    assert rt.eval("s2 == s and s2[1] == j and s2[2] == qq")


def test_alias_draw_uses_torch7_stream_and_distribution(rt: Runtime) -> None:
    from luatorch import random as R

    rt.execute("p = torch.Tensor({0.1, 0.2, 0.3, 0.4}); s = torch.multinomialAliasSetup(p)"
               "; torch.manualSeed(11); o = torch.LongTensor(2, 5000)"
               "; r = torch.multinomialAlias(o:view(-1), s); after = torch.uniform()")
    alias, q = arr(rt, "s[1]"), arr(rt, "s[2]")
    g = R.Generator()
    g.manual_seed(11)
    u = g.uniform_array(2 * 10000)
    cls = (u[0::2] * 4).astype(np.int64)
    ref = np.where(u[1::2] <= q[cls], cls + 1, alias[cls])
    assert arr(rt, "o").reshape(-1).tolist() == ref.tolist()
    assert rt.eval("after") == g.uniform()  # two draws per sample, no more
    freq = np.bincount(ref, minlength=5)[1:] / ref.size
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.3, 0.4], atol=0.015)
    # a strided 1-D output is filled in index order
    rt.execute("torch.manualSeed(11); m = torch.LongTensor(4, 3):zero()"
               "; torch.multinomialAlias(m:select(2, 2), s)")
    got = arr(rt, "m")
    assert got[:, 1].tolist() == ref[:4].tolist() and not got[:, [0, 2]].any()


def test_alias_setup_refuses_a_zero_probability(rt: Runtime) -> None:
    ok, msg = rt.execute("return pcall(torch.multinomialAliasSetup, torch.Tensor({0, 0.5, 0.5}))")
    assert not ok and "q_min is less than 0" in msg


# -- conv2 / conv3 on stacks of planes -------------------------------------------------------------
def _xcorr_ref(x: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Valid cross-correlation by kernel offsets (plain NumPy)."""
    out = np.zeros(tuple(a - b + 1 for a, b in zip(x.shape, k.shape)))
    for off in np.ndindex(*k.shape):
        sl = tuple(slice(o, o + n) for o, n in zip(off, out.shape))
        out += k[off] * x[sl]
    return out


@pytest.mark.parametrize("nd", [2, 3])
def test_conv_planes_equal_single_plane_results(rt: Runtime, nd: int) -> None:
    xs, ks = ((23, 19), (5, 4)) if nd == 2 else ((11, 9, 10), (3, 4, 2))
    rt.execute(f"torch.manualSeed(2); x = torch.rand({', '.join(map(str, xs))})"
               f"; k = torch.rand({', '.join(map(str, ks))})"
               f"; xx = torch.Tensor(3, {', '.join(map(str, xs))})"
               f"; kk = torch.Tensor(3, {', '.join(map(str, ks))})"
               "; for i = 1, 3 do xx[i]:copy(x); kk[i]:copy(k) end")
    for mode in ("'V'", "'F'"):
        single = arr(rt, f"torch.conv{nd}(x, k, {mode})")
        planes = arr(rt, f"torch.conv{nd}(xx, kk, {mode})")
        for i in range(3):
            assert np.array_equal(planes[i], single)  # bit for bit, as Torch7
    x, k = arr(rt, "x"), arr(rt, "k")
    np.testing.assert_allclose(arr(rt, f"torch.conv{nd}(x, k)"),
                               _xcorr_ref(x, k[(slice(None, None, -1),) * nd]), rtol=1e-12)
    np.testing.assert_allclose(arr(rt, f"torch.xcorr{nd}(xx, kk)")[1], _xcorr_ref(x, k),
                               rtol=1e-12)
