"""Spatial / volumetric normalization layers against NumPy references, with finite-difference
gradient checks (batch and non-batch, Float and Double): Spatial/VolumetricBatchNormalization,
SpatialCrossMapLRN, Spatial{Subtractive,Divisive,Contrastive}Normalization, SpatialSoftMax,
SpatialLogSoftMax, Spatial/VolumetricDropout and SpatialClassNLLCriterion."""

from __future__ import annotations

import numpy as np
import pytest

from luatorch.runtime import Runtime

from .gradcheck import check_criterion, check_module, get, load_nn, lua_error, put


@pytest.fixture(scope="module")
def nnrt() -> Runtime:
    return load_nn(Runtime())




TTYPES = ["Double", "Float"]
RNG = np.random.default_rng(11)
X4 = RNG.standard_normal((3, 4, 2, 3)) * np.array([1.0, 2.0, 0.5, 3.0])[:, None, None] + 0.7
X5 = RNG.standard_normal((2, 3, 2, 2, 3)) * 1.5 - 0.4
BN_PARAMS = [("weight", "gradWeight"), ("bias", "gradBias")]


def _tol(ttype: str) -> float:
    return 1e-10 if ttype == "Double" else 2e-5


def _close(a, b, ttype: str) -> None:
    np.testing.assert_allclose(a, b, rtol=_tol(ttype), atol=_tol(ttype))


def _has(rt: Runtime, cls: str) -> bool:
    return bool(rt.eval(f"rawget(nn, '{cls}') ~= nil"))


# -- Spatial / VolumetricBatchNormalization -------------------------------------------------------
def _bn_ref(x, w, b, eps, mean=None, var=None):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if mean is None:
        mean, var = x.mean(axes), x.var(axes)
    return (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps) * w.reshape(shape) \
        + b.reshape(shape)


@pytest.mark.parametrize("ttype", TTYPES)
def test_spatial_bn_train_running_stats_and_eval(nnrt: Runtime, ttype: str) -> None:
    w, b = np.array([1.0, 2, 3, 4]), np.array([0.0, 1, 0, -1])
    nnrt.execute(f"_m = nn.SpatialBatchNormalization(4, 1e-3, 0.2):{ttype.lower()}()"
                 "; _m.weight:copy(torch.Tensor{1, 2, 3, 4})"
                 "; _m.bias:copy(torch.Tensor{0, 1, 0, -1})")
    put(nnrt, "_x", X4, ttype)
    out = get(nnrt, "_m:forward(_x)")
    assert out.dtype == (np.float64 if ttype == "Double" else np.float32)
    _close(out, _bn_ref(X4, w, b, 1e-3), ttype)
    axes = (0, 2, 3)
    rm = 0.2 * X4.mean(axes)
    rv = 0.8 + 0.2 * X4.var(axes, ddof=1)
    _close(get(nnrt, "_m.running_mean"), rm, ttype)
    _close(get(nnrt, "_m.running_var"), rv, ttype)
    _close(get(nnrt, "_m.save_mean"), X4.mean(axes), ttype)
    _close(get(nnrt, "_m.save_std"), 1 / np.sqrt(X4.var(axes) + 1e-3), ttype)
    # a second batch folds in with the momentum again
    x2 = X4[::-1] * 0.5 + 2
    put(nnrt, "_x2", x2, ttype)
    _close(get(nnrt, "_m:forward(_x2)"), _bn_ref(x2, w, b, 1e-3), ttype)
    rm = 0.8 * rm + 0.2 * x2.mean(axes)
    rv = 0.8 * rv + 0.2 * x2.var(axes, ddof=1)
    _close(get(nnrt, "_m.running_mean"), rm, ttype)
    _close(get(nnrt, "_m.running_var"), rv, ttype)
    # evaluation: the running estimates, for a batch or a single sample (a batch of one)
    nnrt.execute("_m:evaluate()")
    _close(get(nnrt, "_m:forward(_x)"), _bn_ref(X4, w, b, 1e-3, rm, rv), ttype)
    put(nnrt, "_s", X4[1], ttype)
    _close(get(nnrt, "_m:forward(_s)"), _bn_ref(X4[1:2], w, b, 1e-3, rm, rv), ttype)
    _close(get(nnrt, "_m.running_mean"), rm, ttype)  # untouched in evaluation


@pytest.mark.parametrize("ttype", TTYPES)
def test_volumetric_bn_forward(nnrt: Runtime, ttype: str) -> None:
    nnrt.execute(f"_m = nn.VolumetricBatchNormalization(3, 1e-5, 0.3):{ttype.lower()}()"
                 "; _m.weight:copy(torch.Tensor{0.5, -1, 2})")
    put(nnrt, "_x", X5, ttype)
    w, b = np.array([0.5, -1, 2]), np.zeros(3)
    _close(get(nnrt, "_m:forward(_x)"), _bn_ref(X5, w, b, 1e-5), ttype)
    axes = (0, 2, 3, 4)
    _close(get(nnrt, "_m.running_var"), 0.7 + 0.3 * X5.var(axes, ddof=1), ttype)
    assert nnrt.eval("tostring(_m)") == "nn.VolumetricBatchNormalization (5D) (3)"
    assert nnrt.eval("torch.isTypeOf(_m, 'nn.BatchNormalization')")


@pytest.mark.parametrize("ttype", TTYPES)
def test_spatial_bn_gradients(nnrt: Runtime, ttype: str) -> None:
    ctor = "nn.SpatialBatchNormalization(4)"
    check_module(nnrt, ctor, X4, ttype, params=BN_PARAMS)
    check_module(nnrt, "nn.SpatialBatchNormalization(4, 1e-5, 0.1, false)", X4, ttype)
    ev = "_m.running_mean:copy(torch.Tensor{0.5, -1, 0, 2}); _m.running_var:fill(2); _m:evaluate()"
    check_module(nnrt, ctor, X4, ttype, params=BN_PARAMS, setup=ev)
    check_module(nnrt, ctor, X4[0], ttype, params=BN_PARAMS, setup=ev)  # non-batch (evaluation)


@pytest.mark.parametrize("ttype", TTYPES)
def test_volumetric_bn_gradients(nnrt: Runtime, ttype: str) -> None:
    ctor = "nn.VolumetricBatchNormalization(3)"
    check_module(nnrt, ctor, X5, ttype, params=BN_PARAMS)
    ev = "_m.running_mean:fill(0.3); _m.running_var:fill(0.5); _m:evaluate()"
    check_module(nnrt, ctor, X5[1], ttype, params=BN_PARAMS, setup=ev)


def test_spatial_bn_accumulates_with_scale(nnrt: Runtime) -> None:
    g = RNG.standard_normal(X4.shape)
    put(nnrt, "_x", X4)
    put(nnrt, "_g", g)
    nnrt.execute("_m = nn.SpatialBatchNormalization(4); _m:zeroGradParameters(); _m:forward(_x)"
                 "; _m:backward(_x, _g, 0.5); _m:accGradParameters(_x, _g, 0.5)")
    axes = (0, 2, 3)
    xhat = (X4 - X4.mean(axes)[:, None, None]) / np.sqrt(X4.var(axes)[:, None, None] + 1e-5)
    np.testing.assert_allclose(get(nnrt, "_m.gradWeight"), (g * xhat).sum(axes), rtol=1e-10)
    np.testing.assert_allclose(get(nnrt, "_m.gradBias"), g.sum(axes), rtol=1e-10)


def test_spatial_bn_errors_and_init(nnrt: Runtime) -> None:
    put(nnrt, "_s", X4[0])
    msg = lua_error(nnrt, "nn.SpatialBatchNormalization(4):forward(_s)")
    assert msg == "user.lua:1: only mini-batch supported (4D tensor), got 3D tensor instead"
    put(nnrt, "_x", X4)
    msg = lua_error(nnrt, "nn.SpatialBatchNormalization(5):forward(_x)")
    assert msg == "user.lua:1: got 4-feature tensor, expected 5"
    msg = lua_error(nnrt, "local m = nn.SpatialBatchNormalization(4); m:updateGradInput(_x, _x)")
    assert "must call :updateOutput() first" in msg
    # weights drawn as nn.BatchNormalization draws them
    nnrt.execute("torch.manualSeed(4); _a = nn.SpatialBatchNormalization(6).weight:clone()"
                 "; torch.manualSeed(4); _b = nn.BatchNormalization(6).weight:clone()")
    np.testing.assert_array_equal(get(nnrt, "_a"), get(nnrt, "_b"))
    assert nnrt.eval("tostring(nn.SpatialBatchNormalization(4))") == \
        "nn.SpatialBatchNormalization (4D) (4)"
    nnrt.execute("_p = nn.SpatialBatchNormalization(4):getParameters()")
    assert nnrt.eval("_p:nElement()") == 8


def _bn_grad_ref(x, g, w, eps):
    """Training-mode gradients (input, weight, bias) in double precision."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    invstd = 1 / np.sqrt(x.var(axes) + eps)
    xhat = (x - x.mean(axes).reshape(shape)) * invstd.reshape(shape)
    gi = (w * invstd).reshape(shape) * (g - g.mean(axes).reshape(shape)
                                        - xhat * (g * xhat).mean(axes).reshape(shape))
    return gi, (g * xhat).sum(axes), g.sum(axes)


def _bn_run(nnrt: Runtime, x, g, w, b, ttype: str) -> dict:
    nf = x.shape[1]
    nnrt.execute(f"_m = nn.SpatialBatchNormalization({nf}, 1e-5, 0.1):{ttype.lower()}()"
                 "; _m:zeroGradParameters()")
    put(nnrt, "_w", w, ttype)
    put(nnrt, "_b", b, ttype)
    put(nnrt, "_x", x, ttype)
    put(nnrt, "_g", g, ttype)
    nnrt.execute("_m.weight:copy(_w); _m.bias:copy(_b); _y = _m:forward(_x):clone()"
                 "; _gi = _m:backward(_x, _g):clone()")
    return {k: get(nnrt, f"_m.{k}") if k != "y" and k != "gi" else get(nnrt, f"_{k}")
            for k in ("y", "gi", "gradWeight", "gradBias", "running_var", "save_std")}


def test_spatial_bn_large_mean_float32(nnrt: Runtime) -> None:
    """Float32 data of mean 1000 and std 1: the statistics come from centred values, so the
    output and gradients keep float32 accuracy (E[x^2] - E[x]^2 in float32 would lose every
    digit of the variance here)."""
    rng = np.random.default_rng(21)
    x = (1000 + rng.standard_normal((4, 3, 6, 7))).astype(np.float32).astype(np.float64)
    g = rng.standard_normal(x.shape).astype(np.float32).astype(np.float64)
    w, b = np.array([0.5, 1.5, -2.0]), np.array([0.25, -1.0, 3.0])
    r = _bn_run(nnrt, x, g, w, b, "Float")
    assert r["y"].dtype == np.float32
    # the float32 mean alone is off by up to ulp(1000) / 2 = 3e-5, times |w| / std here
    np.testing.assert_allclose(r["y"], _bn_ref(x, w, b, 1e-5), rtol=0, atol=4e-4)
    gi, gw, gb = _bn_grad_ref(x, g, w, 1e-5)
    np.testing.assert_allclose(r["gi"], gi, rtol=0, atol=2e-4)
    np.testing.assert_allclose(r["gradWeight"], gw, rtol=1e-4, atol=2e-3)
    np.testing.assert_allclose(r["gradBias"], gb, rtol=1e-5, atol=1e-4)
    axes = (0, 2, 3)
    np.testing.assert_allclose(r["running_var"], 0.9 + 0.1 * x.var(axes, ddof=1), rtol=1e-5)
    np.testing.assert_allclose(r["save_std"], 1 / np.sqrt(x.var(axes) + 1e-5), rtol=1e-4)


def _bn_check(r: dict, x, g, w, b, tol: float) -> None:
    np.testing.assert_allclose(r["y"], _bn_ref(x, w, b, 1e-5), rtol=tol, atol=tol)
    gi, gw, gb = _bn_grad_ref(x, g, w, 1e-5)
    scale = max(1.0, float(np.abs(gw).max()))
    np.testing.assert_allclose(r["gi"], gi, rtol=tol, atol=tol)
    np.testing.assert_allclose(r["gradWeight"], gw, rtol=tol, atol=tol * scale)
    np.testing.assert_allclose(r["gradBias"], gb, rtol=tol, atol=tol * scale)
    axes = (0,) + tuple(range(2, x.ndim))
    np.testing.assert_allclose(r["save_std"], 1 / np.sqrt(x.var(axes) + 1e-5), rtol=tol)


@pytest.mark.parametrize("ttype", TTYPES)
@pytest.mark.parametrize("raw_max", [None, 0.0, np.inf])
def test_spatial_bn_raw_and_centred_statistics(nnrt: Runtime, monkeypatch, ttype: str,
                                               raw_max) -> None:
    """Statistics from raw sums (channels whose mean is small against their spread) and from
    centred values (the others) agree with the double-precision reference, whichever route
    each channel's data takes: the default bound (channels on both sides of it), every
    channel centred (0), every channel raw (inf)."""
    from luatorch.kernels import spatial_norm

    if raw_max is not None:
        monkeypatch.setattr(spatial_norm, "_RAW_MAX", raw_max)
    rng = np.random.default_rng(23)
    shape = (4, 5, 6, 7)
    # mean / std per channel: 0, 0.5, 1.9 (mean^2 / var 3.6), 2.1 (4.4), -1.5
    ratio = np.array([0.0, 0.5, 1.9, 2.1, -1.5])
    std = np.array([1.0, 3.0, 0.5, 2.0, 1.5])
    x = rng.standard_normal(shape)
    axes = (0, 2, 3)
    x = (x - x.mean(axes)[:, None, None]) / x.std(axes)[:, None, None]  # exact ratios
    x = x * std[:, None, None] + (ratio * std)[:, None, None]
    g = rng.standard_normal(shape) + 0.3
    w, b = rng.standard_normal(5), rng.standard_normal(5)
    if ttype == "Float":
        x, g = x.astype(np.float32).astype(np.float64), g.astype(np.float32).astype(np.float64)
    r = _bn_run(nnrt, x, g, w, b, ttype)
    _bn_check(r, x, g, w, b, 1e-9 if ttype == "Double" else 2e-5)


def test_spatial_bn_large_mean_needs_centring(nnrt: Runtime, monkeypatch) -> None:
    """Raw sums on mean-1000 float32 data lose the variance (so the bound is not idle):
    forced onto the raw route, the saved std is far off; by default it is right."""
    from luatorch.kernels import spatial_norm

    rng = np.random.default_rng(24)
    x = (1000 + rng.standard_normal((4, 3, 6, 7))).astype(np.float32).astype(np.float64)
    g = rng.standard_normal(x.shape)
    w, b = np.ones(3), np.zeros(3)
    want = 1 / np.sqrt(x.var((0, 2, 3)) + 1e-5)
    good = _bn_run(nnrt, x, g, w, b, "Float")["save_std"]
    np.testing.assert_allclose(good, want, rtol=1e-4)
    monkeypatch.setattr(spatial_norm, "_RAW_MAX", np.inf)
    bad = _bn_run(nnrt, x, g, w, b, "Float")["save_std"]
    assert np.max(np.abs(bad / want - 1)) > 1e-2


def test_spatial_bn_eval_weight_gradient_centred(nnrt: Runtime) -> None:
    """In evaluation the weight's gradient centres the input on the running mean: the running
    variance says nothing of this input's spread, so raw sums (which cancel for float32 data
    near a large mean) are not used even when running_mean^2 is small against running_var."""
    rng = np.random.default_rng(25)
    x = (1000 + rng.standard_normal((8, 3, 16, 16))).astype(np.float32).astype(np.float64)
    g = rng.standard_normal(x.shape).astype(np.float32).astype(np.float64)
    put(nnrt, "_x", x, "Float")
    put(nnrt, "_g", g, "Float")
    nnrt.execute("_m = nn.SpatialBatchNormalization(3):float(); _m:zeroGradParameters()"
                 "; _m.running_mean:fill(1000); _m.running_var:fill(1e6); _m:evaluate()"
                 "; _m:forward(_x); _m:backward(_x, _g)")
    want = (g * (x - 1000)).sum((0, 2, 3)) / np.sqrt(1e6 + 1e-5)
    np.testing.assert_allclose(get(nnrt, "_m.gradWeight"), want, rtol=1e-5)


@pytest.mark.parametrize("ttype", TTYPES)
@pytest.mark.parametrize("shape", [(2, 2, 300, 240), (5, 3, 1, 1), (3, 4, 1, 7)])
def test_spatial_bn_plane_sizes(nnrt: Runtime, ttype: str, shape: tuple) -> None:
    """Per-channel coefficients are expanded to C x M blocks or kept as C x 1 columns
    depending on the plane size (big planes, 1 x 1 planes): both give the same results."""
    rng = np.random.default_rng(22)
    x = rng.standard_normal(shape) * 2 - 0.5
    g = rng.standard_normal(shape)
    w, b = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    if ttype == "Float":
        x, g = x.astype(np.float32).astype(np.float64), g.astype(np.float32).astype(np.float64)
    r = _bn_run(nnrt, x, g, w, b, ttype)
    tol = 1e-9 if ttype == "Double" else 2e-4
    _bn_check(r, x, g, w, b, tol)
    # evaluation (the running estimates) through the same coefficient layouts
    nnrt.execute("_m:evaluate(); _e = _m:forward(_x):clone(); _ge = _m:backward(_x, _g)")
    rm, rv = get(nnrt, "_m.running_mean"), get(nnrt, "_m.running_var")
    np.testing.assert_allclose(get(nnrt, "_e"), _bn_ref(x, w, b, 1e-5, rm, rv), rtol=tol,
                               atol=tol)
    want = g * (w / np.sqrt(rv + 1e-5)).reshape(1, -1, 1, 1)
    np.testing.assert_allclose(get(nnrt, "_ge"), want, rtol=tol, atol=tol)


# -- SpatialCrossMapLRN --------------------------------------------------------------------------
def _lrn_ref(x, size, alpha, beta, k):
    xb = x if x.ndim == 4 else x[None]
    c = xb.shape[1]
    pre = (size - 1) // 2
    scale = np.empty_like(xb)
    for ch in range(c):
        lo, hi = max(0, ch - pre), min(c, ch - pre + size)
        scale[:, ch] = k + alpha / size * (xb[:, lo:hi] ** 2).sum(1)
    out = xb * scale ** -beta
    return out if x.ndim == 4 else out[0]


@pytest.mark.parametrize("ttype", TTYPES)
def test_lrn(nnrt: Runtime, ttype: str) -> None:
    x = RNG.standard_normal((2, 6, 3, 2))
    for size, alpha, beta, k in [(3, 0.5, 0.75, 2.0), (5, 1e-4, 0.75, 1.0), (4, 0.3, 0.6, 1.5),
                                 (1, 0.2, 1.0, 1.0), (9, 0.7, 0.5, 1.0)]:
        ctor = f"nn.SpatialCrossMapLRN({size}, {alpha}, {beta}, {k})"
        for xx in (x, x[1]):
            nnrt.execute(f"_m = {ctor}:{ttype.lower()}()")
            put(nnrt, "_x", xx, ttype)
            _close(get(nnrt, "_m:forward(_x)"), _lrn_ref(xx, size, alpha, beta, k), ttype)
            check_module(nnrt, ctor, xx, ttype)
    nnrt.execute("_m = nn.SpatialCrossMapLRN(5)")
    assert (nnrt.eval("_m.alpha"), nnrt.eval("_m.beta"), nnrt.eval("_m.k")) == (1e-4, 0.75, 1)
    put(nnrt, "_v", x[0, 0])
    assert "Input must be 3D or 4D" in lua_error(nnrt, "nn.SpatialCrossMapLRN(3):forward(_v)")


# -- SpatialSoftMax / SpatialLogSoftMax ------------------------------------------------------------
def _softmax(x, axis):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


@pytest.mark.parametrize("ttype", TTYPES)
def test_spatial_softmax(nnrt: Runtime, ttype: str) -> None:
    for xx, ax in ((X4, 1), (X4[0], 0)):
        put(nnrt, "_x", xx, ttype)
        _close(get(nnrt, "nn.SpatialSoftMax():forward(_x)"), _softmax(xx, ax), ttype)
        _close(get(nnrt, "nn.SpatialLogSoftMax():forward(_x)"), np.log(_softmax(xx, ax)),
               ttype)
        check_module(nnrt, "nn.SpatialSoftMax()", xx, ttype)
        check_module(nnrt, "nn.SpatialLogSoftMax()", xx, ttype)


# -- SpatialDropout / VolumetricDropout ------------------------------------------------------------
# a dropout module redrawing the same mask at every forward (for finite differences)
def _seeded(ctor: str) -> str:
    return ("(function() local m = " + ctor + "; local uo = m.updateOutput; "
            "m.updateOutput = function(s, x) torch.manualSeed(5); return uo(s, x) end; "
            "return m end)()")


@pytest.mark.parametrize("cls,x,mshape", [
    ("SpatialDropout", X4, (3, 4, 1, 1)), ("SpatialDropout", X4[0], (4, 1, 1)),
    ("VolumetricDropout", X5, (2, 3, 1, 1, 1)), ("VolumetricDropout", X5[0], (3, 1, 1, 1))])
@pytest.mark.parametrize("ttype", TTYPES)
def test_dropout_planes(nnrt: Runtime, ttype: str, cls: str, x, mshape) -> None:
    tt = ttype.lower()
    put(nnrt, "_x", x, ttype)
    nnrt.execute(f"torch.manualSeed(3); _m = nn.{cls}(0.4):{tt}(); _o = _m:forward(_x)"
                 f"; torch.manualSeed(3); _ref = torch.{ttype}Tensor("
                 + ", ".join(map(str, mshape)) + "):bernoulli(0.6)")
    mask = get(nnrt, "_ref")
    np.testing.assert_array_equal(get(nnrt, "_m.noise"), mask)
    _close(get(nnrt, "_o"), x * mask, ttype)  # no rescaling in training
    g = RNG.standard_normal(x.shape)
    put(nnrt, "_g", g, ttype)
    _close(get(nnrt, "_m:backward(_x, _g)"), g * mask, ttype)
    nnrt.execute("_m:evaluate()")
    _close(get(nnrt, "_m:forward(_x)"), x * 0.6, ttype)
    assert "backprop only defined while training" in lua_error(nnrt, "_m:backward(_x, _g)")
    check_module(nnrt, _seeded(f"nn.{cls}(0.5)"), x, ttype)
    # stochastic inference keeps dropping maps in evaluation
    nnrt.execute(f"_m = nn.{cls}(0.5, true):{tt}(); _m:evaluate(); _o = _m:forward(_x)")
    o = get(nnrt, "_o")
    assert np.all((o == 0) | np.isclose(o, x, rtol=1e-6))


def test_dropout_errors(nnrt: Runtime) -> None:
    put(nnrt, "_v", np.ones((2, 3)))
    assert "Input must be 4D (nbatch, nfeat, h, w) or 3D (nfeat, h, w)" in \
        lua_error(nnrt, "nn.SpatialDropout():forward(_v)")
    assert "Input must be 5D (nbatch, nfeat, t, h, w) or 4D (nfeat, t, h, w)" in \
        lua_error(nnrt, "nn.VolumetricDropout():forward(_v)")
    assert nnrt.eval("tostring(nn.SpatialDropout(0.25))") == "nn.SpatialDropout(0.250000)"
    assert nnrt.eval("nn.VolumetricDropout().p") == 0.5


# -- SpatialClassNLLCriterion ----------------------------------------------------------------------
def _nll_ref(x, t, w=None, size_average=True, ignore=-100):
    xb, tb = (x, t) if x.ndim == 4 else (x[None], t[None])
    n, c = xb.shape[:2]
    loss = total = 0.0
    for i in range(n):
        for yy in range(xb.shape[2]):
            for xx in range(xb.shape[3]):
                cls = int(tb[i, yy, xx])
                if cls == ignore:
                    continue
                wt = 1.0 if w is None else w[cls - 1]
                loss -= wt * xb[i, cls - 1, yy, xx]
                total += wt
    if size_average and total != 0:
        loss /= total
    return loss, total


@pytest.mark.parametrize("ttype", TTYPES)
def test_spatial_nll(nnrt: Runtime, ttype: str) -> None:
    t = RNG.integers(1, 5, (3, 2, 3))
    w = np.array([0.5, 2.0, 1.0, 3.0])
    put(nnrt, "_w", w, ttype)
    cases = [("nn.SpatialClassNLLCriterion()", {}),
             ("nn.SpatialClassNLLCriterion(nil, false)", {"size_average": False}),
             ("nn.SpatialClassNLLCriterion(_w)", {"w": w}),
             ("nn.SpatialClassNLLCriterion(_w, false, 2)", {"w": w, "size_average": False,
                                                            "ignore": 2}),
             ("nn.SpatialClassNLLCriterion(nil, true, 3)", {"ignore": 3})]
    tol = 1e-10 if ttype == "Double" else 1e-5
    for ctor, kw in cases:
        for xx, tt in ((X4, t), (X4[1], t[1])):
            put(nnrt, "_x", xx, ttype)
            put(nnrt, "_t", tt, "Long")
            nnrt.execute(f"_c = {ctor}; _l, _tw = _c:forward(_x, _t)")
            loss, total = _nll_ref(xx, tt, **kw)
            assert nnrt.eval("_l") == pytest.approx(loss, rel=tol, abs=tol)
            assert nnrt.eval("_tw") == pytest.approx(total, rel=tol)
            assert nnrt.eval("_c.total_weight") == pytest.approx(total, rel=tol)
            got = check_criterion(nnrt, ctor, xx, tt, ttype, target_type="Long")
            assert got == pytest.approx(loss, rel=tol, abs=tol)
    # a DoubleTensor target works too (Torch7 converts it to Long)
    put(nnrt, "_x", X4, ttype)
    put(nnrt, "_t", t.astype(float), "Double")
    assert nnrt.eval("(nn.SpatialClassNLLCriterion():forward(_x, _t))") == \
        pytest.approx(_nll_ref(X4, t)[0], rel=tol)


def test_spatial_nll_edge_cases(nnrt: Runtime) -> None:
    t = np.full((3, 2, 3), 2)
    put(nnrt, "_x", X4)
    put(nnrt, "_t", t, "Long")
    # every pixel ignored: zero loss, zero gradient
    nnrt.execute("_c = nn.SpatialClassNLLCriterion(nil, true, 2); _l = _c:forward(_x, _t)"
                 "; _gi = _c:backward(_x, _t)")
    assert nnrt.eval("_l") == 0
    np.testing.assert_array_equal(get(nnrt, "_gi"), np.zeros(X4.shape))
    t[0, 0, 0] = 7
    put(nnrt, "_t", t, "Long")
    assert "target out of range (got 7, expected a class index between 1 and 4)" in \
        lua_error(nnrt, "nn.SpatialClassNLLCriterion():forward(_x, _t)")
    put(nnrt, "_t", np.ones((3, 3, 2)), "Long")
    assert "size mismatch (got input: [3 x 4 x 2 x 3], target: [3 x 3 x 2])" in \
        lua_error(nnrt, "nn.SpatialClassNLLCriterion():forward(_x, _t)")
    put(nnrt, "_t", np.ones((3, 2, 3)), "Long")
    assert "weight tensor should be defined either for all 4 classes" in \
        lua_error(nnrt, "nn.SpatialClassNLLCriterion(torch.ones(3)):forward(_x, _t)")
    assert "weights input should be 1-D Tensor" in \
        lua_error(nnrt, "nn.SpatialClassNLLCriterion(torch.ones(2, 2))")


# -- Spatial{Subtractive,Divisive,Contrastive}Normalization --------------------------------------
def _conv_sum(x, kern2d):
    """sum over planes of the zero-padded correlation of each plane with kern2d (same size)."""
    kh, kw = kern2d.shape
    ph, pw = kh // 2, kw // 2
    xp = np.pad(x, ((0, 0), (ph, ph), (pw, pw)))
    h, w = x.shape[1:]
    out = np.zeros((h, w))
    for i in range(kh):
        for j in range(kw):
            out += kern2d[i, j] * xp[:, i:i + h, j:j + w].sum(0)
    return out


def _norm_kernel(kernel, c, divisive):
    if kernel.ndim == 2:
        return kernel / (kernel.sum() * c)
    k = kernel / (kernel.sum() * (np.sqrt(c) if divisive else c))
    return np.outer(k, k)


def _sub_ref(x, kernel):
    if x.ndim == 4:
        return np.stack([_sub_ref(s, kernel) for s in x])
    k2 = _norm_kernel(kernel, x.shape[0], False)
    return x - _conv_sum(x, k2) / _conv_sum(np.ones_like(x), k2)


def _div_ref(x, kernel, threshold=1e-4, thresval=None):
    thresval = threshold if thresval is None else thresval
    if x.ndim == 4:
        return np.stack([_div_ref(s, kernel, threshold, thresval) for s in x])
    k2 = _norm_kernel(kernel, x.shape[0], True)
    std = np.sqrt(_conv_sum(x * x, k2)) / _conv_sum(np.ones_like(x), k2)
    std = np.where(std > threshold, std, thresval)
    return x / std


@pytest.mark.parametrize("ttype", TTYPES)
@pytest.mark.parametrize("kernel", [np.array([[1.0, 2, 1], [2, 4, 2], [1, 2, 1]]),
                                    np.array([1.0, 3, 1]),
                                    np.ones((3, 5))], ids=["k2d", "k1d", "k3x5"])
def test_local_normalizations(nnrt: Runtime, ttype: str, kernel) -> None:
    if not (_has(nnrt, "SpatialConvolution") and _has(nnrt, "SpatialZeroPadding")
            and (kernel.ndim == 2 or _has(nnrt, "SpatialConvolutionMap"))):
        pytest.skip("needs the convolution layers")
    x = RNG.standard_normal((2, 2, 5, 4)) + 0.5
    tt = ttype.lower()
    put(nnrt, "_k", kernel, ttype)
    refs = {"SpatialSubtractiveNormalization": lambda a: _sub_ref(a, kernel),
            "SpatialDivisiveNormalization": lambda a: _div_ref(a, kernel),
            "SpatialContrastiveNormalization": lambda a: _div_ref(_sub_ref(a, kernel), kernel)}
    for cls, ref in refs.items():
        ctor = f"nn.{cls}(2, _k:clone())"
        for xx in (x, x[1]):
            put(nnrt, "_x", xx, ttype)
            nnrt.execute(f"_m = {ctor}:{tt}()")
            tol = 1e-9 if ttype == "Double" else 1e-4
            np.testing.assert_allclose(get(nnrt, "_m:forward(_x)"), ref(xx), rtol=tol,
                                       atol=tol)
            # again, the border coefficients cached
            np.testing.assert_allclose(get(nnrt, "_m:forward(_x)"), ref(xx), rtol=tol,
                                       atol=tol)
            check_module(nnrt, ctor, xx, ttype)


def test_local_normalization_args(nnrt: Runtime) -> None:
    if not (_has(nnrt, "SpatialConvolution") and _has(nnrt, "SpatialZeroPadding")):
        pytest.skip("needs the convolution layers")
    nnrt.execute("_m = nn.SpatialDivisiveNormalization(3, torch.ones(3, 3), 0.5)")
    assert nnrt.eval("_m.threshold") == 0.5 and nnrt.eval("_m.thresval") == 0.5
    nnrt.execute("_m = nn.SpatialContrastiveNormalization()")
    assert nnrt.eval("_m.kernel:size(1)") == 9 and nnrt.eval("_m.nInputPlane") == 1
    for cls in ("Subtractive", "Divisive", "Contrastive"):
        msg = lua_error(nnrt, f"nn.Spatial{cls}Normalization(1, torch.ones(4, 4))")
        assert f"<Spatial{cls}Normalization> averaging kernel must have ODD dimensions" in msg
        msg = lua_error(nnrt, f"nn.Spatial{cls}Normalization(1, torch.ones(3, 3, 3))")
        assert "averaging kernel must be 2D or 1D" in msg
    # batch results are the per-sample results; the border coefficient follows the input size
    x = RNG.standard_normal((2, 3, 6, 5))
    put(nnrt, "_x", x)
    put(nnrt, "_s", x[0, :, :4, :3])
    nnrt.execute("_m = nn.SpatialContrastiveNormalization(3, torch.ones(5, 5))"
                 "; _b = _m:forward(_x):clone(); _o = _m:forward(_s):clone()")
    np.testing.assert_allclose(get(nnrt, "_o"),
                               _div_ref(_sub_ref(x[0, :, :4, :3], np.ones((5, 5))),
                                        np.ones((5, 5))), rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(get(nnrt, "_b"),
                               _div_ref(_sub_ref(x, np.ones((5, 5))), np.ones((5, 5))),
                               rtol=1e-9, atol=1e-9)
