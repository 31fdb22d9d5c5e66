"""Normalization layers: BatchNormalization (train/eval, running statistics, affine),
LayerNormalization, Normalize and WeightNorm against NumPy, with finite-difference gradients."""

from __future__ import annotations

import numpy as np
import pytest

from luatorch.random import Generator
from luatorch.runtime import Runtime

from .gradcheck import check_module, get, load_nn, lua_error, put


@pytest.fixture(scope="module")
def nnrt() -> Runtime:
    return load_nn(Runtime())


X = np.random.default_rng(1).standard_normal((6, 4)) * np.array([1.0, 2.0, 0.5, 3.0]) + 0.3
TTYPES = ["Double", "Float"]


def _bn_ref(x, w, b, eps=1e-5):
    mean = x.mean(0)
    var = x.var(0)
    return (x - mean) / np.sqrt(var + eps) * w + b


# -- BatchNormalization --------------------------------------------------------------------------
@pytest.mark.parametrize("ttype", TTYPES)
def test_bn_train_forward_and_running_stats(nnrt: Runtime, ttype: str) -> None:
    put(nnrt, "_x", X, ttype)
    nnrt.execute(f"_m = nn.BatchNormalization(4, 1e-3, 0.2):{ttype.lower()}()"
                 "; _m.weight:copy(torch.Tensor{1, 2, 3, 4})"
                 "; _m.bias:copy(torch.Tensor{0, 1, 0, -1})"
                 "; _o = _m:forward(_x)")
    w, b = np.array([1.0, 2, 3, 4]), np.array([0.0, 1, 0, -1])
    tol = 1e-10 if ttype == "Double" else 1e-5
    np.testing.assert_allclose(get(nnrt, "_o"), _bn_ref(X, w, b, 1e-3), rtol=tol, atol=tol)
    np.testing.assert_allclose(get(nnrt, "_m.running_mean"), 0.2 * X.mean(0), rtol=tol)
    np.testing.assert_allclose(get(nnrt, "_m.running_var"), 0.8 + 0.2 * X.var(0, ddof=1),
                               rtol=tol)
    np.testing.assert_allclose(get(nnrt, "_m.save_mean"), X.mean(0), rtol=tol)
    np.testing.assert_allclose(get(nnrt, "_m.save_std"), 1 / np.sqrt(X.var(0) + 1e-3), rtol=tol)
    # evaluation uses the running estimates
    nnrt.execute("_m:evaluate(); _e = _m:forward(_x)")
    rm, rv = 0.2 * X.mean(0), 0.8 + 0.2 * X.var(0, ddof=1)
    np.testing.assert_allclose(get(nnrt, "_e"), (X - rm) / np.sqrt(rv + 1e-3) * w + b,
                               rtol=tol, atol=tol)


@pytest.mark.parametrize("ttype", TTYPES)
def test_bn_gradients(nnrt: Runtime, ttype: str) -> None:
    params = [("weight", "gradWeight"), ("bias", "gradBias")]
    check_module(nnrt, "nn.BatchNormalization(4)", X, ttype, params=params)
    check_module(nnrt, "nn.BatchNormalization(4, 1e-5, 0.1, false)", X, ttype)
    # evaluation mode: an affine map of the input
    check_module(nnrt, "nn.BatchNormalization(4)", X, ttype, params=params,
                 setup="_m.running_mean:fill(0.5); _m.running_var:fill(2); _m:evaluate()")


def test_bn_eval_backward_values(nnrt: Runtime) -> None:
    put(nnrt, "_x", X)
    put(nnrt, "_g", np.ones((6, 4)))
    nnrt.execute("_m = nn.BatchNormalization(4); _m.weight:fill(2); _m:evaluate()"
                 "; _m.running_var:fill(3); _m:forward(_x); _gi = _m:backward(_x, _g)")
    np.testing.assert_allclose(get(nnrt, "_gi"), 2 / np.sqrt(3 + 1e-5) * np.ones((6, 4)))


def test_bn_reset_draws_weight_uniform(nnrt: Runtime) -> None:
    nnrt.execute("torch.manualSeed(3); _m = nn.BatchNormalization(5)")
    np.testing.assert_allclose(get(nnrt, "_m.weight"), Generator(3).uniform_array(5))
    np.testing.assert_array_equal(get(nnrt, "_m.bias"), np.zeros(5))
    np.testing.assert_array_equal(get(nnrt, "_m.running_var"), np.ones(5))
    assert nnrt.eval("nn.BatchNormalization(5, 1e-5, 0.1, false).weight") is None


def test_bn_accumulates_with_scale(nnrt: Runtime) -> None:
    put(nnrt, "_x", X)
    g = np.random.default_rng(2).standard_normal((6, 4))
    put(nnrt, "_g", g)
    nnrt.execute("_m = nn.BatchNormalization(4); _m:zeroGradParameters(); _m:forward(_x)"
                 "; _m:backward(_x, _g, 0.5); _m:accGradParameters(_x, _g, 0.5)")
    xhat = (X - X.mean(0)) / np.sqrt(X.var(0) + 1e-5)
    np.testing.assert_allclose(get(nnrt, "_m.gradWeight"), (g * xhat).sum(0), rtol=1e-10)
    np.testing.assert_allclose(get(nnrt, "_m.gradBias"), g.sum(0), rtol=1e-10)


def test_bn_parameters_and_flatten(nnrt: Runtime) -> None:
    put(nnrt, "_x", X)
    nnrt.execute("_m = nn.BatchNormalization(4); _p, _gp = _m:getParameters()"
                 "; _m:forward(_x)")
    assert nnrt.eval("_p:nElement()") == 8
    # running statistics are updated in place (not replaced)
    assert nnrt.eval("_m.running_mean:nElement()") == 4


# -- LayerNormalization --------------------------------------------------------------------------
def _ln_ref(x, w=1.0, b=0.0, eps=1e-10):
    c = x - x.mean(-1, keepdims=True)
    n = x.shape[-1]
    return np.sqrt(n) * c / np.sqrt((c * c).sum(-1, keepdims=True) + eps) * w + b


@pytest.mark.parametrize("ttype", TTYPES)
def test_layer_norm(nnrt: Runtime, ttype: str) -> None:
    setup = "_m.weight:copy(torch.Tensor{1, 2, 0.5, -1}); _m.bias:copy(torch.Tensor{0, 1, 2, 3})"
    w, b = np.array([1, 2, 0.5, -1]), np.array([0.0, 1, 2, 3])
    tol = 1e-10 if ttype == "Double" else 1e-5
    for x in (X, X[0]):
        nnrt.execute(f"_m = nn.LayerNormalization(4):{ttype.lower()}() {setup}")
        put(nnrt, "_x", x, ttype)
        np.testing.assert_allclose(get(nnrt, "_m:forward(_x)"), _ln_ref(x, w, b), rtol=tol,
                                   atol=tol)
        check_module(nnrt, "nn.LayerNormalization(4)", x, ttype, setup=setup,
                     params=[("weight", "gradWeight"), ("bias", "gradBias")])
        check_module(nnrt, "nn.LayerNormalization(4, 0, 1e-10, false)", x, ttype)


def test_layer_norm_init(nnrt: Runtime) -> None:
    nnrt.execute("torch.manualSeed(9); _m = nn.LayerNormalization(5, 0.5); _u = torch.uniform()")
    np.testing.assert_array_equal(get(nnrt, "_m.weight"), np.ones(5))
    np.testing.assert_array_equal(get(nnrt, "_m.bias"), np.full(5, 0.5))
    # Torch7 builds (and randomly initialises) an Add and a CMul: 2 x 5 draws before ours
    gen = Generator(9)
    gen.raw(10)
    assert nnrt.eval("_u") == pytest.approx(gen.uniform())


# -- Normalize -----------------------------------------------------------------------------------
def _normalize_ref(x, p, eps=1e-10):
    x2 = np.atleast_2d(x)
    if p == np.inf:
        n = np.abs(x2).max(1, keepdims=True) + eps
    else:
        n = ((np.abs(x2) ** p).sum(1, keepdims=True) + eps) ** (1 / p)
    return (x2 / n).reshape(x.shape)


@pytest.mark.parametrize("ttype", TTYPES)
@pytest.mark.parametrize("p", [1, 2, 3, 1.5, np.inf], ids=["p1", "p2", "p3", "p1.5", "inf"])
def test_normalize(nnrt: Runtime, ttype: str, p: float) -> None:
    ctor = "nn.Normalize(math.huge)" if p == np.inf else f"nn.Normalize({p})"
    x = X.copy()
    x[np.abs(x) < 0.2] += 0.4  # away from |x|'s kink
    tol = 1e-10 if ttype == "Double" else 1e-5
    for xx in (x, x[0]):
        nnrt.execute(f"_m = {ctor}:{ttype.lower()}()")
        put(nnrt, "_x", xx, ttype)
        np.testing.assert_allclose(get(nnrt, "_m:forward(_x)"), _normalize_ref(xx, p),
                                   rtol=tol, atol=tol)
        check_module(nnrt, ctor, xx, ttype)


# -- WeightNorm ----------------------------------------------------------------------------------
@pytest.mark.parametrize("ttype", TTYPES)
def test_weight_norm_linear(nnrt: Runtime, ttype: str) -> None:
    nnrt.execute(f"torch.manualSeed(1); _m = nn.WeightNorm(nn.Linear(4, 3)):{ttype.lower()}()")
    v, g = get(nnrt, "_m.v"), get(nnrt, "_m.g")
    np.testing.assert_allclose(g, np.linalg.norm(v.astype(np.float64), axis=1), rtol=1e-6)
    np.testing.assert_array_equal(get(nnrt, "_m.bias"), np.zeros(3))
    put(nnrt, "_x", X, ttype)
    out = get(nnrt, "_m:forward(_x)")
    w = g[:, None] * v / np.sqrt((v.astype(np.float64) ** 2).sum(1, keepdims=True) + 1e-4)
    np.testing.assert_allclose(get(nnrt, "_m.weight"), w, rtol=1e-5)
    np.testing.assert_allclose(out, X @ w.T, rtol=1e-5, atol=1e-5)
    params = [("v", "gradV"), ("g", "gradG"), ("bias", "gradBias")]
    check_module(nnrt, "nn.WeightNorm(nn.Linear(4, 3))", X, ttype, params=params)
    check_module(nnrt, "nn.WeightNorm(nn.Linear(4, 3))", X[0], ttype, params=params)
    check_module(nnrt, "nn.WeightNorm(nn.Linear(4, 3), 2)", X, ttype, params=params)


def test_weight_norm_parameters(nnrt: Runtime) -> None:
    nnrt.execute("_m = nn.WeightNorm(nn.Linear(4, 3)); _p, _gp = _m:parameters()")
    assert nnrt.eval("#_p") == 3
    assert nnrt.eval("_p[1] == _m.v and _p[2] == _m.g and _gp[3] == _m.gradBias")
    assert nnrt.eval("torch.type(_m)") == "nn.WeightNorm"
    assert "nn.WeightNorm [" in nnrt.eval("tostring(_m)")


# -- errors --------------------------------------------------------------------------------------
ERRORS = [
    ("nn.BatchNormalization(4):forward(torch.randn(4))",
     "only mini-batch supported (2D tensor), got 1D tensor instead"),
    ("nn.BatchNormalization(4):forward(torch.randn(3, 5))", "got 5-feature tensor, expected 4"),
    ("nn.BatchNormalization()", "Missing argument #1: dimensionality of input"),
    ("nn.Normalize(2):forward(torch.randn(2, 3, 4))", "only 1d layer supported"),
    ("nn.Normalize()", "p-norm not provided"),
    ("nn.Normalize(2):backward(torch.randn(2, 3), torch.randn(5))",
     "input and gradOutput have different number of elements"),
    ("nn.LayerNormalization(3):forward(torch.randn(2, 2, 3))", "only 1D (a sample) or 2D"),
]


@pytest.mark.parametrize("code,msg", ERRORS, ids=[e[1][:28] for e in ERRORS])
def test_errors(nnrt: Runtime, code: str, msg: str) -> None:
    err = lua_error(nnrt, "local a = 1\nlocal m = " + code)
    assert err.startswith("user.lua:2: "), err
    assert msg in err, err
    assert "\n" not in err
