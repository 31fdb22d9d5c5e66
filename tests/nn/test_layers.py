"""Simple and table layers: finite-difference gradients (input and parameters, vector and batch,
Float and Double) through nn.Jacobian and a projection check, plus values and behaviour."""

from __future__ import annotations

import pathlib

import numpy as np
import pytest

from luatorch.runtime import LuaError, Runtime

CHECKS = pathlib.Path(__file__).with_name("layer_checks.lua")
TYPES = ["torch.DoubleTensor", "torch.FloatTensor"]
TOL = {"torch.DoubleTensor": 1e-5, "torch.FloatTensor": 1e-2}


@pytest.fixture(scope="module")
def rt() -> Runtime:
    r = Runtime()
    r.execute(CHECKS.read_text(), name="@" + str(CHECKS))
    return r


def arr(rt: Runtime, expr: str) -> np.ndarray:
    h = rt.eval(f"torch._handle({expr})")
    return np.array(h.a, copy=True) if h.size else np.zeros(0)


# (id, module, input, options): modules with a tensor input and a tensor output, checked with
# nn.Jacobian (input, then every parameter and its accUpdateGradParameters update)
R = "torch.randn"
JAC = [
    ("Linear", "nn.Linear(5, 3)", f"{R}(5)", "{}"),
    ("Linear-batch", "nn.Linear(5, 3)", f"{R}(4, 5)", "{}"),
    ("Linear-nobias", "nn.Linear(5, 3, false)", f"{R}(4, 5)", "{}"),
    ("CMul", "nn.CMul(5)", f"{R}(5)", "{}"),
    ("CMul-batch", "nn.CMul(5)", f"{R}(4, 5)", "{}"),
    ("CMul-spread", "nn.CMul(3, 1)", f"{R}(3, 4)", "{}"),
    ("Mul", "nn.Mul()", f"{R}(5)", "{}"),
    ("Mul-batch", "nn.Mul()", f"{R}(4, 5)", "{}"),
    ("CAdd", "nn.CAdd(5)", f"{R}(5)", "{}"),
    ("CAdd-batch", "nn.CAdd(5)", f"{R}(4, 5)", "{}"),
    ("CAdd-spread", "nn.CAdd(3, 1)", f"{R}(3, 4)", "{}"),
    ("Add", "nn.Add(5)", f"{R}(5)", "{}"),
    ("Add-batch", "nn.Add(5)", f"{R}(4, 5)", "{}"),
    ("Add-scalar", "nn.Add(5, true)", f"{R}(4, 5)", "{}"),
    ("Euclidean", "nn.Euclidean(5, 3)", f"{R}(5)", "{}"),
    ("Euclidean-batch", "nn.Euclidean(5, 3)", f"{R}(4, 5)", "{}"),
    ("WeightedEuclidean", "nn.WeightedEuclidean(5, 3)", f"{R}(5)", "{}"),
    ("WeightedEuclidean-batch", "nn.WeightedEuclidean(5, 3)", f"{R}(4, 5)", "{}"),
    ("Cosine", "nn.Cosine(5, 3)", f"{R}(5)", "{}"),
    ("Cosine-batch", "nn.Cosine(5, 3)", f"{R}(4, 5)", "{}"),
    ("Maxout", "nn.Maxout(5, 3, 2)", f"{R}(5)", "{}"),
    ("Maxout-batch", "nn.Maxout(5, 3, 2)", f"{R}(4, 5)", "{}"),
    ("Identity", "nn.Identity()", f"{R}(4, 5)", "{}"),
    ("Copy", "nn.Copy(nil, nil, true)", f"{R}(4, 5)", "{}"),
    ("Constant", "nn.Constant(torch.Tensor{1, 2})", f"{R}(5)", "{}"),
    ("Constant-batch", "nn.Constant(torch.Tensor{1, 2}, 1)", f"{R}(4, 5)", "{}"),
    ("Reshape", "nn.Reshape(2, 3)", f"{R}(6)", "{}"),
    ("Reshape-batch", "nn.Reshape(2, 3)", f"{R}(4, 6)", "{}"),
    ("View", "nn.View(3, 2)", f"{R}(2, 3)", "{}"),
    ("View-batch", "nn.View(-1):setNumInputDims(2)", f"{R}(4, 2, 3)", "{}"),
    # Replicate gives a view with stride 0, which Contiguous copies
    ("Contiguous", "nn.Sequential():add(nn.Replicate(2, 2)):add(nn.Contiguous())", f"{R}(4, 5)",
     "{}"),
    ("Select", "nn.Select(1, 2)", f"{R}(4, 3)", "{}"),
    ("Select-neg", "nn.Select(-1, -1)", f"{R}(2, 4, 3)", "{}"),
    ("Narrow", "nn.Narrow(1, 2, 3)", f"{R}(5)", "{}"),
    ("Narrow-neg", "nn.Narrow(2, 2, -2)", f"{R}(4, 5)", "{}"),
    ("Squeeze", "nn.Squeeze()", f"{R}(4, 1, 3)", "{}"),
    ("Squeeze-batch", "nn.Squeeze(1, 2)", f"{R}(1, 1, 3)", "{}"),
    ("Unsqueeze", "nn.Unsqueeze(2)", f"{R}(4, 3)", "{}"),
    ("Unsqueeze-batch", "nn.Unsqueeze(1, 1)", f"{R}(4, 3)", "{}"),
    ("Replicate", "nn.Replicate(3)", f"{R}(5)", "{}"),
    ("Replicate-batch", "nn.Replicate(3, 1, 1)", f"{R}(4, 5)", "{}"),
    ("Transpose", "nn.Transpose({1, 2})", f"{R}(4, 3)", "{}"),
    ("Transpose-batch", "nn.Transpose({1, 2}, {1, 3}):setNumInputDims(3)",
     f"{R}(2, 3, 4, 5)", "{}"),
    ("Padding", "nn.Padding(1, 2)", f"{R}(3)", "{}"),
    ("Padding-batch", "nn.Padding(1, -2, 1, -1, 2)", f"{R}(2, 3)", "{}"),
    ("Max", "nn.Max(1)", f"{R}(5)", "{}"),
    ("Max-batch", "nn.Max(1, 1)", f"{R}(4, 5)", "{}"),
    ("Min", "nn.Min(1)", f"{R}(5)", "{}"),
    ("Min-batch", "nn.Min(2)", f"{R}(4, 5)", "{}"),
    ("Sum", "nn.Sum(1)", f"{R}(5)", "{}"),
    ("Sum-batch", "nn.Sum(1, 1)", f"{R}(4, 5)", "{}"),
    ("Sum-average", "nn.Sum(2, nil, true)", f"{R}(4, 5)", "{}"),
    ("Mean", "nn.Mean(1)", f"{R}(5)", "{}"),
    ("Mean-batch", "nn.Mean(-1)", f"{R}(4, 5)", "{}"),
    ("Exp", "nn.Exp()", f"{R}(5)", "{}"),
    ("Exp-batch", "nn.Exp()", f"{R}(4, 5)", "{}"),
    ("Log", "nn.Log()", f"{R}(4, 5)", "{min = 0.5, max = 2}"),
    ("Square", "nn.Square()", f"{R}(4, 5)", "{}"),
    ("Sqrt", "nn.Sqrt()", f"{R}(4, 5)", "{min = 0.5, max = 2}"),
    ("Power", "nn.Power(3)", f"{R}(4, 5)", "{}"),
    ("Power-frac", "nn.Power(1.5)", f"{R}(5)", "{min = 0.5, max = 2}"),
    ("Abs", "nn.Abs()", f"{R}(4, 5)", "{}"),
    ("Clamp", "nn.Clamp(-0.5, 0.5)", f"{R}(4, 5)", "{}"),
    ("AddConstant", "nn.AddConstant(3)", f"{R}(4, 5)", "{}"),
    ("AddConstant-vector", "nn.AddConstant(torch.Tensor{1, 2, 3, 4, 5})", f"{R}(4, 5)", "{}"),
    ("MulConstant", "nn.MulConstant(-2.5)", f"{R}(4, 5)", "{}"),
    ("Dropout-evaluate", "nn.Dropout(0.3, true):evaluate()", f"{R}(4, 5)", "{}"),
]


def _jac_module(ctor: str) -> str:
    # some constructors return nil from a chained call (evaluate): keep the module
    if ctor.endswith(":evaluate()"):
        return f"(function() local m = {ctor[:-len(':evaluate()')]}; m:evaluate(); return m end)()"
    return ctor


@pytest.mark.parametrize("ttype", TYPES, ids=["Double", "Float"])
@pytest.mark.parametrize("name,ctor,x,opts", JAC, ids=[c[0] for c in JAC])
def test_jacobian(rt: Runtime, name: str, ctor: str, x: str, opts: str, ttype: str) -> None:
    err, where = rt.execute(f"torch.manualSeed(3) return jaccheck({_jac_module(ctor)}, {x}, "
                            f"'{ttype}', {opts})")
    assert err < TOL[ttype], f"{name} ({ttype}): error {err} at {where}"


# (id, module, input, options): table inputs or outputs, checked by projection
P = "torch.randn"
PROJ = [
    ("Bilinear", "nn.Bilinear(3, 4, 2)", f"{{{P}(5, 3), {P}(5, 4)}}", "{}"),
    ("Bilinear-nobias", "nn.Bilinear(3, 4, 2, false)", f"{{{P}(5, 3), {P}(5, 4)}}", "{}"),
    ("PartialLinear", "nn.PartialLinear(5, 4)", f"{P}(3, 5)", "{}"),
    ("PartialLinear-partition",
     "(function() local m = nn.PartialLinear(5, 4); m:setPartition(torch.Tensor{1, 3}); "
     "return m end)()", f"{P}(3, 5)", "{}"),
    # the (index, value) input of SparseLinear: parameters only (its gradInput: test_sparse_linear)
    ("SparseLinear", "nn.SparseLinear(10, 3)", "torch.Tensor{{1, 0.5}, {4, -1}, {10, 2}}",
     "{skip = {true}}"),
    ("SparseLinear-batch", "nn.SparseLinear(10, 3)",
     "{torch.Tensor{{1, 0.5}, {4, -1}, {10, 2}}, torch.Tensor{{2, 1}, {4, 3}}}",
     "{skip = {true, true}}"),
    ("LookupTable", "nn.LookupTable(10, 3)", "torch.LongTensor{1, 3, 3, 7}", "{skip = {true}}"),
    ("LookupTable-batch", "nn.LookupTable(10, 3)", "torch.LongTensor{{1, 3}, {3, 7}}",
     "{skip = {true}}"),
    ("MM", "nn.MM()", f"{{{P}(3, 4), {P}(4, 2)}}", "{}"),
    ("MM-trans", "nn.MM(true, false)", f"{{{P}(4, 3), {P}(4, 2)}}", "{}"),
    ("MM-batch", "nn.MM(true, true)", f"{{{P}(2, 4, 3), {P}(2, 2, 4)}}", "{}"),
    ("MV", "nn.MV()", f"{{{P}(3, 4), {P}(4)}}", "{}"),
    ("MV-trans", "nn.MV(true)", f"{{{P}(4, 3), {P}(4)}}", "{}"),
    ("MV-batch", "nn.MV()", f"{{{P}(2, 3, 4), {P}(2, 4)}}", "{}"),
    ("MV-batch-trans", "nn.MV(true)", f"{{{P}(2, 4, 3), {P}(2, 4)}}", "{}"),
    ("Index", "nn.Index(1)", f"{{{P}(5, 3), torch.LongTensor{{2, 4, 2}}}}",
     "{skip = {[2] = true}}"),
    ("MaskedSelect", "nn.MaskedSelect()",
     f"{{{P}(3, 4), torch.ByteTensor{{{{1, 0, 1, 1}}, {{0, 0, 1, 0}}, {{1, 1, 1, 0}}}}}}",
     "{skip = {[2] = true}}"),
    ("SplitTable", "nn.SplitTable(2)", f"{P}(4, 3)", "{}"),
    ("SplitTable-batch", "nn.SplitTable(1, 1)", f"{P}(4, 3)", "{}"),
    ("JoinTable", "nn.JoinTable(1)", f"{{{P}(3), {P}(2)}}", "{}"),
    ("JoinTable-batch", "nn.JoinTable(1, 1)", f"{{{P}(4, 3), {P}(4, 2)}}", "{}"),
    ("JoinTable-neg", "nn.JoinTable(-1)", f"{{{P}(4, 3), {P}(4, 2)}}", "{}"),
    ("SelectTable", "nn.SelectTable(2)", f"{{{P}(4, 3), {P}(4, 2)}}", "{}"),
    ("SelectTable-nested", "nn.SelectTable(-1)", f"{{{P}(4, 3), {{{P}(4, 2), {P}(1)}}}}", "{}"),
    ("NarrowTable", "nn.NarrowTable(2, 2)", f"{{{P}(4, 3), {P}(4, 2), {P}(3), {P}(2)}}", "{}"),
    ("FlattenTable", "nn.FlattenTable()", f"{{{P}(2), {{{P}(3), {{{P}(1), {P}(2)}}}}, {P}(2)}}",
     "{}"),
    ("MixtureTable", "nn.MixtureTable()", f"{{{P}(4, 3), {{{P}(4, 2), {P}(4, 2), {P}(4, 2)}}}}",
     "{}"),
    ("MixtureTable-tensor", "nn.MixtureTable()", f"{{{P}(4, 3), {P}(4, 3, 2)}}", "{}"),
    ("MixtureTable-vector", "nn.MixtureTable()", f"{{{P}(3), {{{P}(2), {P}(2), {P}(2)}}}}", "{}"),
    ("ZipTable", "nn.ZipTable()", f"{{{{{P}(2), {P}(3)}}, {{{P}(4), {P}(1)}}}}", "{}"),
    ("CAddTable", "nn.CAddTable()", f"{{{P}(4, 3), {P}(4, 3), {P}(4, 3)}}", "{}"),
    ("CAddTable-vector", "nn.CAddTable()", f"{{{P}(3), {P}(3)}}", "{}"),
    ("CSubTable", "nn.CSubTable()", f"{{{P}(4, 3), {P}(4, 3)}}", "{}"),
    ("CMulTable", "nn.CMulTable()", f"{{{P}(4, 3), {P}(4, 3), {P}(4, 3)}}", "{}"),
    ("CDivTable", "nn.CDivTable()", f"{{{P}(4, 3), torch.rand(4, 3):add(0.5)}}", "{}"),
    ("CMaxTable", "nn.CMaxTable()", f"{{{P}(4, 3), {P}(4, 3), {P}(4, 3)}}", "{}"),
    ("CMinTable", "nn.CMinTable()", f"{{{P}(3), {P}(3)}}", "{}"),
    ("PairwiseDistance", "nn.PairwiseDistance(2)", f"{{{P}(3), {P}(3)}}", "{}"),
    ("PairwiseDistance-batch", "nn.PairwiseDistance(2)", f"{{{P}(4, 3), {P}(4, 3)}}", "{}"),
    ("PairwiseDistance-p1", "nn.PairwiseDistance(1)", f"{{{P}(4, 3), {P}(4, 3)}}", "{}"),
    ("PairwiseDistance-p3", "nn.PairwiseDistance(3)", f"{{{P}(4, 3), {P}(4, 3)}}", "{}"),
    ("DotProduct", "nn.DotProduct()", f"{{{P}(3), {P}(3)}}", "{}"),
    ("DotProduct-batch", "nn.DotProduct()", f"{{{P}(4, 3), {P}(4, 3)}}", "{}"),
    ("CosineDistance", "nn.CosineDistance()", f"{{{P}(3), {P}(3)}}", "{}"),
    ("CosineDistance-batch", "nn.CosineDistance()", f"{{{P}(4, 3), {P}(4, 3)}}", "{}"),
    ("CriterionTable", "nn.CriterionTable(nn.MSECriterion())", f"{{{P}(4, 3), {P}(4, 3)}}",
     "{skip = {[2] = true}}"),
]


@pytest.mark.parametrize("ttype", TYPES, ids=["Double", "Float"])
@pytest.mark.parametrize("name,ctor,x,opts", PROJ, ids=[c[0] for c in PROJ])
def test_projection(rt: Runtime, name: str, ctor: str, x: str, opts: str, ttype: str) -> None:
    err, where = rt.execute(f"torch.manualSeed(5) return projcheck({ctor}, {x}, '{ttype}', "
                            f"{opts})")
    assert err < TOL[ttype], f"{name} ({ttype}): error {err} at {where}"


# -- nn.Linear ------------------------------------------------------------------------------------
def test_linear_torch7_seed(rt: Runtime) -> None:
    rt.execute("torch.manualSeed(7) _l = nn.Linear(3, 2)")
    np.testing.assert_allclose(arr(rt, "_l.weight")[0],
                               [-0.489237044289814, -0.314841716953753, 0.323222384079194],
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(arr(rt, "_l.bias"), [0.258035363414462, -0.051286131023956],
                               rtol=0, atol=1e-12)


def test_linear_values_and_accumulation(rt: Runtime) -> None:
    rt.execute("""
       torch.manualSeed(1)
       _l = nn.Linear(4, 3)
       _x = torch.randn(5, 4)
       _g = torch.randn(5, 3)
       _l:zeroGradParameters()
       _l:forward(_x)
       _l:backward(_x, _g)
       _l:backward(_x, _g, 0.5)
    """)
    w, b = arr(rt, "_l.weight"), arr(rt, "_l.bias")
    x, g = arr(rt, "_x"), arr(rt, "_g")
    np.testing.assert_allclose(arr(rt, "_l.output"), x @ w.T + b, rtol=1e-12)
    np.testing.assert_allclose(arr(rt, "_l.gradInput"), g @ w, rtol=1e-12)
    # accGradParameters accumulates (scale 1 then 0.5)
    np.testing.assert_allclose(arr(rt, "_l.gradWeight"), 1.5 * g.T @ x, rtol=1e-12)
    np.testing.assert_allclose(arr(rt, "_l.gradBias"), 1.5 * g.sum(0), rtol=1e-12)
    # a vector input gives a vector output
    rt.execute("_v = _l:forward(_x[2])")
    np.testing.assert_allclose(arr(rt, "_v"), x[1] @ w.T + b, rtol=1e-12)
    # updateParameters
    rt.execute("_l:updateParameters(0.1)")
    np.testing.assert_allclose(arr(rt, "_l.weight"), w - 0.1 * 1.5 * g.T @ x, rtol=1e-12)


def test_linear_float_and_printing(rt: Runtime) -> None:
    rt.execute("_lf = nn.Linear(100, 10):float() _of = _lf:forward(torch.FloatTensor(2, 100))")
    assert rt.eval("torch.type(_of)") == "torch.FloatTensor"
    assert rt.eval("tostring(nn.Linear(100, 10))") == "nn.Linear(100 -> 10)"
    assert rt.eval("tostring(nn.Linear(3, 2, false))") == "nn.Linear(3 -> 2) without bias"
    assert rt.eval("nn.Linear(3, 2):noBias().bias") is None


def test_linear_errors(rt: Runtime) -> None:
    with pytest.raises(LuaError) as e:
        rt.execute("nn.Linear(3, 2):forward(torch.randn(4, 5))", name="@user.lua")
    assert e.value.message == "user.lua:1: size mismatch, m1: [4 x 5], m2: [3 x 2]"
    with pytest.raises(LuaError) as e:
        rt.execute("nn.Linear(3, 2):forward(torch.randn(2, 2, 3))", name="@user.lua")
    assert "input must be vector or matrix" in e.value.message
    with pytest.raises(LuaError) as e:
        rt.execute("nn.Linear(3, 2):forward(torch.FloatTensor(3))", name="@user.lua")
    assert "torch.FloatTensor" in e.value.message


# -- layers with behaviour of their own ------------------------------------------------------------
def test_dropout(rt: Runtime) -> None:
    rt.execute("""
       torch.manualSeed(2)
       _d = nn.Dropout(0.4)
       _x = torch.ones(200, 50)
       _y = _d:forward(_x):clone()
       _gi = _d:backward(_x, torch.ones(200, 50)):clone()
    """)
    y, gi = arr(rt, "_y"), arr(rt, "_gi")
    kept = y != 0
    assert abs(kept.mean() - 0.6) < 0.02
    np.testing.assert_allclose(y[kept], 1 / 0.6)
    np.testing.assert_array_equal(gi, y)
    rt.execute("_d:evaluate() _e = _d:forward(_x)")
    np.testing.assert_array_equal(arr(rt, "_e"), 1)
    rt.execute("_d1 = nn.Dropout(0.4, true) _d1:evaluate() _e1 = _d1:forward(_x)")
    np.testing.assert_allclose(arr(rt, "_e1"), 0.6)
    assert rt.eval("tostring(nn.Dropout(0.25))") == "nn.Dropout(0.250000)"
    rt.execute("_dz = nn.Dropout(0):forward(_x)")
    np.testing.assert_array_equal(arr(rt, "_dz"), 1)


def test_whitenoise(rt: Runtime) -> None:
    rt.execute("""
       torch.manualSeed(2)
       _w = nn.WhiteNoise(0.5, 0.1)
       _x = torch.zeros(100, 100)
       _y = _w:forward(_x):clone()
       _gi = _w:backward(_x, torch.ones(100, 100))
    """)
    y = arr(rt, "_y")
    assert abs(y.mean() - 0.5) < 0.01 and abs(y.std() - 0.1) < 0.01
    np.testing.assert_array_equal(arr(rt, "_gi"), 1)
    rt.execute("_w:evaluate() _e = _w:forward(_x)")
    np.testing.assert_allclose(arr(rt, "_e"), 0.5)
    assert rt.eval("tostring(nn.WhiteNoise())") == "nn.WhiteNoise mean: 0.000000, std: 0.100000"


def test_onehot(rt: Runtime) -> None:
    rt.execute("_o = nn.OneHot(4) _y = _o:forward(torch.Tensor{{1, 4}, {2, 2}})")
    y = arr(rt, "_y")
    assert y.shape == (2, 2, 4)
    np.testing.assert_array_equal(y.argmax(-1), [[0, 3], [1, 1]])
    np.testing.assert_array_equal(y.sum(-1), 1)
    rt.execute("_g = _o:backward(torch.Tensor{{1, 4}, {2, 2}}, torch.ones(2, 2, 4))")
    np.testing.assert_array_equal(arr(rt, "_g"), 0)
    np.testing.assert_array_equal(arr(rt, "nn.OneHot(3):forward(2)"), [0, 1, 0])


def test_l1penalty_zerograd_gradientreversal(rt: Runtime) -> None:
    rt.execute("""
       _x = torch.Tensor{-2, 0.5, 3, -1}
       _g = torch.Tensor{1, 2, 3, 4}
       _p = nn.L1Penalty(0.1)
       _py = _p:forward(_x)
       _pg = _p:backward(_x, _g)
       _pa = nn.L1Penalty(0.1, true):forward(_x)
       _z = nn.ZeroGrad()
       _zy = _z:forward(_x)
       _zg = _z:backward(_x, _g)
       _r = nn.GradientReversal(0.5)
       _ry = _r:forward(_x)
       _rg = _r:backward(_x, _g):clone()
       _r:setLambda(2)
       _rg2 = _r:backward(_x, _g)
    """)
    x, g = arr(rt, "_x"), arr(rt, "_g")
    np.testing.assert_array_equal(arr(rt, "_py"), x)
    assert rt.eval("_p.loss") == pytest.approx(0.1 * np.abs(x).sum())
    np.testing.assert_allclose(arr(rt, "_pg"), g + 0.1 * np.sign(x))
    np.testing.assert_array_equal(arr(rt, "_zy"), x)
    np.testing.assert_array_equal(arr(rt, "_zg"), 0)
    np.testing.assert_array_equal(arr(rt, "_ry"), x)
    np.testing.assert_allclose(arr(rt, "_rg"), -0.5 * g)
    np.testing.assert_allclose(arr(rt, "_rg2"), -2 * g)


def test_printsize(rt: Runtime, capfd: pytest.CaptureFixture) -> None:
    rt.execute("_ps = nn.PrintSize('here') _psy = _ps:forward(torch.zeros(2, 3)) "
               "_ps:backward(torch.zeros(2, 3), torch.ones(2, 3))")
    out = capfd.readouterr().out
    assert "here:input" in out and "here:gradOutput" in out
    np.testing.assert_array_equal(arr(rt, "_psy"), 0)


def test_copy_and_contiguous(rt: Runtime) -> None:
    rt.execute("""
       _c = nn.Copy('torch.DoubleTensor', 'torch.FloatTensor')
       _cy = _c:forward(torch.Tensor{1, 2})
       _cg = _c:backward(torch.Tensor{1, 2}, torch.FloatTensor{3, 4})
       _same = nn.Copy()
       _sx = torch.Tensor{1, 2}
       _sy = _same:forward(_sx)
       _t = torch.randn(3, 4):t()
       _ct = nn.Contiguous():forward(_t)
    """)
    assert rt.eval("torch.type(_cy)") == "torch.FloatTensor"
    assert rt.eval("torch.type(_cg)") == "torch.DoubleTensor"
    assert rt.eval("_sy:isSetTo(_sx)")
    assert rt.eval("_ct:isContiguous()")
    np.testing.assert_array_equal(arr(rt, "_ct"), arr(rt, "_t"))


def test_view_reshape_values(rt: Runtime) -> None:
    rt.execute("_x = torch.range(1, 16):view(4, 4)")
    np.testing.assert_array_equal(arr(rt, "nn.Reshape(2, 8):forward(_x)"),
                                  np.arange(1, 17).reshape(2, 8))
    np.testing.assert_array_equal(arr(rt, "nn.View(8, 2):forward(_x)"),
                                  np.arange(1, 17).reshape(8, 2))
    assert arr(rt, "nn.Reshape(4):forward(torch.zeros(1, 4))").shape == (1, 4)
    assert arr(rt, "nn.Reshape(4, false):forward(torch.zeros(1, 4))").shape == (4,)
    assert arr(rt, "nn.View(-1):setNumInputDims(2):forward(torch.zeros(5, 2, 3))").shape \
        == (5, 6)
    assert arr(rt, "nn.View(-1):setNumInputDims(2):forward(torch.zeros(2, 3))").shape == (6,)
    assert rt.eval("tostring(nn.Reshape(2, 8))") == "nn.Reshape(2x8)"
    assert rt.eval("tostring(nn.View(2, 8))") == "nn.View(2, 8)"


def test_narrow_padding_replicate_values(rt: Runtime) -> None:
    rt.execute("_x = torch.range(1, 20):view(4, 5)")
    x = np.arange(1, 21, dtype=float).reshape(4, 5)
    np.testing.assert_array_equal(arr(rt, "nn.Narrow(1, 2, -1):forward(_x)"), x[1:])
    np.testing.assert_array_equal(arr(rt, "nn.Narrow(1, 2, -2):forward(_x)"), x[1:3])
    np.testing.assert_array_equal(arr(rt, "nn.Narrow(2, 2, 3):forward(_x)"), x[:, 1:4])
    p = arr(rt, "nn.Padding(1, -2, 1, -1, 2):forward(torch.Tensor{{1, 2, 3}, {4, 5, 6}})")
    np.testing.assert_array_equal(p, [[1, -1, -1, 2, 3], [4, -1, -1, 5, 6]])
    p = arr(rt, "nn.Padding(1, 2, 1, -1):forward(torch.Tensor{1, 2, 3})")
    np.testing.assert_array_equal(p, [1, 2, 3, -1, -1])
    rt.execute("_rx = torch.Tensor{1, 2, 3} _ro = nn.Replicate(2):forward(_rx) _rx:fill(7)")
    np.testing.assert_array_equal(arr(rt, "_ro"), 7)
    assert rt.eval("_ro:stride(1)") == 0


def test_max_min_sum_values(rt: Runtime) -> None:
    rt.execute("_x = torch.Tensor{{1, 5, 2}, {7, 0, 3}}")
    np.testing.assert_array_equal(arr(rt, "nn.Max(2):forward(_x)"), [5, 7])
    np.testing.assert_array_equal(arr(rt, "nn.Min(1):forward(_x)"), [1, 0, 2])
    np.testing.assert_array_equal(arr(rt, "nn.Max(1, 1):forward(_x)"), [5, 7])
    np.testing.assert_array_equal(arr(rt, "nn.Sum(1):forward(_x)"), [8, 5, 5])
    np.testing.assert_array_equal(arr(rt, "nn.Mean(2):forward(_x)"), [8 / 3, 10 / 3])
    assert arr(rt, "nn.Sum(2, nil, false, false):forward(_x)").shape == (2, 1)


def test_sparse_linear(rt: Runtime) -> None:
    rt.execute("""
       torch.manualSeed(4)
       _s = nn.SparseLinear(10, 3, true)
       _x = torch.Tensor{{1, 0.5}, {4, -1}, {10, 2}}
       _y = _s:forward(_x):clone()
       _dense = torch.zeros(10) _dense[1] = 0.5 _dense[4] = -1 _dense[10] = 2
       _g = torch.Tensor{1, -2, 0.5}
       _s:zeroGradParameters()
       _gi = _s:backward(_x, _g)
       _xb = {_x, torch.Tensor{{2, 1}}}
       _yb = _s:forward(_xb)
    """)
    w, b = arr(rt, "_s.weight"), arr(rt, "_s.bias")
    dense, g = arr(rt, "_dense"), arr(rt, "_g")
    np.testing.assert_allclose(arr(rt, "_y"), w @ dense + b)
    np.testing.assert_allclose(arr(rt, "_s.gradWeight"), np.outer(g, dense))
    np.testing.assert_allclose(arr(rt, "_s.gradBias"), g)
    gi = arr(rt, "_gi[1]")  # Torch7's format: dense, every index, in a one-sample table
    np.testing.assert_array_equal(gi[:, 0], np.arange(1, 11))
    np.testing.assert_allclose(gi[:, 1], w.T @ g)
    yb = arr(rt, "_yb")
    np.testing.assert_allclose(yb[0], w @ dense + b)
    np.testing.assert_allclose(yb[1], w[:, 1] + b)


def test_lookup_table_options(rt: Runtime) -> None:
    rt.execute("""
       torch.manualSeed(4)
       _lt = nn.LookupTable(6, 3, 2):scaleGradByFreq()
       _i = torch.LongTensor{1, 2, 3, 3, 3}
       _lt:zeroGradParameters()
       _lt:forward(_i)
       _lt:backward(_i, torch.ones(5, 3))
       _ln = nn.LookupTable(4, 3, 0, 1)
       _ln.weight:fill(2)
       _ly = _ln:forward(torch.LongTensor{2, 2, 4})
    """)
    gw = arr(rt, "_lt.gradWeight")
    np.testing.assert_allclose(gw[0], 1)       # once
    np.testing.assert_allclose(gw[1], 0)       # the padding index
    np.testing.assert_allclose(gw[2], 1)       # three times, scaled by 1/3 each
    np.testing.assert_allclose(gw[3:], 0)
    wn = arr(rt, "_ln.weight")
    np.testing.assert_allclose(np.linalg.norm(wn[1]), 1, rtol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(wn[3]), 1, rtol=1e-6)
    np.testing.assert_allclose(wn[0], 2)
    assert arr(rt, "nn.LookupTable(5, 2):forward(torch.LongTensor{{1, 2, 3}, {4, 5, 1}})") \
        .shape == (2, 3, 2)


def test_bilinear_values(rt: Runtime) -> None:
    rt.execute("torch.manualSeed(4) _b = nn.Bilinear(3, 4, 2) "
               "_x1 = torch.randn(5, 3) _x2 = torch.randn(5, 4) _y = _b:forward({_x1, _x2})")
    w, b = arr(rt, "_b.weight"), arr(rt, "_b.bias")
    x1, x2 = arr(rt, "_x1"), arr(rt, "_x2")
    np.testing.assert_allclose(arr(rt, "_y"), np.einsum("ni,kij,nj->nk", x1, w, x2) + b)
    assert rt.eval("tostring(_b)") == "nn.Bilinear(3x4 -> 2) "


def test_partial_linear_matches_linear(rt: Runtime) -> None:
    rt.execute("""
       torch.manualSeed(4)
       _pl = nn.PartialLinear(5, 4)
       _pl.bias:copy(torch.randn(1, 4))
       _x = torch.randn(3, 5)
       _full = _pl:forward(_x):clone()
       _pl:setPartition(torch.Tensor{2, 4})
       _part = _pl:forward(_x):clone()
    """)
    w = arr(rt, "_pl.network:get(1):get(2).weight")
    b = arr(rt, "_pl.bias")[0]
    x = arr(rt, "_x")
    np.testing.assert_allclose(arr(rt, "_full"), x @ w.T + b)
    np.testing.assert_allclose(arr(rt, "_part"), (x @ w.T + b)[:, [1, 3]])


def test_inplace_constants_restore_input(rt: Runtime) -> None:
    rt.execute("""
       _x = torch.Tensor{1, 2, 3}
       _a = nn.AddConstant(5, true)
       _ay = _a:forward(_x):clone()
       _ag = _a:backward(_x, torch.ones(3))
       _m = nn.MulConstant(2, true)
       _my = _m:forward(_x):clone()
       _mg = _m:backward(_x, torch.ones(3))
    """)
    np.testing.assert_array_equal(arr(rt, "_ay"), [6, 7, 8])
    np.testing.assert_array_equal(arr(rt, "_my"), [2, 4, 6])
    np.testing.assert_array_equal(arr(rt, "_x"), [1, 2, 3])
    np.testing.assert_array_equal(arr(rt, "_mg"), [2, 2, 2])


def test_jacobian_helpers(rt: Runtime) -> None:
    rt.execute("""
       torch.manualSeed(6)
       _m = nn.Linear(3, 2)
       _x = torch.randn(3)
       _jf = nn.Jacobian.forward(_m, _x)
       _jb = nn.Jacobian.backward(_m, _x)
       _e1, _e2 = nn.Jacobian.testIO(_m, _x)
       _errs = nn.Jacobian.testAllUpdate(nn.Linear(3, 2), torch.randn(3), 'weight', 'gradWeight')
    """)
    w = arr(rt, "_m.weight")
    np.testing.assert_allclose(arr(rt, "_jf"), w.T, atol=1e-8)
    np.testing.assert_allclose(arr(rt, "_jb"), w.T, atol=1e-12)
    assert rt.eval("_e1") == 0 and rt.eval("_e2") == 0
    errs = rt.eval("_errs")
    for k in ("accGradParameters", "accUpdateGradParameters", "accGradParameters [shared]",
              "accUpdateGradParameters [shared]"):
        assert errs[k] < 1e-10, k
    # a module with a wrong gradient is caught
    rt.execute("""
       local Bad, parent = torch.class('nn.BadSquare', 'nn.Module')
       function Bad:updateOutput(x) return self.output:cmul(x, x) end
       function Bad:updateGradInput(x, g) return self.gradInput:cmul(x, g) end
    """)
    assert rt.eval("nn.Jacobian.testJacobian(nn.BadSquare(), torch.randn(4))") > 0.1


def test_stochastic_gradient(rt: Runtime, capfd: pytest.CaptureFixture) -> None:
    rt.execute("""
       torch.manualSeed(1)
       _data = {}
       function _data:size() return 40 end
       for i = 1, 40 do
          local x = torch.randn(3)
          _data[i] = {x, torch.Tensor{2 * x[1] - x[2] + 0.5 * x[3] + 1}}
       end
       _mlp = nn.Linear(3, 1)
       _trainer = nn.StochasticGradient(_mlp, nn.MSECriterion())
       _trainer.learningRate = 0.05
       _trainer.maxIteration = 30
       _iters = 0
       _trainer.hookIteration = function(self, it) _iters = it end
       _trainer:train(_data)
    """)
    out = capfd.readouterr().out
    assert "# StochasticGradient: training" in out
    assert "# StochasticGradient: you have reached the maximum number of iterations" in out
    errors = [float(line.split("=")[1]) for line in out.splitlines()
              if line.startswith("# current error")]
    assert len(errors) == 30 and errors[-1] < 1e-3 < errors[0]
    assert rt.eval("_iters") == 30
    np.testing.assert_allclose(arr(rt, "_mlp.weight")[0], [2, -1, 0.5], atol=0.02)
