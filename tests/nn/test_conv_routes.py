"""The convolution kernel's alternative routes give the im2col results: the transform routes
(kernels.conv_dft, kernels.conv_winograd), gradInput as a convolution of gradOutput (unit
strides), the row-wise col2im, and the one-call backward of nn.SpatialConvolution."""

from __future__ import annotations

import numpy as np
import pytest

from luatorch.kernels import conv, conv_dft, conv_winograd
from luatorch.runtime import Runtime
from luatorch.tensor import Tensor

from .gradcheck import check_module, get, load_nn, put
from .test_conv import WB, ref_conv, rnd


@pytest.fixture(scope="module")
def nnrt() -> Runtime:
    return load_nn(Runtime())


# (B, C, Co, H, W, kH, kW, padH, padW, dH, dW)
GEOMETRIES = [
    (4, 6, 5, 8, 8, 5, 5, 0, 0, 1, 1),     # LeNet's second layer, smaller
    (3, 4, 7, 7, 9, 3, 5, 1, 2, 1, 1),     # odd plane, non-square kernel and padding
    (2, 5, 4, 6, 6, 3, 3, 1, 1, 1, 1),     # ResNet-style 3x3, same padding
    (2, 4, 4, 5, 5, 2, 2, 1, 1, 1, 1),     # even kernel: padding beyond half of it
    (2, 4, 6, 5, 6, 1, 1, 0, 0, 1, 1),     # 1x1
    (2, 5, 4, 9, 8, 1, 1, 0, 0, 1, 1),     # 1x1 on 64+ positions: channels-first columns
    (2, 6, 4, 17, 16, 1, 1, 0, 0, 2, 2),   # a ResNet shortcut (1x1, stride 2), channels-first
    (2, 4, 4, 9, 9, 3, 3, 1, 1, 2, 2),     # strided: im2col only
    # 3x3 unit stride (Winograd's route too): odd output, every padding, a 1x1 output
    (3, 5, 6, 7, 9, 3, 3, 0, 2, 1, 1),
    (2, 6, 3, 5, 4, 3, 3, 2, 1, 1, 1),
    (2, 3, 4, 3, 3, 3, 3, 0, 0, 1, 1),
]


def run_all(x: Tensor, w: Tensor, b: Tensor, g: Tensor, geo: tuple) -> list:
    """Output, gradInput (separate and one-call backward) and parameter gradients."""
    kH, kW, padH, padW, dH, dW = geo[5:]
    args = (kW, kH, dW, dH, padW, padH, 1, 1)
    dt = w.dtype
    out, gi, gi2 = (Tensor.empty((), dt) for _ in range(3))
    fin, fg = Tensor.empty((), dt), Tensor.empty((), dt)
    gw, gb = Tensor.from_array(np.zeros(w.size), dt), Tensor.from_array(np.zeros(b.size), dt)
    gw2, gb2 = Tensor.from_array(np.ones(w.size), dt), Tensor.from_array(np.ones(b.size), dt)
    conv.conv_spatial_fwd(out, x, w, b, fin, fg, *args)
    conv.conv_spatial_bwd(gi, x, g, w, fg, *args)
    conv.conv_spatial_acc(x, g, gw, gb, fin, fg, *args, 0.5)
    conv.conv_spatial_backward(gi2, x, g, w, gw2, gb2, fin, fg, *args, 0.5)
    return [out.a.copy(), gi.a.copy(), gw.a.copy(), gb.a.copy(), gi2.a.copy(),
            gw2.a - 1, gb2.a - 1]


@pytest.mark.parametrize("geo", GEOMETRIES)
@pytest.mark.parametrize("batch", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_routes_agree(monkeypatch: pytest.MonkeyPatch, geo: tuple, batch: bool,
                      dtype: type) -> None:
    B, C, Co, Hh, Ww, kH, kW, padH, padW, dH, dW = geo
    xa = rnd(B, C, Hh, Ww)
    oh, ow = (Hh + 2 * padH - kH) // dH + 1, (Ww + 2 * padW - kW) // dW + 1
    ga = rnd(B, Co, oh, ow, seed=3)
    w = Tensor.from_array(rnd(Co, C, kH, kW, seed=1), dtype)
    b = Tensor.from_array(rnd(Co, seed=2), dtype)
    x = Tensor.from_array(xa if batch else xa[0], dtype)
    g = Tensor.from_array(ga if batch else ga[0], dtype)
    results = {}
    winograd = conv_winograd.worth_it(2, (kH, kW), (dH, dW), (1, 1), (padH, padW), 1000, 1000)
    for spectral in (False, True, "winograd") if winograd else (False, True):
        for transposed in (False, True, "chunked"):
            with monkeypatch.context() as m:
                m.setattr(conv_dft, "worth_it", lambda *a, s=spectral: s is True)
                # these tests use few planes
                m.setattr(conv, "TRANSPOSED_MIN_PLANES", 1)
                m.setattr(conv_winograd, "MIN_PLANES", 1 if spectral == "winograd" else 10 ** 9)
                m.setattr(conv, "th_get_num_threads", lambda: 1)
                if not transposed:
                    m.setattr(conv._Conv, "transposable", lambda self: False)
                if transposed == "chunked":  # one sample per chunk: the backward shares the
                    m.setattr(conv, "CHUNK_ELEMS", 1)  # gradOutput columns (no reuse)
                    m.setattr(conv_winograd, "CHUNK_ELEMS", 1)
                results[spectral, transposed] = run_all(x, w, b, g, geo)
    tol = dict(rtol=1e-10, atol=1e-10) if dtype == np.float64 else dict(rtol=2e-4, atol=2e-4)
    ref = ref_conv(xa, w.a.astype(np.float64), b.a.astype(np.float64), (dH, dW), (padH, padW))
    base = results[False, False]
    np.testing.assert_allclose(base[0], ref if batch else ref[0], **tol)
    for key, res in results.items():
        for name, a, c in zip(("out", "gi", "gw", "gb", "gi2", "gw2", "gb2"), base, res):
            np.testing.assert_allclose(c, a, **tol, err_msg=f"{name} {key}")
    # the one-call backward gives what the two halves give
    for i, j in ((1, 4), (2, 5), (3, 6)):
        np.testing.assert_allclose(base[j], base[i], **tol)


def test_1x1_layout() -> None:
    """A 1x1 kernel takes channels-first columns (the input's own rows) from CF_MIN_POSITIONS
    output positions on, channels-last below (per-sample products would be tiny)."""
    w = Tensor.from_array(rnd(128, 64, 1, 1), np.float32)
    for S, st, cl in ((32, 2, False), (8, 1, False), (8, 2, True)):
        x = Tensor.from_array(rnd(2, 64, S, S), np.float32)
        assert conv._Conv(x, w, 2, (1, 1), (st, st), (0, 0), (1, 1), (2, 4)).cl is cl


def test_transposed_grad_input_needs_planes() -> None:
    """A first layer (3 planes) keeps col2im: its gradOutput columns would dwarf the image."""
    w = Tensor.from_array(rnd(64, 3, 3, 3), np.float32)
    x = Tensor.from_array(rnd(2, 3, 8, 8), np.float32)
    assert not conv._Conv(x, w, 2, (3, 3), (1, 1), (1, 1), (1, 1), (2, 4)).transposable()
    w = Tensor.from_array(rnd(64, 64, 3, 3), np.float32)
    x = Tensor.from_array(rnd(2, 64, 8, 8), np.float32)
    assert conv._Conv(x, w, 2, (3, 3), (1, 1), (1, 1), (1, 1), (2, 4)).transposable()


def test_worth_it() -> None:
    """The transform route is taken for LeNet's second layer, not for ResNet's layers or
    large planes."""
    f32 = np.float32
    assert conv_dft.worth_it(64, 32, 64, (12, 12), (5, 5), (8, 8), f32)
    assert conv_dft.worth_it(64, 32, 64, (12, 12), (5, 5), (8, 8), np.float64)
    assert not conv_dft.worth_it(32, 256, 256, (10, 10), (3, 3), (8, 8), f32)
    assert not conv_dft.worth_it(32, 512, 512, (6, 6), (3, 3), (4, 4), f32)
    assert not conv_dft.worth_it(64, 1, 32, (28, 28), (5, 5), (24, 24), f32)
    assert not conv_dft.worth_it(64, 32, 64, (12, 12), (5, 5), (8, 8), np.int32)


@pytest.mark.parametrize("ttype", ["Double", "Float"])
@pytest.mark.parametrize("shape", [(3, 4, 7, 7), (4, 7, 7)])
def test_spectral_gradients(monkeypatch: pytest.MonkeyPatch, nnrt: Runtime, ttype: str,
                            shape: tuple) -> None:
    monkeypatch.setattr(conv_dft, "worth_it", lambda *a: True)
    check_module(nnrt, "nn.SpatialConvolution(4, 5, 3, 5, 1, 1, 1, 2)", rnd(*shape), ttype,
                 params=WB)


def test_spectral_accgrad_without_forward(monkeypatch: pytest.MonkeyPatch,
                                          nnrt: Runtime) -> None:
    """accGradParameters recomputes the input's spectrum when finput does not hold it."""
    monkeypatch.setattr(conv_dft, "worth_it", lambda *a: True)
    put(nnrt, "_x", rnd(2, 4, 6, 6))
    put(nnrt, "_g", rnd(2, 3, 4, 4, seed=2))
    nnrt.execute("_m = nn.SpatialConvolution(4, 3, 3, 3) _m:forward(_x) _m:zeroGradParameters()"
                 " _m:accGradParameters(_x, _g) _gw = _m.gradWeight:clone()"
                 " _m.finput:set() _m:zeroGradParameters() _m:backward(_x, _g)")
    np.testing.assert_allclose(get(nnrt, "_m.gradWeight"), get(nnrt, "_gw"), rtol=1e-12)


def test_backward_is_both_halves(nnrt: Runtime) -> None:
    put(nnrt, "_x", rnd(2, 3, 6, 6))
    put(nnrt, "_g", rnd(2, 4, 6, 6, seed=2))
    nnrt.execute("_m = nn.SpatialConvolution(3, 4, 3, 3, 1, 1, 1, 1) _m:forward(_x)"
                 " _m:zeroGradParameters() _gi = _m:updateGradInput(_x, _g):clone()"
                 " _m:accGradParameters(_x, _g, 0.5) _gw = _m.gradWeight:clone()"
                 " _gb = _m.gradBias:clone() _m:zeroGradParameters()"
                 " _r = _m:backward(_x, _g, 0.5)")
    assert nnrt.eval("_r == _m.gradInput")
    for a, c in (("_r", "_gi"), ("_m.gradWeight", "_gw"), ("_m.gradBias", "_gb")):
        np.testing.assert_allclose(get(nnrt, a), get(nnrt, c), rtol=1e-12)
    # without gradInput (a first layer), only the parameters' gradients
    nnrt.execute("_m:zeroGradParameters() _m.gradInput = nil _r = _m:backward(_x, _g, 0.5)")
    assert nnrt.eval("_r == nil")
    np.testing.assert_allclose(get(nnrt, "_m.gradWeight"), get(nnrt, "_gw"), rtol=1e-12)


def test_backward_respects_overrides(nnrt: Runtime) -> None:
    """A layer frozen the Torch7 way (accGradParameters replaced) keeps its gradients at zero."""
    put(nnrt, "_x", rnd(2, 3, 6, 6))
    put(nnrt, "_g", rnd(2, 4, 4, 4, seed=2))
    nnrt.execute("_m = nn.SpatialConvolution(3, 4, 3, 3) _m:forward(_x) _m:zeroGradParameters()"
                 " _m.accGradParameters = function() end _r = _m:backward(_x, _g)")
    assert not get(nnrt, "_m.gradWeight").any()
    assert get(nnrt, "_r").any()


def test_row_fold_matches_offset_fold() -> None:
    """col2im by kernel rows (unit stride, narrow output) equals one add per kernel offset."""
    rng = np.random.default_rng(0)
    for S, C, k, nd in ((12, 3, 5, 2), (7, 2, 3, 3), (10, 4, 4, 1)):
        osz = (S - k + 1,) * nd
        fcol = rng.standard_normal((2 * int(np.prod(osz)), k ** nd * C))
        img = np.zeros((2,) + (S,) * nd + (C,))
        conv._fold_cl(np, fcol, img, (k,) * nd, (1,) * nd, (1,) * nd, osz)
        ref = np.zeros_like(img)
        fc = fcol.reshape((2,) + osz + (k,) * nd + (C,))
        for o in np.ndindex(*osz):
            for off in np.ndindex(*(k,) * nd):
                pos = tuple(a + b for a, b in zip(o, off))
                ref[(slice(None),) + pos] += fc[(slice(None),) + o + off]
        np.testing.assert_allclose(img, ref, rtol=1e-12, atol=1e-12)


def test_winograd_worth_it() -> None:
    """Winograd's route: 3x3, unit stride, no dilation, padding up to 2, many planes."""
    ok = conv_winograd.worth_it
    assert ok(2, (3, 3), (1, 1), (1, 1), (1, 1), 128, 128)
    assert ok(2, (3, 3), (1, 1), (1, 1), (0, 2), 512, 256)
    assert not ok(2, (3, 3), (1, 1), (1, 1), (1, 1), 64, 64)     # transforms cost the savings
    assert not ok(2, (3, 3), (1, 1), (1, 1), (1, 1), 3, 128)     # a first layer
    assert not ok(2, (3, 3), (2, 2), (1, 1), (1, 1), 256, 256)   # strided
    assert not ok(2, (3, 3), (1, 1), (2, 2), (2, 2), 256, 256)   # dilated
    assert not ok(2, (3, 3), (1, 1), (1, 1), (3, 1), 256, 256)   # gradInput would crop
    assert not ok(2, (5, 5), (1, 1), (1, 1), (2, 2), 256, 256)
    assert not ok(3, (3, 3, 3), (1, 1, 1), (1, 1, 1), (1, 1, 1), 256, 256)
    # more BLAS threads shorten the products, not the transforms
    assert not ok(2, (3, 3), (1, 1), (1, 1), (1, 1), 128, 128, threads=2)
    assert ok(2, (3, 3), (1, 1), (1, 1), (1, 1), 256, 512, threads=2)


@pytest.mark.parametrize("threads", [1, 2])
def test_winograd_on_resnet_layers(monkeypatch: pytest.MonkeyPatch, threads: int) -> None:
    """On one BLAS thread ResNet-18's 128- to 512-plane 3x3 layers take the route, the
    64-plane ones do not; on two, from 256 planes on."""
    monkeypatch.setattr(conv, "th_get_num_threads", lambda: threads)
    for C, S in ((64, 32), (128, 16), (256, 8), (512, 4)):
        w = Tensor.from_array(rnd(C, C, 3, 3), np.float32)
        x = Tensor.from_array(rnd(2, C, S, S), np.float32)
        g = conv._Conv(x, w, 2, (3, 3), (1, 1), (1, 1), (1, 1), (2, 4))
        g.route()
        assert (g.wino is not None) == (C >= 128 * threads)


@pytest.mark.parametrize("ttype", ["Double", "Float"])
@pytest.mark.parametrize("shape", [(3, 4, 7, 6), (4, 5, 5)])
def test_winograd_gradients(monkeypatch: pytest.MonkeyPatch, nnrt: Runtime, ttype: str,
                            shape: tuple) -> None:
    monkeypatch.setattr(conv_winograd, "MIN_PLANES", 1)
    monkeypatch.setattr(conv, "th_get_num_threads", lambda: 1)
    check_module(nnrt, "nn.SpatialConvolution(4, 5, 3, 3, 1, 1, 1, 1)", rnd(*shape), ttype,
                 params=WB)


@pytest.mark.parametrize("keep", [True, False])
def test_winograd_tiles_reused_or_recomputed(monkeypatch: pytest.MonkeyPatch, nnrt: Runtime,
                                             keep: bool) -> None:
    """gradWeight reads the input's tiles kept in finput by the forward, and transforms the
    input again when finput does not hold them (cleared, or a batch too large to keep), in
    chunks of one sample."""
    monkeypatch.setattr(conv_winograd, "MIN_PLANES", 1)
    monkeypatch.setattr(conv_winograd, "CHUNK_ELEMS", 1)
    monkeypatch.setattr(conv_winograd, "KEEP_ELEMS", 1 << 23 if keep else 0)
    monkeypatch.setattr(conv, "th_get_num_threads", lambda: 1)
    put(nnrt, "_x", rnd(3, 4, 6, 5))
    put(nnrt, "_g", rnd(3, 3, 6, 5, seed=2))
    nnrt.execute("_m = nn.SpatialConvolution(4, 3, 3, 3, 1, 1, 1, 1) _m:forward(_x)"
                 " _fin = _m.finput:nElement()"
                 " _m:zeroGradParameters() _m:accGradParameters(_x, _g) _gw = _m.gradWeight:clone()"
                 " _m:zeroGradParameters() _m:backward(_x, _g) _gw2 = _m.gradWeight:clone()"
                 " _gi = _m.gradInput:clone()"
                 " _m.finput:set() _m:zeroGradParameters() _m:backward(_x, _g)")
    # the kept tiles: 16 transform positions x 3 samples x 3 x 3 tiles x 4 planes
    assert nnrt.eval("_fin") == (16 * 3 * 3 * 3 * 4 if keep else 0)
    x, g = get(nnrt, "_x"), get(nnrt, "_g")
    w = get(nnrt, "_m.weight")
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    ref = np.zeros_like(w)
    for i in range(3):
        for j in range(3):
            ref[:, :, i, j] = np.einsum("bkhw,bchw->kc", g, xp[:, :, i:i + 6, j:j + 5])
    for name in ("_gw", "_gw2", "_m.gradWeight"):
        np.testing.assert_allclose(get(nnrt, name), ref, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(get(nnrt, "_m.gradInput"), get(nnrt, "_gi"), rtol=1e-12)
