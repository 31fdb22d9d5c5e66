"""Pooling layers: spatial / dilated / volumetric max pooling (Torch7 indices), max unpooling,
average pooling (ceil mode, count_include_pad, divide), adaptive, fractional and LP pooling,
against direct NumPy loops, with finite-difference gradients (batch and non-batch, Float and
Double) and Torch7's error messages."""

from __future__ import annotations

import math

import numpy as np
import pytest

from luatorch.runtime import Runtime

from .gradcheck import check_module, get, load_nn, lua_error, put


@pytest.fixture(scope="module")
def nnrt() -> Runtime:
    return load_nn(Runtime())


TTYPES = ["Double", "Float"]


def distinct(shape: tuple, seed: int = 0) -> np.ndarray:
    """Values 0.1 apart in random order: no ties, and a Float finite-difference step (1e-2)
    never changes which element is the maximum."""
    n = int(np.prod(shape))
    return (np.random.default_rng(seed).permutation(n) * 0.1 - n * 0.05).reshape(shape)


# -- NumPy references (direct loops, THNN's rules) -----------------------------------------------
def osize(n: int, k: int, d: int, p: int, dil: int = 1, ceil: bool = False) -> int:
    v = (n - (dil * (k - 1) + 1) + 2 * p) / d
    o = int(math.ceil(v) if ceil else math.floor(v)) + 1
    if p and (o - 1) * d >= n + p:
        o -= 1
    return o


def maxpool2d_ref(x, kW, kH, dW, dH, pW=0, pH=0, dilW=1, dilH=1, ceil=False):
    H, W = x.shape[-2:]
    oH, oW = osize(H, kH, dH, pH, dilH, ceil), osize(W, kW, dW, pW, dilW, ceil)
    xs = x.reshape(-1, H, W)
    out = np.zeros((xs.shape[0], oH, oW))
    ind = np.zeros((xs.shape[0], oH, oW), np.int64)
    for p in range(xs.shape[0]):
        for i in range(oH):
            for j in range(oW):
                hs, ws = i * dH - pH, j * dW - pW
                he, we = min(hs + (kH - 1) * dilH + 1, H), min(ws + (kW - 1) * dilW + 1, W)
                while hs < 0:
                    hs += dilH
                while ws < 0:
                    ws += dilW
                best, bi = -np.inf, -1
                for y in range(hs, he, dilH):
                    for xx in range(ws, we, dilW):
                        if xs[p, y, xx] > best:
                            best, bi = xs[p, y, xx], y * W + xx
                out[p, i, j], ind[p, i, j] = best, bi + 1
    shape = x.shape[:-2] + (oH, oW)
    return out.reshape(shape), ind.reshape(shape)


def avgpool2d_ref(x, kW, kH, dW, dH, pW=0, pH=0, ceil=False, include=True):
    H, W = x.shape[-2:]
    oH, oW = osize(H, kH, dH, pH, 1, ceil), osize(W, kW, dW, pW, 1, ceil)
    xs = x.reshape(-1, H, W)
    out = np.zeros((xs.shape[0], oH, oW))
    for i in range(oH):
        for j in range(oW):
            hs, ws = i * dH - pH, j * dW - pW
            he, we = min(hs + kH, H + pH), min(ws + kW, W + pW)
            size = (he - hs) * (we - ws)
            hs, ws, he, we = max(hs, 0), max(ws, 0), min(he, H), min(we, W)
            div = size if include else (he - hs) * (we - ws)
            out[:, i, j] = xs[:, hs:he, ws:we].sum(axis=(1, 2)) / div
    return out.reshape(x.shape[:-2] + (oH, oW))


def maxpool3d_ref(x, kT, kW, kH, dT, dW, dH, pT=0, pW=0, pH=0, ceil=False):
    T, H, W = x.shape[-3:]
    o = (osize(T, kT, dT, pT, 1, ceil), osize(H, kH, dH, pH, 1, ceil),
         osize(W, kW, dW, pW, 1, ceil))
    xs = x.reshape((-1, T, H, W))
    out = np.zeros((xs.shape[0],) + o)
    ind = np.zeros((xs.shape[0],) + o, np.int64)
    for p in range(xs.shape[0]):
        for a in range(o[0]):
            for i in range(o[1]):
                for j in range(o[2]):
                    st, sh, sw = a * dT - pT, i * dH - pH, j * dW - pW
                    best, code = -np.inf, 0
                    for z in range(kT):
                        for y in range(kH):
                            for xx in range(kW):
                                t, h, w = st + z, sh + y, sw + xx
                                if 0 <= t < T and 0 <= h < H and 0 <= w < W and \
                                        xs[p, t, h, w] > best:
                                    best, code = xs[p, t, h, w], z + (y << 8) + (xx << 16)
                    out[p, a, i, j], ind[p, a, i, j] = best, code
    shape = x.shape[:-3] + o
    return out.reshape(shape), ind.reshape(shape)


def avgpool3d_ref(x, kT, kW, kH, dT, dW, dH):
    T, H, W = x.shape[-3:]
    o = ((T - kT) // dT + 1, (H - kH) // dH + 1, (W - kW) // dW + 1)
    out = np.zeros(x.shape[:-3] + o)
    for a in range(o[0]):
        for i in range(o[1]):
            for j in range(o[2]):
                win = x[..., a * dT:a * dT + kT, i * dH:i * dH + kH, j * dW:j * dW + kW]
                out[..., a, i, j] = win.sum(axis=(-3, -2, -1)) / (kT * kH * kW)
    return out


def adaptive_ref(x, oW, oH, op):
    H, W = x.shape[-2:]
    out = np.zeros(x.shape[:-2] + (oH, oW))
    ind = np.zeros(x.shape[:-2] + (oH, oW), np.int64)
    for i in range(oH):
        y0, y1 = (i * H) // oH, -((-(i + 1) * H) // oH)
        for j in range(oW):
            x0, x1 = (j * W) // oW, -((-(j + 1) * W) // oW)
            win = x[..., y0:y1, x0:x1]
            if op == "max":
                flat = win.reshape(win.shape[:-2] + (-1,))
                k = flat.argmax(-1)  # first maximum in row-major order
                out[..., i, j] = flat.max(-1)
                ind[..., i, j] = (y0 + k // (x1 - x0)) * W + x0 + k % (x1 - x0) + 1
            else:
                out[..., i, j] = win.mean(axis=(-2, -1))
    return out, ind


def fmp_intervals(u, n, o, k, dtype):
    if o == 1:
        return [n - k]
    alpha = dtype(n - k) / dtype(o - 1)
    seq = [int(dtype(dtype(i) + u) * alpha) - int(u * alpha) for i in range(o - 1)]
    return seq + [n - k]


def fmp_ref(x, samples, oW, oH, kW, kH, dtype):
    H, W = x.shape[-2:]
    xs = x.reshape(-1, H, W)
    u = samples.reshape(-1, 2)
    out = np.zeros((xs.shape[0], oH, oW))
    ind = np.zeros((xs.shape[0], oH, oW), np.int64)
    for p in range(xs.shape[0]):
        sw = fmp_intervals(dtype(u[p, 0]), W, oW, kW, dtype)
        sh = fmp_intervals(dtype(u[p, 1]), H, oH, kH, dtype)
        for i in range(oH):
            for j in range(oW):
                best, bi = -np.inf, -1
                for y in range(sh[i], sh[i] + kH):
                    for xx in range(sw[j], sw[j] + kW):
                        if xs[p, y, xx] > best:
                            best, bi = xs[p, y, xx], y * W + xx
                out[p, i, j], ind[p, i, j] = best, bi + 1
    shape = x.shape[:-2] + (oH, oW)
    return out.reshape(shape), ind.reshape(shape)


def fwd(rt: Runtime, ctor: str, x: np.ndarray, ttype: str = "Double") -> np.ndarray:
    put(rt, "_x", x, ttype)
    rt.execute(f"_m = ({ctor}):{ttype.lower()}(); _o = _m:forward(_x)")
    return get(rt, "_o")


# -- max pooling ---------------------------------------------------------------------------------
MAX_CASES = [
    # (kW, kH, dW, dH, padW, padH, ceil, H, W)
    (2, 2, 2, 2, 0, 0, False, 6, 6),
    (2, 2, 2, 2, 0, 0, False, 7, 5),
    (3, 3, 2, 2, 0, 0, False, 7, 7),
    (3, 3, 2, 2, 0, 0, True, 6, 6),
    (3, 2, 1, 2, 1, 1, False, 5, 6),
    (3, 3, 2, 2, 1, 1, True, 6, 6),
    (2, 2, 2, 2, 1, 1, True, 5, 5),
    (3, 3, 3, 3, 1, 0, True, 7, 8),
    (1, 1, 2, 2, 0, 0, False, 5, 5),
]


@pytest.mark.parametrize("case", MAX_CASES)
@pytest.mark.parametrize("ttype", TTYPES)
def test_max_pooling_values_and_indices(nnrt: Runtime, case: tuple, ttype: str) -> None:
    kW, kH, dW, dH, pW, pH, ceil, H, W = case
    x = np.random.default_rng(3).standard_normal((2, 3, H, W))
    ctor = f"nn.SpatialMaxPooling({kW}, {kH}, {dW}, {dH}, {pW}, {pH})" + (":ceil()" if ceil
                                                                          else "")
    out = fwd(nnrt, ctor, x, ttype)
    ref, ind = maxpool2d_ref(x.astype(np.float32 if ttype == "Float" else np.float64), kW, kH,
                             dW, dH, pW, pH, ceil=ceil)
    np.testing.assert_array_equal(out, ref.astype(out.dtype))
    assert out.dtype == (np.float32 if ttype == "Float" else np.float64)
    np.testing.assert_array_equal(get(nnrt, "_m.indices"), ind)
    assert nnrt.eval("torch.type(_m.indices)") == "torch.LongTensor"
    assert (nnrt.eval("_m.iheight"), nnrt.eval("_m.iwidth")) == (H, W)


def test_max_pooling_ties_take_the_first(nnrt: Runtime) -> None:
    x = np.array([[[1, 5, 5, 0], [5, 0, 2, 2], [3, 3, 1, 1], [3, 3, 1, 1]]], float)
    fwd(nnrt, "nn.SpatialMaxPooling(2, 2)", x)
    np.testing.assert_array_equal(get(nnrt, "_m.indices"), [[[2, 3], [9, 11]]])
    fwd(nnrt, "nn.SpatialMaxPooling(3, 3, 1, 1, 1, 1)", x)
    np.testing.assert_array_equal(get(nnrt, "_m.indices"), maxpool2d_ref(x, 3, 3, 1, 1, 1, 1)[1])


@pytest.mark.parametrize("dil", [(2, 2), (2, 1), (1, 3)])
def test_dilated_max_pooling(nnrt: Runtime, dil: tuple) -> None:
    x = np.random.default_rng(4).standard_normal((2, 2, 9, 10))
    for pad, ceil in (((0, 0), False), ((1, 1), False), ((1, 1), True)):
        ctor = (f"nn.SpatialDilatedMaxPooling(3, 3, 2, 2, {pad[0]}, {pad[1]}, {dil[0]}, {dil[1]})"
                + (":ceil()" if ceil else ""))
        out = fwd(nnrt, ctor, x)
        ref, ind = maxpool2d_ref(x, 3, 3, 2, 2, pad[0], pad[1], dil[0], dil[1], ceil)
        np.testing.assert_array_equal(out, ref)
        np.testing.assert_array_equal(get(nnrt, "_m.indices"), ind)


def test_ceil_mode_sizes(nnrt: Runtime) -> None:
    put(nnrt, "_x", np.zeros((1, 6, 6)))
    put(nnrt, "_y", np.zeros((1, 5, 5)))
    cases = [
        ("nn.SpatialMaxPooling(3, 3, 2, 2)", "_x", 2),
        ("nn.SpatialMaxPooling(3, 3, 2, 2):ceil()", "_x", 3),
        ("nn.SpatialMaxPooling(3, 3, 2, 2):ceil():floor()", "_x", 2),
        ("nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1):ceil()", "_x", 4),
        # the last window must start inside the image (or its left padding)
        ("nn.SpatialMaxPooling(2, 2, 2, 2, 1, 1):ceil()", "_y", 3),
        ("nn.SpatialAveragePooling(2, 2, 2, 2, 1, 1):ceil()", "_y", 3),
        ("nn.SpatialAveragePooling(3, 3, 2, 2):ceil()", "_x", 3),
        ("nn.SpatialAveragePooling(3, 3)", "_x", 4),
    ]
    for ctor, x, n in cases:
        size = nnrt.eval(f"{ctor}:forward({x}):size(2)")
        assert size == n, ctor


@pytest.mark.parametrize("ttype", TTYPES)
def test_lenet_max_pooling_float32(nnrt: Runtime, ttype: str) -> None:
    x = np.random.default_rng(5).standard_normal((4, 8, 24, 24))
    out = fwd(nnrt, "nn.SpatialMaxPooling(2, 2, 2, 2)", x, ttype)
    dt = np.float32 if ttype == "Float" else np.float64
    ref, ind = maxpool2d_ref(x.astype(dt), 2, 2, 2, 2)
    np.testing.assert_array_equal(out, ref.astype(dt))
    np.testing.assert_array_equal(get(nnrt, "_m.indices"), ind)
    g = np.random.default_rng(6).standard_normal(out.shape)
    put(nnrt, "_g", g, ttype)
    gi = get(nnrt, "_m:backward(_x, _g)")
    assert gi.dtype == dt
    want = np.zeros((4 * 8, 24 * 24))
    np.put_along_axis(want, ind.reshape(32, -1) - 1, g.reshape(32, -1), axis=1)
    np.testing.assert_allclose(gi.reshape(32, -1), want, rtol=1e-6)


GRAD_MAX = [
    "nn.SpatialMaxPooling(2, 2, 2, 2)",
    "nn.SpatialMaxPooling(3, 3, 2, 2)",
    "nn.SpatialMaxPooling(3, 2, 1, 2, 1, 1)",
    "nn.SpatialMaxPooling(3, 3, 2, 2, 1, 1):ceil()",
    "nn.SpatialDilatedMaxPooling(2, 2, 1, 1, 1, 1, 2, 2)",
    "nn.SpatialDilatedMaxPooling(3, 2, 2, 1, 0, 1, 1, 2):ceil()",
]


@pytest.mark.parametrize("ctor", GRAD_MAX)
@pytest.mark.parametrize("ttype", TTYPES)
@pytest.mark.parametrize("batch", [False, True])
def test_max_pooling_gradients(nnrt: Runtime, ctor: str, ttype: str, batch: bool) -> None:
    shape = (2, 2, 5, 6) if batch else (2, 5, 6)
    check_module(nnrt, ctor, distinct(shape, 7), ttype)


def test_max_pooling_type_conversion_keeps_long_indices(nnrt: Runtime) -> None:
    nnrt.execute("_m = nn.SpatialMaxPooling(2, 2):float(); _m:double(); _m:float()"
                 "; _o = _m:forward(torch.randn(3, 4, 4):float())")
    assert nnrt.eval("torch.type(_m.indices)") == "torch.LongTensor"
    assert nnrt.eval("torch.type(_o)") == "torch.FloatTensor"
    # after a forward too, and through containers; unpooling still finds its positions
    nnrt.execute("_p = nn.SpatialMaxPooling(2, 2); _u = nn.SpatialMaxUnpooling(_p)"
                 "; _x = torch.randn(2, 3, 4, 4); _y = _p:forward(_x)"
                 "; _s = nn.Sequential():add(_p):add(_u):float(); _z = _u:forward(_y:float())")
    assert nnrt.eval("torch.type(_p.indices)") == "torch.LongTensor"
    assert nnrt.eval("_m:type()") == "torch.FloatTensor"
    z, x = get(nnrt, "_z"), get(nnrt, "_x")
    np.testing.assert_array_equal(z != 0, x == maxpool2d_ref(x, 2, 2, 2, 2)[0].repeat(
        2, axis=-2).repeat(2, axis=-1))
    # a non-contiguous input
    nnrt.execute("_t = torch.randn(2, 3, 5, 6); _o = nn.SpatialMaxPooling(2, 2):forward("
                 "_t:transpose(3, 4))")
    np.testing.assert_array_equal(get(nnrt, "_o"), maxpool2d_ref(
        get(nnrt, "_t").swapaxes(2, 3), 2, 2, 2, 2)[0])


def test_max_pooling_tostring(nnrt: Runtime) -> None:
    assert nnrt.eval("tostring(nn.SpatialMaxPooling(2, 3))") == "nn.SpatialMaxPooling(2x3, 2,3)"
    assert nnrt.eval("tostring(nn.SpatialMaxPooling(3, 3, 1, 1, 1, 1))") == \
        "nn.SpatialMaxPooling(3x3, 1,1, 1,1)"
    assert nnrt.eval("tostring(nn.SpatialDilatedMaxPooling(3, 3, 1, 1, 1, 1, 2, 2))") == \
        "nn.SpatialDilatedMaxPooling(3x3, 1,1, 1,1, 2,2)"


def test_max_pooling_errors(nnrt: Runtime) -> None:
    msg = lua_error(nnrt, "nn.SpatialMaxPooling(2, 2):forward(torch.randn(4, 4))")
    assert msg.startswith("user.lua:1:")
    assert "3D or 4D (batch mode) tensor expected for input, but got: [4 x 4]" in msg
    msg = lua_error(nnrt, "nn.SpatialMaxPooling(5, 5):forward(torch.randn(1, 3, 3))")
    assert "Given input size: (1x3x3). Calculated output size: (1x0x0). Output size is too " \
           "small" in msg
    msg = lua_error(nnrt, "nn.SpatialMaxPooling(2, 2, 1, 1, 2, 2):forward(torch.randn(1, 5, 5))")
    assert "pad should be smaller than half of kernel size, but got padW = 2, padH = 2, " \
           "kW = 2, kH = 2" in msg
    msg = lua_error(nnrt, "nn.SpatialMaxPooling(2, 2, 0, 1):forward(torch.randn(1, 5, 5))")
    assert "stride should be greater than zero" in msg
    msg = lua_error(nnrt, "local m = nn.SpatialMaxPooling(2, 2); local x = torch.randn(1, 4, 4)"
                          "; m:forward(x); m:backward(x, torch.randn(1, 3, 2))")
    assert "Need gradOutput of dimension 3 and gradOutput.size[1] == 2" in msg
    msg = lua_error(nnrt, "nn.SpatialMaxPooling(2, 2):forward(nil)")
    assert "tensor expected" in msg


# -- max pooling by tiling windows (stride = kernel): the fast path -------------------------------
def maxpool2d_tiled_ref(x, kW, kH):
    """Direct loops of the separable scan the kernels use: along each window row a later column
    wins only when strictly greater than the running max, np.maximum carrying a NaN; then the
    same over the rows' maxima.  Without NaN this is THNN's first maximum in raster order."""
    H, W = x.shape[-2:]
    oH, oW = H // kH, W // kW
    xs = x.reshape(-1, H, W)
    out = np.zeros((xs.shape[0], oH, oW), x.dtype)
    ind = np.zeros((xs.shape[0], oH, oW), np.int64)
    for p in range(xs.shape[0]):
        for i in range(oH):
            for j in range(oW):
                best, pos = None, -1
                for r in range(kH):
                    y = i * kH + r
                    rm, rc = xs[p, y, j * kW], 0
                    for c in range(1, kW):
                        v = xs[p, y, j * kW + c]
                        if v > rm:
                            rc = c
                        rm = np.maximum(rm, v)
                    if best is None or rm > best:
                        pos = y * W + j * kW + rc
                    best = rm if best is None else np.maximum(best, rm)
                out[p, i, j], ind[p, i, j] = best, pos + 1
    shape = x.shape[:-2] + (oH, oW)
    return out.reshape(shape), ind.reshape(shape)


def _special_grid(rng, shape: tuple, dt) -> np.ndarray:
    """Small integers (many ties) with NaN, +-inf and -0 sprinkled in."""
    x = rng.integers(-2, 3, shape).astype(dt)
    u = rng.random(shape)
    x[u < 0.08] = np.nan
    x[(u >= 0.08) & (u < 0.12)] = np.inf
    x[(u >= 0.12) & (u < 0.16)] = -np.inf
    x[(u >= 0.16) & (u < 0.24)] = -0.0
    return x


TILED = [(2, 2, 6, 8), (2, 2, 7, 9), (3, 3, 9, 7), (3, 2, 8, 6), (1, 2, 3, 6), (2, 1, 6, 3),
         (1, 1, 3, 4), (4, 3, 9, 13)]


@pytest.mark.parametrize("case", TILED)
@pytest.mark.parametrize("ttype", TTYPES)
def test_tiled_max_pooling_matches_reference(nnrt: Runtime, case: tuple, ttype: str) -> None:
    """Windows that tile the input (kW = dW, kH = dH, no padding): values, indices and NaN
    handling against the loop reference; ties keep the first maximum; gradients go back to
    the recorded positions.  Leftover rows and columns (7 x 9 by 2 x 2) belong to no window."""
    kW, kH, H, W = case
    dt = np.float32 if ttype == "Float" else np.float64
    rng = np.random.default_rng(sum(case))
    for x in (rng.standard_normal((2, 3, H, W)).astype(dt), _special_grid(rng, (2, 3, H, W), dt),
              _special_grid(rng, (3, H, W), dt)):
        out = fwd(nnrt, f"nn.SpatialMaxPooling({kW}, {kH})", x, ttype)
        ref, ind = maxpool2d_tiled_ref(x, kW, kH)
        assert out.dtype == dt
        np.testing.assert_array_equal(out, ref)
        np.testing.assert_array_equal(get(nnrt, "_m.indices"), ind)
        assert nnrt.eval("torch.type(_m.indices)") == "torch.LongTensor"
        if not np.isnan(x).any():
            np.testing.assert_array_equal(ind, maxpool2d_ref(x, kW, kH, kW, kH)[1])
        g = rng.standard_normal(out.shape)
        put(nnrt, "_g", g, ttype)
        gi = get(nnrt, "_m:backward(_x, _g)")
        planes = ind.shape[0] * ind.shape[1] if ind.ndim == 4 else ind.shape[0]
        want = np.zeros((planes, H * W), dt)
        np.put_along_axis(want, ind.reshape(planes, -1) - 1, g.astype(dt).reshape(planes, -1), 1)
        np.testing.assert_array_equal(gi.reshape(planes, -1), want)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tiled_max_pooling_is_the_general_engine(dtype) -> None:
    """The tiling fast path gives bit for bit what the general strided engine gives (values,
    NaN payloads, -0, indices), on contiguous, transposed and sliced inputs."""
    from luatorch.kernels import pooling
    from luatorch.tensor import Tensor

    rng = np.random.default_rng(40)
    for kH, kW, H, W, ceil in [(2, 2, 8, 10, False), (2, 2, 9, 11, False), (3, 2, 9, 8, True),
                               (2, 3, 5, 9, False)]:
        a = _special_grid(rng, (2, 4, H, W), dtype)
        for arr in (a, a.swapaxes(2, 3).copy().swapaxes(2, 3), np.pad(a, 1)[1:-1, 1:-1, 1:-1,
                                                                              1:-1]):
            x = Tensor.wrap(arr)
            o1, i1 = Tensor.empty((1,), dtype), Tensor.empty((1,), np.int64)
            pooling.pool_max2d_fwd(o1, i1, x, kW, kH, kW, kH, 0, 0, 1, 1, ceil)
            o2 = Tensor.empty((1,), dtype)
            f, _, _, _ = pooling._max_forward(x, o2, (kH, kW), (kH, kW), (0, 0), (1, 1), ceil)
            assert o1.size == o2.size == i1.size
            np.testing.assert_array_equal(o1.a.view(np.uint8), o2.a.view(np.uint8))
            np.testing.assert_array_equal(i1.a, f.reshape(i1.a.shape) + 1)
            assert i1.a.dtype == np.int64


# -- volumetric max pooling ----------------------------------------------------------------------
VOL_CASES = [
    (2, 2, 2, 2, 2, 2, 0, 0, 0, False, (4, 4, 5)),
    (3, 2, 2, 2, 1, 2, 1, 0, 1, False, (5, 4, 5)),
    (2, 3, 3, 2, 2, 2, 0, 1, 1, True, (5, 6, 5)),
]


@pytest.mark.parametrize("case", VOL_CASES)
def test_volumetric_max_pooling_values(nnrt: Runtime, case: tuple) -> None:
    kT, kW, kH, dT, dW, dH, pT, pW, pH, ceil, size = case
    x = np.random.default_rng(8).standard_normal((2, 2) + size)
    ctor = (f"nn.VolumetricMaxPooling({kT}, {kW}, {kH}, {dT}, {dW}, {dH}, {pT}, {pW}, {pH})"
            + (":ceil()" if ceil else ""))
    out = fwd(nnrt, ctor, x)
    ref, ind = maxpool3d_ref(x, kT, kW, kH, dT, dW, dH, pT, pW, pH, ceil)
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(get(nnrt, "_m.indices"), ind)
    assert nnrt.eval("_m.itime") == size[0]


@pytest.mark.parametrize("ctor", ["nn.VolumetricMaxPooling(2, 2, 2)",
                                  "nn.VolumetricMaxPooling(3, 2, 2, 2, 1, 2, 1, 0, 1)",
                                  "nn.VolumetricMaxPooling(2, 3, 3, 2, 2, 2, 0, 1, 1):ceil()"])
@pytest.mark.parametrize("ttype", TTYPES)
@pytest.mark.parametrize("batch", [False, True])
def test_volumetric_max_pooling_gradients(nnrt: Runtime, ctor: str, ttype: str,
                                          batch: bool) -> None:
    shape = (2, 2, 4, 4, 5) if batch else (2, 4, 4, 5)
    check_module(nnrt, ctor, distinct(shape, 9), ttype)


def test_volumetric_max_pooling_errors(nnrt: Runtime) -> None:
    msg = lua_error(nnrt, "nn.VolumetricMaxPooling(2, 2, 2):forward(torch.randn(3, 4, 4))")
    assert "4D or 5D (batch mode) tensor expected for input, but got: [3 x 4 x 4]" in msg
    msg = lua_error(nnrt, "nn.VolumetricMaxPooling(2, 2, 2):forward(torch.randn(1, 1, 4, 4))")
    assert "Output size is too small" in msg


# -- max unpooling -------------------------------------------------------------------------------
@pytest.mark.parametrize("ttype", TTYPES)
def test_spatial_max_unpooling(nnrt: Runtime, ttype: str) -> None:
    x = distinct((2, 3, 6, 7), 10)
    put(nnrt, "_x", x, ttype)
    nnrt.execute(f"_p = nn.SpatialMaxPooling(2, 2):{ttype.lower()}()"
                 "; _u = nn.SpatialMaxUnpooling(_p); _y = _p:forward(_x); _z = _u:forward(_y)")
    _, ind = maxpool2d_ref(x, 2, 2, 2, 2)
    want = np.zeros((6, 42))
    np.put_along_axis(want, ind.reshape(6, -1) - 1, get(nnrt, "_y").reshape(6, -1), axis=1)
    np.testing.assert_array_equal(get(nnrt, "_z"), want.reshape(2, 3, 6, 7))
    g = np.random.default_rng(11).standard_normal((2, 3, 6, 7))
    put(nnrt, "_g", g, ttype)
    gi = get(nnrt, "_u:backward(_y, _g)")
    np.testing.assert_allclose(gi.reshape(6, -1), np.take_along_axis(
        g.reshape(6, -1), ind.reshape(6, -1) - 1, axis=1), rtol=1e-6)
    assert nnrt.eval("tostring(_u)") == \
        "nn.SpatialMaxUnpooling associated to nn.SpatialMaxPooling(2x2, 2,2)"


@pytest.mark.parametrize("ttype", TTYPES)
@pytest.mark.parametrize("batch", [False, True])
def test_spatial_max_unpooling_gradients(nnrt: Runtime, ttype: str, batch: bool) -> None:
    shape = (2, 2, 4, 5) if batch else (2, 4, 5)
    pooled = (2, 2, 2, 2) if batch else (2, 2, 2)
    xs = "torch.randn(" + ", ".join(map(str, shape)) + ")"
    ctor = (f"(function() local p = nn.SpatialMaxPooling(2, 2):{ttype.lower()}()"
            f"; p:forward({xs}:{ttype.lower()}()); return nn.SpatialMaxUnpooling(p) end)()")
    check_module(nnrt, ctor, np.random.default_rng(12).standard_normal(pooled), ttype)


def test_volumetric_max_unpooling(nnrt: Runtime) -> None:
    x = distinct((2, 2, 4, 6, 5), 13)
    put(nnrt, "_x", x)
    nnrt.execute("_p = nn.VolumetricMaxPooling(2, 2, 2, 2, 2, 2, 1, 1, 1)"
                 "; _u = nn.VolumetricMaxUnpooling(_p); _y = _p:forward(_x); _z = _u:forward(_y)")
    y, codes = maxpool3d_ref(x, 2, 2, 2, 2, 2, 2, 1, 1, 1)
    want = np.zeros_like(x)
    P = 4
    ys, cs = y.reshape(P, *y.shape[2:]), codes.reshape(P, *y.shape[2:])
    ws = want.reshape(P, 4, 6, 5)
    for p in range(P):
        for a, i, j in np.ndindex(*ys.shape[1:]):
            c = cs[p, a, i, j]
            t, h, w = a * 2 - 1 + (c & 255), i * 2 - 1 + ((c >> 8) & 255), j * 2 - 1 + (c >> 16)
            ws[p, t, h, w] = ys[p, a, i, j]
    np.testing.assert_array_equal(get(nnrt, "_z"), want)
    check_module(nnrt, "(function() local p = nn.VolumetricMaxPooling(2, 2, 2)"
                 "; p:forward(torch.randn(2, 4, 4, 4)); return nn.VolumetricMaxUnpooling(p) end)()",
                 np.random.default_rng(14).standard_normal((2, 2, 2, 2)))


def test_unpooling_errors(nnrt: Runtime) -> None:
    msg = lua_error(nnrt, "nn.SpatialMaxUnpooling(nn.SpatialMaxPooling(3, 3, 2, 2))")
    assert "The size of pooling module's kernel must be equal to its stride" in msg
    msg = lua_error(nnrt, "nn.SpatialMaxUnpooling(nn.SpatialAveragePooling(2, 2))")
    assert "Argument must be a nn.SpatialMaxPooling module" in msg
    msg = lua_error(nnrt, "local p = nn.SpatialMaxPooling(2, 2)"
                          "; local u = nn.SpatialMaxUnpooling(p)"
                          "; p:forward(torch.randn(1, 4, 4)); p.indices:fill(17)"
                          "; u:forward(torch.randn(1, 2, 2))")
    assert "found an invalid max index 16 (output volumes are of size 4x4)" in msg


# -- average pooling -----------------------------------------------------------------------------
AVG_CASES = [
    # (kW, kH, dW, dH, padW, padH, ceil, include, H, W)
    (2, 2, 2, 2, 0, 0, False, True, 6, 6),
    (3, 3, 1, 1, 0, 0, False, True, 5, 6),
    (3, 3, 2, 2, 1, 1, False, True, 6, 7),
    (3, 3, 2, 2, 1, 1, False, False, 6, 7),
    (3, 3, 2, 2, 1, 1, True, True, 6, 6),
    (3, 3, 2, 2, 1, 1, True, False, 6, 6),
    (3, 2, 2, 2, 0, 0, True, True, 6, 7),
    (2, 4, 2, 3, 1, 2, True, False, 7, 9),
]


@pytest.mark.parametrize("case", AVG_CASES)
def test_average_pooling_values(nnrt: Runtime, case: tuple) -> None:
    kW, kH, dW, dH, pW, pH, ceil, include, H, W = case
    x = np.random.default_rng(15).standard_normal((2, 3, H, W))
    ctor = (f"nn.SpatialAveragePooling({kW}, {kH}, {dW}, {dH}, {pW}, {pH})"
            + (":ceil()" if ceil else "")
            + (":setCountIncludePad()" if include else ":setCountExcludePad()"))
    out = fwd(nnrt, ctor, x)
    np.testing.assert_allclose(out, avgpool2d_ref(x, kW, kH, dW, dH, pW, pH, ceil, include),
                               rtol=1e-12, atol=1e-14)
    out = fwd(nnrt, ctor, x[0], "Float")
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, avgpool2d_ref(x[0], kW, kH, dW, dH, pW, pH, ceil, include),
                               rtol=1e-5, atol=1e-6)


def test_count_include_pad(nnrt: Runtime) -> None:
    x = np.ones((1, 4, 4))
    inc = fwd(nnrt, "nn.SpatialAveragePooling(3, 3, 2, 2, 1, 1)", x)
    np.testing.assert_allclose(inc[0], [[4 / 9, 6 / 9], [6 / 9, 1]])
    exc = fwd(nnrt, "nn.SpatialAveragePooling(3, 3, 2, 2, 1, 1):setCountExcludePad()", x)
    np.testing.assert_allclose(exc[0], np.ones((2, 2)))
    assert nnrt.eval("_m.count_include_pad") is False
    assert nnrt.eval("_m:setCountIncludePad().count_include_pad") is True


def test_average_pooling_divide_flag_and_defaults(nnrt: Runtime) -> None:
    x = np.arange(16.0).reshape(1, 4, 4)
    out = fwd(nnrt, "nn.SpatialAveragePooling(2, 2)", x)  # stride defaults to 1
    assert out.shape == (1, 3, 3)
    put(nnrt, "_g", np.ones((1, 3, 3)))
    nnrt.execute("_m.divide = false; _o = _m:forward(_x); _gi = _m:backward(_x, _g)")
    np.testing.assert_allclose(get(nnrt, "_o"), out * 4)
    np.testing.assert_allclose(get(nnrt, "_gi")[0], [[1, 2, 2, 1], [2, 4, 4, 2], [2, 4, 4, 2],
                                                     [1, 2, 2, 1]])
    assert nnrt.eval("tostring(nn.SpatialAveragePooling(2, 2, 2, 2, 1, 1))") == \
        "nn.SpatialAveragePooling(2x2, 2,2, 1,1)"


GRAD_AVG = [
    "nn.SpatialAveragePooling(2, 2, 2, 2)",
    "nn.SpatialAveragePooling(3, 3, 1, 1)",
    "nn.SpatialAveragePooling(3, 3, 2, 2, 1, 1):ceil()",
    "nn.SpatialAveragePooling(3, 3, 2, 2, 1, 1):ceil():setCountExcludePad()",
    "nn.SpatialAveragePooling(2, 3, 2, 1, 1, 0)",
]


@pytest.mark.parametrize("ctor", GRAD_AVG)
@pytest.mark.parametrize("ttype", TTYPES)
@pytest.mark.parametrize("batch", [False, True])
def test_average_pooling_gradients(nnrt: Runtime, ctor: str, ttype: str, batch: bool) -> None:
    shape = (2, 2, 5, 6) if batch else (2, 5, 6)
    check_module(nnrt, ctor, np.random.default_rng(16).standard_normal(shape), ttype)


def test_average_pooling_errors(nnrt: Runtime) -> None:
    msg = lua_error(nnrt, "nn.SpatialAveragePooling(4, 4):forward(torch.randn(2, 3, 3))")
    assert "Given input size: (2x3x3). Calculated output size: (2x0x0). Output size is too " \
           "small" in msg
    msg = lua_error(nnrt, "nn.SpatialAveragePooling(2, 2):forward(torch.randn(2, 3, 3, 3, 3))")
    assert "3D or 4D (batch mode) tensor expected for input" in msg


def test_volumetric_average_pooling(nnrt: Runtime) -> None:
    x = np.random.default_rng(17).standard_normal((2, 2, 5, 4, 6))
    out = fwd(nnrt, "nn.VolumetricAveragePooling(2, 3, 2, 1, 2, 2)", x)
    np.testing.assert_allclose(out, avgpool3d_ref(x, 2, 3, 2, 1, 2, 2), rtol=1e-12)
    out = fwd(nnrt, "nn.VolumetricAveragePooling(2, 2, 2)", x[0], "Float")
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, avgpool3d_ref(x[0], 2, 2, 2, 2, 2, 2), rtol=1e-5)
    msg = lua_error(nnrt, "nn.VolumetricAveragePooling(2, 2, 2):forward(torch.randn(2, 1, 4, 4))")
    assert "Output size is too small" in msg


@pytest.mark.parametrize("ctor", ["nn.VolumetricAveragePooling(2, 2, 2)",
                                  "nn.VolumetricAveragePooling(2, 3, 2, 1, 2, 1)",
                                  "nn.VolumetricAveragePooling(3, 3, 3, 2, 2, 2, 1, 1, 1):ceil()"])
@pytest.mark.parametrize("ttype", TTYPES)
@pytest.mark.parametrize("batch", [False, True])
def test_volumetric_average_pooling_gradients(nnrt: Runtime, ctor: str, ttype: str,
                                              batch: bool) -> None:
    shape = (2, 2, 4, 5, 4) if batch else (2, 4, 5, 4)
    check_module(nnrt, ctor, np.random.default_rng(18).standard_normal(shape), ttype)


# -- adaptive pooling ----------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(3, 2), (4, 4), (1, 1), (5, 7), (7, 9)])
@pytest.mark.parametrize("ttype", TTYPES)
def test_adaptive_pooling_values(nnrt: Runtime, size: tuple, ttype: str) -> None:
    oW, oH = size
    x = np.random.default_rng(19).standard_normal((2, 3, 6, 7))
    dt = np.float32 if ttype == "Float" else np.float64
    out = fwd(nnrt, f"nn.SpatialAdaptiveMaxPooling({oW}, {oH})", x, ttype)
    ref, ind = adaptive_ref(x.astype(dt), oW, oH, "max")
    np.testing.assert_array_equal(out, ref.astype(dt))
    np.testing.assert_array_equal(get(nnrt, "_m.indices"), ind)
    out = fwd(nnrt, f"nn.SpatialAdaptiveAveragePooling({oW}, {oH})", x[1], ttype)
    assert out.dtype == dt
    tol = 1e-5 if ttype == "Float" else 1e-12
    np.testing.assert_allclose(out, adaptive_ref(x[1], oW, oH, "avg")[0], rtol=tol, atol=tol)


@pytest.mark.parametrize("ctor", ["nn.SpatialAdaptiveMaxPooling(2, 3)",
                                  "nn.SpatialAdaptiveMaxPooling(4, 4)",
                                  "nn.SpatialAdaptiveMaxPooling(8, 6)",
                                  "nn.SpatialAdaptiveAveragePooling(2, 3)",
                                  "nn.SpatialAdaptiveAveragePooling(4, 6)"])
@pytest.mark.parametrize("ttype", TTYPES)
@pytest.mark.parametrize("batch", [False, True])
def test_adaptive_pooling_gradients(nnrt: Runtime, ctor: str, ttype: str, batch: bool) -> None:
    shape = (2, 2, 5, 6) if batch else (2, 5, 6)
    check_module(nnrt, ctor, distinct(shape, 20), ttype)


def test_adaptive_pooling_errors(nnrt: Runtime) -> None:
    msg = lua_error(nnrt, "nn.SpatialAdaptiveMaxPooling(2, 2):forward(torch.randn(4, 4))")
    assert "3D or 4D (batch mode) tensor expected for input, but got: [4 x 4]" in msg
    msg = lua_error(nnrt, "nn.SpatialAdaptiveAveragePooling(2, 2):forward(torch.randn(4))")
    assert "3D or 4D (batch mode) tensor expected for input, but got: [4]" in msg


# -- fractional max pooling ----------------------------------------------------------------------
@pytest.mark.parametrize("ttype", TTYPES)
def test_fractional_max_pooling_values_and_samples(nnrt: Runtime, ttype: str) -> None:
    x = np.random.default_rng(21).standard_normal((2, 3, 11, 9))
    put(nnrt, "_x", x, ttype)
    tl = ttype.lower()
    nnrt.execute(f"torch.manualSeed(5); _m = nn.SpatialFractionalMaxPooling(2, 3, 5, 4):{tl}()"
                 "; _o = _m:forward(_x)"
                 f"; torch.manualSeed(5); _s = torch.{ttype}Tensor(2, 3, 2):uniform()")
    samples = get(nnrt, "_m.randomSamples")
    np.testing.assert_array_equal(samples, get(nnrt, "_s"))  # Torch7's draws, in Torch7's order
    dt = np.float32 if ttype == "Float" else np.float64
    ref, ind = fmp_ref(x.astype(dt), samples, 5, 4, 2, 3, dt)
    np.testing.assert_array_equal(get(nnrt, "_o"), ref.astype(dt))
    np.testing.assert_array_equal(get(nnrt, "_m.indices"), ind)
    # a new draw at every forward, none after fixPoolingRegions()
    nnrt.execute("_m:forward(_x); _s2 = _m.randomSamples:clone(); _m:fixPoolingRegions()"
                 "; _m:forward(_x)")
    assert not np.array_equal(get(nnrt, "_s2"), samples)
    np.testing.assert_array_equal(get(nnrt, "_m.randomSamples"), get(nnrt, "_s2"))


def test_fractional_max_pooling_ratio(nnrt: Runtime) -> None:
    x = np.random.default_rng(22).standard_normal((3, 10, 13))
    out = fwd(nnrt, "nn.SpatialFractionalMaxPooling(2, 2, 0.5, 0.7)", x)
    assert out.shape == (3, 7, 6)
    ref, _ = fmp_ref(x, get(nnrt, "_m.randomSamples"), 6, 7, 2, 2, np.float64)
    np.testing.assert_array_equal(out, ref)
    assert nnrt.eval("tostring(_m)") == "nn.SpatialFractionalMaxPooling(0.5,0.7,2,2)"


@pytest.mark.parametrize("ttype", TTYPES)
@pytest.mark.parametrize("batch", [False, True])
def test_fractional_max_pooling_gradients(nnrt: Runtime, ttype: str, batch: bool) -> None:
    shape = (2, 2, 7, 8) if batch else (2, 7, 8)
    check_module(nnrt, "nn.SpatialFractionalMaxPooling(2, 2, 4, 5)", distinct(shape, 23),
                 ttype, setup="_m:fixPoolingRegions()")


def test_fractional_max_pooling_errors(nnrt: Runtime) -> None:
    msg = lua_error(nnrt, "nn.SpatialFractionalMaxPooling(3, 2, 5, 4)"
                          ":forward(torch.randn(1, 8, 7))")
    assert "poolSizeW (3) too large relative to input width (7)" in msg
    msg = lua_error(nnrt, "nn.SpatialFractionalMaxPooling(2, 2, 2, 2)"
                          ":backward(torch.randn(1, 8, 7), torch.randn(1, 2, 2))")
    assert "must call updateOutput/forward first" in msg


# -- LP pooling ----------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [2, 3])
def test_lp_pooling(nnrt: Runtime, p: int) -> None:
    x = np.abs(np.random.default_rng(24).standard_normal((2, 6, 6))) + 0.5
    out = fwd(nnrt, f"nn.SpatialLPPooling(2, {p}, 2, 2)", x)
    want = (x ** p).reshape(2, 3, 2, 3, 2).sum(axis=(2, 4)) ** (1 / p)
    np.testing.assert_allclose(out, want, rtol=1e-12)
    assert nnrt.eval("#(_m:parameters() or {})") == 0


@pytest.mark.parametrize("ttype", TTYPES)
@pytest.mark.parametrize("batch", [False, True])
def test_lp_pooling_gradients(nnrt: Runtime, ttype: str, batch: bool) -> None:
    shape = (2, 2, 4, 4) if batch else (2, 4, 4)
    x = np.abs(np.random.default_rng(25).standard_normal(shape)) + 0.5
    check_module(nnrt, "nn.SpatialLPPooling(2, 2, 2, 2)", x, ttype)
    check_module(nnrt, "nn.SpatialLPPooling(2, 3, 2, 2, 1, 1)", x, ttype)
