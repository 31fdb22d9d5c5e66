"""Two steps of sgd, adam, adagrad and rmsprop against NumPy computations of the formulas."""

from __future__ import annotations

from typing import Callable, Optional

import numpy as np
import pytest

from luatorch.runtime import Runtime

from .helpers import runtime

RNG = np.random.default_rng(1234)
N = 6
_M = RNG.standard_normal((N, N))
A = _M @ _M.T / N + np.eye(N)          # symmetric positive definite
B = RNG.standard_normal(N)
X0 = RNG.standard_normal(N)
LRS = RNG.uniform(0.5, 1.5, N)
WDS = RNG.uniform(0.0, 0.1, N)


def grad(x: np.ndarray) -> np.ndarray:
    return A @ x - B


def fval(x: np.ndarray) -> float:
    return float(0.5 * x @ A @ x - B @ x)


def lua_vec(v: np.ndarray) -> str:
    return "{" + ", ".join(repr(float(a)) for a in v) + "}"


def lua_mat(m: np.ndarray) -> str:
    return "{" + ", ".join(lua_vec(row) for row in m) + "}"


@pytest.fixture(scope="module")
def r() -> Runtime:
    rt = runtime()
    rt.execute(f"""
        REF_A = torch.Tensor({lua_mat(A)})
        REF_B = torch.Tensor({lua_vec(B)})
        REF_X0 = torch.Tensor({lua_vec(X0)})
        REF_LRS = torch.Tensor({lua_vec(LRS)})
        REF_WDS = torch.Tensor({lua_vec(WDS)})
        local g = torch.Tensor({N})
        function ref_f(x)
           g:mv(REF_A, x):add(-1, REF_B)
           local f = 0.5 * x:dot(torch.mv(REF_A, x)) - REF_B:dot(x)
           return f, g
        end
        -- run `steps` steps; return every x and every f as tables
        function ref_run(name, config, state, steps)
           local x = REF_X0:clone()
           local xs, fs = {{}}, {{}}
           for i = 1, steps do
              local _, f = optim[name](ref_f, x, config, state)
              xs[i] = x:totable()
              fs[i] = f[1]
           end
           return xs, fs
        end
    """)
    return rt


def lua_steps(r: Runtime, name: str, config: str, steps: int = 2) -> tuple:
    xs, fs = r.execute(f"return ref_run('{name}', {config}, nil, {steps})")
    out_x = [np.array([xs[i][j] for j in range(1, N + 1)]) for i in range(1, steps + 1)]
    out_f = [fs[i] for i in range(1, steps + 1)]
    return out_x, out_f


def np_sgd(steps: int, lr: float = 1e-3, lrd: float = 0.0, wd: float = 0.0,
           mom: float = 0.0, damp: Optional[float] = None, nesterov: bool = False,
           lrs: Optional[np.ndarray] = None, wds: Optional[np.ndarray] = None) -> tuple:
    damp = mom if damp is None else damp
    x = X0.copy()
    buf = None
    xs, fs = [], []
    for n in range(steps):
        fs.append(fval(x))
        g = grad(x)
        if wd != 0:
            g = g + wd * x
        elif wds is not None:
            g = g + wds * x
        if mom != 0:
            buf = g.copy() if buf is None else mom * buf + (1 - damp) * g
            g = g + mom * buf if nesterov else buf
        clr = lr / (1 + n * lrd)
        x = x - clr * (lrs * g if lrs is not None else g)
        xs.append(x.copy())
    return xs, fs


SGD_CASES: list[tuple[str, Callable]] = [
    ("{learningRate=0.1}", lambda s: np_sgd(s, lr=0.1)),
    ("{}", lambda s: np_sgd(s)),
    ("{learningRate=0.1, momentum=0.9}", lambda s: np_sgd(s, lr=0.1, mom=0.9)),
    ("{learningRate=0.1, momentum=0.8, dampening=0.3}",
     lambda s: np_sgd(s, lr=0.1, mom=0.8, damp=0.3)),
    ("{learningRate=0.1, momentum=0.9, dampening=0, nesterov=true}",
     lambda s: np_sgd(s, lr=0.1, mom=0.9, damp=0.0, nesterov=True)),
    ("{learningRate=0.1, weightDecay=0.05}", lambda s: np_sgd(s, lr=0.1, wd=0.05)),
    ("{learningRate=0.1, weightDecay=0.05, momentum=0.9, dampening=0, nesterov=true}",
     lambda s: np_sgd(s, lr=0.1, wd=0.05, mom=0.9, damp=0.0, nesterov=True)),
    ("{learningRate=0.1, learningRateDecay=0.5}", lambda s: np_sgd(s, lr=0.1, lrd=0.5)),
    ("{learningRate=0.1, learningRates=REF_LRS}", lambda s: np_sgd(s, lr=0.1, lrs=LRS)),
    ("{learningRate=0.1, weightDecays=REF_WDS}", lambda s: np_sgd(s, lr=0.1, wds=WDS)),
    ("{learningRate=0.1, weightDecays=REF_WDS, learningRates=REF_LRS, momentum=0.5}",
     lambda s: np_sgd(s, lr=0.1, wds=WDS, lrs=LRS, mom=0.5)),
]


@pytest.mark.parametrize("config,ref", SGD_CASES, ids=[c[0] for c in SGD_CASES])
def test_sgd_matches_numpy(r, config, ref):
    xs, fs = lua_steps(r, "sgd", config, 3)
    rxs, rfs = ref(3)
    for got, want in zip(xs, rxs):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(fs, rfs, rtol=1e-12)


def np_adam(steps: int, lr: float = 1e-3, b1: float = 0.9, b2: float = 0.999,
            eps: float = 1e-8, lrd: float = 0.0, wd: float = 0.0) -> tuple:
    x = X0.copy()
    m = np.zeros(N)
    v = np.zeros(N)
    xs, fs = [], []
    for t in range(1, steps + 1):
        fs.append(fval(x))
        g = grad(x) + wd * x
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        mhat = m / (1 - b1**t)
        # Torch7 folds the bias corrections into the step and adds epsilon to sqrt(v) itself
        step = lr / (1 + (t - 1) * lrd) * np.sqrt(1 - b2**t)
        x = x - step * mhat / (np.sqrt(v) + eps)
        xs.append(x.copy())
    return xs, fs


@pytest.mark.parametrize("config,kw", [
    ("{}", {}),
    ("{learningRate=0.05, beta1=0.8, beta2=0.99, epsilon=1e-6}",
     dict(lr=0.05, b1=0.8, b2=0.99, eps=1e-6)),
    ("{learningRate=0.05, learningRateDecay=0.3, weightDecay=0.01}",
     dict(lr=0.05, lrd=0.3, wd=0.01)),
])
def test_adam_matches_numpy(r, config, kw):
    xs, fs = lua_steps(r, "adam", config, 3)
    rxs, rfs = np_adam(3, **kw)
    for got, want in zip(xs, rxs):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(fs, rfs, rtol=1e-12)


def np_adagrad(steps: int, lr: float = 1e-3, lrd: float = 0.0, wd: float = 0.0) -> tuple:
    x = X0.copy()
    acc = np.zeros(N)
    xs, fs = [], []
    for n in range(steps):
        fs.append(fval(x))
        g = grad(x) + wd * x
        acc = acc + g * g
        x = x - lr / (1 + n * lrd) * g / (np.sqrt(acc) + 1e-10)
        xs.append(x.copy())
    return xs, fs


@pytest.mark.parametrize("config,kw", [
    ("{}", {}),
    ("{learningRate=0.5, learningRateDecay=0.2}", dict(lr=0.5, lrd=0.2)),
    ("{learningRate=0.5, weightDecay=0.1}", dict(lr=0.5, wd=0.1)),
])
def test_adagrad_matches_numpy(r, config, kw):
    xs, fs = lua_steps(r, "adagrad", config, 3)
    rxs, rfs = np_adagrad(3, **kw)
    for got, want in zip(xs, rxs):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(fs, rfs, rtol=1e-12)


def np_rmsprop(steps: int, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
               wd: float = 0.0, m0: float = 0.0) -> tuple:
    x = X0.copy()
    ms = np.full(N, m0)
    xs, fs = [], []
    for _ in range(steps):
        fs.append(fval(x))
        g = grad(x) + wd * x
        ms = alpha * ms + (1 - alpha) * g * g
        x = x - lr * g / (np.sqrt(ms) + eps)
        xs.append(x.copy())
    return xs, fs


@pytest.mark.parametrize("config,kw", [
    ("{}", {}),
    ("{learningRate=0.05, alpha=0.9, epsilon=1e-4}", dict(lr=0.05, alpha=0.9, eps=1e-4)),
    ("{weightDecay=0.1, initialMean=0.5}", dict(wd=0.1, m0=0.5)),
])
def test_rmsprop_matches_numpy(r, config, kw):
    xs, fs = lua_steps(r, "rmsprop", config, 3)
    rxs, rfs = np_rmsprop(3, **kw)
    for got, want in zip(xs, rxs):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(fs, rfs, rtol=1e-12)


def test_sgd_float_parameters_stay_float(r):
    # a FloatTensor x: the step is computed in float, as Torch7 does
    got = r.execute("""
        local x = torch.FloatTensor({1, 2, 3})
        local g = torch.FloatTensor({0.5, -0.25, 0.125})
        optim.sgd(function(p) return 0, g end, x, {learningRate = 0.1})
        return x:totable()
    """)
    want = np.float32([1, 2, 3]) - np.float32(0.1) * np.float32([0.5, -0.25, 0.125])
    np.testing.assert_allclose([got[i] for i in range(1, 4)], want, rtol=1e-6)
