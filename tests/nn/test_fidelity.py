"""Departures of existing nn modules from Torch7 that its own test suite (torch/nn test.lua) and
real .t7 files exposed (issue 11): each test fails on the behaviour before the fix."""

from __future__ import annotations

import os

import numpy as np
import pytest

from luatorch.runtime import Runtime

from .gradcheck import check_criterion, check_module, get, load_nn, lua_error, put


@pytest.fixture(scope="module")
def nnrt() -> Runtime:
    return load_nn(Runtime())


# -- BatchNormalization: one sample in evaluation, a batch of one in training -------------------
BN_SHAPES = [("BatchNormalization", (1, 3)), ("SpatialBatchNormalization", (1, 3, 2, 2)),
             ("VolumetricBatchNormalization", (1, 3, 2, 2, 2))]


@pytest.mark.parametrize("name,shape", BN_SHAPES)
def test_bn_batch_of_one_in_training_uses_running_stats(nnrt: Runtime, name: str,
                                                        shape: tuple) -> None:
    x = np.random.default_rng(0).standard_normal(shape)
    put(nnrt, "_x", x)
    nnrt.execute(f"_m = nn.{name}(3); _m.weight:fill(2); _m.bias:fill(0.5)"
                 "; _m.running_mean:fill(0.25); _m.running_var:fill(4)"
                 "; _o = _m:forward(_x); _gi = _m:backward(_x, _o)")
    np.testing.assert_array_equal(get(nnrt, "_m.running_mean"), [0.25] * 3)
    np.testing.assert_array_equal(get(nnrt, "_m.running_var"), [4.0] * 3)
    np.testing.assert_allclose(get(nnrt, "_o"), (x - 0.25) / np.sqrt(4 + 1e-5) * 2 + 0.5)
    check_module(nnrt, f"nn.{name}(3)", x, params=[("weight", "gradWeight")])


@pytest.mark.parametrize("name,shape", BN_SHAPES)
def test_bn_one_sample_in_evaluation_is_a_batch_of_one(nnrt: Runtime, name: str,
                                                       shape: tuple) -> None:
    x = np.random.default_rng(1).standard_normal(shape)
    put(nnrt, "_x", x)
    nnrt.execute(f"_m = nn.{name}(3); _m:evaluate(); _m.running_mean:fill(0.25)"
                 "; _b = _m:forward(_x):clone(); _o = _m:forward(_x[1])"
                 "; _gi = _m:backward(_x[1], _o)")
    assert nnrt.eval("_o:dim()") == len(shape)
    assert nnrt.eval("_x[1]:dim()") == len(shape) - 1
    np.testing.assert_array_equal(get(nnrt, "_o"), get(nnrt, "_b"))
    assert get(nnrt, "_gi").shape == shape
    check_module(nnrt, f"nn.{name}(3)", x[0], setup="_m:evaluate()")


# -- Module:share: a flag, so that shared models save and load -----------------------------------
def test_share_marks_shared_and_round_trips_through_t7(nnrt: Runtime, tmp_path) -> None:
    f = tmp_path / "shared.t7"
    nnrt.execute("_a = nn.Linear(3, 2); _b = nn.Linear(3, 2); _b:share(_a, 'weight', 'bias')"
                 "; _s = nn.Sequential():add(_a):add(_b)"
                 f"; torch.save('{f}', _s); _l = torch.load('{f}')")
    assert nnrt.eval("_a.shared == true and _b.shared == true")
    assert nnrt.eval("rawget(_b, 'accUpdateGradParameters') == nil")
    assert nnrt.eval("torch.pointer(_l:get(1).weight:storage())"
                     " == torch.pointer(_l:get(2).weight:storage())")
    # a shared module's update zeroes, accumulates and steps through its gradients (Linear
    # updates its weights directly either way)
    x = np.random.default_rng(2).standard_normal(3)
    put(nnrt, "_x", x)
    nnrt.execute("_a = nn.CMul(3); _b = nn.CMul(3); _b:share(_a, 'weight')"
                 "; _w0 = _a.weight:clone(); _b.gradWeight:fill(7); _b:forward(_x)"
                 "; _b:backwardUpdate(_x, torch.ones(3), 0.5)")
    np.testing.assert_allclose(get(nnrt, "_a.weight"), get(nnrt, "_w0") - 0.5 * x)
    np.testing.assert_allclose(get(nnrt, "_b.gradWeight"), x)


# -- ClassNLLCriterion: backward divides by the total weight of the last forward -----------------
XB = np.random.default_rng(3).standard_normal((4, 5))
TB = np.array([2, 5, 1, 2])


@pytest.mark.parametrize("ctor", ["nn.ClassNLLCriterion", "nn.CrossEntropyCriterion"])
def test_nll_backward_uses_stored_total_weight(nnrt: Runtime, ctor: str) -> None:
    put(nnrt, "_x", XB)
    put(nnrt, "_t", TB, "Long")
    put(nnrt, "_w", np.array([0.5, 1, 2, 3, 4]))
    put(nnrt, "_x2", XB[:2])
    put(nnrt, "_t2", TB[:2], "Long")
    # no forward yet: the total weight is Torch7's initial 1
    nnrt.execute(f"_c = {ctor}(_w); _g0 = _c:backward(_x, _t):clone()"
                 "; _c:forward(_x2, _t2); _g = _c:backward(_x, _t):clone()")
    w = np.array([0.5, 1, 2, 3, 4])
    rows = np.arange(4)
    nll = np.zeros((4, 5))
    nll[rows, TB - 1] = -w[TB - 1]
    if ctor == "nn.CrossEntropyCriterion":
        sm = np.exp(XB) / np.exp(XB).sum(1, keepdims=True)
        ref = sm * -nll.sum(1, keepdims=True) + nll
    else:
        ref = nll
    np.testing.assert_allclose(get(nnrt, "_g0"), ref)
    np.testing.assert_allclose(get(nnrt, "_g"), ref / w[TB[:2] - 1].sum())


def test_cross_entropy_sizeaverage_reaches_nll(nnrt: Runtime) -> None:
    put(nnrt, "_x", XB)
    put(nnrt, "_t", TB, "Long")
    nnrt.execute("_c = nn.CrossEntropyCriterion(); _c.sizeAverage = false; _l = _c:forward(_x, _t)"
                 "; _d = nn.CrossEntropyCriterion(); _d.nll.sizeAverage = false"
                 "; _m = _d:forward(_x, _t)")
    assert nnrt.eval("_c.nll.sizeAverage") is False
    assert nnrt.eval("_d.nll.sizeAverage") is False
    lsm = XB - np.log(np.exp(XB).sum(1, keepdims=True))
    want = -lsm[np.arange(4), TB - 1].sum()
    assert nnrt.eval("_l") == pytest.approx(want)
    assert nnrt.eval("_m") == pytest.approx(want)
    put(nnrt, "_w", np.array([0.5, 1, 2, 3, 4]))
    for sa in ("true", "false"):
        check_criterion(nnrt, f"(function() local c = nn.CrossEntropyCriterion(_w)"
                        f"; c.sizeAverage = {sa}; return c end)()", XB, TB, target_type="Long")
        check_criterion(nnrt, f"nn.ClassNLLCriterion(_w, {sa})", XB, TB, target_type="Long")


def test_spatial_nll_backward_uses_stored_total_weight(nnrt: Runtime) -> None:
    x = np.random.default_rng(4).standard_normal((2, 3, 2, 2))
    t = np.array([[[1, 2], [3, 1]], [[2, 2], [1, 3]]])
    put(nnrt, "_x", x)
    put(nnrt, "_t", t, "Long")
    put(nnrt, "_x1", x[:1])
    put(nnrt, "_t1", t[:1], "Long")
    nnrt.execute("_c = nn.SpatialClassNLLCriterion(); _g0 = _c:backward(_x, _t):clone()"
                 "; _c:forward(_x1, _t1); _g = _c:backward(_x, _t):clone()")
    ref = np.zeros_like(x)
    n, h, w = np.indices(t.shape)
    ref[n, t - 1, h, w] = -1
    np.testing.assert_array_equal(get(nnrt, "_g0"), ref)
    np.testing.assert_allclose(get(nnrt, "_g"), ref / 4)


# -- LogSoftMax: THNN's arithmetic in THNN's order ----------------------------------------------
FIXTURES = "/work/shared/fixtures/t7/real"


def _thnn_logsoftmax(a: np.ndarray, ax: int) -> np.ndarray:
    """THNN's loops written out: per (frame, position) the max, the sum of exp(x - max) left to
    right, then x - (max + log(sum))."""
    n, d = int(np.prod(a.shape[:ax])), a.shape[ax]
    a3 = a.reshape(n, d, -1)
    out = np.empty_like(a3)
    for i in range(n):
        for k in range(a3.shape[2]):
            col = a3[i, :, k]
            mx = col.max()
            s = 0.0
            for v in col:
                s += np.exp(v - mx)
            out[i, :, k] = col - (mx + np.log(s))
    return out.reshape(a.shape)


@pytest.mark.parametrize("shape", [(37,), (1, 50), (7, 300), (130, 10), (5, 4, 3), (3, 9, 2, 5)])
def test_logsoftmax_sums_in_thnn_order(nnrt: Runtime, shape: tuple) -> None:
    x = np.random.default_rng(5).standard_normal(shape) * 5
    put(nnrt, "_x", x)
    ax = 0 if len(shape) in (1, 3) else 1
    np.testing.assert_array_equal(get(nnrt, "nn.LogSoftMax():forward(_x)"),
                                  _thnn_logsoftmax(x, ax))


@pytest.mark.skipif(not os.path.isdir(FIXTURES), reason="Torch7 fixtures absent")
def test_logsoftmax_gives_torch7_outputs_of_a_real_model(nnrt: Runtime) -> None:
    nnrt.execute(f"_m = torch.load('{FIXTURES}/mlp.t7'); _io = torch.load('{FIXTURES}/mlp_io.t7')"
                 "; _o = _m:forward(_io.input)")
    # Bit-for-bit only where NumPy's BLAS sums the Linear layers in the order Torch7's did (NumPy
    # 2.3's OpenBLAS does, 2.4's differs in the last bit); LogSoftMax itself is bit-exact above.
    np.testing.assert_allclose(get(nnrt, "_o"), get(nnrt, "_io.output"), rtol=4e-16, atol=0)
    loss, _ = nnrt.eval("nn.ClassNLLCriterion():forward(_o, _io.target)")
    assert loss == pytest.approx(nnrt.eval("_io.loss"), rel=4e-16)


@pytest.mark.parametrize("ttype", ["Double", "Float"])
@pytest.mark.parametrize("shape", [(6,), (4, 6), (6, 2, 3), (2, 6, 2, 2)])
def test_logsoftmax_gradients(nnrt: Runtime, ttype: str, shape: tuple) -> None:
    check_module(nnrt, "nn.LogSoftMax()", np.random.default_rng(6).standard_normal(shape), ttype)


# -- CAdd / CMul: parameters with fewer dimensions than the (batch) input ------------------------
@pytest.mark.parametrize("ctor,p", [("nn.CAdd(5, 6)", ("bias", "gradBias")),
                                    ("nn.CMul(5, 6)", ("weight", "gradWeight"))])
def test_cadd_cmul_2d_parameters_on_a_3d_input(nnrt: Runtime, ctor: str, p: tuple) -> None:
    x = np.random.default_rng(7).standard_normal((4, 5, 6))
    check_module(nnrt, ctor, x, params=[p])
    put(nnrt, "_x", x)
    nnrt.execute(f"_m = {ctor}; _o = _m:forward(_x)")
    w = get(nnrt, f"_m.{p[0]}")
    want = x + w if p[0] == "bias" else x * w
    np.testing.assert_allclose(get(nnrt, "_o"), want)


# -- in-place transfer layers: backward reads the input, as THNN does ----------------------------
@pytest.mark.parametrize("plain,inplace", [
    ("nn.HardTanh()", "nn.HardTanh(-1, 1, true)"), ("nn.ReLU()", "nn.ReLU(true)"),
    ("nn.Threshold(0.5, 0)", "nn.Threshold(0.5, 0, true)"), ("nn.ReLU6()", "nn.ReLU6(true)"),
    ("nn.LeakyReLU(0.1)", "nn.LeakyReLU(0.1, true)")])
def test_inplace_backward_reads_the_input(nnrt: Runtime, plain: str, inplace: str) -> None:
    x = np.array([-2.0, -0.5, 0.25, 0.75, 3.0, 7.0])
    put(nnrt, "_x", x)
    put(nnrt, "_g", np.arange(1.0, 7.0))
    want = get(nnrt, f"{plain}:backward(_x, _g)")
    # no forward: the output is empty, the input is what THNN looks at
    np.testing.assert_array_equal(get(nnrt, f"{inplace}:backward(_x, _g)"), want)
    np.testing.assert_array_equal(get(nnrt, "_g"), want)  # gradOutput overwritten in place
    check_module(nnrt, plain, x)


def test_hardtanh_inclusive_bounds_as_threshold(nnrt: Runtime) -> None:
    a = get(nnrt, "nn.HardTanh(1, math.huge, true):backward(torch.Tensor{1}, torch.Tensor{1})")
    b = get(nnrt, "nn.Threshold(1, 0, true):backward(torch.Tensor{1}, torch.Tensor{1})")
    np.testing.assert_array_equal(a, b)


# -- Index, Narrow, SparseLinear -------------------------------------------------------------------
def test_index_clear_state_keeps_the_gradinput_pair(nnrt: Runtime) -> None:
    nnrt.execute("_m = nn.Index(1); _m:clearState()"
                 "; _o = _m:forward({torch.Tensor{10, 20, 30}, torch.LongTensor{3, 1}})"
                 "; _gi = _m:backward({torch.Tensor{10, 20, 30}, torch.LongTensor{3, 1}},"
                 " torch.Tensor{1, 2})")
    np.testing.assert_array_equal(get(nnrt, "_o"), [30, 10])
    np.testing.assert_array_equal(get(nnrt, "_gi[1]"), [2, 0, 1])


@pytest.mark.parametrize("args,sl", [("2, -1, 7", slice(0, 3)), ("2, -3, 4", slice(0, 6)),
                                     ("2, 5, -4", slice(4, 7)), ("-2, 5, -4", slice(4, 7))])
def test_narrow_negative_offset_and_length(nnrt: Runtime, args: str, sl: slice) -> None:
    x = np.random.default_rng(8).standard_normal((3, 10, 4))
    put(nnrt, "_x", x)
    np.testing.assert_array_equal(get(nnrt, f"nn.Narrow({args}):forward(_x)"), x[:, sl])
    check_module(nnrt, f"nn.Narrow({args})", x)


def test_sparse_linear_gradinput_is_dense_as_torch7(nnrt: Runtime) -> None:
    nnrt.execute("_s = nn.SparseLinear(6, 3, true); _x = torch.Tensor{{2, 0.5}, {5, -1}}"
                 "; _g = torch.Tensor{1, -2, 0.5}; _s:forward(_x); _gi = _s:backward(_x, _g)"
                 "; _xb = {_x, torch.Tensor{{1, 2}}}; _gb = torch.Tensor{{1, 0, 0}, {0, 1, 0}}"
                 "; _s:forward(_xb); _gib = _s:backward(_xb, _gb)"
                 "; _xl = torch.Tensor{{{2, 0.5}}, {{3, 1}}}; _s:forward(_xl)"
                 "; _gil = _s:backward(_xl, _gb)")
    w = get(nnrt, "_s.weight")
    assert nnrt.eval("type(_gi) == 'table' and #_gi == 1 and #_gib == 2")
    np.testing.assert_array_equal(get(nnrt, "_gi[1]")[:, 0], np.arange(1, 7))
    np.testing.assert_allclose(get(nnrt, "_gi[1]")[:, 1], w.T @ [1, -2, 0.5])
    np.testing.assert_allclose(get(nnrt, "_gib[2]")[:, 1], w[1])
    gil = get(nnrt, "_gil")
    assert gil.shape == (2, 6, 2)
    np.testing.assert_allclose(gil[:, :, 1], np.eye(2, 3) @ w)
    np.testing.assert_array_equal(gil[1, :, 0], np.arange(1, 7))


@pytest.mark.parametrize("ctor,insize,outsize", [
    ("nn.Unsqueeze(3, 2)", (1, 1, 3, 2), (1, 1, 3, 2, 1)),
    ("nn.Unsqueeze(2, 3)", (5, 2, 3, 4), (5, 2, 1, 3, 4)),
    ("nn.Unsqueeze(3)", (1, 1, 3, 1), (1, 1, 1, 3, 1))])
def test_unsqueeze_with_num_input_dims(nnrt: Runtime, ctor: str, insize: tuple,
                                       outsize: tuple) -> None:
    x = np.random.default_rng(9).standard_normal(insize)
    put(nnrt, "_x", x)
    np.testing.assert_array_equal(get(nnrt, f"{ctor}:forward(_x)"), x.reshape(outsize))
    check_module(nnrt, ctor, x)


def test_unsqueeze_keeps_the_first_inputs_dims(nnrt: Runtime) -> None:
    nnrt.execute("_m = nn.Unsqueeze(1); _m:forward(torch.zeros(2, 3))")
    assert nnrt.eval("_m.numInputDims") == 2
    assert nnrt.eval("_m:forward(torch.zeros(4, 2, 3)):dim()") == 4
    assert tuple(get(nnrt, "_m.output").shape) == (4, 1, 2, 3)


# -- containers: one line per container, as Torch7's rethrowErrors -------------------------------
def test_container_errors_joined_with_newlines(nnrt: Runtime) -> None:
    msg = lua_error(nnrt, "local p = nn.Parallel(1, 1):add(nn.Linear(1, 1))\n"
                          "local c = nn.Concat(1):add(p)\n"
                          "local m = nn.Sequential():add(nn.Identity()):add(c)\n"
                          "m:forward(torch.randn(1, 2, 2))\n")
    assert msg.startswith("user.lua:4: In 2 module of nn.Sequential:\nIn 1 module of nn.Concat:\n"
                          "In 1 module of nn.Parallel:\n"), msg
    assert "size mismatch" in msg


# -- SpatialAdaptiveAveragePooling: the same numbers whatever the input's layout -----------------
@pytest.mark.parametrize("shape,k", [((3, 7, 11), (3, 2)), ((2, 3, 13, 9), (4, 5)),
                                     ((4, 16, 5), (5, 1))])
def test_adaptive_avg_pool_layout_independent(nnrt: Runtime, shape: tuple, k: tuple) -> None:
    x = np.random.default_rng(10).random(shape)
    put(nnrt, "_x", x)
    t = "_x:transpose(2, 3)" if len(shape) == 3 else "_x:transpose(1, 3):transpose(2, 4)"
    nnrt.execute(f"_xt = {t}; _xc = _xt:contiguous(); _m = nn.SpatialAdaptiveAveragePooling"
                 f"({k[0]}, {k[1]}); _o = _m:forward(_xt):clone(); _oc = _m:forward(_xc):clone()"
                 "; _g = _m:backward(_xt, _o):clone(); _gc = _m:backward(_xc, _oc):clone()")
    np.testing.assert_array_equal(get(nnrt, "_o"), get(nnrt, "_oc"))
    np.testing.assert_array_equal(get(nnrt, "_g"), get(nnrt, "_gc"))


@pytest.mark.parametrize("shape", [(37,), (7, 300), (130, 10), (5, 4, 3), (3, 9, 2, 5)])
def test_logsoftmax_backward_sums_in_thnn_order(nnrt: Runtime, shape: tuple) -> None:
    rng = np.random.default_rng(11)
    x, g = rng.standard_normal(shape), rng.standard_normal(shape) * 3
    put(nnrt, "_x", x)
    put(nnrt, "_g", g)
    nnrt.execute("_m = nn.LogSoftMax(); _y = _m:forward(_x); _gi = _m:backward(_x, _g)")
    ax = 0 if len(shape) in (1, 3) else 1
    g3 = np.moveaxis(g, ax, -1)
    s = np.zeros(g3.shape[:-1])
    for j in range(g3.shape[-1]):  # THNN's loop over the classes
        s = s + g3[..., j]
    y = get(nnrt, "_y")
    want = g - np.exp(y) * np.expand_dims(s, ax)
    np.testing.assert_array_equal(get(nnrt, "_gi"), want)


def test_onehot_type_change_keeps_the_tensors_a_caller_holds() -> None:
    """Torch7's OneHot:clearState drops only its index buffers (nn's OneHot test holds gradInput
    across :cuda())."""
    rt = Runtime()
    rt.require("nn")
    rt.execute("""
       _o = nn.OneHot(3)
       _x = torch.Tensor{1, 3}
       _o:forward(_x)
       _g = _o:backward(_x, torch.Tensor(2, 3):fill(1))
       _y = _o.output
       _o:float()
    """)
    assert rt.eval("_g:nElement()") == 2
    assert rt.eval("_y:nElement()") == 6
