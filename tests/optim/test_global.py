"""optim.cmaes, optim.de and optim.FistaLS: convergence, Torch7's config keys and return values,
and FistaLS step by step against a NumPy FISTA/ISTA with the same backtracking rule."""

from __future__ import annotations

import math

import numpy as np
import pytest

from luatorch.runtime import LuaError, Runtime

from .helpers import runtime

SPHERE = r"""
function sphere(x) return x:dot(x) end
-- count the evaluations and keep copies of the points seen
function recorder(f)
   local rec = {n = 0, points = {}}
   return rec, function(x)
      rec.n = rec.n + 1
      rec.points[rec.n] = x:clone()
      return f(x)
   end
end
"""


@pytest.fixture(scope="module")
def r() -> Runtime:
    rt = runtime()
    rt.execute(SPHERE)
    return rt


def _vals(t) -> list:
    return [t[i] for i in range(1, len(t) + 1)]


def _lua_matrix(a: np.ndarray) -> str:
    """A Lua table literal that torch.Tensor() reads back bit for bit."""
    if a.ndim == 1:
        return "{" + ", ".join(repr(float(v)) for v in a) + "}"
    return "{" + ", ".join(_lua_matrix(row) for row in a) + "}"


# ---------------------------------------------------------------------------------------- cmaes

def test_cmaes_rosenbrock_5d(r):
    x, fs, n, f = r.execute("""
        torch.manualSeed(1)
        local x, fs, n = optim.cmaes(rosenbrock, torch.zeros(5), {sigma = 0.5, verb_disp = 0})
        return x:totable(), fs, n, (rosenbrock(x))
    """)
    assert f < 1e-10
    assert _vals(x) == pytest.approx([1] * 5, abs=1e-5)
    hist = _vals(fs)
    assert hist[0] == 4                      # f at the start point x = 0
    assert hist[-1] == pytest.approx(f)      # f at the returned point
    assert hist[-1] == min(hist[1:-1])       # the best value of all generations
    assert n % 8 == 0 and n < 5000           # popsize 4 + floor(3 log 5) = 8


def test_cmaes_defaults_and_shape(r):
    shape, changed, n, nfs, calls, lam_ok = r.execute("""
        torch.manualSeed(2)
        local x = torch.Tensor(2, 5):fill(0.3)
        local x0 = x:clone()
        local rec, f = recorder(sphere)
        local xb, fs, n = optim.cmaes(f, x, {sigma = 1, maxEval = 100})
        local ok = true
        for i = 1, rec.n do ok = ok and rec.points[i]:dim() == 2 end
        return xb:size():totable(), x:dist(x0), n, #fs, rec.n, ok
    """)
    # N = 10: popsize 4 + floor(3 log 10) = 10, ten generations fill maxEval = 100
    assert _vals(shape) == [2, 5]
    assert changed == 0                       # x itself is left alone
    assert n == 100 and calls == 101          # f(x) at the start is not counted
    assert nfs == 12                          # f(x), one per generation, f(xbest)
    assert lam_ok


def test_cmaes_ftarget_and_popsize(r):
    n, best = r.execute("""
        torch.manualSeed(3)
        local x, fs, n = optim.cmaes(sphere, torch.Tensor(4):fill(2),
                                     {sigma = 1, popsize = 12, ftarget = 1e-3})
        return n, fs[#fs]
    """)
    assert n % 12 == 0
    assert best <= 1e-3


def test_cmaes_state_replaces_config(r):
    n = r.execute("""
        torch.manualSeed(4)
        local _, _, n = optim.cmaes(sphere, torch.ones(3), {sigma = 1, maxEval = 1000},
                                    {sigma = 1, maxEval = 30})
        return n
    """)
    # popsize 4 + floor(3 log 3) = 7: the fifth generation (35 evaluations) reaches state's 30
    assert n == 35


def test_cmaes_errors(r):
    with pytest.raises(LuaError, match="sigma"):
        r.execute("optim.cmaes(sphere, torch.ones(3), {})")
    with pytest.raises(LuaError, match="popsize"):
        r.execute("optim.cmaes(sphere, torch.ones(3), {sigma = 1, popsize = 1})")
    with pytest.raises(LuaError, match="Float- or DoubleTensor"):
        r.execute("optim.cmaes(sphere, torch.IntTensor(3):fill(1), {sigma = 1})")


def test_cmaes_float(r):
    tname, f = r.execute("""
        torch.manualSeed(5)
        local x, fs = optim.cmaes(sphere, torch.FloatTensor(3):fill(1), {sigma = 0.5})
        return torch.type(x), fs[#fs]
    """)
    assert tname == "torch.FloatTensor"
    assert f < 1e-6


# ------------------------------------------------------------------------------------------- de

def test_de_sphere_and_rosenbrock(r):
    f1, x2, f2 = r.execute("""
        local _, fx1 = optim.de(sphere, torch.zeros(3), {maxFEs = 3000})
        local x2, fx2 = optim.de(rosenbrock, torch.zeros(2),
                                 {popsize = 30, scaleFactor = 0.5, crossoverRate = 0.9,
                                  maxFEs = 3000})
        return fx1:min(), x2:totable(), (rosenbrock(x2))
    """)
    assert f1 < 1e-8
    assert f2 < 1e-8
    assert _vals(x2) == pytest.approx([1, 1], abs=1e-4)


def test_de_records_every_evaluation(r):
    size, calls, same, first_in, best_is_min = r.execute("""
        local rec, f = recorder(sphere)
        local xb, fx = optim.de(f, torch.zeros(2), {popsize = 20, maxFEs = 130})
        local same = true
        for i = 1, rec.n do same = same and fx[i] == sphere(rec.points[i]) end
        local inside = true
        for i = 1, 20 do inside = inside and rec.points[i]:abs():max() <= 30 end
        return fx:size(1), rec.n, same, inside, sphere(xb) == fx:min()
    """)
    # 130 is not a whole number of generations: the last one is cut at the budget
    assert size == 130 and calls == 130 and same and first_in and best_is_min


def test_de_defaults(r):
    calls, region, calls3, size3 = r.execute("""
        local rec, f = recorder(sphere)
        optim.de(f, torch.zeros(3), {maxFEs = 5})
        local rec2, f2 = recorder(sphere)
        optim.de(f2, torch.zeros(2), {popsize = 10, maxFEs = 10, minRegion = 2, maxRegion = 3})
        local lo, hi = math.huge, -math.huge
        for i = 1, rec2.n do
           lo = math.min(lo, rec2.points[i]:min()); hi = math.max(hi, rec2.points[i]:max())
        end
        local rec3, f3 = recorder(sphere)
        local _, fx3 = optim.de(f3, torch.zeros(1), {maxEval = 25})
        return rec.n, {lo, hi}, rec3.n, fx3:size(1)
    """)
    assert calls == 30                        # popsize 10 * #x, evaluated in full
    assert (calls3, size3) == (25, 25)        # maxEval: the name de.lua's header gives
    lo, hi = _vals(region)
    assert 2 <= lo and hi <= 3


def test_de_reproducible_and_global_rng_untouched(r):
    same, a, b, shape = r.execute("""
        local x = torch.Tensor(2, 1):zero()
        torch.manualSeed(7)
        local x1, fx1 = optim.de(rosenbrock2d, x, {maxFEs = 400})
        local a = torch.uniform()
        torch.manualSeed(7)
        local b = torch.uniform()
        local x2, fx2 = optim.de(rosenbrock2d, x, {maxFEs = 400})
        return fx1:equal(fx2) and x1:equal(x2), a, b, x1:size():totable()
    """.replace("rosenbrock2d", "function(p) return rosenbrock(p:view(-1)) end"))
    assert same
    assert a == b
    assert _vals(shape) == [2, 1]


# ------------------------------------------------------------------------------------- FistaLS

def _soft(v: np.ndarray, t: float) -> np.ndarray:
    return np.sign(v) * np.maximum(np.abs(v) - t, 0)


def _fista_reference(A: np.ndarray, b: np.ndarray, lam: float, fista: bool, L: float = 0.1,
                     Lstep: float = 1.5, maxiter: int = 50, maxline: int = 20,
                     errthres: float = 1e-4) -> tuple:
    """Beck and Teboulle's FISTA (or ISTA) with backtracking on L, for ||Ax-b||^2 + lam|x|_1."""
    def f(x: np.ndarray) -> float:
        r = A @ x - b
        return float(r @ r)

    xprev = np.zeros(A.shape[1])
    y = xprev.copy()
    t = 1.0
    hist = []
    for it in range(maxiter):
        fy, gy = f(y), 2 * A.T @ (A @ y - b)
        nline = 0
        while True:
            p = _soft(y - gy / L, lam / L)
            d = p - y
            q = fy + gy @ d + L / 2 * d @ d
            nline += 1
            if f(p) <= q:
                xk = p
                break
            if nline > maxline:
                xk = xprev
                break
            L *= Lstep
        if fista:
            tn = (1 + math.sqrt(1 + 4 * t * t)) / 2
            y = xk + (t - 1) / tn * (xk - xprev)
            xprev, t = xk, tn
        else:
            y = xk
        hist.append((nline, L, f(y) + lam * np.abs(y).sum()))
        if it > 0 and abs(hist[-1][2] - hist[-2][2]) <= errthres:
            break
    return y, hist


LASSO = r"""
local A, b, lam = ...
local function f(x, mode)
   local r = torch.mv(A, x):add(-1, b)
   if mode and mode:match('dx') then return r:dot(r), torch.mv(A:t(), r):mul(2) end
   return r:dot(r)
end
local function g(x) return lam * x:norm(1) end
local function pl(x, L)
   -- soft shrinkage by lam / L
   local mag = x:clone():abs():add(-lam / L):cmax(0)
   x:sign():cmul(mag)
end
return f, g, pl
"""


def _lasso(seed: int = 0) -> tuple:
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((20, 40))
    xtrue = np.zeros(40)
    xtrue[[3, 11, 27]] = [1.5, -2.0, 0.7]
    return A, A @ xtrue + 0.01 * rng.standard_normal(20), 0.5


@pytest.mark.parametrize("fista", [True, False])
def test_fistals_matches_numpy(r, fista):
    A, b, lam = _lasso()
    params = "{}" if fista else "{doFistaUpdate = false}"
    x, hist, xinit, L = r.execute(f"""
        local A, b = torch.Tensor({_lua_matrix(A)}), torch.Tensor({_lua_matrix(b)})
        local f, g, pl = loadstring([==[{LASSO}]==])(A, b, {lam})
        local xinit = torch.zeros(40)
        local params = {params}
        local x, h = optim.FistaLS(f, g, pl, xinit, params)
        local rows = {{}}
        for i, e in ipairs(h) do rows[i] = {{e.nline, e.L, e.F, e.Fply + e.Gply}} end
        return x:totable(), rows, xinit:totable(), params.L
    """)
    xref, href = _fista_reference(A, b, lam, fista)
    rows = [_vals(row) for row in _vals(hist)]
    assert len(rows) == len(href)
    for (nl, Lk, F, FG), (rnl, rL, rF) in zip(rows, href):
        assert nl == rnl
        assert Lk == pytest.approx(rL, rel=1e-12)
        assert F == pytest.approx(rF, rel=1e-9)
        assert F == FG
    assert np.allclose(_vals(x), xref, atol=1e-9)
    assert _vals(xinit) == _vals(x)           # xinit receives the solution
    assert L == rows[-1][1]                   # the last L is written back


def test_fistals_converges_to_the_lasso_optimum(r):
    A, b, lam = _lasso(1)
    # errthres stays well above rounding: Torch7's line search compares f(p) <= Q exactly, so
    # once steps are as small as the rounding of f it can fail on noise and raise L (as upstream).
    x = r.execute(f"""
        local A, b = torch.Tensor({_lua_matrix(A)}), torch.Tensor({_lua_matrix(b)})
        local f, g, pl = loadstring([==[{LASSO}]==])(A, b, {lam})
        local x = optim.FistaLS(f, g, pl, torch.zeros(40), {{maxiter = 2000, errthres = 1e-10}})
        return x:totable()
    """)
    x = np.array(_vals(x))
    xref, _ = _fista_reference(A, b, lam, True, maxiter=5000, errthres=1e-14)

    def objective(v: np.ndarray) -> float:
        return float((A @ v - b) @ (A @ v - b) + lam * np.abs(v).sum())

    assert objective(x) == pytest.approx(objective(xref), rel=1e-8)
    # optimality: 2 A'(Ax - b) + lam * s = 0 with s in the subdifferential of |x|_1
    grad = 2 * A.T @ (A @ x - b)
    on = x != 0
    assert np.allclose(grad[on], -lam * np.sign(x[on]), atol=1e-3)
    assert np.all(np.abs(grad[~on]) <= lam + 1e-3)
    np.testing.assert_array_equal(np.sign(x), np.sign(xref))


def test_fistals_params_buffers_and_maxline(r):
    same_y, has_bufs, nline, stuck = r.execute(f"""
        local A, b = torch.eye(3), torch.Tensor{{1, -2, 3}}
        local f, g, pl = loadstring([==[{LASSO}]==])(A, b, 0.1)
        local params = {{maxiter = 3, maxline = 2, L = 1e-6, Lstep = 1.01}}
        local x, h = optim.FistaLS(f, g, pl, torch.zeros(3), params)
        return x == params.y, params.xkm ~= nil and params.ply ~= nil, h[1].nline,
               #h == 2 and x:norm() == 0
    """)
    assert same_y and has_bufs
    assert nline == 3                         # the first trial and maxline more, then give up
    # every step was too long: x stays at the previous iterate, F does not move, FISTA stops
    assert stuck
