"""Convolution layers: values against direct NumPy loops, finite-difference gradients (input,
weight, bias; batch and non-batch; Float and Double), Torch7's weight-init order, noBias,
accumulation with scale, connection tables and error messages."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from luatorch.kernels import conv
from luatorch.runtime import Runtime

from .gradcheck import check_module, get, load_nn, lua_error, put

TTYPES = ["Double", "Float"]
WB = [("weight", "gradWeight"), ("bias", "gradBias")]


@pytest.fixture(scope="module")
def nnrt() -> Runtime:
    return load_nn(Runtime())


def rnd(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


# -- direct NumPy references (loops over output positions) ----------------------------------------
def ref_conv(x, w, b, st, pad, dil=None):
    """Cross-correlation of x (B, C, S...) with w (O, C, k...) as Torch7 defines it."""
    nd = x.ndim - 2
    dil = dil or (1,) * nd
    k = w.shape[2:]
    xp = np.zeros(x.shape[:2] + tuple(s + 2 * p for s, p in zip(x.shape[2:], pad)))
    xp[(slice(None), slice(None)) + tuple(slice(p, p + s) for p, s in zip(pad, x.shape[2:]))] = x
    osz = [(xp.shape[2 + i] - dil[i] * (k[i] - 1) - 1) // st[i] + 1 for i in range(nd)]
    out = np.zeros((x.shape[0], w.shape[0]) + tuple(osz))
    for pos in itertools.product(*[range(o) for o in osz]):
        win = tuple(slice(pos[i] * st[i], pos[i] * st[i] + dil[i] * (k[i] - 1) + 1, dil[i])
                    for i in range(nd))
        patch = xp[(slice(None), slice(None)) + win]
        out[(slice(None), slice(None)) + pos] = np.tensordot(patch, w, axes=(
            list(range(1, nd + 2)), list(range(1, nd + 2))))
    if b is not None:
        out += b.reshape((1, -1) + (1,) * nd)
    return out


def ref_full(x, w, b, st, pad, adj):
    """Transposed convolution: x (B, Cin, S...), w (Cin, O, k...)."""
    nd = x.ndim - 2
    k = w.shape[2:]
    S = x.shape[2:]
    osz = [(S[i] - 1) * st[i] - 2 * pad[i] + k[i] + adj[i] for i in range(nd)]
    canvas = np.zeros((x.shape[0], w.shape[1]) + tuple(o + 2 * p for o, p in zip(osz, pad)))
    for pos in itertools.product(*[range(s) for s in S]):
        for off in itertools.product(*[range(v) for v in k]):
            at = tuple(pos[i] * st[i] + off[i] for i in range(nd))
            canvas[(slice(None), slice(None)) + at] += np.einsum(
                "bc,co->bo", x[(slice(None), slice(None)) + pos],
                w[(slice(None), slice(None)) + off])
    out = canvas[(slice(None), slice(None)) + tuple(slice(p, p + o) for p, o in zip(pad, osz))]
    if b is not None:
        out = out + b.reshape((1, -1) + (1,) * nd)
    return out


def batched(ref, x, *args):
    """Apply a batch reference to a non-batch input too."""
    return ref(x[None], *args)[0]


# -- SpatialConvolution family: values ------------------------------------------------------------
SPATIAL = [
    # (nInputPlane, nOutputPlane, kW, kH, dW, dH, padW, padH, H, W)
    (1, 3, 3, 2, 1, 1, 0, 0, 5, 6),     # channels-first columns (few planes)
    (1, 2, 3, 3, 2, 1, 1, 2, 6, 5),
    (5, 3, 3, 2, 1, 2, 2, 1, 6, 7),     # channels-last columns
    (6, 4, 1, 1, 1, 1, 0, 0, 3, 4),
]


@pytest.mark.parametrize("cls", ["SpatialConvolution", "SpatialConvolutionMM"])
@pytest.mark.parametrize("cfg", SPATIAL)
@pytest.mark.parametrize("ttype", TTYPES)
def test_spatial_values(nnrt: Runtime, cls: str, cfg: tuple, ttype: str) -> None:
    C, Co, kW, kH, dW, dH, pW, pH, H, W = cfg
    x = rnd(3, C, H, W)
    put(nnrt, "_x", x, ttype)
    nnrt.execute(f"_m = nn.{cls}({C}, {Co}, {kW}, {kH}, {dW}, {dH}, {pW}, {pH}):{ttype.lower()}()")
    out = get(nnrt, "_m:forward(_x)")
    w = get(nnrt, "_m.weight").reshape(Co, C, kH, kW)
    b = get(nnrt, "_m.bias")
    tol = 1e-12 if ttype == "Double" else 1e-5
    np.testing.assert_allclose(out, ref_conv(x, w, b, (dH, dW), (pH, pW)), rtol=tol, atol=tol)
    assert out.dtype == (np.float64 if ttype == "Double" else np.float32)
    # non-batch input
    put(nnrt, "_x1", x[1], ttype)
    out1 = get(nnrt, "_m:forward(_x1)")
    np.testing.assert_allclose(out1, ref_conv(x[1:2], w, b, (dH, dW), (pH, pW))[0], rtol=tol,
                               atol=tol)


def test_spatial_weight_shapes(nnrt: Runtime) -> None:
    nnrt.execute("_a = nn.SpatialConvolution(3, 4, 5, 2) _b = nn.SpatialConvolutionMM(3, 4, 5, 2)")
    assert list(nnrt.eval("_a.weight:size():totable()").values()) == [4, 3, 2, 5]
    assert list(nnrt.eval("_b.weight:size():totable()").values()) == [4, 30]
    assert nnrt.eval("_a.padH") == 0 and nnrt.eval("_a.dW") == 1
    nnrt.execute("_c = nn.SpatialConvolution(3, 4, 5, 5, 1, 1, 2)")
    assert nnrt.eval("_c.padH") == 2  # padH defaults to padW
    assert nnrt.eval("tostring(_c)") == "nn.SpatialConvolution(3 -> 4, 5x5, 1,1, 2,2)"
    assert nnrt.eval("tostring(_a)") == "nn.SpatialConvolution(3 -> 4, 5x2)"
    assert nnrt.eval("tostring(nn.SpatialConvolution(3, 4, 3, 3):noBias())") == \
        "nn.SpatialConvolution(3 -> 4, 3x3) without bias"


@pytest.mark.parametrize("ttype", TTYPES)
def test_dilated_values(nnrt: Runtime, ttype: str) -> None:
    for C in (2, 5):
        x = rnd(2, C, 9, 8)
        put(nnrt, "_x", x, ttype)
        nnrt.execute(f"_m = nn.SpatialDilatedConvolution({C}, 3, 3, 2, 2, 1, 1, 2, 1, 3)"
                     f":{ttype.lower()}()")
        out = get(nnrt, "_m:forward(_x)")
        ref = ref_conv(x, get(nnrt, "_m.weight"), get(nnrt, "_m.bias"), (1, 2), (2, 1), (3, 1))
        tol = 1e-12 if ttype == "Double" else 1e-5
        np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)
    assert nnrt.eval("tostring(_m)") == \
        "nn.SpatialDilatedConvolution(5 -> 3, 3x2, 2,1, 1,2, 1,3)"


@pytest.mark.parametrize("ttype", TTYPES)
def test_volumetric_values(nnrt: Runtime, ttype: str) -> None:
    tol = 1e-12 if ttype == "Double" else 1e-5
    for C in (1, 4):
        x = rnd(2, C, 5, 6, 4)
        put(nnrt, "_x", x, ttype)
        # kT, kW, kH, dT, dW, dH, padT, padW, padH
        nnrt.execute(f"_m = nn.VolumetricConvolution({C}, 3, 2, 3, 2, 1, 2, 1, 1, 0, 1)"
                     f":{ttype.lower()}()")
        out = get(nnrt, "_m:forward(_x)")
        w, b = get(nnrt, "_m.weight"), get(nnrt, "_m.bias")
        assert w.shape == (3, C, 2, 2, 3)
        np.testing.assert_allclose(out, ref_conv(x, w, b, (1, 1, 2), (1, 1, 0)), rtol=tol,
                                   atol=tol)
        nnrt.execute(f"_m = nn.VolumetricDilatedConvolution({C}, 2, 2, 2, 2, 1, 1, 1, 0, 1, 1,"
                     f" 2, 1, 2):{ttype.lower()}()")
        out = get(nnrt, "_m:forward(_x)")
        ref = ref_conv(x, get(nnrt, "_m.weight"), get(nnrt, "_m.bias"), (1, 1, 1), (0, 1, 1),
                       (2, 2, 1))
        np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)
        put(nnrt, "_x1", x[0], ttype)
        np.testing.assert_allclose(get(nnrt, "_m:forward(_x1)"), ref[0], rtol=tol, atol=tol)


@pytest.mark.parametrize("ttype", TTYPES)
def test_full_values(nnrt: Runtime, ttype: str) -> None:
    tol = 1e-12 if ttype == "Double" else 1e-5
    x = rnd(2, 3, 4, 3)
    put(nnrt, "_x", x, ttype)
    # kW, kH, dW, dH, padW, padH, adjW, adjH
    nnrt.execute(f"_m = nn.SpatialFullConvolution(3, 2, 3, 2, 2, 3, 1, 0, 1, 2)"
                 f":{ttype.lower()}()")
    out = get(nnrt, "_m:forward(_x)")
    w, b = get(nnrt, "_m.weight"), get(nnrt, "_m.bias")
    assert w.shape == (3, 2, 2, 3)
    ref = ref_full(x, w, b, (3, 2), (0, 1), (2, 1))
    assert out.shape == (2, 2, (4 - 1) * 3 + 2 + 2, (3 - 1) * 2 - 2 + 3 + 1)
    np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)
    # {input, sizeTensor}: the adjustments come from the target size
    put(nnrt, "_t", np.zeros((2, 5, 13, 5)), ttype)
    out2 = get(nnrt, "_m:forward({_x, _t})")
    np.testing.assert_allclose(out2, ref_full(x, w, b, (3, 2), (0, 1), (2, 0)), rtol=tol,
                               atol=tol)
    assert out2.shape[2:] == (13, 5)
    nnrt.execute("_gi = _m:backward({_x, _t}, _m.output:clone():fill(1))")
    assert nnrt.eval("type(_gi)") == "table"
    assert np.all(get(nnrt, "_gi[2]") == 0) and get(nnrt, "_gi[2]").shape == (2, 5, 13, 5)
    assert get(nnrt, "_gi[1]").shape == x.shape
    # volumetric
    x3 = rnd(2, 2, 3, 2, 3)
    put(nnrt, "_x3", x3, ttype)
    nnrt.execute(f"_v = nn.VolumetricFullConvolution(2, 3, 2, 3, 2, 2, 1, 2, 1, 0, 1, 1, 0, 1)"
                 f":{ttype.lower()}()")
    out = get(nnrt, "_v:forward(_x3)")
    ref = ref_full(x3, get(nnrt, "_v.weight"), get(nnrt, "_v.bias"), (2, 2, 1), (1, 1, 0),
                   (1, 1, 0))
    np.testing.assert_allclose(out, ref, rtol=tol, atol=tol)
    put(nnrt, "_x31", x3[1], ttype)
    np.testing.assert_allclose(get(nnrt, "_v:forward(_x31)"), ref[1], rtol=tol, atol=tol)


def test_full_adj_limit(nnrt: Runtime) -> None:
    msg = lua_error(nnrt, "nn.SpatialFullConvolution(1, 1, 3, 3, 2, 2, 0, 0, 2, 0)")
    assert msg == "user.lua:1: adjW and adjH must be smaller than self.dW - 1 and self.dH - 1 " \
        "respectively"


@pytest.mark.parametrize("ttype", TTYPES)
def test_local_values(nnrt: Runtime, ttype: str) -> None:
    tol = 1e-12 if ttype == "Double" else 1e-5
    x = rnd(2, 3, 5, 6)
    put(nnrt, "_x", x, ttype)
    # nInputPlane, nOutputPlane, iW, iH, kW, kH, dW, dH, padW, padH
    nnrt.execute(f"_m = nn.SpatialConvolutionLocal(3, 2, 6, 5, 3, 2, 2, 1, 1, 0)"
                 f":{ttype.lower()}()")
    w, b = get(nnrt, "_m.weight"), get(nnrt, "_m.bias")
    oH, oW = 4, 3
    assert w.shape == (oH, oW, 2, 3, 2, 3) and b.shape == (2, oH, oW)
    xp = np.pad(x, ((0, 0), (0, 0), (0, 0), (1, 1)))
    ref = np.zeros((2, 2, oH, oW))
    for i, j in itertools.product(range(oH), range(oW)):
        patch = xp[:, :, i:i + 2, 2 * j:2 * j + 3]
        ref[:, :, i, j] = np.einsum("bckl,ockl->bo", patch, w[i, j]) + b[:, i, j]
    np.testing.assert_allclose(get(nnrt, "_m:forward(_x)"), ref, rtol=tol, atol=tol)
    put(nnrt, "_x1", x[1], ttype)
    np.testing.assert_allclose(get(nnrt, "_m:forward(_x1)"), ref[1], rtol=tol, atol=tol)


@pytest.mark.parametrize("ttype", TTYPES)
def test_map_values_and_tables(nnrt: Runtime, ttype: str) -> None:
    tol = 1e-12 if ttype == "Double" else 1e-5
    full = get(nnrt, "nn.tables.full(2, 3)")
    np.testing.assert_array_equal(full, [[1, 1], [2, 1], [1, 2], [2, 2], [1, 3], [2, 3]])
    np.testing.assert_array_equal(get(nnrt, "nn.tables.oneToOne(3)"), [[1, 1], [2, 2], [3, 3]])
    nnrt.execute("torch.manualSeed(3) _r = nn.tables.random(5, 4, 2)")
    r = get(nnrt, "_r")
    assert r.shape == (8, 2)
    np.testing.assert_array_equal(r[:, 1], [1, 1, 2, 2, 3, 3, 4, 4])
    for o in range(4):  # distinct inputs per output
        assert len(set(r[2 * o:2 * o + 2, 0])) == 2
    assert set(r[:4, 0]) | set() <= set(range(1, 6))
    # the draws: chunks of one permutation, then a fresh permutation
    nnrt.execute("torch.manualSeed(3) _p1 = torch.randperm(5) _p2 = torch.randperm(5)")
    p1, p2 = get(nnrt, "_p1"), get(nnrt, "_p2")
    np.testing.assert_array_equal(r[:, 0], np.concatenate([p1[:4], p2[:4]]))

    x = rnd(2, 3, 5, 4)
    put(nnrt, "_x", x, ttype)
    nnrt.execute(f"_ct = torch.Tensor{{{{1, 1}}, {{3, 1}}, {{2, 2}}, {{3, 2}}, {{3, 2}}}}"
                 f" _m = nn.SpatialConvolutionMap(_ct, 3, 2, 1, 2):{ttype.lower()}()")
    w, b = get(nnrt, "_m.weight"), get(nnrt, "_m.bias")
    assert w.shape == (5, 2, 3) and b.shape == (2,)
    dense = np.zeros((2, 3, 2, 3))
    for kk, (i, o) in enumerate([(1, 1), (3, 1), (2, 2), (3, 2), (3, 2)]):
        dense[o - 1, i - 1] += w[kk]
    ref = ref_conv(x, dense, b, (2, 1), (0, 0))
    np.testing.assert_allclose(get(nnrt, "_m:forward(_x)"), ref, rtol=tol, atol=tol)
    put(nnrt, "_x1", x[0], ttype)
    np.testing.assert_allclose(get(nnrt, "_m:forward(_x1)"), ref[0], rtol=tol, atol=tol)


def test_map_reset_order(nnrt: Runtime) -> None:
    """Kernels are drawn one after the other with their output's fan-in, then the biases."""
    nnrt.execute("torch.manualSeed(11)"
                 " _m = nn.SpatialConvolutionMap(torch.Tensor{{1, 1}, {2, 1}, {1, 2}}, 2, 2)"
                 " torch.manualSeed(11)"
                 " _a = torch.Tensor(8):uniform(-1 / math.sqrt(8), 1 / math.sqrt(8))"
                 " _c = torch.Tensor(4):uniform(-0.5, 0.5)"
                 " _d = torch.Tensor(1):uniform(-1 / math.sqrt(8), 1 / math.sqrt(8))"
                 " _e = torch.Tensor(1):uniform(-0.5, 0.5)")
    w = get(nnrt, "_m.weight").reshape(-1)
    np.testing.assert_allclose(w, np.concatenate([get(nnrt, "_a"), get(nnrt, "_c")]))
    np.testing.assert_allclose(get(nnrt, "_m.bias"),
                               np.concatenate([get(nnrt, "_d"), get(nnrt, "_e")]))


@pytest.mark.parametrize("ttype", TTYPES)
def test_depthwise_values(nnrt: Runtime, ttype: str) -> None:
    tol = 1e-12 if ttype == "Double" else 1e-5
    x = rnd(2, 3, 5, 6)
    put(nnrt, "_x", x, ttype)
    nnrt.execute(f"_m = nn.SpatialDepthWiseConvolution(3, 2, 3, 2, 2, 1, 1, 1)"
                 f":{ttype.lower()}()")
    w = get(nnrt, "_m.weight").reshape(2, 3, 2, 3)   # multiplier x planes x kH x kW
    b = get(nnrt, "_m.bias")                        # multiplier x planes
    dense = np.zeros((6, 3, 2, 3))
    bias = np.zeros(6)
    for i in range(3):
        for m in range(2):
            dense[i * 2 + m, i] = w[m, i]
            bias[i * 2 + m] = b[m, i]
    ref = ref_conv(x, dense, bias, (1, 2), (1, 1))
    np.testing.assert_allclose(get(nnrt, "_m:forward(_x)"), ref, rtol=tol, atol=tol)
    put(nnrt, "_x1", x[1], ttype)
    np.testing.assert_allclose(get(nnrt, "_m:forward(_x1)"), ref[1], rtol=tol, atol=tol)


@pytest.mark.parametrize("ttype", TTYPES)
def test_subsampling_values(nnrt: Runtime, ttype: str) -> None:
    tol = 1e-12 if ttype == "Double" else 1e-5
    x = rnd(2, 3, 7, 6)
    put(nnrt, "_x", x, ttype)
    nnrt.execute(f"_m = nn.SpatialSubSampling(3, 2, 3, 2, 2):{ttype.lower()}()")
    w, b = get(nnrt, "_m.weight"), get(nnrt, "_m.bias")
    dense = np.zeros((3, 3, 3, 2))
    for c in range(3):
        dense[c, c] = w[c]
    ref = ref_conv(x, dense, b, (2, 2), (0, 0))
    np.testing.assert_allclose(get(nnrt, "_m:forward(_x)"), ref, rtol=tol, atol=tol)
    put(nnrt, "_x1", x[0], ttype)
    np.testing.assert_allclose(get(nnrt, "_m:forward(_x1)"), ref[0], rtol=tol, atol=tol)
    # temporal: frames x features
    xt = rnd(2, 9, 4)
    put(nnrt, "_xt", xt, ttype)
    nnrt.execute(f"_t = nn.TemporalSubSampling(4, 3, 2):{ttype.lower()}()")
    w, b = get(nnrt, "_t.weight"), get(nnrt, "_t.bias")
    ref = np.stack([xt[:, 2 * t:2 * t + 3].sum(1) * w + b for t in range(4)], axis=1)
    np.testing.assert_allclose(get(nnrt, "_t:forward(_xt)"), ref, rtol=tol, atol=tol)
    put(nnrt, "_xt1", xt[1], ttype)
    np.testing.assert_allclose(get(nnrt, "_t:forward(_xt1)"), ref[1], rtol=tol, atol=tol)


@pytest.mark.parametrize("ttype", TTYPES)
def test_temporal_values(nnrt: Runtime, ttype: str) -> None:
    tol = 1e-12 if ttype == "Double" else 1e-5
    x = rnd(2, 10, 3)
    put(nnrt, "_x", x, ttype)
    nnrt.execute(f"_m = nn.TemporalConvolution(3, 4, 3, 2):{ttype.lower()}()")
    w, b = get(nnrt, "_m.weight"), get(nnrt, "_m.bias")
    assert w.shape == (4, 9)
    ref = np.stack([x[:, 2 * t:2 * t + 3].reshape(2, 9) @ w.T + b for t in range(4)], axis=1)
    np.testing.assert_allclose(get(nnrt, "_m:forward(_x)"), ref, rtol=tol, atol=tol)
    put(nnrt, "_x1", x[0], ttype)
    np.testing.assert_allclose(get(nnrt, "_m:forward(_x1)"), ref[0], rtol=tol, atol=tol)
    # the documented equivalence: a width-1 kernel is a dot product per frame
    nnrt.execute(f"_k = nn.TemporalConvolution(3, 1, 1):{ttype.lower()}()")
    out = get(nnrt, "_k:forward(_x1)")
    np.testing.assert_allclose(out[:, 0], x[0] @ get(nnrt, "_k.weight")[0] +
                               get(nnrt, "_k.bias")[0], rtol=tol, atol=tol)


@pytest.mark.parametrize("ttype", TTYPES)
def test_temporal_maxpooling(nnrt: Runtime, ttype: str) -> None:
    x = rnd(2, 9, 3)
    put(nnrt, "_x", x, ttype)
    nnrt.execute("_m = nn.TemporalMaxPooling(3, 2)")
    out = get(nnrt, "_m:forward(_x)")
    win = np.stack([x[:, 2 * t:2 * t + 3] for t in range(4)], axis=1)  # B, T, k, C
    np.testing.assert_allclose(out, win.max(2).astype(out.dtype))
    idx = get(nnrt, "_m.indices")
    assert nnrt.eval("torch.type(_m.indices)") == "torch.LongTensor"
    np.testing.assert_array_equal(idx, win.argmax(2))
    # gradients pile up where windows overlap
    g = rnd(2, 4, 3, seed=5)
    put(nnrt, "_g", g, ttype)
    gi = get(nnrt, "_m:backward(_x, _g)")
    ref = np.zeros_like(x)
    for b, t, c in itertools.product(range(2), range(4), range(3)):
        ref[b, 2 * t + idx[b, t, c], c] += g[b, t, c]
    np.testing.assert_allclose(gi, ref, rtol=1e-6)
    nnrt.execute("_d = nn.TemporalMaxPooling(2)")
    assert nnrt.eval("_d.dW") == 2
    put(nnrt, "_x1", x[0], ttype)
    np.testing.assert_allclose(get(nnrt, "_m:forward(_x1)"), out[0])


@pytest.mark.parametrize("ttype", TTYPES)
def test_row_convolution_values(nnrt: Runtime, ttype: str) -> None:
    tol = 1e-12 if ttype == "Double" else 1e-5
    x = rnd(2, 8, 3)
    put(nnrt, "_x", x, ttype)
    nnrt.execute(f"_m = nn.TemporalRowConvolution(3, 3, 2):{ttype.lower()}()")
    w, b = get(nnrt, "_m.weight"), get(nnrt, "_m.bias")
    assert w.shape == (3, 1, 3)
    ref = np.stack([(x[:, 2 * t:2 * t + 3] * w[:, 0].T).sum(1) + b for t in range(3)], axis=1)
    np.testing.assert_allclose(get(nnrt, "_m:forward(_x)"), ref, rtol=tol, atol=tol)
    # features first: same numbers, transposed
    put(nnrt, "_xf", x.transpose(0, 2, 1), ttype)
    nnrt.execute("_f = nn.TemporalRowConvolution(3, 3, 2, true):type(_m:type())"
                 " _f.weight:copy(_m.weight) _f.bias:copy(_m.bias)")
    np.testing.assert_allclose(get(nnrt, "_f:forward(_xf)"), ref.transpose(0, 2, 1), rtol=tol,
                               atol=tol)
    put(nnrt, "_x1", x[1], ttype)
    np.testing.assert_allclose(get(nnrt, "_m:forward(_x1)"), ref[1], rtol=tol, atol=tol)


# -- finite-difference gradients ------------------------------------------------------------------
GRAD = [
    # (id, constructor, input shape (batch), parameters)
    ("conv-cf", "nn.SpatialConvolution(2, 3, 3, 2, 1, 2, 1, 0)", (2, 2, 5, 4), WB),
    ("conv-cl", "nn.SpatialConvolution(4, 2, 2, 3, 2, 1, 0, 1)", (2, 4, 4, 5), WB),
    ("conv-nobias", "nn.SpatialConvolution(4, 2, 2, 2):noBias()", (2, 4, 3, 3),
     [("weight", "gradWeight")]),
    ("mm", "nn.SpatialConvolutionMM(1, 2, 3, 3, 1, 1, 1, 1)", (2, 1, 4, 4), WB),
    ("dilated", "nn.SpatialDilatedConvolution(4, 2, 2, 2, 1, 1, 1, 1, 2, 2)", (2, 4, 4, 4), WB),
    ("dilated-cf", "nn.SpatialDilatedConvolution(1, 2, 2, 2, 2, 1, 0, 1, 2, 1)", (2, 1, 5, 4),
     WB),
    ("volumetric", "nn.VolumetricConvolution(2, 2, 2, 2, 2, 1, 1, 1, 1, 0, 1)", (2, 2, 3, 3, 3),
     WB),
    ("volumetric-cl", "nn.VolumetricConvolution(4, 2, 2, 1, 2, 1, 1, 1)", (2, 4, 3, 2, 3), WB),
    ("vol-dilated", "nn.VolumetricDilatedConvolution(2, 1, 2, 2, 2, 1, 1, 1, 0, 1, 0, 2, 1, 1)",
     (2, 2, 4, 3, 3), WB),
    ("full", "nn.SpatialFullConvolution(2, 3, 3, 2, 2, 1, 1, 0, 1, 0)", (2, 2, 3, 3), WB),
    ("full-nobias", "nn.SpatialFullConvolution(3, 2, 2, 2):noBias()", (2, 3, 2, 3),
     [("weight", "gradWeight")]),
    ("full3d", "nn.VolumetricFullConvolution(2, 2, 2, 2, 2, 2, 1, 1, 1, 0, 0, 1, 0, 0)",
     (2, 2, 2, 2, 3), WB),
    ("local", "nn.SpatialConvolutionLocal(2, 2, 4, 3, 2, 2, 1, 1, 1, 0)", (2, 2, 3, 4), WB),
    ("map", "nn.SpatialConvolutionMap(nn.tables.random(3, 2, 2), 2, 2, 1, 2)", (2, 3, 5, 3), WB),
    ("map-1to1", "nn.SpatialConvolutionMap(nn.tables.oneToOne(2), 2, 2)", (2, 2, 3, 3), WB),
    ("depthwise", "nn.SpatialDepthWiseConvolution(2, 2, 2, 2, 1, 1, 1, 0)", (2, 2, 3, 4), WB),
    ("depthwise-nobias", "nn.SpatialDepthWiseConvolution(3, 1, 2, 2):noBias()", (2, 3, 3, 3),
     [("weight", "gradWeight")]),
    ("subsampling", "nn.SpatialSubSampling(2, 2, 3, 1, 2)", (2, 2, 5, 4), WB),
    ("temporal", "nn.TemporalConvolution(3, 2, 3, 2)", (2, 7, 3), WB),
    ("temporal-sub", "nn.TemporalSubSampling(3, 3, 2)", (2, 7, 3), WB),
    ("temporal-max", "nn.TemporalMaxPooling(3, 2)", (2, 7, 3), []),
    ("row", "nn.TemporalRowConvolution(3, 3, 2)", (2, 7, 3), WB),
    ("row-featfirst", "nn.TemporalRowConvolution(3, 2, 1, true)", (2, 3, 5), WB),
    ("row-nobias", "nn.TemporalRowConvolution(3, 2):noBias()", (2, 5, 3),
     [("weight", "gradWeight")]),
]


@pytest.mark.parametrize("ttype", TTYPES)
@pytest.mark.parametrize("batch", [True, False], ids=["batch", "single"])
@pytest.mark.parametrize("case", GRAD, ids=[g[0] for g in GRAD])
def test_gradients(nnrt: Runtime, case: tuple, batch: bool, ttype: str) -> None:
    _, ctor, shape, params = case
    x = rnd(*shape, seed=1)
    if not batch:
        x = x[0]
    check_module(nnrt, f"(torch.manualSeed(4) and nil) or {ctor}", x, ttype, params=params)


def test_jacobian(nnrt: Runtime) -> None:
    """nn.Jacobian on a padded, strided convolution (input, weight, bias, update)."""
    ttype = "Double"
    nnrt.execute(f"""
      local m = nn.SpatialConvolution(3, 2, 3, 2, 2, 1, 1, 1):{ttype.lower()}()
      local x = torch.{ttype}Tensor(2, 3, 5, 4):normal()
      _e = {{nn.Jacobian.testJacobian(m, x),
             nn.Jacobian.testJacobianParameters(m, x, m.weight, m.gradWeight),
             nn.Jacobian.testJacobianParameters(m, x, m.bias, m.gradBias),
             nn.Jacobian.testJacobianUpdateParameters(m, x, m.weight)}}""")
    for i in range(1, 5):
        assert nnrt.eval(f"_e[{i}]") < 1e-6


# -- parameters: init order, accumulation, noBias -------------------------------------------------
def test_spatial_init_order(nnrt: Runtime) -> None:
    """SpatialConvolution(3, 2, 1, 1) draws like Linear(3, 2): Torch7's reference values."""
    nnrt.execute("torch.manualSeed(7) _m = nn.SpatialConvolution(3, 2, 1, 1)")
    w = get(nnrt, "_m.weight")
    assert w.shape == (2, 3, 1, 1)
    np.testing.assert_allclose(w[0, :, 0, 0], [-0.489237044289814, -0.314841716953753,
                                               0.323222384079194], rtol=1e-12)
    np.testing.assert_allclose(get(nnrt, "_m.bias"), [0.258035363414462, -0.051286131023956],
                               rtol=1e-11)
    # larger kernels: the weight in storage order, then the bias
    nnrt.execute("torch.manualSeed(9) _m = nn.SpatialConvolution(2, 3, 3, 2)"
                 " torch.manualSeed(9) local s = 1 / math.sqrt(12)"
                 " _w = torch.Tensor(3 * 2 * 2 * 3):uniform(-s, s)"
                 " _b = torch.Tensor(3):uniform(-s, s)")
    np.testing.assert_array_equal(get(nnrt, "_m.weight").reshape(-1), get(nnrt, "_w"))
    np.testing.assert_array_equal(get(nnrt, "_m.bias"), get(nnrt, "_b"))
    # reset(stdv) draws in [-stdv*sqrt(3), stdv*sqrt(3)]
    nnrt.execute("_m:reset(0.1)")
    assert np.abs(get(nnrt, "_m.weight")).max() <= 0.1 * np.sqrt(3)
    # MM and the volumetric layer use the same order and fan-in
    nnrt.execute("torch.manualSeed(9) _n = nn.SpatialConvolutionMM(2, 3, 3, 2)")
    np.testing.assert_array_equal(get(nnrt, "_n.weight").reshape(-1), get(nnrt, "_w"))
    nnrt.execute("torch.manualSeed(2) _v = nn.VolumetricConvolution(2, 2, 2, 1, 3)"
                 " torch.manualSeed(2) local s = 1 / math.sqrt(12)"
                 " _w = torch.Tensor(24):uniform(-s, s) _b = torch.Tensor(2):uniform(-s, s)")
    np.testing.assert_array_equal(get(nnrt, "_v.weight").reshape(-1), get(nnrt, "_w"))
    np.testing.assert_array_equal(get(nnrt, "_v.bias"), get(nnrt, "_b"))


@pytest.mark.parametrize("ctor,shape", [
    ("nn.SpatialConvolution(1, 2, 2, 2, 1, 1, 1, 1)", (2, 1, 3, 3)),
    ("nn.SpatialConvolution(5, 2, 2, 2)", (2, 5, 3, 3)),
    ("nn.SpatialFullConvolution(2, 2, 2, 2, 2, 2)", (2, 2, 2, 2)),
    ("nn.TemporalConvolution(2, 3, 2)", (2, 4, 2)),
    ("nn.SpatialDepthWiseConvolution(2, 2, 2, 2)", (2, 2, 3, 3)),
    ("nn.SpatialConvolutionLocal(2, 2, 3, 3, 2, 2)", (2, 2, 3, 3)),
])
def test_accumulates_with_scale(nnrt: Runtime, ctor: str, shape: tuple) -> None:
    put(nnrt, "_x", rnd(*shape))
    nnrt.execute(f"_m = {ctor} _m:zeroGradParameters() local y = _m:forward(_x)"
                 " _g = y:clone():normal() _m:backward(_x, _g)"
                 " _gw1 = _m.gradWeight:clone() _gb1 = _m.gradBias:clone()"
                 " _m:backward(_x, _g, 0.5)")
    np.testing.assert_allclose(get(nnrt, "_m.gradWeight"), 1.5 * get(nnrt, "_gw1"), rtol=1e-12)
    np.testing.assert_allclose(get(nnrt, "_m.gradBias"), 1.5 * get(nnrt, "_gb1"), rtol=1e-12)


def test_accgrad_without_forward_columns(nnrt: Runtime) -> None:
    """accGradParameters recomputes the columns when finput does not fit the input."""
    put(nnrt, "_x", rnd(2, 4, 5, 5))
    put(nnrt, "_g", rnd(2, 3, 3, 3, seed=2))
    nnrt.execute("_m = nn.SpatialConvolution(4, 3, 3, 3) _m:forward(_x) _m:zeroGradParameters()"
                 " _m:accGradParameters(_x, _g) _gw = _m.gradWeight:clone()"
                 " _m.finput:set() _m:zeroGradParameters() _m:accGradParameters(_x, _g)")
    np.testing.assert_allclose(get(nnrt, "_m.gradWeight"), get(nnrt, "_gw"), rtol=1e-12)


def test_parameters_and_type(nnrt: Runtime) -> None:
    nnrt.execute("_m = nn.SpatialConvolution(2, 3, 3, 3):noBias()")
    assert nnrt.eval("#_m:parameters()") == 1
    nnrt.execute("_m:float() _y = _m:forward(torch.FloatTensor(2, 5, 5):normal())")
    assert nnrt.eval("torch.type(_y)") == "torch.FloatTensor"
    assert nnrt.eval("torch.type(_m.finput)") == "torch.FloatTensor"
    nnrt.execute("_m:clearState()")
    assert nnrt.eval("_m.finput:nElement()") == 0
    # getParameters keeps the layer working on the flattened storage
    nnrt.execute("_s = nn.Sequential():add(nn.SpatialConvolution(1, 2, 3, 3))"
                 ":add(nn.SpatialConvolution(2, 2, 2, 2)) _p, _gp = _s:getParameters()"
                 " _gp:zero() _o = _s:forward(torch.randn(3, 1, 6, 6))"
                 " _s:backward(torch.randn(3, 1, 6, 6), _o:clone():fill(1))")
    assert nnrt.eval("_gp:abs():sum() > 0")


def test_non_contiguous_input(nnrt: Runtime) -> None:
    x = rnd(2, 3, 6, 5)
    put(nnrt, "_x", x.transpose(0, 1, 3, 2).copy())
    nnrt.execute("_m = nn.SpatialConvolution(3, 2, 3, 2, 1, 1, 1, 0)"
                 " _xt = _x:transpose(3, 4)")
    assert not nnrt.eval("_xt:isContiguous()")
    out = get(nnrt, "_m:forward(_xt)")
    ref = ref_conv(x, get(nnrt, "_m.weight"), get(nnrt, "_m.bias"), (1, 1), (0, 1))
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("batch", [True, False])
def test_engines_agree(batch: bool) -> None:
    """Channels-first / channels-last columns, whole-batch or chunked work: same results."""
    from luatorch.tensor import Tensor

    xa = rnd(3, 5, 6, 7)
    w = Tensor.from_array(rnd(3, 5, 2, 3, seed=1), np.float64)
    b = Tensor.from_array(rnd(3, seed=2), np.float64)
    ga = rnd(3, 3, 5, 7, seed=3)
    x = Tensor.from_array(xa if batch else xa[0], np.float64)
    g = Tensor.from_array(ga if batch else ga[0], np.float64)
    args = (3, 2, 1, 2, 1, 2, 1, 1)  # kW, kH, dW, dH, padW, padH, dilW, dilH
    ref = ref_conv(xa, w.a, b.a, (2, 1), (2, 1))
    res = []
    old = conv.CL_MIN_PLANES, conv.CHUNK_ELEMS, conv.CF_MIN_WIDTH
    try:
        for planes, chunk, width in itertools.product((1, 100), (1, 1 << 20), (1, 100)):
            conv.CL_MIN_PLANES, conv.CHUNK_ELEMS, conv.CF_MIN_WIDTH = planes, chunk, width
            out, gi = Tensor.empty((), np.float64), Tensor.empty((), np.float64)
            fin, fg = Tensor.empty((), np.float64), Tensor.empty((), np.float64)
            gw, gb = Tensor.empty((3, 5, 2, 3), np.float64), Tensor.empty((3,), np.float64)
            conv.conv_spatial_fwd(out, x, w, b, fin, fg, *args)
            conv.conv_spatial_bwd(gi, x, g, w, fg, *args)
            conv.conv_spatial_acc(x, g, gw, gb, fin, fg, *args, 1.0)
            conv.conv_spatial_acc(x, g, gw, gb, fin, fg, *args, 1.0)  # accumulates
            res.append([t.a.copy() for t in (out, gi, gw, gb)])
    finally:
        conv.CL_MIN_PLANES, conv.CHUNK_ELEMS, conv.CF_MIN_WIDTH = old
    np.testing.assert_allclose(res[0][0], ref if batch else ref[0], rtol=1e-12, atol=1e-12)
    for r in res[1:]:
        for a, c in zip(res[0], r):
            np.testing.assert_allclose(a, c, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("ttype", TTYPES)
def test_chunked_gradients(nnrt: Runtime, ttype: str) -> None:
    """Gradients with one sample per chunk (the blocking used on large layers)."""
    old = conv.CHUNK_ELEMS, conv.CF_MIN_WIDTH
    try:
        conv.CHUNK_ELEMS, conv.CF_MIN_WIDTH = 1, 2
        check_module(nnrt, "nn.SpatialConvolution(4, 2, 3, 2, 1, 1, 1, 1)", rnd(3, 4, 3, 4),
                     ttype, params=WB)
        check_module(nnrt, "nn.SpatialConvolution(1, 2, 2, 2, 1, 2, 0, 1)", rnd(3, 1, 3, 4),
                     ttype, params=WB)
    finally:
        conv.CHUNK_ELEMS, conv.CF_MIN_WIDTH = old


@pytest.mark.parametrize("ttype", TTYPES)
def test_full_convolutions_chunked(nnrt: Runtime, ttype: str) -> None:
    """Full (transposed) convolutions a sample per pass (their columns grew past 3 GB for a
    whole batch of volumes): the gradients still match finite differences, and outputs and
    gradients equal the whole-batch pass."""
    old = conv.CHUNK_ELEMS
    full2d = "nn.SpatialFullConvolution(2, 3, 3, 2, 2, 1, 1, 0, 1, 0)"
    full3d = "nn.VolumetricFullConvolution(2, 2, 2, 2, 2, 2, 1, 1, 1, 0, 0, 1, 0, 0)"
    x2, x3 = rnd(3, 2, 3, 3), rnd(3, 2, 2, 3, 2)

    def run(spec: str, x: np.ndarray) -> list:
        put(nnrt, "_x", x, ttype)
        nnrt.execute(f"torch.manualSeed(5) _f = {spec}:type('torch.{ttype}Tensor') "
                     "_f:zeroGradParameters() _y = _f:forward(_x):clone() "
                     "_gi = _f:backward(_x, _y:clone():fill(0.5)):clone()")
        return [get(nnrt, e) for e in ("_y", "_gi", "_f.gradWeight", "_f.gradBias")]

    try:
        whole = [run(full2d, x2), run(full3d, x3)]
        conv.CHUNK_ELEMS = 1
        check_module(nnrt, full2d, x2, ttype, params=WB)
        check_module(nnrt, full3d, x3, ttype, params=WB)
        chunked = [run(full2d, x2), run(full3d, x3)]
    finally:
        conv.CHUNK_ELEMS = old
    tol = 1e-5 if ttype == "Float" else 1e-12
    for w, c in zip(whole, chunked):
        for a, b in zip(w, c):
            np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


# -- errors ---------------------------------------------------------------------------------------
ERRORS = [
    ("nn.SpatialConvolution(3, 4, 3, 3):forward(torch.Tensor(3, 4))",
     "3D or 4D input tensor expected but got: [3 x 4]"),
    ("nn.SpatialConvolution(3, 4, 3, 3):forward(torch.Tensor(2, 8, 8))",
     "Need input of dimension 3 and input.size[0] == 3 but got input to be of shape: "
     "[2 x 8 x 8]"),
    ("nn.SpatialConvolution(3, 4, 5, 5):forward(torch.Tensor(3, 2, 2))",
     "Given input size: (3 x 2 x 2). Calculated output size: (4 x -2 x -2). Output size is too "
     "small"),
    ("nn.SpatialConvolutionMM(2, 4, 3, 3):forward(torch.Tensor(5, 3, 8, 8))",
     "Need input of dimension 4 and input.size[1] == 2 but got input to be of shape: "
     "[5 x 3 x 8 x 8]"),
    ("local m = nn.SpatialConvolution(1, 2, 3, 3) local x = torch.Tensor(1, 5, 5)"
     " m:forward(x) m:backward(x, torch.Tensor(2, 4, 3))",
     "Need gradOutput of dimension 3 and gradOutput.size[1] == 3 but got gradOutput to be of "
     "shape: [2 x 4 x 3]"),
    ("nn.SpatialConvolution(1, 2, 3, 3):forward(torch.FloatTensor(1, 5, 5))",
     "input is a torch.FloatTensor but the module holds torch.DoubleTensors (convert one of "
     "them with :type())"),
    ("local m = nn.SpatialConvolution(1, 2, 3, 3) m.kW = 0 m:forward(torch.Tensor(1, 5, 5))",
     "kernel size should be greater than zero, but got kH: 3 kW: 0"),
    ("nn.SpatialConvolution(1, 2, 3, 3, 0):forward(torch.Tensor(1, 5, 5))",
     "stride should be greater than zero, but got dH: 1 dW: 0"),
    ("nn.VolumetricConvolution(1, 2, 3, 3, 3):forward(torch.Tensor(1, 5, 5))",
     "4D or 5D (batch mode) tensor expected for input, but got: [1 x 5 x 5]"),
    ("nn.VolumetricConvolution(1, 2, 3, 3, 3):forward(torch.Tensor(1, 2, 5, 5))",
     "Given input size: (1x2x5x5). Calculated output size: (2x0x3x3). Output size is too small"),
    ("nn.SpatialSubSampling(2, 3, 3):forward(torch.Tensor(2, 2, 5))",
     "input image smaller than kernel size"),
    ("nn.SpatialSubSampling(2, 3, 3):forward(torch.Tensor(3, 5, 5))",
     "invalid number of input planes"),
    ("nn.SpatialConvolutionMap(nn.tables.full(2, 2), 3, 3):forward(torch.Tensor(2, 5))",
     "3D or 4D(batch mode) tensor expected"),
    ("nn.SpatialConvolutionMap(nn.tables.full(2, 2), 3, 3):forward(torch.Tensor(2, 2, 5))",
     "input image smaller than kernel size"),
    ("nn.SpatialConvolutionMap(nn.tables.full(3, 2), 3, 3):forward(torch.Tensor(2, 5, 5))",
     "invalid number of input planes"),
    ("nn.TemporalConvolution(3, 2, 3):forward(torch.Tensor(2, 3))",
     "input sequence smaller than kernel size. Got: 2, Expected: 3"),
    ("nn.TemporalConvolution(3, 2, 3):forward(torch.Tensor(5, 4))",
     "invalid input frame size. Got: 4, Expected: 3"),
    ("nn.TemporalConvolution(3, 2, 3):forward(torch.Tensor(5))",
     "2D or 3D (batch mode) tensor expected for input, but got: [5]"),
    ("nn.TemporalMaxPooling(4):forward(torch.Tensor(3, 2))",
     "input sequence smaller than kernel size. Got: 3, Expected: 4"),
    ("nn.SpatialConvolutionLocal(2, 2, 4, 4, 3, 3):forward(torch.Tensor(2, 5, 4))",
     "Given input size: (2x5x4) inconsistent with expected input size: (2x4x4)."),
    ("nn.SpatialFullConvolution(2, 2, 3, 3):forward(torch.Tensor(3, 4, 4))",
     "Need input of dimension 3 and input.size[0] == 2 but got input to be of shape: "
     "[3 x 4 x 4]"),
    ("nn.SpatialConvolutionLocal(2, 2, 2, 2, 3, 3)",
     "illegal configuration: output width or height less than 1"),
]


@pytest.mark.parametrize("code,msg", ERRORS)
def test_errors(nnrt: Runtime, code: str, msg: str) -> None:
    assert lua_error(nnrt, code) == f"user.lua:1: {msg}"


def test_error_inside_container(nnrt: Runtime) -> None:
    msg = lua_error(nnrt, "nn.Sequential():add(nn.SpatialConvolution(3, 4, 3, 3))"
                          ":forward(torch.Tensor(2, 8, 8))")
    assert "In 1 module of nn.Sequential" in msg
    assert "input.size[0] == 3" in msg
