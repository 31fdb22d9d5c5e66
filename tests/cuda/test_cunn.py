"""require 'cunn': model:cuda() and criterions on virtual GPUs give the CPU float results."""

from __future__ import annotations

import numpy as np
import pytest

from luatorch.runtime import LuaError
from tests.conftest import arr

NET = """
   torch.manualSeed(1)
   model = nn.Sequential()
   model:add(nn.SpatialConvolution(3, 8, 3, 3, 1, 1, 1, 1))
   model:add(nn.SpatialBatchNormalization(8))
   model:add(nn.ReLU(true))
   model:add(nn.SpatialMaxPooling(2, 2, 2, 2))
   model:add(nn.View(8 * 4 * 4))
   model:add(nn.Linear(8 * 4 * 4, 10))
   model:add(nn.Tanh())
   model:add(nn.LogSoftMax())
   model:float()
   x = torch.FloatTensor(4, 3, 8, 8):uniform()
   y = torch.LongTensor{1, 2, 3, 4}
"""


@pytest.fixture()
def nrt(crt):
    crt.require("cunn")
    return crt


def test_cunn_loads_cutorch_and_nn(nrt):
    assert nrt.eval("type(cunn) == 'table' and type(cutorch) == 'table' and nn ~= nil")


@pytest.mark.parametrize("crit", ["nn.ClassNLLCriterion()", "nn.CrossEntropyCriterion()",
                                  "nn.MSECriterion()"])
def test_forward_backward_on_gpu_equals_cpu_float(nrt, crit):
    nrt.execute(NET + f"""
       crit = {crit}
       if torch.type(crit) == 'nn.MSECriterion' then y = torch.FloatTensor(4, 10):uniform() end
       gmodel, gcrit = model:clone():cuda(), crit:clone():cuda()
       out = model:forward(x)
       loss = crit:forward(out, y)
       model:zeroGradParameters()
       gin = model:backward(x, crit:backward(out, y))
       gx, gy = x:cuda(), (torch.type(y) == 'torch.LongTensor') and y:cudaLong() or y:cuda()
       gout = gmodel:forward(gx)
       gloss = gcrit:forward(gout, gy)
       gmodel:zeroGradParameters()
       ggin = gmodel:backward(gx, gcrit:backward(gout, gy))
       _, g1 = model:parameters()
       _, g2 = gmodel:parameters()
    """)
    assert nrt.eval("torch.type(gout)") == "torch.CudaTensor"
    assert nrt.eval("gout:getDevice()") == 1
    assert nrt.eval("torch.type(gmodel:get(1).weight)") == "torch.CudaTensor"
    assert nrt.eval("gloss") == pytest.approx(nrt.eval("loss"), rel=1e-6)
    np.testing.assert_allclose(arr(nrt, "gout:float()"), arr(nrt, "out"), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(arr(nrt, "ggin:float()"), arr(nrt, "gin"), rtol=1e-5, atol=1e-7)
    # The convolution's bias gradient is zero in exact arithmetic (batch normalization follows
    # and removes the mean), so both sides hold float32 cancellation noise of a few 1e-7.
    for i in range(1, nrt.eval("#g1") + 1):
        np.testing.assert_allclose(arr(nrt, f"g2[{i}]:float()"), arr(nrt, f"g1[{i}]"),
                                   rtol=1e-5, atol=1e-6)


def test_training_with_get_parameters_on_gpu(nrt):
    nrt.execute(NET + """
       crit = nn.ClassNLLCriterion()
       gmodel, gcrit = model:clone():cuda(), crit:clone():cuda()
       local function train(m, c, input, target)
          local p, g = m:getParameters()
          for _ = 1, 3 do
             g:zero()
             local o = m:forward(input)
             c:forward(o, target)
             m:backward(input, c:backward(o, target))
             p:add(-0.1, g)
          end
          return p
       end
       p1 = train(model, crit, x, y)
       p2 = train(gmodel, gcrit, x:cuda(), y:cudaLong())
    """)
    assert nrt.eval("torch.type(p2)") == "torch.CudaTensor"
    np.testing.assert_allclose(arr(nrt, "p2:float()"), arr(nrt, "p1"), rtol=1e-5, atol=1e-6)


def test_model_on_second_gpu_and_input_on_first_fails(nrt):
    nrt.execute("cutorch.setDevice(2) m = nn.Linear(3, 2):cuda() cutorch.setDevice(1)")
    with pytest.raises(LuaError, match="arguments are located on different GPUs"):
        nrt.execute("m:forward(torch.CudaTensor(3):fill(1))")
    nrt.execute("cutorch.setDevice(2) out = m:forward(torch.CudaTensor(3):fill(1))")
    assert nrt.eval("out:getDevice()") == 2


def test_cpu_input_to_a_cuda_model_fails(nrt):
    nrt.execute("m = nn.Linear(3, 2):cuda()")
    with pytest.raises(LuaError):
        nrt.execute("m:forward(torch.FloatTensor(3):fill(1))")


def test_module_conversions_of_cunn(nrt):
    nrt.execute("m = nn.Tanh() m:cudaDouble() o = m:forward(torch.randn(4):cudaDouble()) "
                "h = nn.Tanh():cudaHalf()")
    assert nrt.eval("m:type()") == "torch.CudaDoubleTensor"
    assert nrt.eval("torch.type(o)") == "torch.CudaDoubleTensor"
    assert nrt.eval("h:type()") == "torch.CudaHalfTensor"


@pytest.mark.parametrize("mod,shape", [("nn.TemporalMaxPooling(2)", "2, 6, 3"),
                                       ("nn.SpatialMaxPooling(2, 2)", "2, 3, 4, 4"),
                                       ("nn.VolumetricMaxPooling(2, 2, 2)", "1, 2, 4, 4, 4")])
def test_max_pooling_keeps_cpu_indices_beside_gpu_data(nrt, mod, shape):
    nrt.execute(f"""
       torch.manualSeed(4)
       m = {mod}:float()
       g = m:clone():cuda()
       x = torch.FloatTensor({shape}):uniform()
       o = m:forward(x)
       gi = m:backward(x, o)
       go = g:forward(x:cuda())
       ggi = g:backward(x:cuda(), go)
    """)
    np.testing.assert_array_equal(arr(nrt, "go:float()"), arr(nrt, "o"))
    np.testing.assert_array_equal(arr(nrt, "ggi:float()"), arr(nrt, "gi"))


@pytest.mark.parametrize("make, shape", [
    ("nn.SpatialMaxPooling(2, 2)", "1, 2, 4, 4"),
    ("nn.VolumetricMaxPooling(2, 2, 2)", "1, 2, 4, 4, 4"),
    ("nn.SpatialAdaptiveMaxPooling(2, 2)", "1, 2, 4, 4"),
])
def test_max_pooling_indices_live_beside_the_data(nrt, make, shape):
    """cunn keeps a GPU module's indices on its GPU (a CPU LongTensor would not reach CuPy)."""
    nrt.execute(f"""
       _m = {make}:cuda()
       _x = torch.CudaTensor({shape}):uniform()
       _y = _m:forward(_x)
       _g = _m:backward(_x, _y:clone():fill(1))
       _c = {make}:float()
       _cy = _c:forward(_x:float())
    """)
    assert nrt.eval("torch.type(_m.indices)") == "torch.CudaLongTensor"
    assert nrt.eval("_m.indices:getDevice()") == 1
    assert nrt.eval("torch.type(_c.indices)") == "torch.LongTensor"
    np.testing.assert_array_equal(arr(nrt, "_y:float()"), arr(nrt, "_cy"))
    assert nrt.eval("_g:sum()") == nrt.eval("_y:nElement()")


def test_onehot_on_gpu_takes_cuda_and_cpu_indices(nrt):
    nrt.execute("""
       _o = nn.OneHot(4):cuda()
       _a = _o:forward(torch.LongTensor{{1, 4}, {2, 2}}):clone()
       _b = _o:forward(torch.CudaTensor{{1, 4}, {2, 2}}):clone()
    """)
    assert nrt.eval("torch.type(_a)") == "torch.CudaTensor"
    want = np.zeros((2, 2, 4), np.float32)
    for (i, j), k in np.ndenumerate(np.array([[1, 4], [2, 2]])):
        want[i, j, k - 1] = 1
    np.testing.assert_array_equal(arr(nrt, "_a:float()"), want)
    np.testing.assert_array_equal(arr(nrt, "_b:float()"), want)
    assert nrt.eval("torch.type(_o._input)") == "torch.CudaLongTensor"
