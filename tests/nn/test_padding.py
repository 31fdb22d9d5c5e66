"""Padding, up-sampling and pixel shuffle layers: SpatialZeroPadding (negative pads crop),
SpatialReflectionPadding, SpatialReplicationPadding, VolumetricReplicationPadding,
SpatialUpSamplingNearest, SpatialUpSamplingBilinear and PixelShuffle against NumPy, with
finite-difference gradients (batch and non-batch, Float and Double) and error messages."""

from __future__ import annotations

import numpy as np
import pytest

from luatorch.runtime import Runtime

from .gradcheck import check_module, get, load_nn, lua_error, put


@pytest.fixture(scope="module")
def nnrt() -> Runtime:
    return load_nn(Runtime())


TTYPES = ["Double", "Float"]
MODES = {"Zero": "constant", "Reflection": "reflect", "Replication": "edge"}


def fwd(rt: Runtime, ctor: str, x: np.ndarray, ttype: str = "Double") -> np.ndarray:
    put(rt, "_x", x, ttype)
    rt.execute(f"_m = ({ctor}):{ttype.lower()}(); _o = _m:forward(_x)")
    return get(rt, "_o")


def pad_ref(x: np.ndarray, pads: list, mode: str) -> np.ndarray:
    """np.pad per axis (pads: (before, after) for the last len(pads) axes), negative = crop."""
    lead = x.ndim - len(pads)
    for i, (a, b) in enumerate(pads):
        ax = lead + i
        n = x.shape[ax]
        x = np.take(x, range(max(0, -a), n - max(0, -b)), axis=ax)
        width = [(0, 0)] * x.ndim
        width[ax] = (max(a, 0), max(b, 0))
        x = np.pad(x, width, mode=MODES[mode])
    return x


PADS = [(1, 1, 1, 1), (2, 0, 1, 3), (0, 2, 2, 0), (-1, 2, 1, -2), (-1, -1, -2, 0), (3, 1, 0, 2)]


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("pads", PADS)
@pytest.mark.parametrize("ttype", TTYPES)
def test_spatial_padding_values(nnrt: Runtime, mode: str, pads: tuple, ttype: str) -> None:
    left, r, t, b = pads
    x = np.random.default_rng(1).standard_normal((2, 3, 5, 6))
    for inp in (x, x[0]):
        out = fwd(nnrt, f"nn.Spatial{mode}Padding({left}, {r}, {t}, {b})", inp, ttype)
        dt = np.float32 if ttype == "Float" else np.float64
        assert out.dtype == dt
        np.testing.assert_array_equal(out, pad_ref(inp.astype(dt), [(t, b), (left, r)], mode))


def test_padding_defaults_and_tostring(nnrt: Runtime) -> None:
    out = fwd(nnrt, "nn.SpatialZeroPadding(2)", np.ones((1, 2, 2)))
    assert out.shape == (1, 6, 6) and out.sum() == 4
    assert nnrt.eval("tostring(nn.SpatialReflectionPadding(1, 2, 3, 4))") == \
        "nn.SpatialReflectionPadding(l=1, r=2, t=3, b=4)"
    assert nnrt.eval("tostring(nn.VolumetricReplicationPadding(1, 2))") == \
        "nn.VolumetricReplicationPadding(left=1, right=2, top=1, bottom=1, front=1, back=1)"


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("pads", [(1, 2, 2, 1), (-1, 2, 1, -1)])
@pytest.mark.parametrize("ttype", TTYPES)
@pytest.mark.parametrize("batch", [False, True])
def test_spatial_padding_gradients(nnrt: Runtime, mode: str, pads: tuple, ttype: str,
                                   batch: bool) -> None:
    shape = (2, 2, 4, 5) if batch else (2, 4, 5)
    x = np.random.default_rng(2).standard_normal(shape)
    check_module(nnrt, f"nn.Spatial{mode}Padding({', '.join(map(str, pads))})", x, ttype)


def test_spatial_padding_gradient_values(nnrt: Runtime) -> None:
    # every gradOutput element lands on the input element it was copied from
    x = np.random.default_rng(3).standard_normal((2, 4, 5))
    g = np.random.default_rng(4).standard_normal((2, 8, 7))
    for mode in ("Reflection", "Replication"):
        fwd(nnrt, f"nn.Spatial{mode}Padding(1, 1, 3, 1)", x)
        put(nnrt, "_g", g)
        gi = get(nnrt, "_m:backward(_x, _g)")
        idx = np.arange(20.0).reshape(1, 4, 5)
        src = pad_ref(idx, [(3, 1), (1, 1)], mode).astype(int)[0]
        want = np.zeros((2, 20))
        for (i, j), s in np.ndenumerate(src):
            want[:, s] += g[:, i, j]
        np.testing.assert_allclose(gi.reshape(2, 20), want, rtol=1e-12)


def test_padding_errors(nnrt: Runtime) -> None:
    msg = lua_error(nnrt, "nn.SpatialReflectionPadding(1):forward(torch.randn(4, 4))")
    assert msg.startswith("user.lua:1:")
    assert "3D or 4D (batch mode) tensor expected for input, but got: [4 x 4]" in msg
    msg = lua_error(nnrt, "nn.SpatialReflectionPadding(3, 0, 0, 0):forward(torch.randn(1, 3, 3))")
    assert "Padding size should be less than the corresponding input dimension, but got: " \
           "padding (3, 0) at dimension 3 of input [1 x 3 x 3]" in msg
    msg = lua_error(nnrt, "nn.SpatialReplicationPadding(-2):forward(torch.randn(1, 3, 3))")
    assert "is too small" in msg
    msg = lua_error(nnrt, "nn.SpatialZeroPadding(-2):forward(torch.randn(1, 3, 3))")
    assert "input is too small" in msg
    msg = lua_error(nnrt, "nn.SpatialZeroPadding(1):forward(torch.randn(3, 3))")
    assert "input must be 3 or 4-dimensional" in msg
    msg = lua_error(nnrt, "local m = nn.SpatialReplicationPadding(1)"
                          "; local x = torch.randn(1, 3, 3)"
                          "; m:forward(x); m:backward(x, torch.randn(1, 4, 5))")
    assert "gradOutput[1 x 4 x 5] should be of size [1 x 5 x 5]" in msg
    msg = lua_error(nnrt, "nn.VolumetricReplicationPadding(1):forward(torch.randn(2, 3, 3))")
    assert "4D or 5D (batch mode) tensor expected for input, but got: [2 x 3 x 3]" in msg


@pytest.mark.parametrize("pads", [(1, 1, 1, 1, 1, 1), (2, 0, 1, 3, 0, 2), (-1, 2, 0, 1, 2, -1)])
@pytest.mark.parametrize("ttype", TTYPES)
def test_volumetric_replication_padding(nnrt: Runtime, pads: tuple, ttype: str) -> None:
    left, r, t, b, f, k = pads
    x = np.random.default_rng(5).standard_normal((2, 2, 3, 4, 5))
    dt = np.float32 if ttype == "Float" else np.float64
    for inp in (x, x[1]):
        out = fwd(nnrt, f"nn.VolumetricReplicationPadding({', '.join(map(str, pads))})", inp,
                  ttype)
        np.testing.assert_array_equal(out, pad_ref(inp.astype(dt), [(f, k), (t, b), (left, r)],
                                                   "Replication"))


@pytest.mark.parametrize("ttype", TTYPES)
@pytest.mark.parametrize("batch", [False, True])
def test_volumetric_replication_padding_gradients(nnrt: Runtime, ttype: str,
                                                  batch: bool) -> None:
    shape = (2, 2, 3, 3, 4) if batch else (2, 3, 3, 4)
    x = np.random.default_rng(6).standard_normal(shape)
    check_module(nnrt, "nn.VolumetricReplicationPadding(1, 2, 0, 1, 2, -1)", x, ttype)


# -- up-sampling ---------------------------------------------------------------------------------
@pytest.mark.parametrize("scale", [1, 2, 3])
@pytest.mark.parametrize("ttype", TTYPES)
def test_upsampling_nearest(nnrt: Runtime, scale: int, ttype: str) -> None:
    x = np.random.default_rng(7).standard_normal((2, 3, 4, 5))
    dt = np.float32 if ttype == "Float" else np.float64
    for inp in (x, x[0]):
        out = fwd(nnrt, f"nn.SpatialUpSamplingNearest({scale})", inp, ttype)
        want = inp.repeat(scale, axis=-2).repeat(scale, axis=-1).astype(dt)
        np.testing.assert_array_equal(out, want)
    g = np.random.default_rng(8).standard_normal(out.shape)
    put(nnrt, "_g", g, ttype)
    gi = get(nnrt, "_m:backward(_x, _g)")
    want = g.reshape(3, 4, scale, 5, scale).sum(axis=(2, 4))
    np.testing.assert_allclose(gi, want, rtol=1e-5)


def bilinear_ref(x: np.ndarray, oH: int, oW: int) -> np.ndarray:
    """THNN's loops: corner-aligned positions in float32, weights in the tensor's type."""
    H, W = x.shape[-2:]
    f32 = np.float32
    rh = f32(H - 1) / f32(oH - 1) if oH > 1 else f32(0)
    rw = f32(W - 1) / f32(oW - 1) if oW > 1 else f32(0)
    out = np.zeros(x.shape[:-2] + (oH, oW), x.dtype)
    one = x.dtype.type(1)
    for h2 in range(oH):
        h1r = f32(rh * f32(h2))
        h1 = int(h1r)
        h1p = 1 if h1 < H - 1 else 0
        l1 = x.dtype.type(f32(h1r - f32(h1)))
        l0 = one - l1
        for w2 in range(oW):
            w1r = f32(rw * f32(w2))
            w1 = int(w1r)
            w1p = 1 if w1 < W - 1 else 0
            m1 = x.dtype.type(f32(w1r - f32(w1)))
            m0 = one - m1
            out[..., h2, w2] = (l0 * (m0 * x[..., h1, w1] + m1 * x[..., h1, w1 + w1p])
                                + l1 * (m0 * x[..., h1 + h1p, w1]
                                        + m1 * x[..., h1 + h1p, w1 + w1p]))
    return out


@pytest.mark.parametrize("spec", ["2", "3", "{oheight = 7, owidth = 4}",
                                  "{oheight = 3, owidth = 9}", "{oheight = 4, owidth = 5}"])
@pytest.mark.parametrize("ttype", TTYPES)
def test_upsampling_bilinear(nnrt: Runtime, spec: str, ttype: str) -> None:
    x = np.random.default_rng(9).standard_normal((2, 3, 4, 5))
    dt = np.float32 if ttype == "Float" else np.float64
    for inp in (x, x[1]):
        out = fwd(nnrt, f"nn.SpatialUpSamplingBilinear({spec})", inp, ttype)
        if spec.isdigit():
            assert out.shape[-2:] == (4 * int(spec), 5 * int(spec))
        want = bilinear_ref(inp.astype(dt), *out.shape[-2:])
        np.testing.assert_allclose(out, want, rtol=1e-6 if ttype == "Float" else 1e-14,
                                   atol=1e-6 if ttype == "Float" else 1e-14)
    assert nnrt.eval("tostring(nn.SpatialUpSamplingBilinear({oheight = 7, owidth = 4}))") == \
        "nn.SpatialUpSamplingBilinear(7, 4)"


@pytest.mark.parametrize("ctor", ["nn.SpatialUpSamplingNearest(2)",
                                  "nn.SpatialUpSamplingBilinear(2)",
                                  "nn.SpatialUpSamplingBilinear({oheight = 7, owidth = 3})",
                                  "nn.SpatialUpSamplingBilinear({oheight = 2, owidth = 3})",
                                  "nn.PixelShuffle(2)"])
@pytest.mark.parametrize("ttype", TTYPES)
@pytest.mark.parametrize("batch", [False, True])
def test_resampling_gradients(nnrt: Runtime, ctor: str, ttype: str, batch: bool) -> None:
    shape = (2, 4, 3, 4) if batch else (4, 3, 4)
    x = np.random.default_rng(10).standard_normal(shape)
    check_module(nnrt, ctor, x, ttype)


def test_upsampling_errors(nnrt: Runtime) -> None:
    assert "scale_factor must be integer" in lua_error(nnrt, "nn.SpatialUpSamplingNearest(1.5)")
    assert "scale_factor must be greater than 1" in lua_error(
        nnrt, "nn.SpatialUpSamplingBilinear(0)")
    msg = lua_error(nnrt, "nn.SpatialUpSamplingNearest(2):forward(torch.randn(3, 3))")
    assert "3D or 4D input tensor expected but got: [3 x 3]" in msg
    msg = lua_error(nnrt, "nn.SpatialUpSamplingBilinear(2):forward(torch.randn(3, 3))")
    assert "only supports 3D or 4D tensors" in msg


# -- pixel shuffle -------------------------------------------------------------------------------
@pytest.mark.parametrize("r", [1, 2, 3])
@pytest.mark.parametrize("ttype", TTYPES)
def test_pixel_shuffle(nnrt: Runtime, r: int, ttype: str) -> None:
    x = np.random.default_rng(11).standard_normal((2, 2 * r * r, 3, 4))
    for inp in (x, x[0]):
        out = fwd(nnrt, f"nn.PixelShuffle({r})", inp, ttype)
        b = inp.reshape((-1,) + inp.shape[-3:])
        want = np.zeros((b.shape[0], 2, 3 * r, 4 * r))
        for n, c, h, w, i, j in np.ndindex(b.shape[0], 2, 3, 4, r, r):
            want[n, c, h * r + i, w * r + j] = b[n, c * r * r + i * r + j, h, w]
        np.testing.assert_array_equal(out, want.reshape(inp.shape[:-3] + want.shape[1:])
                                      .astype(out.dtype))
    g = np.random.default_rng(12).standard_normal(out.shape)
    put(nnrt, "_g", g, ttype)
    gi = get(nnrt, "_m:backward(_x, _g)")
    put(nnrt, "_gi", gi, ttype)
    np.testing.assert_array_equal(get(nnrt, "_m:forward(_gi)"), get(nnrt, "_g"))
    msg = lua_error(nnrt, "nn.PixelShuffle(2):forward(torch.randn(3, 2, 2))")
    assert "input channels (3) should be divisible by the squared upscale factor (4)" in msg
