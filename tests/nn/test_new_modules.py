"""Modules that torch/nn has and luatorch lacked (issue 11): forward against a NumPy reference,
backward against finite differences, and the helpers (moses, hessian, SparseJacobian)."""

from __future__ import annotations

import numpy as np
import pytest

from luatorch.runtime import LuaError, Runtime
from tests.nn.gradcheck import check_criterion, check_module, get, load_nn, put, view


@pytest.fixture(scope="module")
def rt() -> Runtime:
    return load_nn(Runtime())


def rand(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


# -- moses ---------------------------------------------------------------------------------------

def test_moses_functions(rt: Runtime) -> None:
    rt.execute("""
        _ = require 'moses'
        _r = {
           nan = _.isNaN(0/0), num = _.isNaN(1), str = _.isNaN('x'),
           idx = _.indexOf({'a', 'b', 'c'}, 'c'), miss = _.indexOf({'a'}, 'z'),
           map = _.map({a = 1, b = 2}, function(k, v) return k .. v end),
           sel = _.select({1, 2, 3, 4}, function(k, v) return v % 2 == 0 end),
           red = _.reduce({1, 2, 3}, function(s, v) return s + v end),
           range = _.range(3), size = _.size({a = 1, b = 2, 3}),
           flat = _.flatten({1, {2, {3}}}), nkeys = #_.keys({a = 1, b = 2}),
        }
    """)
    r = rt.eval("_r")
    assert r.nan is True and r.num is False and r.str is False
    assert r.idx == 3 and r.miss is None
    assert r.map.a == "a1" and r.map.b == "b2"
    assert list(r.sel.values()) == [2, 4]
    assert r.red == 6
    assert list(r.range.values()) == [0, 1, 2, 3]
    assert r.size == 3 and r.nkeys == 2
    assert list(r.flat.values()) == [1, 2, 3]


# -- decorators and table modules ----------------------------------------------------------------

def test_nan_passes_clean_values_and_names_the_module(rt: Runtime) -> None:
    put(rt, "x", rand(2, 3))
    rt.execute("lin = nn.Linear(3, 4); m = nn.NaN(lin, 7); y = m:forward(x)")
    assert np.allclose(get(rt, "y"), get(rt, "lin:forward(x)"))
    rt.execute("x[1][1] = 0/0; ok, err = pcall(function() m:forward(x) end)")
    assert rt.eval("ok") is False
    assert "NaN found in input of module" in rt.eval("err")
    assert "nn.NaN(7) @ nn.Linear(3 -> 4)" in rt.eval("err")
    put(rt, "x", rand(2, 3))
    rt.execute("lin.bias[2] = 0/0; ok, err = pcall(function() m:forward(x) end)")
    assert "NaN found in parameters of module" in rt.eval("err")


def test_profile_is_transparent(rt: Runtime) -> None:
    put(rt, "x", rand(2, 3))
    put(rt, "g", rand(2, 4))
    rt.execute("lin = nn.Linear(3, 4); p = nn.Profile(lin, 1000)")
    assert np.allclose(get(rt, "p:forward(x)"), get(rt, "lin.output"))
    assert np.allclose(get(rt, "p:backward(x, g)"), get(rt, "x.new(lin.gradInput)"))
    assert rt.eval("p.numFwds") == 1 and rt.eval("p.numBwds") == 1
    rt.execute("p2 = p:clone()")
    assert rt.eval("torch.type(p2.timer)") == "torch.Timer"


def test_collapse(rt: Runtime) -> None:
    x = rand(4, 3, 2, 5)
    put(rt, "x", x)
    rt.execute("c = nn.Collapse(3); xt = x:transpose(1, 4)")
    assert np.array_equal(get(rt, "c:forward(x)"), x.reshape(4, -1))
    assert np.array_equal(get(rt, "c:forward(xt)"), x.transpose(3, 1, 2, 0).reshape(5, -1))
    assert np.array_equal(get(rt, "c:backward(xt, c.output)"), x.transpose(3, 1, 2, 0))
    assert np.array_equal(get(rt, "nn.Collapse(3):forward(x[1])"), x[0].reshape(-1))
    check_module(rt, "nn.Collapse(2)", rand(3, 2, 2))


def test_convert_layouts(rt: Runtime) -> None:
    x = rand(4, 3, 2, 5)
    put(rt, "x", x)
    rt.execute("c = nn.Convert('bchw', 'chwb')")
    assert np.array_equal(get(rt, "c:forward(x)"), x.transpose(1, 2, 3, 0))
    assert np.array_equal(get(rt, "c:backward(x, c.output)"), x)
    assert np.array_equal(get(rt, "nn.Convert('bchw', 'bf'):forward(x)"), x.reshape(4, -1))
    assert np.array_equal(get(rt, "nn.Convert('chw', 'hwc'):forward(x[1])"),
                          x[0].transpose(1, 2, 0))
    assert np.array_equal(get(rt, "nn.Convert('chw', 'f'):forward(x[1])"), x[0].reshape(-1))
    rt.execute("cf = nn.Convert():float(); yf = cf:forward(x); gf = cf:backward(x, yf)")
    assert rt.eval("torch.type(yf)") == "torch.FloatTensor"
    assert rt.eval("torch.type(gf)") == "torch.DoubleTensor"
    check_module(rt, "nn.Convert('bchw', 'hbwc')", rand(2, 3, 2, 2))
    msg = str(pytest.raises(LuaError, rt.execute, "nn.Convert('bf', 'bt'):forward(x[1][1])")
              .value)
    assert "cannot convert shape 'bf' to bt" in msg


def test_cadd_tensor_table_and_zip_one_to_many(rt: Runtime) -> None:
    v, a, b = rand(3, seed=1), rand(3, seed=2), rand(3, seed=3)
    g1, g2 = rand(3, seed=4), rand(3, seed=5)
    for name, arr in dict(v=v, a=a, b=b, g1=g1, g2=g2).items():
        put(rt, name, arr)
    rt.execute("m = nn.CAddTensorTable(); y = m:forward({v, {a, b}}); "
               "gi = m:backward({v, {a, b}}, {g1, g2})")
    assert np.allclose(get(rt, "y[1]"), v + a) and np.allclose(get(rt, "y[2]"), v + b)
    assert np.allclose(get(rt, "gi[1]"), g1 + g2)
    assert np.allclose(get(rt, "gi[2][1]"), g1) and np.allclose(get(rt, "gi[2][2]"), g2)
    rt.execute("z = nn.ZipTableOneToMany(); y = z:forward({v, {a, b}}); "
               "gi = z:backward({v, {a, b}}, {{g1, g2}, {g2, g1}})")
    assert rt.eval("y[1][1] == v and y[2][2] == b") is True
    assert np.allclose(get(rt, "gi[1]"), g1 + g2)
    assert np.allclose(get(rt, "gi[2][1]"), g2) and np.allclose(get(rt, "gi[2][2]"), g1)


def test_kmeans_assigns_nearest_and_pulls_centres(rt: Runtime) -> None:
    x = rand(20, 3)
    put(rt, "x", x)
    rt.execute("km = nn.Kmeans(4, 3); km:initRandom(x); km:zeroGradParameters(); "
               "y = km:forward(x); km:backward(x)")
    w = get(rt, "km.weight")
    d = ((x[:, None, :] - w[None, :, :]) ** 2).sum(2)
    assign = d.argmin(1)
    assert np.array_equal(get(rt, "y").astype(int) - 1, assign)
    assert np.isclose(rt.eval("km.loss"), d.min(1).sum())
    grad = np.zeros_like(w)
    for k in range(4):
        sel = x[assign == k]
        grad[k] = -(sel - w[k]).sum(0) / (len(sel) + 1e-7)
    assert np.allclose(get(rt, "km.gradWeight"), grad)
    # k-means++ on well separated points recovers them exactly
    pts = np.repeat(np.array([[1.0] * 3, [2.0] * 3, [3.0] * 3]), 10, axis=0)
    put(rt, "p", pts)
    rt.execute("km = nn.Kmeans(3, 3); km:initKmeansPlus(p); km:forward(p)")
    assert rt.eval("km.loss") == 0


# -- nn.hessian, Jacobian.testDiagHessian*, nn.SparseJacobian -------------------------------------

def test_hessian_linear_against_numpy(rt: Runtime) -> None:
    x, w, b, h = rand(4, 3, seed=1), rand(2, 3, seed=2), rand(2, seed=3), rand(4, 2, seed=4) ** 2
    for name, a in dict(x=x, w=w, b=b, h=h).items():
        put(rt, name, a)
    rt.execute("nn.hessian.enable(); lin = nn.Linear(3, 2); lin.weight:copy(w); "
               "lin.bias:copy(b); lin:initDiagHessianParameters(); "
               "lin.diagHessianWeight:zero(); lin.diagHessianBias:zero(); lin:forward(x); "
               "dh = lin:updateDiagHessianInput(x, h); lin:accDiagHessianParameters(x, h)")
    assert np.allclose(get(rt, "dh"), h @ w ** 2)
    assert np.allclose(get(rt, "lin.diagHessianWeight"), h.T @ x ** 2)
    assert np.allclose(get(rt, "lin.diagHessianBias"), h.sum(0))
    # the module's own weights and gradients are left as they were
    assert np.array_equal(get(rt, "lin.weight"), w)
    assert rt.eval("select('#', lin:parameters())") == 3
    assert rt.eval("select('#', nn.Sequential():add(lin):getParameters())") == 3


def test_hessian_sequential_pointwise(rt: Runtime) -> None:
    x, w = rand(5, 3, seed=5), rand(2, 3, seed=6)
    put(rt, "x", x)
    put(rt, "w", w)
    rt.execute("nn.hessian.enable(); lin = nn.Linear(3, 2); lin.weight:copy(w); "
               "s = nn.Sequential():add(lin):add(nn.Tanh()); s:forward(x); "
               "crit = nn.MSECriterion(); crit:forward(s.output, s.output:clone():zero()); "
               "dh = s:updateDiagHessianInput(x, crit:updateDiagHessianInput(s.output))")
    y = np.tanh(x @ w.T + get(rt, "lin.bias"))
    hy = np.full(y.shape, 2 / y.size) * (1 - y ** 2) ** 2
    assert np.allclose(get(rt, "dh"), hy @ w ** 2)


@pytest.mark.parametrize("ctor,shape", [("nn.Linear(4, 3)", (5, 4)),
                                        ("nn.SpatialConvolution(2, 3, 3, 3)", (2, 5, 5)),
                                        ("nn.SpatialConvolutionMap(nn.tables.full(2, 2), 2, 2)",
                                         (2, 4, 4))])
def test_test_diag_hessian(rt: Runtime, ctor: str, shape: tuple) -> None:
    rt.execute(f"nn.hessian.enable(); m = {ctor}; x = torch.Tensor({', '.join(map(str, shape))})")
    for which in ("Input", "Weight", "Bias"):
        assert rt.eval(f"nn.Jacobian.testDiagHessian{which}(m, x)") < 1e-8
    # a wrong Hessian is caught: weights not squared
    rt.execute("m.updateDiagHessianInput = function(self, input, h) "
               "self.diagHessianInput = self:updateGradInput(input, h):clone() "
               "return self.diagHessianInput end")
    assert rt.eval("nn.Jacobian.testDiagHessianInput(m, x)") > 1e-3


def test_sparse_jacobian(rt: Runtime) -> None:
    # a dense n x 2 input stands for (index, value) rows: only column 2 is perturbed
    rt.execute("m = nn.Linear(2, 3); x = torch.Tensor({{1, 0}, {4, 0}, {6, 0}, {2, 0}})")
    sj = "nn.SparseJacobian"
    assert rt.eval(f"{sj}.testJacobian(m, x)") < 1e-5
    assert rt.eval(f"{sj}.testJacobianParameters(m, x, m.weight, m.gradWeight)") < 1e-5
    assert rt.eval(f"{sj}.testJacobianParameters(m, x, m.bias, m.gradBias)") < 1e-5
    assert rt.eval(f"{sj}.testJacobianUpdateParameters(m, x, m.bias)") < 1e-5
    # one row per input row: the values, not the indices, are the variables
    assert tuple(get(rt, f"{sj}.forward(m, x)").shape) == (4, 12)
    # a wrong gradient is caught
    rt.execute("m.updateGradInput = function(self, input, g) "
               "self.gradInput:resizeAs(input):fill(1) return self.gradInput end")
    assert rt.eval(f"{sj}.testJacobian(m, x)") > 1e-3


# -- LinearWeightNorm, SpatialAutoCropMSECriterion -----------------------------------------------

def test_linear_weight_norm(rt: Runtime) -> None:
    x = rand(4, 3)
    put(rt, "x", x)
    rt.execute("m = nn.LinearWeightNorm(3, 2); y = m:forward(x)")
    v, g, b = get(rt, "m.v"), get(rt, "m.g"), get(rt, "m.bias")
    w = g * v / np.linalg.norm(v, axis=1, keepdims=True)
    assert np.allclose(get(rt, "y"), x @ w.T + b)
    check_module(rt, "nn.LinearWeightNorm(3, 2)", x,
                 params=[("v", "gradV"), ("g", "gradG"), ("bias", "gradBias")])
    # gradients accumulate over backward calls
    put(rt, "go", rand(4, 2, seed=9))
    rt.execute("m:zeroGradParameters(); m:backward(x, go); gv1 = m.gradV:clone(); "
               "gg1 = m.gradG:clone(); m:backward(x, go)")
    assert np.allclose(get(rt, "m.gradV"), 2 * get(rt, "gv1"))
    assert np.allclose(get(rt, "m.gradG"), 2 * get(rt, "gg1"))
    for p in ("v", "g", "bias"):
        assert rt.eval(f"nn.Jacobian.testJacobianUpdateParameters(m, x, m.{p})") < 1e-5
    rt.execute("lin = nn.Linear(3, 2); wn = nn.LinearWeightNorm.fromLinear(lin)")
    assert np.allclose(get(rt, "wn:forward(x)"), get(rt, "lin:forward(x)"))
    assert np.allclose(get(rt, "wn:toLinear():forward(x)"), get(rt, "lin.output"))


def test_spatial_auto_crop_mse(rt: Runtime) -> None:
    x, t = rand(2, 3, 4, 5, seed=1), rand(2, 3, 7, 6, seed=2)
    crop = t[:, :, 1:5, 0:5]
    put(rt, "x", x)
    put(rt, "t", t)
    assert np.isclose(rt.eval("nn.SpatialAutoCropMSECriterion():forward(x, t)"),
                      ((x - crop) ** 2).mean())
    assert np.isclose(rt.eval("nn.SpatialAutoCropMSECriterion(false):forward(x[1], t[1])"),
                      ((x[0] - crop[0]) ** 2).sum())
    check_criterion(rt, "nn.SpatialAutoCropMSECriterion()", x, t)
    rt.execute("c = nn.SpatialAutoCropMSECriterion()")
    msg = str(pytest.raises(LuaError, rt.execute, "c:forward(t, x)").value)
    assert "Spatial resolution of input should be less than or equal" in msg
    msg = str(pytest.raises(LuaError, rt.execute, "c:forward(x, t[{{}, {1, 2}}])").value)
    assert "same number of channels" in msg


# -- VolumetricDilatedMaxPooling, VolumetricFractionalMaxPooling ---------------------------------

def _ref_dilated_max3d(x: np.ndarray, k: tuple, d: tuple, p: tuple, dil: tuple,
                       ceil: bool) -> tuple:
    """Plain loops over one volume stack (planes, T, H, W): output and packed kernel taps."""
    sizes = x.shape[1:]
    outs = []
    for n, kk, dd, pp, di in zip(sizes, k, d, p, dil):
        span = (n + 2 * pp - di * (kk - 1) - 1) / dd
        o = int(np.ceil(span) if ceil else np.floor(span)) + 1
        if ceil and (o - 1) * dd >= n + pp:
            o -= 1
        outs.append(o)
    out = np.zeros((x.shape[0],) + tuple(outs))
    ind = np.zeros(out.shape, np.int64)
    for c in range(x.shape[0]):
        for o in np.ndindex(*outs):
            best, tap = -np.inf, None
            for m in np.ndindex(*k):
                pos = [o[a] * d[a] - p[a] + m[a] * dil[a] for a in range(3)]
                if all(0 <= pos[a] < sizes[a] for a in range(3)) and x[(c, *pos)] > best:
                    best, tap = x[(c, *pos)], m
            out[(c, *o)] = best
            ind[(c, *o)] = tap[0] + 256 * tap[1] + 65536 * tap[2]
    return out, ind


@pytest.mark.parametrize("ceil", [False, True])
def test_volumetric_dilated_max_pooling(rt: Runtime, ceil: bool) -> None:
    x = rand(2, 7, 8, 9)
    put(rt, "x", x)
    # (kT, kW, kH, dT, dW, dH, padT, padW, padH, dilT, dilW, dilH)
    args = (2, 3, 2, 2, 1, 2, 1, 1, 0, 2, 2, 3)
    ctor = f"nn.VolumetricDilatedMaxPooling({', '.join(map(str, args))})" + \
        (":ceil()" if ceil else "")
    rt.execute(f"m = {ctor}; y = m:forward(x)")
    out, ind = _ref_dilated_max3d(x, (2, 2, 3), (2, 2, 1), (1, 0, 1), (2, 3, 2), ceil)
    assert np.array_equal(get(rt, "y"), out)
    assert np.array_equal(get(rt, "m.indices"), ind)
    check_module(rt, ctor, rand(2, 2, 5, 6, 7, seed=3))
    # with dilation 1 the taps are VolumetricMaxPooling's window offsets
    rt.execute("a = nn.VolumetricDilatedMaxPooling(2, 2, 2, 1, 1, 1); a:forward(x); "
               "b = nn.VolumetricMaxPooling(2, 2, 2, 1, 1, 1); b:forward(x)")
    assert np.array_equal(get(rt, "a.indices"), get(rt, "b.indices"))


def _fmp_starts(u: float, n: int, o: int, k: int, dtype: type) -> list:
    if o == 1:
        return [n - k]
    alpha = dtype(n - k) / dtype(o - 1)
    return [int(dtype(i + u) * alpha) - int(dtype(u) * alpha) for i in range(o - 1)] + [n - k]


def test_volumetric_fractional_max_pooling(rt: Runtime) -> None:
    x = rand(2, 3, 9, 8, 10)  # batch, planes, H, W, T
    put(rt, "x", x)
    rt.execute("m = nn.VolumetricFractionalMaxPooling(2, 3, 2, 4, 3, 5); y = m:forward(x)")
    u = get(rt, "m.randomSamples")
    assert u.shape == (2, 3, 3)
    y, ind = get(rt, "y"), get(rt, "m.indices")
    assert y.shape == (2, 3, 5, 3, 4)
    kT, kW, kH = 2, 3, 2
    for b in range(2):
        for c in range(3):
            sT = _fmp_starts(u[b, c, 0], 10, 4, kT, np.float64)
            sW = _fmp_starts(u[b, c, 1], 8, 3, kW, np.float64)
            sH = _fmp_starts(u[b, c, 2], 9, 5, kH, np.float64)
            for i, h in enumerate(sH):
                for j, w in enumerate(sW):
                    for t, s in enumerate(sT):
                        win = x[b, c, h:h + kH, w:w + kW, s:s + kT]
                        assert y[b, c, i, j, t] == win.max()
                        hh, ww, tt = np.unravel_index(win.argmax(), win.shape)
                        flat = ((h + hh) * 8 + w + ww) * 10 + s + tt
                        assert ind[b, c, i, j, t] == flat + 1
    check_module(rt, "nn.VolumetricFractionalMaxPooling(2, 2, 2, 2, 3, 2):fixPoolingRegions()",
                 rand(2, 5, 6, 4, seed=4))
    rt.execute("r = nn.VolumetricFractionalMaxPooling(2, 2, 2, 0.5, 0.5, 0.5); r:forward(x)")
    assert rt.eval("r.output:size(3)") == 4 and rt.eval("r.output:size(5)") == 5
    msg = str(pytest.raises(LuaError, rt.execute,
                            "nn.VolumetricFractionalMaxPooling(2, 2, 2, 9, 2, 2):forward(x)")
              .value)
    assert "poolSizeT (2) too large relative to input time (10)" in msg


# -- UpSampling ----------------------------------------------------------------------------------

def _ref_linear_axis(a: np.ndarray, axis: int, o: int) -> np.ndarray:
    """Aligned-corner linear interpolation of one axis, one output position at a time."""
    n = a.shape[axis]
    a = np.moveaxis(a, axis, -1)
    res = np.zeros(a.shape[:-1] + (o,))
    for j in range(o):
        pos = (n - 1) / (o - 1) * j if o > 1 else 0.0
        i0 = int(pos)
        i1 = min(i0 + 1, n - 1)
        lam = pos - i0
        res[..., j] = (1 - lam) * a[..., i0] + lam * a[..., i1]
    return np.moveaxis(res, -1, axis)


def test_upsampling_nearest(rt: Runtime) -> None:
    for shape in [(2, 3, 4, 5), (1, 2, 3, 4, 2)]:
        x = rand(*shape)
        put(rt, "x", x)
        y = x
        for ax in range(2, len(shape)):
            y = np.repeat(y, 3, axis=ax)
        assert np.array_equal(get(rt, "nn.UpSampling(3):forward(x)"), y)
        check_module(rt, "nn.UpSampling(2)", rand(*shape[:2], *(2,) * (len(shape) - 2)))


def test_upsampling_linear(rt: Runtime) -> None:
    x = rand(2, 2, 3, 4)
    put(rt, "x", x)
    want = _ref_linear_axis(_ref_linear_axis(x, 3, 8), 2, 6)
    assert np.allclose(get(rt, "nn.UpSampling(2, 'linear'):forward(x)"), want)
    want = _ref_linear_axis(_ref_linear_axis(x, 3, 7), 2, 5)
    assert np.allclose(get(rt, "nn.UpSampling({oheight = 5, owidth = 7}, 'bilinear'):forward(x)"),
                       want)
    v = rand(1, 2, 3, 2, 4)
    put(rt, "v", v)
    want = _ref_linear_axis(_ref_linear_axis(_ref_linear_axis(v, 4, 6), 3, 5), 2, 4)
    assert np.allclose(get(rt, "nn.UpSampling({odepth = 4, oheight = 5, owidth = 6}, "
                               "'trilinear'):forward(v)"), want)
    check_module(rt, "nn.UpSampling(3, 'linear')", rand(1, 2, 3, 2))
    check_module(rt, "nn.UpSampling({odepth = 4, oheight = 3, owidth = 5}, 'linear')",
                 rand(1, 2, 2, 3, 2))
    msg = str(pytest.raises(LuaError, rt.execute, "nn.UpSampling(2):forward(x[1])").value)
    assert "UpSampling only supports 4D or 5D tensors" in msg


# -- FeatureLPPooling, TemporalDynamicKMaxPooling ------------------------------------------------

def _ref_flp(x: np.ndarray, width: int, stride: int, p: float, axis: int) -> np.ndarray:
    xs = np.moveaxis(x, axis, 0)
    o = (xs.shape[0] - width) // stride + 1
    out = np.stack([(xs[k * stride:k * stride + width] ** p).sum(0) ** (1 / p)
                    for k in range(o)])
    return np.moveaxis(out, 0, axis)


@pytest.mark.parametrize("p", [1, 2, 4])
def test_feature_lp_pooling(rt: Runtime, p: int) -> None:
    x = np.abs(rand(2, 11, 3)) + 0.1
    put(rt, "x", x)
    y = get(rt, f"nn.FeatureLPPooling(3, 2, {p}, true):forward(x)")
    assert np.allclose(y, _ref_flp(x, 3, 2, p, 1))
    y = get(rt, f"nn.FeatureLPPooling(4, 1, {p}):forward(x[1])")
    assert np.allclose(y, _ref_flp(x[0], 4, 1, p, 0))
    check_module(rt, f"nn.FeatureLPPooling(3, 2, {p}, true)", x)
    check_module(rt, f"nn.FeatureLPPooling(2, 1, {p})", x[0, :, 0])
    put(rt, "x", x, "Float")
    rt.execute(f"m = nn.FeatureLPPooling(3, 2, {p}, true):float()")
    assert rt.eval("torch.type(m:forward(x))") == "torch.FloatTensor"
    msg = str(pytest.raises(LuaError, rt.execute, "nn.FeatureLPPooling(17, 1, 2)").value)
    assert "width must be within 2 to 16" in msg


def test_temporal_dynamic_k_max_pooling(rt: Runtime) -> None:
    x = rand(2, 7, 3)
    put(rt, "x", x)
    rt.execute("m = nn.TemporalDynamicKMaxPooling(2, 0.5); y = m:forward(x)")
    k = 4  # ceil(0.5 * 7)
    top = np.sort(np.argsort(-x, axis=1, kind="stable")[:, :k], axis=1)
    assert np.array_equal(get(rt, "y"), np.take_along_axis(x, top, axis=1))
    assert np.array_equal(get(rt, "m.indices") - 1, top)
    put(rt, "g", rand(2, k, 3, seed=7))
    gi = get(rt, "m:backward(x, g)")
    want = np.zeros_like(x)
    np.put_along_axis(want, top, get(rt, "g"), axis=1)
    assert np.array_equal(gi, want)
    check_module(rt, "nn.TemporalDynamicKMaxPooling(3)", rand(6, 2, seed=8))
    msg = str(pytest.raises(LuaError, rt.execute,
                            "nn.TemporalDynamicKMaxPooling(9):forward(x)").value)
    assert "Input sequence length (7) too small for desired k value (9)" in msg


# -- SpatialFullConvolutionMap -------------------------------------------------------------------

def _ref_full_conv_map(x: np.ndarray, w: np.ndarray, b: np.ndarray, conn: np.ndarray,
                       d: tuple) -> np.ndarray:
    """out[o, y*dH + i, x*dW + j] += in[f, y, x] * w[k, i, j] for each connection k = (f, o)."""
    _, H, W = x.shape
    kH, kW = w.shape[1:]
    out = np.zeros((len(b), (H - 1) * d[0] + kH, (W - 1) * d[1] + kW))
    out += b[:, None, None]
    for k, (f, o) in enumerate(conn.astype(int) - 1):
        for y in range(H):
            for xx in range(W):
                out[o, y * d[0]:y * d[0] + kH, xx * d[1]:xx * d[1] + kW] += x[f, y, xx] * w[k]
    return out


def test_spatial_full_convolution_map(rt: Runtime) -> None:
    conn = np.array([[1, 1], [2, 1], [2, 3], [3, 2], [1, 3]], dtype=float)
    x = rand(3, 4, 5)
    put(rt, "conn", conn)
    put(rt, "x", x)
    rt.execute("m = nn.SpatialFullConvolutionMap(conn, 3, 2, 2, 1); y = m:forward(x)")
    want = _ref_full_conv_map(x, get(rt, "m.weight"), get(rt, "m.bias"), conn, (1, 2))
    assert np.allclose(get(rt, "y"), want)
    ctor = "nn.SpatialFullConvolutionMap(conn, 3, 2, 2, 1)"
    check_module(rt, ctor, x, params=[("weight", "gradWeight"), ("bias", "gradBias")])
    # a batch gives the samples' outputs; an input plane the table does not name is ignored
    xb = rand(2, 4, 4, 5, seed=2)
    put(rt, "xb", xb)
    yb = get(rt, "m:forward(xb)")
    assert np.allclose(yb[1], _ref_full_conv_map(xb[1, :3], get(rt, "m.weight"),
                                                 get(rt, "m.bias"), conn, (1, 2)))
    rt.execute("nn.hessian.enable()")
    for which in ("Input", "Weight", "Bias"):
        assert rt.eval(f"nn.Jacobian.testDiagHessian{which}(m, x)") < 1e-8
    # a round trip through another type keeps the connection index a LongTensor
    rt.execute("yd = m:forward(x):clone(); m:float(); yf = m:forward(x:float()); m:double()")
    assert np.allclose(get(rt, "m:forward(x)"), get(rt, "yd"))
    assert np.allclose(get(rt, "yf"), get(rt, "yd"), atol=1e-5)


# -- IndexLinear ---------------------------------------------------------------------------------

def _index_linear_input(rt: Runtime, keys: list, vals: list) -> None:
    """Lua globals: `tab` = {{keys...}, {values...}}, `flat` = {keys, values, sizes}."""
    for i, (k, v) in enumerate(zip(keys, vals)):
        put(rt, f"k{i}", np.asarray(k), "Long")
        put(rt, f"v{i}", np.asarray(v))
    n = len(keys)
    ks = ", ".join(f"k{i}" for i in range(n))
    vs = ", ".join(f"v{i}" for i in range(n))
    rt.execute(f"tab = {{{{{ks}}}, {{{vs}}}}}; "
               f"flat = {{torch.cat({{{ks}}}, 1), torch.cat({{{vs}}}, 1), "
               f"torch.LongTensor({{{', '.join(str(len(k)) for k in keys)}}})}}")


def test_index_linear_against_dense(rt: Runtime) -> None:
    rng = np.random.default_rng(3)
    keys = [rng.permutation(12)[:5] + 1, rng.permutation(12)[:3] + 1]
    vals = [rng.standard_normal(5), rng.standard_normal(3)]
    _index_linear_input(rt, keys, vals)
    dense = np.zeros((2, 12))
    for j in range(2):
        dense[j, keys[j] - 1] = vals[j]
    rt.execute("il = nn.IndexLinear(12, 4, true); il:reset(); il.bias:normal(); "
               "il2 = il:clone()")
    w, b = get(rt, "il.weight"), get(rt, "il.bias")
    assert np.allclose(get(rt, "il:forward(tab)"), dense @ w + b)
    assert np.allclose(get(rt, "il2:forward(flat)"), dense @ w + b)
    assert np.allclose(get(rt, "il:forward({k1, v1})"), dense[1] @ w + b)
    g = rand(2, 4, seed=5)
    put(rt, "g", g)
    rt.execute("il:forward(tab); il:zeroGradParameters(); gi = il:backward(tab, g); "
               "il2:forward(flat); il2:zeroGradParameters(); gi2 = il2:backward(flat, g)")
    assert np.allclose(get(rt, "gi[2][2]"), g[1] @ w.T)
    assert np.allclose(get(rt, "gi2[2]"), g @ w.T)
    assert np.array_equal(get(rt, "gi2[1][1]"), np.arange(1, 13))
    # finite differences over the values give gradInput at the keys present
    live = view(rt, "flat[2]")
    batch = [0] * 5 + [1] * 3
    allkeys = np.concatenate(keys) - 1
    for e in range(8):
        old = live[e]
        live[e] = old + 1e-6
        fp = float(np.vdot(get(rt, "il2:forward(flat)"), g))
        live[e] = old - 1e-6
        fm = float(np.vdot(get(rt, "il2:forward(flat)"), g))
        live[e] = old
        assert np.isclose((fp - fm) / 2e-6, get(rt, "gi2[2]")[batch[e], allkeys[e]], atol=1e-6)
    # two backward calls accumulate; the update moves only the rows of the keys seen
    rt.execute("il2:forward(flat); il2:backward(flat, g); il2:updateParameters(0.1)")
    want_w = w - 0.1 * 2 * dense.T @ g
    assert np.allclose(get(rt, "il2.weight"), want_w)
    assert np.allclose(get(rt, "il2.bias"), b - 0.1 * 2 * g.sum(0))
    # accUpdateGradParameters gives what accGradParameters + updateParameters give
    rt.execute("il3 = il:clone(); il3:zeroGradParameters(); il3:forward(tab); "
               "il3:backward(tab, g); il3:updateParameters(0.5); "
               "il4 = il:clone(); il4:forward(tab); il4:accUpdateGradParameters(tab, g, 0.5)")
    assert np.allclose(get(rt, "il3.weight"), get(rt, "il4.weight"))
    assert np.allclose(get(rt, "il3.bias"), get(rt, "il4.bias"))


def test_index_linear_repeated_keys_and_decay(rt: Runtime) -> None:
    keys = [np.array([3, 3, 1]), np.array([3])]
    vals = [np.array([1.0, 2.0, -1.0]), np.array([0.5])]
    _index_linear_input(rt, keys, vals)
    rt.execute("il = nn.IndexLinear(4, 2); il:reset(); il.weightDecay = 0.1")
    w0 = get(rt, "il.weight")
    g = rand(2, 2, seed=6)
    put(rt, "g", g)
    rt.execute("il:forward(tab); il:accUpdateGradParameters(tab, g, 0.2)")
    # THNN's loop, one entry at a time
    w = w0.copy()
    for j in range(2):
        for k, v in zip(keys[j], vals[j]):
            w[k - 1] -= 0.1 * w[k - 1]
            w[k - 1] -= 0.2 * v * g[j]
    assert np.allclose(get(rt, "il.weight"), w)


def _ref_normalized_forward(w: np.ndarray, b: np.ndarray, keys: list, vals: list,
                            train: bool) -> tuple:
    """THNN's max-normalize forward, one entry at a time: (output, normalized values, weight)."""
    w = w.copy()
    out, norm = [], []
    for ks, vs in zip(keys, vals):
        y = b.copy()
        for k, v in zip(ks - 1, vs):
            a = abs(v)
            if train:
                if a > w[k, 0]:
                    w[k, 0], w[k, 1] = a, 1 / a
                w[k, 2] = 1
            nv = (np.sign(v) if a > w[k, 0] else v * w[k, 1]) + w[k, 3]
            norm.append(nv)
            y += nv * w[k, 4:]
        out.append(y)
    return np.array(out), np.array(norm), w


def test_index_linear_max_normalize(rt: Runtime) -> None:
    keys = [np.array([2, 4, 2]), np.array([4, 1, 2, 2])]
    vals = [np.array([3.0, -1.0, -5.0]), np.array([0.5, 2.0, 1.0, 7.0])]
    _index_linear_input(rt, keys, vals)
    rt.execute("il = nn.IndexLinear(5, 3, nil, nil, nil, nil, true); il:reset(); "
               "il.weight:select(2, 4):uniform(); il.weightDecay = 0.05")
    assert rt.eval("il.weight:size(2)") == 7 and rt.eval("il.outputSize") == 3
    w0, b = get(rt, "il.weight"), get(rt, "il.bias")
    want, norm, w1 = _ref_normalized_forward(w0, b, keys, vals, True)
    assert np.allclose(get(rt, "il:forward(tab)"), want)
    assert np.allclose(get(rt, "il.normalizedValues"), norm)
    assert np.allclose(get(rt, "il.weight"), w1)
    g = rand(2, 3, seed=11)
    put(rt, "g", g)
    rt.execute("il:zeroGradParameters(); il:backward(tab, g); il:updateParameters(0.3)")
    # THNN's update, entry by entry
    w = w1.copy()
    batch = [0, 0, 0, 1, 1, 1, 1]
    for e, k in enumerate(np.concatenate(keys) - 1):
        rate = 0.3 * w[k, 2]
        w[k, 3] -= (g[batch[e]] * w[k, 4:]).sum() * rate
        w[k, 4:] -= w[k, 4:] * 0.05 * w[k, 2]
        w[k, 4:] -= rate * norm[e] * g[batch[e]]
    assert np.allclose(get(rt, "il.weight"), w)
    # accUpdateGradParameters does the same in one call
    put(rt, "w0", w0)
    put(rt, "w1", w1)
    rt.execute("il2 = il:clone(); il2.weight:copy(w0); il2:forward(tab); "
               "il2:accUpdateGradParameters(tab, g, 0.3)")
    assert np.allclose(get(rt, "il2.weight"), w)
    # evaluation: no maximum update, values past the maximum count as their sign
    rt.execute("il:evaluate(); il.weight:copy(w1)")
    put(rt, "big", np.array([100.0, 1.0, 0.5, 1.0]))
    rt.execute("y = il:forward({k1, big})")
    want, _, _ = _ref_normalized_forward(w1, get(rt, "il.bias"), [keys[1]],
                                         [np.array([100.0, 1, 0.5, 1])], False)
    assert np.allclose(get(rt, "y"), want[0])
    assert np.allclose(get(rt, "il.weight"), w1)
    msg = str(pytest.raises(LuaError, rt.execute,
                            "nn.IndexLinear(5, 3, true, nil, nil, nil, true):forward(tab)"
                            ":size(); m = nn.IndexLinear(5, 3, true, nil, nil, nil, true); "
                            "m:forward(tab); m:backward(tab, g)").value)
    assert "updateGradInput is not implemented in max-normalize mode" in msg
