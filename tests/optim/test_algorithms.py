"""Every optim algorithm minimises a quadratic and the Rosenbrock function, from Lua."""

from __future__ import annotations

import pytest

from luatorch.runtime import LuaError, Runtime

from .helpers import runtime

# name, config for the quadratic, steps, config for Rosenbrock, steps, tolerance on f
CASES = [
    ("sgd", "{learningRate=0.05}", 400, "{learningRate=1e-3}", 10000, 1e-3),
    ("sgd", "{learningRate=0.05, momentum=0.9}", 400,
     "{learningRate=1e-3, momentum=0.9}", 10000, 1e-3),
    ("sgd", "{learningRate=0.01, momentum=0.9, dampening=0, nesterov=true}", 400,
     "{learningRate=1e-3, momentum=0.9, dampening=0, nesterov=true}", 3000, 1e-6),
    ("sgd", "{learningRate=0.05, learningRateDecay=1e-4, weightDecay=1e-9}", 400,
     "{learningRate=1e-3, learningRateDecay=1e-5}", 10000, 1e-3),
    ("nag", "{learningRate=0.01, momentum=0.9}", 400,
     "{learningRate=1e-3, momentum=0.9}", 3000, 1e-6),
    ("asgd", "{eta0=0.05, lambda=0, t0=100}", 400, "{eta0=1e-3, lambda=0, t0=5000}", 10000,
     1e-3),
    ("adagrad", "{learningRate=1}", 400, "{learningRate=0.5}", 5000, 1e-2),
    ("adadelta", "{rho=0.9, eps=1e-6}", 2000, "{eps=1e-10}", 10000, 1e-3),
    ("adam", "{learningRate=0.1}", 500, "{learningRate=0.02}", 3000, 1e-2),
    ("adamax", "{learningRate=0.1}", 500, "{learningRate=0.02}", 3000, 1e-3),
    ("rmsprop", "{learningRate=0.01}", 500, "{learningRate=1e-3}", 5000, 1e-3),
    ("rprop", "{stepsize=0.1}", 200, "{stepsize=0.01}", 3000, 1e-3),
    ("cg", "{maxEval=50}", 1, "{maxEval=300}", 1, 1e-8),
    ("lbfgs", "{maxIter=50}", 1, "{maxIter=200}", 1, 1e-8),
    ("lbfgs", "{maxIter=50, lineSearch=optim.lswolfe}", 1,
     "{maxIter=100, lineSearch=optim.lswolfe}", 1, 1e-8),
]
IDS = [f"{c[0]}-{i}" for i, c in enumerate(CASES)]


@pytest.fixture(scope="module")
def r() -> Runtime:
    return runtime()


def _vals(t) -> list:
    return [t[i] for i in range(1, len(t) + 1)]


@pytest.mark.parametrize("ttype", ["Double", "Float"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_quadratic(r, case, ttype):
    name, cfg, steps = case[:3]
    x, fs, f = r.execute(
        f"local f = quadratic(torch.{ttype}Tensor(QA), torch.{ttype}Tensor(QC))\n"
        f"return minimise('{name}', {cfg}, f, torch.{ttype}Tensor(5):zero(), {steps})")
    assert f < 1e-4
    assert _vals(x) == pytest.approx([1, -2, 3, 0.5, -1], abs=2e-2)
    assert len(fs) >= 1


@pytest.mark.parametrize("ttype", ["Double", "Float"])
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_rosenbrock(r, case, ttype):
    name, _, _, cfg, steps, tol = case
    x, _, f = r.execute(
        f"return minimise('{name}', {cfg}, rosen2, torch.{ttype}Tensor(2):zero(), {steps})")
    assert f < tol
    assert _vals(x) == pytest.approx([1, 1], abs=0.2)


@pytest.mark.parametrize("name,cfg", [
    ("cg", "{maxEval=400}"),
    ("lbfgs", "{maxIter=300}"),
    ("lbfgs", "{maxIter=200, lineSearch=optim.lswolfe}"),
])
@pytest.mark.parametrize("dim", [2, 5])
def test_rosenbrock_tensor_function(r, name, cfg, dim):
    # Torch7's own test objective, written with tensor operations
    x, fs, f = r.execute(
        f"return minimise('{name}', {cfg}, rosenbrock, torch.Tensor({dim}):zero(), 1)")
    assert f < 1e-8
    assert _vals(x) == pytest.approx([1] * dim, abs=1e-3)
    hist = _vals(fs)
    assert hist[0] == pytest.approx(dim - 1)   # f at the start, x = 0
    assert hist[-1] == pytest.approx(f, abs=1e-12)


def test_returns_f_before_the_step(r):
    f1, f2, x1 = r.execute("""
        local f = quadratic(torch.Tensor(QA), torch.Tensor(QC))
        local x = torch.Tensor(5):zero()
        local f0 = f(x)
        local _, fs = optim.sgd(f, x, {learningRate = 0.1})
        return f0, fs[1], #fs
    """)
    assert f1 == f2
    assert x1 == 1


def test_asgd_returns_the_average(r):
    n, ax, x = r.execute("""
        local f = quadratic(torch.Tensor(QA), torch.Tensor(QC))
        local x = torch.Tensor(5):zero()
        local cfg = {eta0 = 0.05, lambda = 0, t0 = 100}
        local res
        for i = 1, 1000 do res = {optim.asgd(f, x, cfg)} end
        return #res, res[3]:totable(), res[1]:totable()
    """)
    assert n == 3
    assert _vals(ax) == pytest.approx([1, -2, 3, 0.5, -1], abs=1e-2)
    assert _vals(x) == pytest.approx([1, -2, 3, 0.5, -1], abs=1e-6)


def test_rprop_returns_one_value_per_iteration(r):
    n = r.execute("""
        local _, fs = optim.rprop(rosen2, torch.Tensor(2):zero(), {niter = 7})
        return #fs
    """)
    assert n == 7


def test_state_separate_from_config(r):
    # config is only read; the state table gets the buffers and counters
    keys_cfg, count, has_buf = r.execute("""
        local cfg = {learningRate = 0.01, momentum = 0.9}
        local state = {}
        local f = quadratic(torch.Tensor(QA), torch.Tensor(QC))
        local x = torch.Tensor(5):zero()
        for i = 1, 3 do optim.sgd(f, x, cfg, state) end
        local n = 0
        for _ in pairs(cfg) do n = n + 1 end
        return n, state.evalCounter, torch.isTensor(state.dfdx)
    """)
    assert keys_cfg == 2
    assert count == 3
    assert has_buf


# algorithm, config, names of the state tensors that must be made once and then reused
BUFFERS = [
    ("sgd", "{momentum=0.9, learningRates=torch.Tensor(5):fill(0.5),"
            " weightDecays=torch.Tensor(5):fill(1e-3)}",
     ["dfdx", "deltaParameters", "decayParameters"]),
    ("nag", "{momentum=0.9, learningRates=torch.Tensor(5):fill(0.5)}",
     ["x_copy", "dfdx", "deltaParameters"]),
    ("asgd", "{t0=1}", ["ax", "tmp"]),
    ("adagrad", "{}", ["paramVariance", "paramStd"]),
    ("adadelta", "{}", ["paramVariance", "paramStd", "delta", "accDelta"]),
    ("adam", "{}", ["m", "v", "denom"]),
    ("adamax", "{}", ["m", "u", "max"]),
    ("rmsprop", "{}", ["m", "tmp"]),
    ("rprop", "{}", ["delta", "stepsize", "sign", "psign", "nsign", "zsign", "dminmax"]),
    ("cg", "{maxEval=5}", ["df0", "df1", "df2", "df3", "s", "x0"]),
    ("lbfgs", "{maxIter=3}", ["tmp1", "g_old", "ro", "al"]),
]


@pytest.mark.parametrize("name,cfg,keys", BUFFERS, ids=[b[0] for b in BUFFERS])
def test_state_buffers_are_reused(r, name, cfg, keys):
    same = r.execute(f"""
        local f = quadratic(torch.Tensor(QA), torch.Tensor(QC))
        local x = torch.Tensor(5):zero()
        local cfg, state = {cfg}, {{}}
        optim.{name}(f, x, cfg, state)
        optim.{name}(f, x, cfg, state)
        local keys = {{{", ".join(repr(k) for k in keys)}}}
        local first = {{}}
        for i, k in ipairs(keys) do first[i] = state[k] end
        for step = 1, 3 do optim.{name}(f, x, cfg, state) end
        local out = {{}}
        for i, k in ipairs(keys) do
           out[i] = torch.isTensor(state[k]) and rawequal(first[i], state[k])
        end
        return out
    """)
    # cg swaps its two gradient buffers between iterations: compare as a set there
    got = _vals(same)
    if name == "cg":
        assert sum(got) >= len(keys) - 2
    else:
        assert all(got), dict(zip(keys, got))


def test_float_state_matches_x_type(r):
    types = r.execute("""
        local f = quadratic(torch.FloatTensor(QA), torch.FloatTensor(QC))
        local x = torch.FloatTensor(5):zero()
        local st = {}
        optim.adam(f, x, {}, st)
        return st.m:type() .. ' ' .. st.v:type()
    """)
    assert types == "torch.FloatTensor torch.FloatTensor"


def test_nesterov_needs_zero_dampening(r):
    with pytest.raises(LuaError, match="Nesterov momentum requires a momentum and zero"):
        r.execute("""
            optim.sgd(rosen2, torch.Tensor(2):zero(), {momentum = 0.9, nesterov = true})
        """)


def test_nag_needs_momentum(r):
    with pytest.raises(LuaError, match="Momentum must be positive"):
        r.execute("optim.nag(rosen2, torch.Tensor(2):zero(), {momentum = 0})")


def test_checkgrad(r):
    diff, n = r.execute("""
        local x = torch.Tensor({-0.3, 0.7, 1.2, 0.1})
        local before = x:clone()
        local diff, dC, dC_est = optim.checkgrad(rosenbrock, x, 1e-6)
        assert(torch.isTensor(dC) and torch.isTensor(dC_est))
        return diff, (x - before):abs():max()
    """)
    assert diff < 1e-7
    assert n == 0


def test_checkgrad_catches_a_wrong_gradient(r):
    diff = r.execute("""
        local function bad(x)
           local f, g = rosenbrock(x)
           return f, g:mul(1.5)
        end
        return (optim.checkgrad(bad, torch.Tensor({0.3, -0.2, 0.5})))
    """)
    assert diff > 0.1


def test_polyinterp_cubic_and_bounded(r):
    # f(x) = (x - 2)^2 sampled at 0 and 3: the fitted cubic is that parabola, minimum at 2
    a, b, fb, c = r.execute("""
        local p = torch.Tensor({{0, 4, -4}, {3, 1, 2}})
        local a = optim.polyinterp(p)
        local b, fb = optim.polyinterp(p, -1, 5)
        local c = optim.polyinterp(p, 2.5, 5)
        return a, b, fb, c
    """)
    assert a == pytest.approx(2)
    assert b == pytest.approx(2)
    assert fb == pytest.approx(0, abs=1e-12)
    assert c == pytest.approx(2.5)   # the minimum is outside: the nearest bound wins


def test_polyinterp_cubic_with_a_real_cubic(r):
    # f(x) = x^3 - 3x has its local minimum at 1
    a, b = r.execute("""
        local p = torch.Tensor({{0, 0, -3}, {2, 2, 9}})
        return optim.polyinterp(p), (optim.polyinterp(p, 0, 2))
    """)
    assert a == pytest.approx(1)
    assert b == pytest.approx(1)


def test_lswolfe_meets_the_wolfe_conditions(r):
    ok, t, n = r.execute("""
        local x = torch.Tensor({-1.2, 1})
        local f, g = rosen2(x)
        g = g:clone()
        local d = g:clone():mul(-1)
        local gtd = g:dot(d)
        local x0 = x:clone()
        local fn, gn, xn, t, nev = optim.lswolfe(rosen2, x, 1e-3, d, f, g, gtd)
        local moved = (xn - x0 - d * t):abs():max() < 1e-12
        local armijo = fn <= f + 1e-4 * t * gtd
        local curv = math.abs(gn:dot(d)) <= -0.9 * gtd
        local same = math.abs(fn - rosen2(xn)) < 1e-12
        return moved and armijo and curv and same, t, nev
    """)
    assert ok
    assert t > 0
    assert n >= 1
