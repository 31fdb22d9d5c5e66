"""cutorch and cunn from Lua on a real GPU (CuPy): the routes a Torch7 GPU script takes.

Marked `gpu`: skipped without a usable CUDA device.  The same tests run on one virtual GPU with
LUATORCH_GPU_TESTS_ON_VIRTUAL=1, which is how they are checked on machines without a GPU (and
why every comparison reads results back with :float() / :double() first: on a real GPU the
handle's array is CuPy's, not NumPy's).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from luatorch import backend
from luatorch.backend import cuda as cuda_backend
from luatorch.runtime import LuaError, Runtime
from tests.conftest import arr
from tests.cuda.test_cunn import NET  # the same small convnet, built on the CPU

REAL = cuda_backend.device_count() > 0
ON_VIRTUAL = os.environ.get("LUATORCH_GPU_TESTS_ON_VIRTUAL") == "1"

pytestmark = [pytest.mark.gpu,
              pytest.mark.skipif(not (REAL or ON_VIRTUAL),
                                 reason="no usable CUDA device (or no CuPy)")]

VIRTUAL = 0 if REAL else 1


@pytest.fixture(scope="module")
def grt() -> Runtime:
    r = Runtime(virtual_gpus=VIRTUAL)
    r.require("cunn")
    r.require("optim")
    return r


@pytest.fixture(autouse=True)
def _our_gpus():
    """Other modules' runtimes share the process's GPU registry: put ours back."""
    backend.configure_gpus(VIRTUAL)
    yield


def test_tensors_live_on_the_gpu_and_print_as_torch7(grt):
    grt.execute("g = torch.CudaTensor(2, 3):fill(1.5)")
    assert "[torch.CudaTensor of size 2x3 (GPU 1)]" in grt.eval("tostring(g)")
    assert grt.eval("g:getDevice()") == 1
    assert grt.eval("torch.type(g:storage())") == "torch.CudaStorage"
    assert grt.eval("g:sum()") == pytest.approx(9.0)
    if REAL:
        assert type(grt.eval("torch._handle(g)").a).__module__.startswith("cupy")


@pytest.mark.parametrize("cuda", ["cuda", "cudaDouble", "cudaLong", "cudaInt", "cudaByte",
                                  "cudaShort", "cudaChar", "cudaHalf"])
def test_copies_between_cpu_and_every_cuda_type(grt, cuda):
    grt.execute(f"""
       src = torch.DoubleTensor{{{{1, 2, 3}}, {{4, 5, 126}}}}
       g = src:{cuda}()
       back = g:double()
       via = torch.FloatTensor(2, 3):copy(g)
       g2 = g:clone():zero():copy(src:float())
    """)
    np.testing.assert_array_equal(arr(grt, "back"), arr(grt, "src"))
    np.testing.assert_array_equal(arr(grt, "via"), arr(grt, "src").astype(np.float32))
    np.testing.assert_array_equal(arr(grt, "g2:double()"), arr(grt, "src"))


MATH = """
   torch.manualSeed(7)
   local a, b = torch.FloatTensor(37, 29):normal(), torch.FloatTensor(29, 11):normal()
   local ga, gb = a:cuda(), b:cuda()
   local idx = torch.LongTensor{3, 1, 2}
   local checks = {
      {torch.mm(a, b), torch.mm(ga, gb)},
      {a:clone():add(2, a):cmul(a), ga:clone():add(2, ga):cmul(ga)},
      {a:sum(1), ga:sum(1)}, {a:max(2), ga:max(2)}, {a:mean(2), ga:mean(2)},
      {a:t():contiguous(), ga:t():contiguous()}, {a:narrow(1, 3, 5), ga:narrow(1, 3, 5)},
      {a:index(1, idx), ga:index(1, idx:cudaLong())},
      {torch.sort(a, 2), torch.sort(ga, 2)}, {a:clone():exp():log(), ga:clone():exp():log()},
      {a:clone():clamp(-0.5, 0.5), ga:clone():clamp(-0.5, 0.5)},
      {torch.cat(a, a, 1), torch.cat(ga, ga, 1)}, {a:gt(0):float(), ga:gt(0):float()},
      {torch.addmv(torch.FloatTensor(37):fill(1), a, b:select(2, 1)),
       torch.addmv(torch.CudaTensor(37):fill(1), ga, gb:select(2, 1))},
   }
   errors = {}
   for i, c in ipairs(checks) do
      errors[i] = (c[1]:double() - c[2]:double()):abs():max()
   end
"""


def test_tensor_maths_on_gpu_equals_cpu(grt):
    grt.execute(MATH)
    errs = [grt.eval(f"errors[{i}]") for i in range(1, grt.eval("#errors") + 1)]
    assert len(errs) == 14
    assert max(errs) < 1e-4, errs


def test_random_on_gpu_is_seeded_by_cutorch(grt):
    grt.execute("""
       cutorch.manualSeed(5); _a = torch.CudaTensor(100):uniform():double()
       cutorch.manualSeed(5); _b = torch.CudaTensor(100):uniform():double()
       _c = torch.CudaTensor(100):uniform():double()
    """)
    np.testing.assert_array_equal(arr(grt, "_a"), arr(grt, "_b"))
    assert not np.array_equal(arr(grt, "_a"), arr(grt, "_c"))
    assert 0 <= arr(grt, "_a").min() and arr(grt, "_a").max() <= 1


def test_model_cuda_forward_backward_equals_cpu(grt):
    grt.execute(NET + """
       crit = nn.ClassNLLCriterion()
       gmodel, gcrit = model:clone():cuda(), crit:clone():cuda()
       out = model:forward(x)
       model:zeroGradParameters()
       gin = model:backward(x, crit:backward(out, y))
       gout = gmodel:forward(x:cuda())
       gmodel:zeroGradParameters()
       ggin = gmodel:backward(x:cuda(), gcrit:backward(gout, y:cudaLong()))
       _, g1 = model:parameters()
       _, g2 = gmodel:parameters()
    """)
    assert grt.eval("torch.type(gout)") == "torch.CudaTensor"
    np.testing.assert_allclose(arr(grt, "gout:float()"), arr(grt, "out"), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(arr(grt, "ggin:float()"), arr(grt, "gin"), rtol=1e-4, atol=1e-6)
    for i in range(1, grt.eval("#g1") + 1):
        np.testing.assert_allclose(arr(grt, f"g2[{i}]:float()"), arr(grt, f"g1[{i}]"),
                                   rtol=1e-4, atol=1e-5)


def test_optim_training_on_gpu_follows_cpu(grt):
    grt.execute(NET + """
       local crit = nn.ClassNLLCriterion()
       local function train(m, c, input, target)
          local p, g = m:getParameters()
          local config = {learningRate = 0.05, momentum = 0.9}
          for _ = 1, 5 do
             optim.sgd(function()
                g:zero()
                local o = m:forward(input)
                local loss = c:forward(o, target)
                m:backward(input, c:backward(o, target))
                return loss, g
             end, p, config)
          end
          return p
       end
       local gm, gc = model:clone():cuda(), crit:clone():cuda()
       p1 = train(model, crit, x, y)
       p2 = train(gm, gc, x:cuda(), y:cudaLong())
    """)
    assert grt.eval("torch.type(p2)") == "torch.CudaTensor"
    np.testing.assert_allclose(arr(grt, "p2:float()"), arr(grt, "p1"), rtol=1e-4, atol=1e-5)


def test_save_and_load_cuda_tensors_and_models(grt, tmp_path):
    f = tmp_path / "m.t7"
    grt.execute(NET + f"""
       gm = model:cuda()
       t = torch.CudaTensor(3, 4):uniform()
       torch.save('{f}', {{model = gm, t = t}})
       back = torch.load('{f}')
       o1 = gm:forward(x:cuda())
       o2 = back.model:forward(x:cuda())
    """)
    assert grt.eval("torch.type(back.t)") == "torch.CudaTensor"
    assert grt.eval("back.t:getDevice()") == 1
    np.testing.assert_array_equal(arr(grt, "back.t:float()"), arr(grt, "t:float()"))
    np.testing.assert_array_equal(arr(grt, "o2:float()"), arr(grt, "o1:float()"))


def test_data_parallel_table_on_one_gpu_equals_the_bare_model(grt):
    grt.execute(NET + """
       local crit = nn.ClassNLLCriterion():cuda()
       local bare = model:clone():cuda()
       local dpt = nn.DataParallelTable(1)
       dpt:add(model:clone(), {1})
       dpt:cuda()
       local function step(m)
          local p, g = m:getParameters()
          for _ = 1, 3 do
             g:zero()
             local o = m:forward(x:cuda())
             crit:forward(o, y:cudaLong())
             m:backward(x:cuda(), crit:backward(o, y:cudaLong()))
             p:add(-0.1, g)
          end
          return p
       end
       pb, pd = step(bare), step(dpt)
    """)
    np.testing.assert_allclose(arr(grt, "pd:float()"), arr(grt, "pb:float()"), rtol=1e-6,
                               atol=1e-7)


def test_device_api(grt):
    assert grt.eval("cutorch.getDeviceCount()") >= 1
    assert grt.eval("cutorch.getDevice()") == 1
    free, total = grt.execute("return cutorch.getMemoryUsage(1)")
    assert 0 < free <= total
    props = grt.execute("local p = cutorch.getDeviceProperties(1) "
                        "return p.name, p.totalGlobalMem, p.major")
    assert isinstance(props[0], str) and props[1] == total and props[2] >= 1
    assert isinstance(grt.eval("cudnn and cudnn.version or 7605"), (int, float))
    grt.execute("cutorch.synchronize() cutorch.synchronizeAll()")


def test_bad_input_fails_as_cutorch_did_and_the_script_goes_on(grt):
    # refused by the overload table (Torch7's wording) or at the door (the devices named)
    with pytest.raises(LuaError, match=r"invalid arguments: |one device: got tensors on"):
        grt.execute("torch.CudaTensor(3):fill(1):add(torch.FloatTensor(3):fill(1))")
    with pytest.raises(LuaError, match="one device: got tensors on (CPU and GPU 1|GPU 1 and CPU)"):
        grt.execute("nn.Linear(3, 2):cuda():forward(torch.FloatTensor(3):fill(1))")
    with pytest.raises(LuaError, match=r"cuda runtime error \(10\) : invalid device ordinal"):
        grt.execute("cutorch.setDevice(99)")
    ok, msg = grt.execute("return pcall(function() return torch.CudaTensor(2^40) end)")
    assert ok is False and "cuda runtime error (2) : out of memory" in msg
    # the failed allocation left the GPU usable
    assert grt.eval("torch.CudaTensor(1000):fill(2):sum()") == pytest.approx(2000.0)
