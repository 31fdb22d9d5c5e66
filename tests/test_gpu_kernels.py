"""The kernels on a real GPU (CuPy) give what they give on NumPy.

Every scenario below builds its tensors twice from the same NumPy data, once in host memory and
once in the memory of CUDA device 0 (Storage on CudaDevice(0)), runs the same door kernels with
the same arguments on both, and compares everything it collected: outputs, gradients, indices,
the values the kernels return, and the inputs (a kernel must not write into them).  Float32
results agree to ~1e-5 and float64 results to ~1e-12 of the largest magnitude involved: the GPU
sums in another order, nothing more.  Skipped when no CUDA device is usable.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import numpy as np
import pytest

from luatorch import random as lt_random
from luatorch.backend import cpu
from luatorch.backend import cuda as cuda_backend
from luatorch.kernels import (activation, blas, conv, conv_dft, conv_winograd, indexing,
                              linear, loss, pointwise, pooling, reduce, routes, spatial_norm)
from luatorch.tensor import Tensor

HAVE_GPU = cuda_backend.device_count() > 0

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not HAVE_GPU, reason="no usable CUDA device (or no CuPy)")]

F32, F64, I64 = np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int64)
DTYPES = [pytest.param(F32, id="float"), pytest.param(F64, id="double")]
TOL = {F32: 1e-5, F64: 1e-12}

Results = Dict[str, Any]
Scenario = Callable[[Any, np.dtype], Results]


@pytest.fixture(autouse=True)
def _generic_routes() -> Any:
    """These tests hold the generic kernels to NumPy's on a GPU; the cuDNN and fused routes have
    their own (tests/test_gpu_routes.py)."""
    saved = (routes.flags.cudnn, routes.flags.fused)
    routes.flags.cudnn = routes.flags.fused = False
    yield
    routes.flags.cudnn, routes.flags.fused = saved


@pytest.fixture(scope="module")
def gpu() -> Any:
    """CUDA device 0 (made once per module: CuPy's context is per process anyway)."""
    return cuda_backend.CudaDevice(0)


# -- helpers --------------------------------------------------------------------------------------
def rnd(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def put(dev: Any, a: np.ndarray, dtype: Optional[np.dtype] = None) -> Tensor:
    """A new tensor on `dev` holding `a` (converted to `dtype` when given)."""
    return Tensor.from_array(np.asarray(a), dtype, device=dev)


def new(dev: Any, dtype: np.dtype) -> Tensor:
    """An empty tensor on `dev` (a kernel's result or scratch buffer, sized by the kernel)."""
    return Tensor.empty((), dtype, dev)


def host(t: Tensor) -> np.ndarray:
    """A host copy of `t`'s elements (shape kept; empty tensors give an empty array)."""
    if not t.size:
        return np.zeros(0, t.dtype)
    return np.array(cpu.send(t.a))


def grab(res: Results, **tensors: Tensor) -> None:
    for k, t in tensors.items():
        res[k] = host(t)


def compare(a: Results, b: Results, dtype: np.dtype, scale: float = 1.0) -> None:
    """b (GPU) agrees with a (CPU): floats to TOL of the largest magnitude, the rest exactly."""
    assert a.keys() == b.keys()
    tol = TOL[dtype] * scale
    for k, ref in a.items():
        got = b[k]
        if isinstance(ref, tuple):
            assert isinstance(got, tuple) and len(got) == len(ref), k
            for i, (r, g) in enumerate(zip(ref, got)):
                np.testing.assert_allclose(g, r, rtol=tol, atol=tol, err_msg=f"{k}[{i}]")
            continue
        ref, got = np.asarray(ref), np.asarray(got)
        assert got.shape == ref.shape and got.dtype == ref.dtype, \
            f"{k}: {got.shape} {got.dtype} on GPU, {ref.shape} {ref.dtype} on CPU"
        if ref.dtype.kind == "f":
            finite = np.abs(ref[np.isfinite(ref)])
            big = float(finite.max()) if finite.size else 0.0
            np.testing.assert_allclose(got, ref, rtol=tol, atol=tol * max(1.0, big),
                                       err_msg=k)
        else:
            np.testing.assert_array_equal(got, ref, err_msg=k)


def check(scenario: Scenario, dtype: np.dtype, gpu: Any, scale: float = 1.0) -> Results:
    """Run `scenario` on the CPU and on the GPU and compare what both collected."""
    ref = scenario(cpu, dtype)
    got = scenario(gpu, dtype)
    gpu.synchronize()
    compare(ref, got, dtype, scale)
    return got


# -- convolutions ---------------------------------------------------------------------------------
def conv2d_scenario(B: int, C: int, Co: int, H: int, W: int, k: tuple, st: tuple = (1, 1),
                    pad: tuple = (0, 0), dil: tuple = (1, 1), batch: bool = True) -> Scenario:
    """Forward, gradInput, accGradParameters and the one-call backward of SpatialConvolution
    (k, st, pad, dil given as (H, W)), as nn.SpatialConvolution calls them in a training step."""
    kH, kW = k
    oh = (H + 2 * pad[0] - dil[0] * (kH - 1) - 1) // st[0] + 1
    ow = (W + 2 * pad[1] - dil[1] * (kW - 1) - 1) // st[1] + 1
    args = (kW, kH, st[1], st[0], pad[1], pad[0], dil[1], dil[0])

    def run(dev: Any, dt: np.dtype) -> Results:
        xa, ga = rnd(B, C, H, W), rnd(B, Co, oh, ow, seed=3)
        x = put(dev, xa if batch else xa[0], dt)
        g = put(dev, ga if batch else ga[0], dt)
        w = put(dev, rnd(Co, C, kH, kW, seed=1) / np.sqrt(C * kH * kW), dt)
        b = put(dev, rnd(Co, seed=2), dt)
        out, gi, gi2, fin, fg = (new(dev, dt) for _ in range(5))
        gw, gb = put(dev, np.zeros((Co, C, kH, kW)), dt), put(dev, np.zeros(Co), dt)
        gw2, gb2 = put(dev, np.ones((Co, C, kH, kW)), dt), put(dev, np.ones(Co), dt)
        conv.conv_spatial_fwd(out, x, w, b, fin, fg, *args)
        res: Results = {"out": host(out)}
        conv.conv_spatial_bwd(gi, x, g, w, fg, *args)
        conv.conv_spatial_acc(x, g, gw, gb, fin, fg, *args, 0.5)
        # the training step's form: a fresh forward, then gradInput and parameters in one call
        conv.conv_spatial_fwd(out, x, w, b, fin, fg, *args)
        conv.conv_spatial_backward(gi2, x, g, w, gw2, gb2, fin, fg, *args, 0.5)
        # a first layer's backward: no gradInput
        gw3, gb3 = put(dev, np.zeros((Co, C, kH, kW)), dt), put(dev, np.zeros(Co), dt)
        conv.conv_spatial_backward(None, x, g, w, gw3, gb3, fin, fg, *args, 1.0)
        grab(res, gi=gi, gw=gw, gb=gb, gi2=gi2, gw2=gw2, gb2=gb2, gw3=gw3, gb3=gb3, x=x, w=w)
        return res
    return run


CONV2D = {
    # a ResNet/VGG-style 3x3, same padding (gradInput as a convolution of gradOutput)
    "3x3-pad1": dict(B=8, C=16, Co=32, H=16, W=16, k=(3, 3), pad=(1, 1)),
    # a batch whose columns are gathered in chunks (channels-first forward on wide outputs)
    "3x3-chunked": dict(B=64, C=32, Co=32, H=16, W=16, k=(3, 3), pad=(1, 1)),
    # LeNet's second layer: 64 x 32 x 12 x 12 -> 64 planes, the Fourier route (conv_dft)
    "lenet-5x5": dict(B=64, C=32, Co=64, H=12, W=12, k=(5, 5)),
    # a grey-level first layer: channels-first columns
    "first-1plane": dict(B=16, C=1, Co=32, H=28, W=28, k=(5, 5)),
    # strided with padding: im2col and col2im
    "strided": dict(B=8, C=8, Co=16, H=15, W=15, k=(3, 3), st=(2, 2), pad=(1, 1)),
    # dilated, non-square kernel
    "dilated": dict(B=4, C=6, Co=5, H=11, W=10, k=(3, 2), dil=(2, 2), pad=(1, 0)),
    # one sample (3-D input)
    "single": dict(B=1, C=6, Co=8, H=9, W=9, k=(3, 3), pad=(1, 1), batch=False),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(CONV2D))
def test_conv_spatial(gpu: Any, name: str, dtype: np.dtype) -> None:
    geo = CONV2D[name]
    if name == "lenet-5x5":
        B, C, Co, H, W = (geo[k] for k in ("B", "C", "Co", "H", "W"))
        assert conv_dft.worth_it(B, C, Co, (H, W), (5, 5), (H - 4, W - 4), dtype)
    check(conv2d_scenario(**geo), dtype, gpu)


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv_spatial_routes(gpu: Any, monkeypatch: pytest.MonkeyPatch, dtype: np.dtype) -> None:
    """The im2col gradInput (col2im adds) and the Fourier route on a small layer."""
    monkeypatch.setattr(conv._Conv, "transposable", lambda self: False)
    check(conv2d_scenario(B=4, C=6, Co=5, H=8, W=8, k=(3, 3), pad=(1, 1)), dtype, gpu)
    monkeypatch.setattr(conv_dft, "worth_it", lambda *a: True)
    check(conv2d_scenario(B=4, C=6, Co=5, H=7, W=9, k=(3, 5), pad=(1, 2)), dtype, gpu)


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv_spatial_winograd(gpu: Any, monkeypatch: pytest.MonkeyPatch,
                               dtype: np.dtype) -> None:
    """Winograd's route (on both sides: one BLAS thread for the CPU's rule) on a ResNet-style
    128-plane layer, and on an odd plane in chunks of one sample."""
    monkeypatch.setattr(conv, "th_get_num_threads", lambda: 1)
    assert conv_winograd.worth_it(2, (3, 3), (1, 1), (1, 1), (1, 1), 128, 128)
    check(conv2d_scenario(B=4, C=128, Co=128, H=8, W=8, k=(3, 3), pad=(1, 1)), dtype, gpu)
    monkeypatch.setattr(conv_winograd, "MIN_PLANES", 1)
    monkeypatch.setattr(conv_winograd, "CHUNK_ELEMS", 1)
    check(conv2d_scenario(B=3, C=6, Co=5, H=7, W=9, k=(3, 3), pad=(0, 2)), dtype, gpu)


def volumetric_scenario(dev: Any, dt: np.dtype) -> Results:
    B, C, Co, T, H, W = 2, 4, 6, 6, 7, 7
    k, pad = (3, 3, 3), (1, 1, 1)
    args = (k[0], k[2], k[1], 1, 1, 1, pad[0], pad[2], pad[1], 1, 1, 1)
    x = put(dev, rnd(B, C, T, H, W), dt)
    g = put(dev, rnd(B, Co, T, H, W, seed=3), dt)
    w = put(dev, rnd(Co, C, *k, seed=1) / 10, dt)
    b = put(dev, rnd(Co, seed=2), dt)
    out, gi, fin, fg = (new(dev, dt) for _ in range(4))
    gw, gb = put(dev, np.zeros((Co, C) + k), dt), put(dev, np.zeros(Co), dt)
    conv.conv_volumetric_fwd(out, x, w, b, fin, fg, *args)
    conv.conv_volumetric_bwd(gi, x, g, w, fg, *args)
    conv.conv_volumetric_acc(x, g, gw, gb, fin, fg, *args, 1.0)
    res: Results = {}
    grab(res, out=out, gi=gi, gw=gw, gb=gb, x=x)
    return res


def full2d_scenario(dev: Any, dt: np.dtype) -> Results:
    # SpatialFullConvolution(6, 4, 3, 3, 2, 2, 1, 1, 1, 1): 5x5 -> 10x10
    B, Cin, Co, S = 2, 6, 4, 5
    args = (3, 3, 2, 2, 1, 1, 1, 1)
    osz = (S - 1) * 2 - 2 + 3 + 1
    x = put(dev, rnd(B, Cin, S, S), dt)
    g = put(dev, rnd(B, Co, osz, osz, seed=3), dt)
    w = put(dev, rnd(Cin, Co, 3, 3, seed=1) / 5, dt)
    b = put(dev, rnd(Co, seed=2), dt)
    out, gi, fin, fg = (new(dev, dt) for _ in range(4))
    gw, gb = put(dev, np.zeros((Cin, Co, 3, 3)), dt), put(dev, np.zeros(Co), dt)
    conv.conv_full2d_fwd(out, x, w, b, fg, *args)
    conv.conv_full2d_bwd(gi, x, g, w, fin, fg, *args)
    conv.conv_full2d_acc(x, g, gw, gb, fin, fg, *args, 0.5)
    res: Results = {}
    grab(res, out=out, gi=gi, gw=gw, gb=gb)
    return res


def full3d_scenario(dev: Any, dt: np.dtype) -> Results:
    # VolumetricFullConvolution(3, 2, kT=2, kW=3, kH=3, dT=2, dW=1, dH=2, padT=0, padW=1,
    # padH=1, adjT=1, adjW=0, adjH=1)
    B, Cin, Co, S = 2, 3, 2, (3, 4, 4)
    args = (2, 3, 3, 2, 1, 2, 0, 1, 1, 1, 0, 1)
    osz = ((S[0] - 1) * 2 + 2 + 1, (S[1] - 1) * 2 - 2 + 3 + 1, (S[2] - 1) * 1 - 2 + 3)
    x = put(dev, rnd(B, Cin, *S), dt)
    g = put(dev, rnd(B, Co, *osz, seed=3), dt)
    w = put(dev, rnd(Cin, Co, 2, 3, 3, seed=1) / 5, dt)
    b = put(dev, rnd(Co, seed=2), dt)
    out, gi, fin, fg = (new(dev, dt) for _ in range(4))
    gw, gb = put(dev, np.zeros((Cin, Co, 2, 3, 3)), dt), put(dev, np.zeros(Co), dt)
    conv.conv_full3d_fwd(out, x, w, b, fg, *args)
    conv.conv_full3d_bwd(gi, x, g, w, fin, fg, *args)
    conv.conv_full3d_acc(x, g, gw, gb, fin, fg, *args, 1.0)
    res: Results = {}
    grab(res, out=out, gi=gi, gw=gw, gb=gb)
    return res


def depthwise_scenario(dev: Any, dt: np.dtype) -> Results:
    # SpatialDepthWiseConvolution(nin=8, multiplier=2, 3x3, stride 1, pad 1)
    B, C, M, H, W = 4, 8, 2, 10, 9
    args = (3, 3, 1, 1, 1, 1, C)
    x = put(dev, rnd(B, C, H, W), dt)
    g = put(dev, rnd(B, C * M, H, W, seed=3), dt)
    w = put(dev, rnd(M, C * 9, seed=1) / 3, dt)
    b = put(dev, rnd(M, C, seed=2), dt)
    out, gi, fin, fg = (new(dev, dt) for _ in range(4))
    gw, gb = put(dev, np.zeros((M, C * 9)), dt), put(dev, np.zeros((M, C)), dt)
    conv.conv_depthwise_fwd(out, x, w, b, fin, fg, *args)
    conv.conv_depthwise_bwd(gi, x, g, w, fg, *args)
    conv.conv_depthwise_acc(x, g, gw, gb, fin, fg, *args, 1.0)
    res: Results = {}
    grab(res, out=out, gi=gi, gw=gw, gb=gb)
    return res


def temporal_scenario(dev: Any, dt: np.dtype) -> Results:
    # TemporalConvolution(inFrame=5, outFrame=7, kW=3, dW=2) over 3 x 20 x 5
    B, T, Fi, Fo, kW, dW = 3, 20, 5, 7, 3, 2
    nout = (T - kW) // dW + 1
    x = put(dev, rnd(B, T, Fi), dt)
    g = put(dev, rnd(B, nout, Fo, seed=3), dt)
    w = put(dev, rnd(Fo, kW * Fi, seed=1) / 4, dt)
    b = put(dev, rnd(Fo, seed=2), dt)
    out, gi, fin, fg = (new(dev, dt) for _ in range(4))
    gw, gb = put(dev, np.zeros((Fo, kW * Fi)), dt), put(dev, np.zeros(Fo), dt)
    conv.conv_temporal_fwd(out, x, w, b, fin, kW, dW, Fi, Fo)
    conv.conv_temporal_bwd(gi, x, g, w, fg, kW, dW)
    conv.conv_temporal_acc(x, g, gw, gb, fin, fg, kW, dW, 1.0)
    res: Results = {}
    grab(res, out=out, gi=gi, gw=gw, gb=gb)
    return res


def local_scenario(dev: Any, dt: np.dtype) -> Results:
    # SpatialConvolutionLocal(3, 2, iW=6, iH=5, kW=3, kH=2, dW=2, dH=1, padW=1, padH=0)
    B, C, Co, iH, iW, oH, oW = 2, 3, 2, 5, 6, 4, 3
    args = (3, 2, 2, 1, 1, 0, iW, iH, oW, oH, C, Co)
    x = put(dev, rnd(B, C, iH, iW), dt)
    g = put(dev, rnd(B, Co, oH, oW, seed=3), dt)
    w = put(dev, rnd(oH, oW, Co, C, 2, 3, seed=1), dt)
    b = put(dev, rnd(Co, oH, oW, seed=2), dt)
    out, gi, fin, fg = (new(dev, dt) for _ in range(4))
    gw, gb = put(dev, np.zeros((oH, oW, Co, C, 2, 3)), dt), put(dev, np.zeros((Co, oH, oW)), dt)
    conv.conv_local_fwd(out, x, w, b, fin, fg, *args)
    conv.conv_local_bwd(gi, x, g, w, fg, *args)
    conv.conv_local_acc(x, g, gw, gb, fin, fg, *args, 1.0)
    res: Results = {}
    grab(res, out=out, gi=gi, gw=gw, gb=gb)
    return res


def map_scenario(dev: Any, dt: np.dtype) -> Results:
    # SpatialConvolutionMap(table, kW=3, kH=2, dW=1, dH=2): 3 input planes, 2 output planes
    table = np.array([[1, 1], [3, 1], [2, 2], [3, 2], [3, 2]], np.float64)
    B, H, W = 2, 7, 6
    oh, ow = (H - 2) // 2 + 1, W - 3 + 1
    x = put(dev, rnd(B, 3, H, W), dt)
    g = put(dev, rnd(B, 2, oh, ow, seed=3), dt)
    w = put(dev, rnd(5, 2, 3, seed=1), dt)
    b = put(dev, rnd(2, seed=2), dt)
    conn = put(dev, table, dt)
    out, gi, fin, fg = (new(dev, dt) for _ in range(4))
    gw, gb = put(dev, np.zeros((5, 2, 3)), dt), put(dev, np.zeros(2), dt)
    conv.conv_map_fwd(out, x, w, b, conn, fin, fg, 3, 2, 1, 2)
    conv.conv_map_bwd(gi, x, g, w, conn, fg, 3, 2, 1, 2)
    conv.conv_map_acc(x, g, gw, gb, conn, fin, fg, 3, 2, 1, 2, 1.0)
    res: Results = {}
    grab(res, out=out, gi=gi, gw=gw, gb=gb)
    return res


def subsampling_scenario(dev: Any, dt: np.dtype) -> Results:
    # SpatialSubSampling(3, kW=3, kH=2, dW=2, dH=2) and TemporalSubSampling(4, kW=3, dW=2)
    x = put(dev, rnd(2, 3, 7, 6), dt)
    g = put(dev, rnd(2, 3, 3, 2, seed=3), dt)
    w, b = put(dev, rnd(3, seed=1), dt), put(dev, rnd(3, seed=2), dt)
    out, gi = new(dev, dt), new(dev, dt)
    gw, gb = put(dev, np.zeros(3), dt), put(dev, np.zeros(3), dt)
    conv.conv_subsample2d_fwd(out, x, w, b, 3, 2, 2, 2)
    conv.conv_subsample2d_bwd(gi, x, g, w, 3, 2, 2, 2)
    conv.conv_subsample2d_acc(x, g, gw, gb, 3, 2, 2, 2, 1.0)
    xt = put(dev, rnd(2, 9, 4, seed=4), dt)
    gt = put(dev, rnd(2, 4, 4, seed=5), dt)
    wt, bt = put(dev, rnd(4, seed=6), dt), put(dev, rnd(4, seed=7), dt)
    ot, git = new(dev, dt), new(dev, dt)
    gwt, gbt = put(dev, np.zeros(4), dt), put(dev, np.zeros(4), dt)
    conv.conv_subsample1d_fwd(ot, xt, wt, bt, 3, 2, 4)
    conv.conv_subsample1d_bwd(git, xt, gt, wt, 3, 2)
    conv.conv_subsample1d_acc(xt, gt, gwt, gbt, 3, 2, 1.0)
    res: Results = {}
    grab(res, out=out, gi=gi, gw=gw, gb=gb, ot=ot, git=git, gwt=gwt, gbt=gbt)
    return res


def temporal_pool_row_scenario(dev: Any, dt: np.dtype) -> Results:
    # TemporalMaxPooling(3, 2) and TemporalRowConvolution(3, 3, 2) (frames first and features
    # first)
    x = put(dev, rnd(2, 9, 3), dt)
    g = put(dev, rnd(2, 4, 3, seed=5), dt)
    out, idx, gi = new(dev, dt), new(dev, I64), new(dev, dt)
    conv.conv_tmaxpool_fwd(out, idx, x, 3, 2)
    conv.conv_tmaxpool_bwd(gi, x, g, idx, 3, 2)
    res: Results = {}
    grab(res, pool_out=out, pool_idx=idx, pool_gi=gi)
    for ff in (False, True):
        xa = rnd(2, 8, 3, seed=8)
        ga = rnd(2, 3, 3, seed=9)
        xr = put(dev, xa.transpose(0, 2, 1) if ff else xa, dt)
        gr = put(dev, ga.transpose(0, 2, 1) if ff else ga, dt)
        w, b = put(dev, rnd(3, 1, 3, seed=1), dt), put(dev, rnd(3, seed=2), dt)
        o, gir = new(dev, dt), new(dev, dt)
        gw, gb = put(dev, np.zeros((3, 1, 3)), dt), put(dev, np.zeros(3), dt)
        conv.conv_rowconv_fwd(o, xr, w, b, 3, 2, ff)
        conv.conv_rowconv_bwd(gir, xr, gr, w, 3, 2, ff)
        conv.conv_rowconv_acc(xr, gr, gw, gb, 3, 2, ff, 1.0)
        grab(res, **{f"row{ff}_out": o, f"row{ff}_gi": gir, f"row{ff}_gw": gw,
                     f"row{ff}_gb": gb})
    return res


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("scenario", [volumetric_scenario, full2d_scenario, full3d_scenario,
                                      depthwise_scenario, temporal_scenario, local_scenario,
                                      map_scenario, subsampling_scenario,
                                      temporal_pool_row_scenario],
                         ids=lambda f: f.__name__.replace("_scenario", ""))
def test_conv_other(gpu: Any, scenario: Scenario, dtype: np.dtype) -> None:
    check(scenario, dtype, gpu)


# -- pooling --------------------------------------------------------------------------------------
POOL = {
    # (kW, kH, dW, dH, padW, padH, ceil): 2x2 tiles, overlapping padded windows, ceil mode
    "2x2": (2, 2, 2, 2, 0, 0, False),
    "3x3-s2-pad1": (3, 3, 2, 2, 1, 1, False),
    "3x3-s2-ceil": (3, 3, 2, 2, 0, 0, True),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(POOL))
def test_pooling(gpu: Any, name: str, dtype: np.dtype) -> None:
    kW, kH, dW, dH, padW, padH, ceil = POOL[name]

    def run(dev: Any, dt: np.dtype) -> Results:
        x = put(dev, rnd(4, 6, 13, 14), dt)
        out, ind, gi = new(dev, dt), new(dev, I64), new(dev, dt)
        hw = pooling.pool_max2d_fwd(out, ind, x, kW, kH, dW, dH, padW, padH, 1, 1, ceil)
        g = put(dev, rnd(*out.size, seed=1), dt)
        pooling.pool_max2d_bwd(gi, x, g, ind, kW, kH, dW, dH, padW, padH, 1, 1, ceil)
        res: Results = {"hw": np.array(hw)}
        grab(res, max_out=out, max_ind=ind, max_gi=gi)
        for incl in (True, False):
            ao, agi = new(dev, dt), new(dev, dt)
            pooling.pool_avg2d_fwd(ao, x, kW, kH, dW, dH, padW, padH, ceil, incl)
            pooling.pool_avg2d_bwd(agi, x, g, kW, kH, dW, dH, padW, padH, ceil, incl)
            grab(res, **{f"avg{incl}_out": ao, f"avg{incl}_gi": agi})
        # one plane set without a batch dimension
        xs = put(dev, rnd(6, 13, 14, seed=2), dt)
        so, si = new(dev, dt), new(dev, I64)
        pooling.pool_max2d_fwd(so, si, xs, kW, kH, dW, dH, padW, padH, 1, 1, ceil)
        grab(res, single_out=so, single_ind=si)
        return res
    check(run, dtype, gpu)


# -- batch normalization --------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("affine", [True, False])
def test_batchnorm(gpu: Any, dtype: np.dtype, affine: bool) -> None:
    nf = 8

    def run(dev: Any, dt: np.dtype) -> Results:
        x = put(dev, rnd(6, nf, 5, 7) * 3 + 1, dt)
        g = put(dev, rnd(6, nf, 5, 7, seed=1), dt)
        w = put(dev, rnd(nf, seed=2), dt) if affine else None
        b = put(dev, rnd(nf, seed=3), dt) if affine else None
        rm, rv = put(dev, np.zeros(nf), dt), put(dev, np.ones(nf), dt)
        sm, ss, out, gi = (new(dev, dt) for _ in range(4))
        gw = put(dev, np.zeros(nf), dt) if affine else None
        gb = put(dev, np.zeros(nf), dt) if affine else None
        spatial_norm.snorm_bn_fwd(out, x, w, b, rm, rv, sm, ss, True, 0.1, 1e-5, 4)
        spatial_norm.snorm_bn_bwd(x, g, gi, gw, gb, w, rm, rv, sm, ss, True, 1.0, 1e-5, 4)
        res: Results = {}
        grab(res, out=out, gi=gi, rm=rm, rv=rv, sm=sm, ss=ss)
        if affine:
            grab(res, gw=gw, gb=gb)
        # evaluation: the running estimates, a batch and a single sample
        eo, egi, so = new(dev, dt), new(dev, dt), new(dev, dt)
        spatial_norm.snorm_bn_fwd(eo, x, w, b, rm, rv, sm, ss, False, 0.1, 1e-5, 4)
        spatial_norm.snorm_bn_bwd(x, g, egi, None, None, w, rm, rv, sm, ss, False, 1.0, 1e-5, 4)
        xs = put(dev, rnd(nf, 5, 7, seed=4), dt)
        spatial_norm.snorm_bn_fwd(so, xs, w, b, rm, rv, sm, ss, False, 0.1, 1e-5, 4)
        grab(res, eval_out=eo, eval_gi=egi, single_out=so)
        return res
    check(run, dtype, gpu)


# -- activations ----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_activations(gpu: Any, dtype: np.dtype) -> None:
    def run(dev: Any, dt: np.dtype) -> Results:
        xa = rnd(8, 6, 5, 5)
        xa[0, 0, 0, :3] = 0  # on the threshold itself
        res: Results = {}
        g = put(dev, rnd(8, 6, 5, 5, seed=1), dt)
        # ReLU, a general Threshold, and the in-place ReLU of a training step
        for name, th, val in (("relu", 0, 0), ("thr", 0.1, -2.0), ("thr0", 0.3, 0)):
            x, out, gi = put(dev, xa, dt), new(dev, dt), new(dev, dt)
            activation.act_threshold_fwd(out, x, th, val, False)
            activation.act_threshold_bwd(gi, x, g, th, False)
            grab(res, **{f"{name}_out": out, f"{name}_gi": gi})
        x, out, gip, gc = put(dev, xa, dt), new(dev, dt), new(dev, dt), put(dev, rnd(8, 6, 5, 5,
                                                                                     seed=1), dt)
        activation.act_threshold_fwd(out, x, 0, 0, True)
        activation.act_threshold_bwd(gip, out, gc, 0, True)
        assert out.storage is x.storage and gip.storage is gc.storage
        grab(res, inplace_out=out, inplace_gi=gip)
        x = put(dev, xa, dt)
        for name, fwd, bwd in (("tanh", activation.act_tanh_fwd, activation.act_tanh_bwd),
                               ("sigmoid", activation.act_sigmoid_fwd,
                                activation.act_sigmoid_bwd)):
            out, gi = new(dev, dt), new(dev, dt)
            fwd(out, x)
            bwd(gi, g, out)
            grab(res, **{f"{name}_out": out, f"{name}_gi": gi})
        # SoftMax / LogSoftMax over rows (a classifier's output) and over planes (4-D)
        for shape in ((32, 10), (4, 6, 5, 5), (10,)):
            xs = put(dev, rnd(*shape, seed=2) * 4, dt)
            gs = put(dev, rnd(*shape, seed=3), dt)
            for name, fwd, bwd in (("sm", activation.act_softmax_fwd,
                                    activation.act_softmax_bwd),
                                   ("lsm", activation.act_logsoftmax_fwd,
                                    activation.act_logsoftmax_bwd)):
                out, gi = new(dev, dt), new(dev, dt)
                if name == "sm":
                    fwd(out, xs, False)
                    bwd(gi, gs, out, False)
                else:
                    fwd(out, xs)
                    bwd(gi, gs, out)
                key = f"{name}{len(shape)}"
                grab(res, **{f"{key}_out": out, f"{key}_gi": gi})
        return res
    check(run, dtype, gpu)


# -- criterions -----------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_losses(gpu: Any, dtype: np.dtype) -> None:
    def run(dev: Any, dt: np.dtype) -> Results:
        res: Results = {}
        xa = rnd(16, 10)
        tgt = (np.arange(16) * 7) % 10 + 1.0
        x = put(dev, xa, dt)
        lsm = new(dev, dt)
        activation.act_logsoftmax_fwd(lsm, x)
        for tname, t in (("float", put(dev, tgt, dt)), ("long", put(dev, tgt, I64))):
            for sa in (True, False):
                gi = new(dev, dt)
                res[f"nll_{tname}{sa}"] = loss.loss_nll(lsm, t, None, sa)
                loss.loss_nll_grad(gi, lsm, t, None, sa)
                grab(res, **{f"nll_{tname}{sa}_gi": gi})
        # class weights and an ignored class
        t = put(dev, tgt, dt)
        w = put(dev, np.linspace(0.5, 2, 10), dt)
        gi = new(dev, dt)
        res["nll_w"] = loss.loss_nll(lsm, t, w, True, 3)
        loss.loss_nll_grad(gi, lsm, t, w, True, 3)
        grab(res, nll_w_gi=gi)
        # one sample, the target a number
        x1 = put(dev, xa[0], dt)
        gi = new(dev, dt)
        res["nll_1"] = loss.loss_nll(x1, 4, None, True)
        loss.loss_nll_grad(gi, x1, 4, None, True)
        grab(res, nll_1_gi=gi)
        # CrossEntropy (LogSoftMax + ClassNLL)
        for wt in (None, w):
            lsm2, gi = new(dev, dt), new(dev, dt)
            res[f"ce{wt is None}"] = loss.loss_ce(lsm2, x, t, wt, True)
            loss.loss_ce_grad(gi, lsm2, x, t, wt, True)
            grab(res, **{f"ce{wt is None}_gi": gi, f"ce{wt is None}_lsm": lsm2})
        # MSE against a tensor and against a number
        y = put(dev, rnd(16, 10, seed=5), dt)
        for sa in (True, False):
            gi = new(dev, dt)
            res[f"mse{sa}"] = loss.loss_mse(x, y, sa)
            loss.loss_mse_grad(gi, x, y, sa)
            grab(res, **{f"mse{sa}_gi": gi})
        res["mse_num"] = loss.loss_mse(x, 0.5, True)
        for k, v in res.items():
            if not isinstance(v, np.ndarray):  # the loss: a Python number, as Lua needs it
                vals = v if isinstance(v, tuple) else (v,)
                assert all(type(e) is float for e in vals), (k, [type(e) for e in vals])
                res[k] = tuple(float(e) for e in vals)
        return res
    check(run, dtype, gpu)


# -- linear, BLAS, pointwise, reductions ----------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_linear(gpu: Any, dtype: np.dtype) -> None:
    def run(dev: Any, dt: np.dtype) -> Results:
        res: Results = {}
        w = put(dev, rnd(10, 50, seed=1) / 7, dt)
        b = put(dev, rnd(10, seed=2), dt)
        for name, xa, ga in (("batch", rnd(32, 50), rnd(32, 10, seed=3)),
                             ("single", rnd(50, seed=4), rnd(10, seed=5))):
            x, g = put(dev, xa, dt), put(dev, ga, dt)
            out, gi = new(dev, dt), new(dev, dt)
            gw, gb = put(dev, np.ones((10, 50)), dt), put(dev, np.ones(10), dt)
            linear.lin_forward(out, x, w, b)
            linear.lin_grad_input(gi, x, g, w)
            linear.lin_acc_grad(x, g, gw, gb, 0.5)
            linear.lin_acc_grad(x, g, gw, gb)
            grab(res, **{f"{name}_out": out, f"{name}_gi": gi, f"{name}_gw": gw,
                         f"{name}_gb": gb})
        out = new(dev, dt)
        linear.lin_forward(out, put(dev, rnd(4, 50), dt), w, None)
        grab(res, nobias=out)
        return res
    check(run, dtype, gpu)


@pytest.mark.parametrize("dtype", DTYPES)
def test_blas(gpu: Any, dtype: np.dtype) -> None:
    def run(dev: Any, dt: np.dtype) -> Results:
        res: Results = {}
        m1, m2 = put(dev, rnd(20, 30), dt), put(dev, rnd(30, 15, seed=1), dt)
        t = put(dev, rnd(20, 15, seed=2), dt)
        r = new(dev, dt)
        blas.bl_mm(r, m1, m2)
        grab(res, mm=r)
        r = new(dev, dt)
        blas.bl_addmm(r, 0.5, t, 2.0, m1, m2)
        grab(res, addmm=r)
        tt = put(dev, rnd(20, 15, seed=2), dt)
        blas.bl_addmm(tt, 1.0, tt, 1.0, m1, m2)  # in place, as nn does
        grab(res, addmm_inplace=tt)
        # transposed operands (views with swapped strides)
        r = new(dev, dt)
        blas.bl_mm(r, m2.transpose(0, 1), m1.transpose(0, 1))
        grab(res, mm_t=r)
        v = put(dev, rnd(30, seed=3), dt)
        r = new(dev, dt)
        blas.bl_mv(r, m1, v)
        grab(res, mv=r)
        res["dot"] = (blas.bl_dot(v, v),)
        assert type(res["dot"][0]) is float
        b1, b2 = put(dev, rnd(4, 5, 6, seed=4), dt), put(dev, rnd(4, 6, 3, seed=5), dt)
        r = new(dev, dt)
        blas.bl_bmm(r, b1, b2)
        grab(res, bmm=r)
        r = new(dev, dt)
        blas.bl_ger(r, v, put(dev, rnd(7, seed=6), dt))
        grab(res, ger=r)
        return res
    check(run, dtype, gpu)


@pytest.mark.parametrize("dtype", DTYPES)
def test_pointwise(gpu: Any, dtype: np.dtype) -> None:
    ex = pointwise.EXPORTS

    def run(dev: Any, dt: np.dtype) -> Results:
        res: Results = {}
        a, b = put(dev, rnd(6, 7), dt), put(dev, rnd(6, 7, seed=1), dt)
        for name, fn, args in (("add", pointwise.pw_add, (a, b)),
                               ("add_scalar", pointwise.pw_add_scalar, (a, 1.5)),
                               ("add_scaled", pointwise.pw_add_scaled, (a, -0.5, b)),
                               ("sub", pointwise.pw_sub, (a, b)),
                               ("mul", pointwise.pw_mul, (a, 3.0)),
                               ("cmul", pointwise.pw_cmul, (a, b)),
                               ("div", pointwise.pw_div, (a, 4.0)),
                               ("cdiv", pointwise.pw_cdiv, (a, b)),
                               ("addcmul", pointwise.pw_addcmul, (a, 0.5, a, b)),
                               ("pow", pointwise.pw_pow, (a, 2)),
                               ("clamp", pointwise.pw_clamp, (a, -0.5, 0.5)),
                               ("cmax", pointwise.pw_cmax, (a, b))):
            r = new(dev, dt)
            fn(r, *args)
            grab(res, **{name: r})
        for name in ("exp", "tanh", "sigmoid", "abs", "sqrt", "round", "neg"):
            r = new(dev, dt)
            ex["pw_" + name](r, a)
            grab(res, **{name: r})
        r = ex["pw_gt"](None, a, b)
        assert r.storage.device is a.storage.device
        grab(res, gt=r)
        # in place on a non-contiguous view: a column of a matrix, and a narrowed block
        m = put(dev, rnd(6, 7, seed=2), dt)
        col = m.select(1, 2)
        pointwise.pw_add(col, col, a.select(1, 0))
        blk = m.narrow(0, 1, 3).narrow(1, 2, 4)
        pointwise.pw_mul(blk, blk, -2.0)
        grab(res, views=m)
        # integer tensors: C division (truncating toward zero), powers through doubles
        ia = put(dev, (rnd(5, 5) * 20).astype(np.int64))
        for name, fn, args in (("idiv", pointwise.pw_div, (ia, 3)),
                               ("icdiv", pointwise.pw_cdiv, (ia, put(dev, np.full((5, 5), -3),
                                                                     I64))),
                               # non-negative: NaN has no defined integer conversion
                               ("ipow", pointwise.pw_pow, (put(dev, np.arange(25), I64), 1.5)),
                               ("ipow2", pointwise.pw_pow, (ia, 2)),
                               ("itpow", pointwise.pw_tpow, (2, put(dev, np.arange(25) % 7,
                                                                    I64)))):
            r = new(dev, I64)
            fn(r, *args)
            grab(res, **{name: r})
        r = new(dev, dt)
        pointwise.pw_tpow(r, 1.5, a)
        grab(res, tpow=r)
        res["equal"] = np.array(pointwise.pw_equal(a, a))
        return res
    check(run, dtype, gpu)


@pytest.mark.parametrize("dtype", DTYPES)
def test_reductions(gpu: Any, dtype: np.dtype) -> None:
    def run(dev: Any, dt: np.dtype) -> Results:
        res: Results = {}
        t = put(dev, rnd(5, 8, 3), dt)
        nums = {"sumall": reduce.rd_sumall(t), "maxall": reduce.rd_maxall(t),
                "minall": reduce.rd_minall(t), "meanall": reduce.rd_meanall(t),
                "varall": reduce.rd_varall(t), "stdall": reduce.rd_stdall(t)}
        for k, v in nums.items():
            assert isinstance(v, float), (k, type(v))
            res[k] = (v,)
        for d in (1, 2, 3):
            s, mx, mi = new(dev, dt), new(dev, dt), new(dev, I64)
            reduce.rd_sum(s, t, d)
            reduce.rd_max(mx, mi, t, d)
            mn, ni = new(dev, dt), new(dev, I64)
            reduce.rd_min(mn, ni, t, d)
            me, va, cs = new(dev, dt), new(dev, dt), new(dev, dt)
            reduce.rd_mean(me, t, d)
            reduce.rd_var(va, t, d)
            reduce.rd_cumsum(cs, t, d)
            grab(res, **{f"sum{d}": s, f"max{d}": mx, f"maxi{d}": mi, f"min{d}": mn,
                         f"mini{d}": ni, f"mean{d}": me, f"var{d}": va, f"cumsum{d}": cs})
        # reductions of a non-contiguous view
        s = new(dev, dt)
        reduce.rd_sum(s, t.transpose(0, 2), 2)
        grab(res, sum_view=s)
        return res
    check(run, dtype, gpu)


# -- indexing and views ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_indexing(gpu: Any, dtype: np.dtype) -> None:
    def run(dev: Any, dt: np.dtype) -> Results:
        res: Results = {}
        src = put(dev, rnd(6, 5), dt)
        idx = put(dev, np.array([3, 1, 6, 3]), I64)  # 1-based, a repeat
        for d in (1, 2):
            r = new(dev, dt)
            ids = idx if d == 1 else put(dev, np.array([5, 2, 2]), I64)
            indexing.ix_index(r, src, d, ids)
            grab(res, **{f"index{d}": r})
        t = put(dev, np.zeros((6, 5)), dt)
        indexing.ix_index_copy(t, 1, put(dev, np.array([2, 5]), I64), put(dev, rnd(2, 5), dt))
        grab(res, index_copy=t)
        t = put(dev, np.ones((6, 5)), dt)
        indexing.ix_index_add(t, 1, idx, put(dev, rnd(4, 5, seed=1), dt))
        grab(res, index_add=t)
        t = put(dev, np.ones((6, 5)), dt)
        indexing.ix_index_fill(t, 2, put(dev, np.array([1, 4]), I64), -3.0)
        grab(res, index_fill=t)
        r = new(dev, dt)
        gidx = put(dev, np.array([[1, 2, 3, 4, 5], [6, 5, 4, 3, 2]]), I64)
        indexing.ix_gather(r, src, 1, gidx)
        grab(res, gather=r)
        t = put(dev, np.zeros((6, 5)), dt)
        indexing.ix_scatter(t, 1, gidx, put(dev, rnd(2, 5, seed=2), dt))
        grab(res, scatter=t)
        mask = put(dev, (rnd(6, 5, seed=3) > 0).astype(np.uint8))
        r = new(dev, dt)
        indexing.ix_masked_select(r, src, mask)
        grab(res, masked_select=r)
        t = put(dev, rnd(6, 5, seed=4), dt)
        indexing.ix_masked_fill(t, mask, 7.0)
        grab(res, masked_fill=t)
        r = new(dev, I64)
        indexing.ix_nonzero(r, mask)
        grab(res, nonzero=r)
        # views: narrow / select / transpose share the storage, and copy back and forth
        big = put(dev, rnd(4, 6, 5, seed=5), dt)
        sel = big.select(0, 2).narrow(1, 1, 3)
        assert sel.storage is big.storage
        grab(res, view=sel, view_t=big.transpose(0, 2).select(1, 3))
        sel.copy_from(put(dev, np.arange(18.0).reshape(6, 3), dt))
        grab(res, after_copy=big)
        # a cross-device copy into a GPU view, from host memory
        if dev is not cpu:
            sel.copy_from(Tensor.from_array(np.arange(18.0).reshape(6, 3), dt))
        else:
            sel.copy_from(put(dev, np.arange(18.0).reshape(6, 3), dt))
        grab(res, after_host_copy=big)
        return res
    check(run, dtype, gpu)


# -- random fills ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_random_fills(gpu: Any, dtype: np.dtype) -> None:
    """Fills of GPU tensors run, keep the shape and the moments, and (drawn by the same Torch7
    generator) hold the very numbers a CPU tensor gets from the same seed."""
    n = 200_000

    def run(dev: Any, dt: np.dtype) -> Results:
        res: Results = {}
        lt_random.rng_manual_seed(None, 1234)
        for name, fill, args in (("uniform", lt_random.rng_fill_uniform_, (-1, 3)),
                                 ("normal", lt_random.rng_fill_normal_, (2, 0.5)),
                                 ("bernoulli", lt_random.rng_fill_bernoulli_, (0.3,)),
                                 ("exponential", lt_random.rng_fill_exponential_, (2.0,))):
            t = put(dev, np.zeros((400, n // 400)), dt)
            fill(None, t, *args)
            assert t.size == (400, n // 400)
            assert t.storage.device is dev
            grab(res, **{name: t})
        # a fill through a non-contiguous view leaves the rest alone
        t = put(dev, np.zeros((6, 8)), dt)
        lt_random.rng_fill_normal_(None, t.narrow(1, 2, 3))
        grab(res, view_fill=t)
        return res

    got = check(run, dtype, gpu)
    u, nrm, ber, ex = got["uniform"], got["normal"], got["bernoulli"], got["exponential"]
    assert u.min() >= -1 and u.max() <= 3 and abs(u.mean() - 1) < 0.02
    assert abs(nrm.mean() - 2) < 0.01 and abs(nrm.std() - 0.5) < 0.01
    assert set(np.unique(ber)) <= {0, 1} and abs(ber.mean() - 0.3) < 0.01
    assert ex.min() >= 0 and abs(ex.mean() - 0.5) < 0.01
    vf = got["view_fill"]
    assert not vf[:, :2].any() and not vf[:, 5:].any() and vf[:, 2:5].all()


# -- a whole training step ------------------------------------------------------------------------
def lenet_step_scenario(steps: int, backward: bool) -> Scenario:
    """LeNet-style steps: conv 1->32 5x5, in-place ReLU, 2x2 max-pool, conv 32->64 5x5 (the
    Fourier route), batch norm, ReLU, 2x2 max-pool, Linear 1024->10, CrossEntropy; then the
    backward pass in reverse and an SGD update (lr 0.01).  Buffers persist across steps, as on
    the modules."""
    lr = 0.01

    def run(dev: Any, dt: np.dtype) -> Results:
        B = 64
        x = put(dev, rnd(B, 1, 28, 28, seed=10), dt)
        tgt = put(dev, np.arange(B) % 10 + 1.0, dt)
        p = {"w1": put(dev, rnd(32, 1, 5, 5, seed=11) / 5, dt), "b1": put(dev, rnd(32) / 5, dt),
             "w2": put(dev, rnd(64, 32, 5, 5, seed=12) / 28, dt),
             "b2": put(dev, rnd(64, seed=13) / 28, dt),
             "bnw": put(dev, np.ones(64), dt), "bnb": put(dev, np.zeros(64), dt),
             "wl": put(dev, rnd(10, 1024, seed=14) / 32, dt),
             "bl": put(dev, rnd(10, seed=15) / 32, dt)}
        gp = {k: put(dev, np.zeros(v.size), dt) for k, v in p.items()}
        rm, rv = put(dev, np.zeros(64), dt), put(dev, np.ones(64), dt)
        buf = {k: new(dev, dt) for k in ("c1", "f1", "g1", "p1", "c2", "f2", "g2", "bn", "sm",
                                           "ss", "p2", "lin", "lsm", "dlin", "dp2", "dbn",
                                           "dc2", "dp1", "dc1")}
        i1, i2 = new(dev, I64), new(dev, I64)
        res: Results = {}
        for step in range(steps):
            a1 = (5, 5, 1, 1, 0, 0, 1, 1)
            conv.conv_spatial_fwd(buf["c1"], x, p["w1"], p["b1"], buf["f1"], buf["g1"], *a1)
            activation.act_threshold_fwd(buf["c1"], buf["c1"], 0, 0, True)
            pooling.pool_max2d_fwd(buf["p1"], i1, buf["c1"], 2, 2, 2, 2, 0, 0, 1, 1, False)
            conv.conv_spatial_fwd(buf["c2"], buf["p1"], p["w2"], p["b2"], buf["f2"], buf["g2"],
                                  *a1)
            spatial_norm.snorm_bn_fwd(buf["bn"], buf["c2"], p["bnw"], p["bnb"], rm, rv,
                                      buf["sm"], buf["ss"], True, 0.1, 1e-5, 4)
            activation.act_threshold_fwd(buf["bn"], buf["bn"], 0, 0, True)
            pooling.pool_max2d_fwd(buf["p2"], i2, buf["bn"], 2, 2, 2, 2, 0, 0, 1, 1, False)
            flat = buf["p2"].view((B, 1024))
            linear.lin_forward(buf["lin"], flat, p["wl"], p["bl"])
            res[f"loss{step}"] = (loss.loss_ce(buf["lsm"], buf["lin"], tgt, None, True),)
            grab(res, **{f"logits{step}": buf["lin"]})
            if not backward:
                continue
            for g in gp.values():
                pointwise.pw_mul(g, g, 0)
            loss.loss_ce_grad(buf["dlin"], buf["lsm"], buf["lin"], tgt, None, True)
            linear.lin_grad_input(buf["dp2"], flat, buf["dlin"], p["wl"])
            linear.lin_acc_grad(flat, buf["dlin"], gp["wl"], gp["bl"], 1.0)
            dp2 = buf["dp2"].view(buf["p2"].size)
            pooling.pool_max2d_bwd(buf["dbn"], buf["bn"], dp2, i2, 2, 2, 2, 2, 0, 0, 1, 1,
                                   False)
            activation.act_threshold_bwd(buf["dbn"], buf["bn"], buf["dbn"], 0, True)
            spatial_norm.snorm_bn_bwd(buf["c2"], buf["dbn"], buf["dc2"], gp["bnw"], gp["bnb"],
                                      p["bnw"], rm, rv, buf["sm"], buf["ss"], True, 1.0, 1e-5,
                                      4)
            conv.conv_spatial_backward(buf["dp1"], buf["p1"], buf["dc2"], p["w2"], gp["w2"],
                                       gp["b2"], buf["f2"], buf["g2"], *a1, 1.0)
            pooling.pool_max2d_bwd(buf["dc1"], buf["c1"], buf["dp1"], i1, 2, 2, 2, 2, 0, 0, 1,
                                   1, False)
            activation.act_threshold_bwd(buf["dc1"], buf["c1"], buf["dc1"], 0, True)
            conv.conv_spatial_backward(None, x, buf["dc1"], p["w1"], gp["w1"], gp["b1"],
                                       buf["f1"], buf["g1"], *a1, 1.0)
            for k in p:
                pointwise.pw_add_scaled(p[k], p[k], -lr, gp[k])
            grab(res, **{f"g{k}{step}": g for k, g in gp.items()})
        grab(res, **p)
        grab(res, rm=rm, rv=rv)
        return res
    return run


@pytest.mark.parametrize("dtype", DTYPES)
def test_lenet_forward(gpu: Any, dtype: np.dtype) -> None:
    """The forward pass and the loss: continuous in the data, so float32 agrees too."""
    check(lenet_step_scenario(1, False), dtype, gpu)


def test_lenet_training_steps(gpu: Any) -> None:
    """Two whole training steps in double precision.  (In float32 the GPU's other summation
    order moves values by ~1e-7, enough to flip a ReLU or a max-pooling choice somewhere among
    a million near-ties, which moves a gradient by far more than rounding: no fixed tolerance
    holds there.)"""
    res = check(lenet_step_scenario(2, True), F64, gpu)
    assert res["loss1"][0] < res["loss0"][0]
