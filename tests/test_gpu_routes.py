"""The GPU-only routes against the NumPy kernels: cuDNN through NVIDIA's frontend (convolution
fprop / dgrad / wgrad, batch normalization) and the fused CuPy kernels (BatchNorm apply and
BatchNorm + ReLU, sgd and adam updates, MSECriterion's gradient), values and gradients.

Marked `gpu`: skipped without a usable CUDA device; the cuDNN tests also skip where the frontend
(or the cuDNN library behind it) is missing.  Selection itself is tested without a GPU in
tests/test_routes.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from luatorch.backend import cpu
from luatorch.backend import cuda as cuda_backend
from luatorch.kernels import fused, loss, normalization, routes, spatial_norm
from luatorch.runtime import Runtime
from tests.test_gpu_kernels import (CONV2D, DTYPES, F32, Results, check, conv2d_scenario, grab,
                                    host, new, put, rnd)

HAVE_GPU = cuda_backend.device_count() > 0

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not HAVE_GPU, reason="no usable CUDA device (or no CuPy)")]


@pytest.fixture(scope="module")
def gpu() -> Any:
    return cuda_backend.CudaDevice(0)


@pytest.fixture(autouse=True)
def _default_modes():
    saved = routes.Flags(**vars(routes.flags))
    yield
    for k, v in vars(saved).items():
        setattr(routes.flags, k, v)


@pytest.fixture
def frontend() -> None:
    if not routes.frontend_available():
        pytest.skip(f"no cuDNN route: {routes.frontend_available.reason}")


# -- cuDNN: convolutions --------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(CONV2D))
def test_conv_on_cudnn_matches_numpy(gpu, frontend, name: str, dtype: np.dtype) -> None:
    import cupy

    assert routes.pick("conv_fprop", cupy.zeros(2, dtype)) == routes.CUDNN
    routes.plans.clear()
    before = routes.plans.stats()
    check(conv2d_scenario(**CONV2D[name]), dtype, gpu)
    after = routes.plans.stats()
    # fprop, dgrad and wgrad each built once for this geometry, then found again
    assert after["misses"] - before["misses"] == 3
    assert after["hits"] > before["hits"]


@pytest.mark.parametrize("mode", ["benchmark", "fastest", "deterministic"])
def test_cudnn_modes_build_their_own_plans_and_compute_the_same(gpu, frontend, mode) -> None:
    geo = CONV2D["3x3-pad1"]
    check(conv2d_scenario(**geo), F32, gpu)
    misses = routes.plans.stats()["misses"]
    setattr(routes.flags, mode, True)
    check(conv2d_scenario(**geo), F32, gpu)
    assert routes.plans.stats()["misses"] == misses + 3


def test_im2col_serves_when_cudnn_is_switched_off(gpu, frontend) -> None:
    routes.flags.cudnn = False
    routes.plans.clear()
    check(conv2d_scenario(**CONV2D["3x3-pad1"]), F32, gpu)
    assert routes.plans.stats()["size"] == 0


# -- cuDNN: batch normalization ------------------------------------------------------------------
def _bn_scenario(spatial: bool):
    nf = 8

    def run(dev: Any, dt: np.dtype) -> Results:
        shape = (6, nf, 5, 7) if spatial else (12, nf)
        x = put(dev, rnd(*shape) * 3 + 1, dt)
        g = put(dev, rnd(*shape, seed=1), dt)
        w, b = put(dev, rnd(nf, seed=2), dt), put(dev, rnd(nf, seed=3), dt)
        rm, rv = put(dev, rnd(nf, seed=4) * 0.1, dt), put(dev, np.ones(nf) * 1.5, dt)
        sm, ss, out, gi = (new(dev, dt) for _ in range(4))
        gw, gb = put(dev, np.ones(nf), dt), put(dev, np.ones(nf), dt)
        if spatial:
            spatial_norm.snorm_bn_fwd(out, x, w, b, rm, rv, sm, ss, True, 0.1, 1e-5, 4)
            spatial_norm.snorm_bn_bwd(x, g, gi, gw, gb, w, rm, rv, sm, ss, True, 0.5, 1e-5, 4)
        else:
            normalization.norm_bn_fwd(out, x, w, b, rm, rv, sm, ss, True, 0.1, 1e-5)
            normalization.norm_bn_bwd(x, g, gi, gw, gb, w, rm, rv, sm, ss, True, 0.5, 1e-5)
        res: Results = {}
        grab(res, out=out, gi=gi, gw=gw, gb=gb, rm=rm, rv=rv, sm=sm, ss=ss)
        # no affine parameters, no gradInput (a first layer)
        out2, sm2, ss2 = new(dev, dt), new(dev, dt), new(dev, dt)
        if spatial:
            spatial_norm.snorm_bn_fwd(out2, x, None, None, rm, rv, sm2, ss2, True, 0.1, 1e-5, 4)
            spatial_norm.snorm_bn_bwd(x, g, None, None, None, None, rm, rv, sm2, ss2, True, 1.0,
                                      1e-5, 4)
        else:
            normalization.norm_bn_fwd(out2, x, None, None, rm, rv, sm2, ss2, True, 0.1, 1e-5)
        # evaluation: the fused apply
        eo = new(dev, dt)
        if spatial:
            spatial_norm.snorm_bn_fwd(eo, x, w, b, rm, rv, sm, ss, False, 0.1, 1e-5, 4)
        else:
            normalization.norm_bn_fwd(eo, x, w, b, rm, rv, sm, ss, False, 0.1, 1e-5)
        grab(res, out2=out2, sm2=sm2, ss2=ss2, rm2=rm, rv2=rv, eval_out=eo)
        return res
    return run


@pytest.mark.parametrize("spatial", [True, False], ids=["spatial", "flat"])
def test_batchnorm_on_cudnn_matches_numpy(gpu, frontend, spatial: bool) -> None:
    routes.plans.clear()
    check(_bn_scenario(spatial), F32, gpu, scale=10)
    assert routes.plans.stats()["misses"] >= 2   # training forward and backward


@pytest.mark.parametrize("spatial", [True, False], ids=["spatial", "flat"])
def test_batchnorm_fused_apply_without_cudnn_matches_numpy(gpu, spatial: bool) -> None:
    routes.flags.cudnn = False
    check(_bn_scenario(spatial), F32, gpu)


# -- fused kernels ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("relu", [False, True])
def test_bn_apply_and_bn_relu_kernels(gpu, dtype: np.dtype, relu: bool) -> None:
    import cupy

    x = rnd(4, 6, 3, 5).astype(dtype)
    mean, k, b = (rnd(1, 6, 1, 1, seed=s).astype(dtype) for s in (1, 2, 3))
    ref = (x - mean) * k + b
    if relu:
        ref = np.maximum(ref, 0)
    y = cupy.empty_like(cupy.asarray(x))
    fused.bn_apply(cupy.asarray(x), cupy.asarray(mean), cupy.asarray(k), cupy.asarray(b), y,
                   relu=relu)
    np.testing.assert_allclose(cupy.asnumpy(y), ref, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", DTYPES)
def test_mse_gradient_fused_matches_numpy(gpu, dtype: np.dtype) -> None:
    def run(dev: Any, dt: np.dtype) -> Results:
        x, t = put(dev, rnd(5, 7), dt), put(dev, rnd(5, 7, seed=1), dt)
        gi, gi2 = new(dev, dt), new(dev, dt)
        loss.loss_mse_grad(gi, x, t, True)
        loss.loss_mse_grad(gi2, x, 0.25, False)
        res: Results = {}
        grab(res, gi=gi, gi2=gi2)
        return res
    check(run, dtype, gpu)


OPTIM = """
require 'cunn'
require 'optim'
function train(ttype, algo, config, n)
   torch.manualSeed(11)
   local x = torch.FloatTensor(300):normal():type(ttype)
   local target = torch.FloatTensor(300):normal():type(ttype)
   local g = x.new(300)
   local function feval(p)
      g:copy(p):add(-1, target):mul(2)
      return 0, g
   end
   for i = 1, n do optim[algo](feval, x, config) end
   return x:double()
end
"""


@pytest.mark.parametrize("algo, config", [
    ("sgd", "{learningRate = 0.1, momentum = 0.9}"),
    ("sgd", "{learningRate = 0.1, momentum = 0.9, dampening = 0, nesterov = true, "
            "weightDecay = 1e-3, learningRateDecay = 0.01}"),
    ("adam", "{learningRate = 0.01}"),
    ("adam", "{learningRate = 0.01, beta1 = 0.8, weightDecay = 1e-3}"),
])
def test_fused_optimizer_steps_match_the_cpu_and_the_generic_gpu_steps(gpu, algo, config):
    r = Runtime()
    r.execute(OPTIM)
    cpu_x = host(r.eval(f"torch._handle(train('torch.FloatTensor', '{algo}', {config}, 6))"))
    gpu_x = r.eval(f"torch._handle(train('torch.CudaTensor', '{algo}', {config}, 6))")
    routes.flags.fused = False
    generic_x = r.eval(f"torch._handle(train('torch.CudaTensor', '{algo}', {config}, 6))")
    np.testing.assert_allclose(cpu.send(gpu_x.a), cpu_x, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(cpu.send(gpu_x.a), cpu.send(generic_x.a), rtol=1e-6, atol=1e-7)
    # the fused kernel served the GPU steps (sgd's first step fills the momentum buffer)
    import cupy

    x = put(gpu, rnd(10), F32)
    routes.flags.fused = True
    if algo == "sgd":
        assert fused.optim_sgd_fused(x, put(gpu, rnd(10), F32), put(gpu, rnd(10), F32), 0.1,
                                     0.9, 0.0, False)
    else:
        bufs = [put(gpu, np.abs(rnd(10, seed=s)), F32) for s in range(4)]
        assert fused.optim_adam_fused(x, *bufs, 0.9, 0.999, 1e-8, 0.01)
    assert isinstance(x.a, cupy.ndarray)
