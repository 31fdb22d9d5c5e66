"""Transfer-function layers: values against NumPy, finite-difference gradients (vectors and
batches, Float and Double), in-place variants, and errors."""

from __future__ import annotations

import numpy as np
import pytest

from luatorch.random import Generator
from luatorch.runtime import Runtime

from .gradcheck import check_module, get, load_nn, lua_error, put


@pytest.fixture(scope="module")
def nnrt() -> Runtime:
    return load_nn(Runtime())


def _sig(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


def _softmax(x: np.ndarray, ax: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=ax, keepdims=True))
    return e / e.sum(axis=ax, keepdims=True)


def _sm_axis(x: np.ndarray) -> int:
    return 0 if x.ndim in (1, 3) else 1


def _prelu_ref(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    shape = [1] * x.ndim
    shape[_sm_axis(x)] = w.size
    return np.where(x > 0, x, x * w.reshape(shape))


EVAL_RRELU = "(function() local m = nn.RReLU(0.1, 0.3); m:evaluate(); return m end)()"

# (constructor, NumPy reference) of element-wise or feature-wise layers
CASES = [
    ("nn.Sigmoid()", _sig),
    ("nn.Tanh()", np.tanh),
    ("nn.ReLU()", lambda x: np.maximum(x, 0)),
    ("nn.ReLU6()", lambda x: np.clip(x, 0, 6)),
    ("nn.Threshold()", lambda x: np.where(x > 1e-6, x, 0)),
    ("nn.Threshold(0.5, -1)", lambda x: np.where(x > 0.5, x, -1)),
    ("nn.HardTanh()", lambda x: np.clip(x, -1, 1)),
    ("nn.HardTanh(-0.5, 1.5)", lambda x: np.clip(x, -0.5, 1.5)),
    ("nn.LeakyReLU()", lambda x: np.where(x > 0, x, 0.01 * x)),
    ("nn.LeakyReLU(0.3)", lambda x: np.where(x > 0, x, 0.3 * x)),
    ("nn.ELU()", lambda x: np.where(x > 0, x, np.expm1(x))),
    ("nn.ELU(0.7)", lambda x: np.where(x > 0, x, 0.7 * np.expm1(x))),
    ("nn.PReLU()", lambda x: np.where(x > 0, x, 0.25 * x)),
    ("nn.HardShrink()", lambda x: np.where(np.abs(x) > 0.5, x, 0)),
    ("nn.HardShrink(1)", lambda x: np.where(np.abs(x) > 1, x, 0)),
    ("nn.SoftShrink()", lambda x: np.where(x > 0.5, x - 0.5, np.where(x < -0.5, x + 0.5, 0))),
    ("nn.TanhShrink()", lambda x: x - np.tanh(x)),
    ("nn.SoftPlus()", lambda x: np.log1p(np.exp(x))),
    ("nn.SoftPlus(2)", lambda x: np.log1p(np.exp(2 * x)) / 2),
    ("nn.SoftSign()", lambda x: x / (1 + np.abs(x))),
    ("nn.LogSigmoid()", lambda x: -np.log1p(np.exp(-x))),
    ("nn.SoftMax()", lambda x: _softmax(x, _sm_axis(x))),
    ("nn.SoftMin()", lambda x: _softmax(-x, _sm_axis(x))),
    ("nn.LogSoftMax()", lambda x: np.log(_softmax(x, _sm_axis(x)))),
    ("nn.GatedLinearUnit()", lambda x: x[..., :x.shape[-1] // 2] * _sig(x[..., x.shape[-1] // 2:])),
    (EVAL_RRELU, lambda x: np.where(x >= 0, x, 0.2 * x)),
]

SHAPES = [(6,), (3, 4)]


def _input(shape: tuple, seed: int = 1) -> np.ndarray:
    """Values in +-[0.15, 2.5], away from every layer's kinks (0, +-0.5, +-1, 1e-6)."""
    rng = np.random.default_rng(seed)
    mag = rng.uniform(0.15, 2.5, shape)
    for k in (0.5, 1.0, 1.5):  # keep a step of 1e-2 from crossing a kink
        mag = np.where(np.abs(mag - k) < 0.05, mag + 0.1, mag)
    return mag * rng.choice([-1.0, 1.0], shape)


@pytest.mark.parametrize("ctor,ref", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("shape", SHAPES, ids=["vector", "batch"])
def test_values(nnrt: Runtime, ctor: str, ref, shape: tuple) -> None:
    x = _input(shape)
    for ttype, tol in (("Double", 1e-12), ("Float", 1e-5)):
        nnrt.execute(f"_m = ({ctor}):{ttype.lower()}()")
        put(nnrt, "_x", x, ttype)
        out = get(nnrt, "_m:forward(_x)")
        assert out.dtype == (np.float64 if ttype == "Double" else np.float32)
        want = ref(x.astype(out.dtype)).astype(np.float64)
        np.testing.assert_allclose(out, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("ctor,ref", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("shape", SHAPES, ids=["vector", "batch"])
@pytest.mark.parametrize("ttype", ["Double", "Float"])
def test_gradient(nnrt: Runtime, ctor: str, ref, shape: tuple, ttype: str) -> None:
    params = [("weight", "gradWeight")] if "PReLU" in ctor else []
    check_module(nnrt, ctor, _input(shape), ttype, params=params)


@pytest.mark.parametrize("ttype", ["Double", "Float"])
def test_softmax_family_3d_4d(nnrt: Runtime, ttype: str) -> None:
    for shape in [(3, 2, 2), (2, 3, 2, 2)]:
        x = _input(shape, 3)
        for ctor, ref in [("nn.SoftMax()", lambda a: _softmax(a, _sm_axis(a))),
                          ("nn.LogSoftMax()", lambda a: np.log(_softmax(a, _sm_axis(a)))),
                          ("nn.SoftMin()", lambda a: _softmax(-a, _sm_axis(a)))]:
            nnrt.execute(f"_m = {ctor}:{ttype.lower()}()")
            put(nnrt, "_x", x, ttype)
            np.testing.assert_allclose(get(nnrt, "_m:forward(_x)"), ref(x), rtol=1e-5,
                                       atol=1e-6)
            check_module(nnrt, ctor, x, ttype)


@pytest.mark.parametrize("ttype", ["Double", "Float"])
def test_prelu_per_plane(nnrt: Runtime, ttype: str) -> None:
    w = np.array([0.1, -0.2, 0.3])
    for shape in [(3,), (2, 3), (3, 2, 2), (2, 3, 2, 2)]:
        x = _input(shape, 5)
        setup = "_m.weight:copy(torch.Tensor{0.1, -0.2, 0.3})"
        nnrt.execute(f"_m = nn.PReLU(3):{ttype.lower()}() {setup}")
        put(nnrt, "_x", x, ttype)
        np.testing.assert_allclose(get(nnrt, "_m:forward(_x)"), _prelu_ref(x, w), rtol=1e-5)
        check_module(nnrt, "nn.PReLU(3)", x, ttype, params=[("weight", "gradWeight")],
                     setup=setup)


def test_prelu_accumulates_with_scale(nnrt: Runtime) -> None:
    x = _input((2, 3), 7)
    put(nnrt, "_x", x)
    put(nnrt, "_g", np.ones((2, 3)))
    nnrt.execute("_m = nn.PReLU(3); _m:zeroGradParameters(); _m:forward(_x); "
                 "_m:backward(_x, _g, 0.5); _m:backward(_x, _g, 0.5)")
    want = np.where(x > 0, 0, x).sum(axis=0)
    np.testing.assert_allclose(get(nnrt, "_m.gradWeight"), want)


@pytest.mark.parametrize("ttype", ["Double", "Float"])
def test_crelu(nnrt: Runtime, ttype: str) -> None:
    for nd, shape in [(1, (4,)), (1, (2, 4)), (3, (2, 2, 2)), (3, (2, 2, 2, 2))]:
        x = _input(shape, 9)
        nnrt.execute(f"_m = nn.CReLU({nd}):{ttype.lower()}()")
        put(nnrt, "_x", x, ttype)
        out = get(nnrt, "_m:forward(_x)")
        ax = 1 if x.ndim == nd + 1 else 0
        want = np.concatenate([np.maximum(x, 0), np.maximum(-x, 0)], axis=ax)
        np.testing.assert_allclose(out, want, rtol=1e-6)
        check_module(nnrt, f"nn.CReLU({nd})", x, ttype)


@pytest.mark.parametrize("ttype", ["Double", "Float"])
def test_glu_dim(nnrt: Runtime, ttype: str) -> None:
    x = _input((4, 3), 11)
    nnrt.execute(f"_m = nn.GatedLinearUnit(1):{ttype.lower()}()")
    put(nnrt, "_x", x, ttype)
    np.testing.assert_allclose(get(nnrt, "_m:forward(_x)"), x[:2] * _sig(x[2:]), rtol=1e-5)
    check_module(nnrt, "nn.GatedLinearUnit(1)", x, ttype)


@pytest.mark.parametrize("ttype", ["Double", "Float"])
def test_rrelu_training_noise(nnrt: Runtime, ttype: str) -> None:
    x = _input((3, 4), 13)
    put(nnrt, "_x", x, ttype)
    nnrt.execute(f"torch.manualSeed(42); _m = nn.RReLU(0.1, 0.3):{ttype.lower()}()")
    out = get(nnrt, "_m:forward(_x)")
    noise = get(nnrt, "_m.noise")
    neg = x <= 0
    draws = Generator(42).uniform_array(int(neg.sum())) * (0.3 - 0.1) + 0.1
    want_noise = np.ones_like(x)
    want_noise[neg] = draws
    np.testing.assert_allclose(noise, want_noise, rtol=1e-6)
    np.testing.assert_allclose(out, x * want_noise, rtol=1e-6)
    put(nnrt, "_g", np.full(x.shape, 2.0), ttype)
    np.testing.assert_allclose(get(nnrt, "_m:backward(_x, _g)"), 2 * want_noise, rtol=1e-6)


INPLACE = [
    ("nn.ReLU", "nn.ReLU(true)"),
    ("nn.Threshold(0.2, 0.1)", "nn.Threshold(0.2, 0.1, true)"),
    ("nn.ReLU6()", "nn.ReLU6(true)"),
    ("nn.HardTanh(-0.5, 0.5)", "nn.HardTanh(-0.5, 0.5, true)"),
    ("nn.LeakyReLU(0.2)", "nn.LeakyReLU(0.2, true)"),
    ("nn.ELU(0.5)", "nn.ELU(0.5, true)"),
    (EVAL_RRELU, EVAL_RRELU.replace("0.3)", "0.3, true)")),
]


@pytest.mark.parametrize("plain,inplace", INPLACE, ids=[c[1] for c in INPLACE])
def test_inplace(nnrt: Runtime, plain: str, inplace: str) -> None:
    if plain == "nn.ReLU":
        plain = "nn.ReLU()"
    x = _input((3, 4), 17)
    g = np.random.default_rng(3).standard_normal((3, 4))
    put(nnrt, "_x", x)
    put(nnrt, "_g", g)
    nnrt.execute(f"_m = {plain}; _o = _m:forward(_x):clone(); _gi = _m:backward(_x, _g):clone()")
    want_out, want_gi = get(nnrt, "_o"), get(nnrt, "_gi")
    put(nnrt, "_x", x)
    put(nnrt, "_g", g)
    nnrt.execute(f"_m = {inplace}; _o = _m:forward(_x); _gi = _m:backward(_x, _g)")
    np.testing.assert_allclose(get(nnrt, "_o"), want_out)
    np.testing.assert_allclose(get(nnrt, "_x"), want_out)  # the input now holds the output
    np.testing.assert_allclose(get(nnrt, "_gi"), want_gi)
    assert nnrt.eval("torch.pointer(_o:storage()) == torch.pointer(_x:storage())")
    assert nnrt.eval("torch.pointer(_gi:storage()) == torch.pointer(_g:storage())")


def test_buffers_reused(nnrt: Runtime) -> None:
    nnrt.execute("_m = nn.Tanh(); _a = _m:forward(torch.randn(3, 4)); "
                 "_b = _m:forward(torch.randn(3, 4))")
    assert nnrt.eval("_a == _b and _m.output == _a")


def test_empty_input(nnrt: Runtime) -> None:
    assert nnrt.eval("nn.ReLU():forward(torch.Tensor()):nElement()") == 0
    assert nnrt.eval("nn.Sigmoid():forward(torch.Tensor()):nElement()") == 0


def test_threshold_zeros_are_positive(nnrt: Runtime) -> None:
    put(nnrt, "_x", np.array([-1.0, 2.0]))
    out = get(nnrt, "nn.Threshold():forward(_x)")
    assert not np.signbit(out).any()


def test_in_sequential_mlp_head(nnrt: Runtime) -> None:
    x = _input((4, 5), 19)
    put(nnrt, "_x", x)
    out = get(nnrt, "nn.Sequential():add(nn.Threshold()):add(nn.LogSoftMax()):forward(_x)")
    h = np.where(x > 1e-6, x, 0)
    np.testing.assert_allclose(out, np.log(_softmax(h, 1)), rtol=1e-12)


ERRORS = [
    ("nn.Tanh(); m:forward(torch.randn(3, 4)); m:backward(torch.randn(3, 4), torch.randn(5))",
     "output and gradOutput have different number of elements: output[3 x 4] has 12 elements, "
     "while gradOutput[5] has 5 elements"),
    ("nn.ReLU():backward(torch.randn(3), torch.randn(2))",
     "input and gradOutput have different number of elements"),
    ("nn.SoftMax():forward(torch.randn(2, 2, 2, 2, 2))", "1D, 2D, 3D or 4D tensor expected"),
    ("nn.LogSoftMax():forward(torch.randn(2, 2, 2, 2, 2))", "1D, 2D, 3D or 4D tensor expected"),
    ("nn.GatedLinearUnit():forward(torch.randn(2, 3))", "halving dimension needs to be even"),
    ("nn.PReLU(3):forward(torch.randn(2, 4))", "wrong number of input planes"),
    ("nn.Threshold(0, 1, true)", "in-place processing requires value (1) not exceed threshold"),
    ("nn.HardTanh(1, -1)", "max_value must be larger than min_value"),
    ("nn.ReLU6(1)", "in-place flag must be boolean"),
    ("nn.Sequential():add(nn.Tanh()):add(nn.SoftMax()):forward(torch.randn(2, 2, 2, 2, 2))",
     "In 2 module of nn.Sequential:\n1D, 2D, 3D or 4D tensor expected"),
]


@pytest.mark.parametrize("code,msg", ERRORS, ids=[e[1][:30] for e in ERRORS])
def test_errors(nnrt: Runtime, code: str, msg: str) -> None:
    err = lua_error(nnrt, "local a = 1\nlocal m = " + code)
    assert err.startswith("user.lua:2: "), err
    assert msg in err, err
    assert "\n" not in err.replace(msg, "")


def test_log_softmax_wide_ranges(nnrt: Runtime) -> None:
    """Rows far apart (or far below the batch max) keep full precision."""
    x = np.array([[0.0, -1000.0], [-1000.0, -1001.0], [50.0, 49.0]])
    put(nnrt, "_x", x)
    want = x - (x.max(1, keepdims=True)
                + np.log(np.exp(x - x.max(1, keepdims=True)).sum(1, keepdims=True)))
    np.testing.assert_allclose(get(nnrt, "nn.LogSoftMax():forward(_x)"), want, rtol=1e-12)
    np.testing.assert_allclose(get(nnrt, "nn.SoftMax():forward(_x)"), np.exp(want), rtol=1e-12)
    put(nnrt, "_x", x, "Float")
    np.testing.assert_allclose(get(nnrt, "nn.LogSoftMax():float():forward(_x)"), want,
                               rtol=1e-6)


def test_relu_is_a_threshold(nnrt: Runtime) -> None:
    assert nnrt.eval("torch.isTypeOf(nn.ReLU(), 'nn.Threshold')")
    assert nnrt.eval("nn.ReLU().threshold") == 0
    assert nnrt.eval("tostring(nn.ReLU())") == "nn.ReLU"


def test_hardtanh_bounds_as_thnn(nnrt: Runtime) -> None:
    """The current THNN passes nothing at the bounds, in place or not."""
    x = np.array([-1.0, 1.0, 0.5, 2.0, -3.0])
    put(nnrt, "_x", x)
    put(nnrt, "_g", np.ones(5))
    np.testing.assert_array_equal(get(nnrt, "nn.HardTanh():backward(_x, _g)"), [0, 0, 1, 0, 0])
    nnrt.execute("_m = nn.HardTanh(-1, 1, true); _m:forward(_x); _gi = _m:backward(_x, _g)")
    np.testing.assert_array_equal(get(nnrt, "_gi"), [0, 0, 1, 0, 0])


# -- Threshold / ReLU on special values (the kernels copy bits under a mask) ----------------------
SPECIAL = np.array([-0.0, 0.0, 0.25, 0.5, 0.75, -1.5, 2.0, np.nan, np.inf, -np.inf, 1e-7, -1e-30])
SPECIAL_G = np.array([-3.0, np.nan, -np.inf, 4.0, -0.0, -2.0, np.inf, -5.0, -6.0, np.nan, -7.0,
                      8.0])


@pytest.mark.parametrize("ttype", ["Double", "Float"])
@pytest.mark.parametrize("ctor, th", [("nn.ReLU", 0.0), ("nn.Threshold(0.5, 0)", 0.5),
                                      ("nn.Threshold(-1, -1)", -1.0)])
@pytest.mark.parametrize("inplace", [False, True])
def test_threshold_backward_passes_exact_values(nnrt: Runtime, ttype: str, ctor: str, th: float,
                                                inplace: bool) -> None:
    """gradInput = x > th ? gradOutput : 0 as Torch7 assigns it: a +0 where the mask is off,
    even for a NaN, infinite or negative gradOutput (never NaN from inf * 0, never -0); NaN and
    -0 inputs take the `x > th` branch Torch7's comparison gives them."""
    dt = np.float32 if ttype == "Float" else np.float64
    x, g = SPECIAL.astype(dt), SPECIAL_G.astype(dt)
    put(nnrt, "_x", x, ttype)
    put(nnrt, "_g", g, ttype)
    if ctor == "nn.ReLU":
        ctor = "nn.ReLU(true)" if inplace else "nn.ReLU()"
    elif inplace:
        ctor = ctor[:-1] + ", true)"
    nnrt.execute(f"_m = {ctor}:{ttype.lower()}(); _y = _m:forward(_x):clone()"
                 "; _gi = _m:backward(_x, _g)")
    gi = get(nnrt, "_gi")
    # in place the mask comes from the output (x > th ? x : val), as in THNN
    seen = get(nnrt, "_y") if inplace else x
    want = np.where(seen > dt(th), g, dt(0))
    assert gi.dtype == dt
    np.testing.assert_array_equal(gi, want)
    off = ~(seen > dt(th))
    assert not np.signbit(gi[off]).any()
    np.testing.assert_array_equal(np.signbit(gi[~off]), np.signbit(g[~off]))


@pytest.mark.parametrize("ttype", ["Double", "Float"])
@pytest.mark.parametrize("th, val", [(0.0, 0.0), (0.5, 0.0), (1e-6, 0.0), (0.5, -1.0),
                                     (0.25, np.inf), (-1.0, 3.0)])
def test_threshold_forward_special_values(nnrt: Runtime, ttype: str, th: float,
                                          val: float) -> None:
    """y = x > th ? x : val with val's exact bits (also for an infinite val or x = -inf) and +0
    for val = 0; a NaN input stays NaN, as np.maximum leaves it for ReLU."""
    dt = np.float32 if ttype == "Float" else np.float64
    x = SPECIAL.astype(dt)
    put(nnrt, "_x", x, ttype)
    lval = "math.huge" if val == np.inf else repr(val)
    y = get(nnrt, f"nn.Threshold({th!r}, {lval}):{ttype.lower()}():forward(_x)")
    want = np.where(x > dt(th), x, dt(val))
    want[np.isnan(x)] = np.nan
    assert y.dtype == dt
    np.testing.assert_array_equal(y, want)
    np.testing.assert_array_equal(np.signbit(y), np.signbit(want))
    # in place (allowed when val <= th) gives the same, in the input's storage
    if val <= th:
        put(nnrt, "_z", x, ttype)
        nnrt.execute(f"_m = nn.Threshold({th!r}, {lval}, true):{ttype.lower()}()"
                     "; _o = _m:forward(_z)")
        np.testing.assert_array_equal(get(nnrt, "_z"), want)
        assert nnrt.eval("torch.pointer(_o:storage()) == torch.pointer(_z:storage())")


@pytest.mark.parametrize("ttype", ["Double", "Float"])
def test_threshold_backward_strided_gradient(nnrt: Runtime, ttype: str) -> None:
    """A non-contiguous gradOutput (a transposed view) goes through the bit view unchanged."""
    x = np.random.default_rng(31).standard_normal((5, 4))
    g = np.random.default_rng(32).standard_normal((4, 5))
    put(nnrt, "_x", x, ttype)
    put(nnrt, "_g", g, ttype)
    gi = get(nnrt, "nn.ReLU():forward(_x) and nn.ReLU():backward(_x, _g:t())")
    dt = np.float32 if ttype == "Float" else np.float64
    np.testing.assert_array_equal(gi, np.where(x > 0, g.T, 0).astype(dt))
