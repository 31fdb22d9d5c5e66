"""cunn's multi-GPU containers on 4 virtual GPUs: DataParallelTable, DataParallel,
ModelParallel and nn.GPU give the one-device results."""

from __future__ import annotations

import numpy as np
import pytest

from luatorch import backend
from luatorch.runtime import LuaError, Runtime
from tests.conftest import arr


@pytest.fixture(scope="module")
def prt() -> Runtime:
    """One runtime per module with `require 'cunn'` done, on 4 virtual GPUs."""
    r = Runtime(virtual_gpus=4)
    r.require("cunn")
    return r


@pytest.fixture(autouse=True)
def _four_gpus(request):
    """Other tests' runtimes share the process's GPU registry: restore 4 GPUs, device 1."""
    if "prt" in request.fixturenames:
        backend.configure_gpus(4)
    yield


CONVNET = """
   function convnet()
      local m = nn.Sequential()
      m:add(nn.SpatialConvolution(3, 6, 3, 3, 1, 1, 1, 1))
      m:add(nn.ReLU())
      m:add(nn.SpatialMaxPooling(2, 2, 2, 2))
      m:add(nn.View(6 * 4 * 4))
      m:add(nn.Linear(6 * 4 * 4, 5))
      m:add(nn.LogSoftMax())
      return m
   end
   torch.manualSeed(3)
   base = convnet():cuda()
   x = torch.CudaTensor(10, 3, 8, 8):uniform()   -- 10 rows on 4 GPUs: 3, 3, 2, 2
   y = torch.CudaTensor(10):random(5)
   crit = nn.ClassNLLCriterion():cuda()          -- averages over the whole batch
   function train(m, steps, useOptim)
      local p, g
      if useOptim then p, g = m:getParameters() end
      local state = {learningRate = 0.1, momentum = 0.9}
      for _ = 1, steps do
         if useOptim then
            optim.sgd(function()
               m:zeroGradParameters()
               local o = m:forward(x)
               local loss = crit:forward(o, y)
               m:backward(x, crit:backward(o, y))
               return loss, g
            end, p, state)
         else
            m:zeroGradParameters()
            local o = m:forward(x)
            crit:forward(o, y)
            m:backward(x, crit:backward(o, y))
            m:updateParameters(0.1)
         end
      end
   end
   function maxdiff(a, b)
      local pa, pb = a:parameters(), b:parameters()
      assert(#pa == #pb)
      local d = 0
      for i = 1, #pa do d = math.max(d, (pa[i]:double() - pb[i]:double()):abs():max()) end
      return d
   end
"""


@pytest.mark.parametrize("flatten,use_optim", [(False, False), (True, False), (False, True)])
def test_data_parallel_table_trains_as_one_device(prt, flatten, use_optim):
    prt.require("optim")
    fl, uo = str(flatten).lower(), str(use_optim).lower()
    prt.execute(CONVNET + f"""
       single = base:clone()
       dpt = nn.DataParallelTable(1, {fl}):add(base:clone(), {{1, 2, 3, 4}})
       train(single, 10, {uo})
       train(dpt, 10, {uo})
       out1, out2 = single:forward(x), dpt:forward(x)
    """)
    assert prt.eval("maxdiff(single, dpt)") < 1e-5
    assert prt.eval("maxdiff(single, dpt:get(1))") < 1e-5
    # the forward synced every replica with the first
    for i in (2, 3, 4):
        assert prt.eval(f"dpt.replicas[{i}]:get(1).weight:getDevice()") == i
        assert prt.eval(f"maxdiff(dpt.replicas[1], dpt.replicas[{i}])") == 0
    assert prt.eval("out2:getDevice()") == 1
    np.testing.assert_allclose(arr(prt, "out2:float()"), arr(prt, "out1:float()"), atol=1e-5)


def test_data_parallel_table_sums_gradients_and_syncs_lazily(prt):
    prt.execute(CONVNET + """
       single = base:clone()
       dpt = nn.DataParallelTable(1)
       for i = 1, 4 do dpt:add(base:clone(), i) end   -- one :add per GPU keeps the first
       for _, m in ipairs{single, dpt} do
          m:zeroGradParameters()
          local o = m:forward(x)
          crit:forward(o, y)
          m:backward(x, crit:backward(o, y))
       end
       _, g1 = single:parameters()
       _, g2 = dpt:parameters()
       _, g3 = dpt.replicas[3]:parameters()
       pending = dpt.needsSync               -- an optimizer may change the first replica now
       dpt.modules[1]:get(1).weight:fill(2)
       stale = dpt.replicas[2]:get(1).weight:float():max()
       dpt:forward(x)
       fresh = dpt.replicas[2]:get(1).weight:float():max()
       dpt:updateParameters(0.5)             -- cunn's own update broadcasts at once
       synced = maxdiff(dpt.replicas[1], dpt.replicas[4])
    """)
    for i in range(1, prt.eval("#g1") + 1):
        np.testing.assert_allclose(arr(prt, f"g2[{i}]:float()"), arr(prt, f"g1[{i}]:float()"),
                                   atol=1e-6)
        assert not arr(prt, f"g3[{i}]:float()").any()   # zeroed once summed onto the first
    assert prt.eval("pending") is True and prt.eval("synced") == 0
    assert prt.eval("stale") != 2 and prt.eval("fresh") == 2
    assert prt.eval("#dpt.gpuAssignments") == 4 and prt.eval("#dpt.modules") == 1


def test_data_parallel_table_uneven_and_small_batches(prt):
    prt.execute("""
       net = nn.Linear(6, 3):cuda()
       dpt = nn.DataParallelTable(1):add(net:clone(), {1, 2, 3, 4})
       outs, gins, refs, rgins = {}, {}, {}, {}
       for k, n in ipairs{3, 7} do
          local input = torch.CudaTensor(n, 6):uniform()
          local go = torch.CudaTensor(n, 3):uniform()
          outs[k] = dpt:forward(input):clone()
          gins[k] = dpt:updateGradInput(input, go):clone()
          refs[k] = net:forward(input):clone()
          rgins[k] = net:updateGradInput(input, go):clone()
       end
    """)
    for k in (1, 2):
        np.testing.assert_allclose(arr(prt, f"outs[{k}]:float()"), arr(prt, f"refs[{k}]:float()"),
                                   atol=1e-6)
        np.testing.assert_allclose(arr(prt, f"gins[{k}]:float()"),
                                   arr(prt, f"rgins[{k}]:float()"), atol=1e-6)
    assert prt.eval("dpt.maxUsedGpu") == 4


def test_data_parallel_table_modes_state_type_and_printing(prt):
    prt.execute("""
       dpt = nn.DataParallelTable(1):add(nn.Sequential():add(nn.Linear(4, 2))
          :add(nn.Dropout(0.5)):cuda(), {1, 2}):threads(function() initRan = true end)
       dpt:forward(torch.CudaTensor(4, 4):uniform())
       dpt:evaluate()
       train1, train2 = dpt.train, dpt.replicas[2]:get(2).train
       dpt:clearState()
       s = tostring(dpt)
       okf, errf = pcall(function() dpt:type('torch.FloatTensor') end)
       dpt:type('torch.CudaDoubleTensor')
       out = dpt:forward(torch.CudaDoubleTensor(4, 4):uniform())
    """)
    assert prt.eval("initRan") is True
    assert prt.eval("train1") is False and prt.eval("train2") is False
    assert prt.eval("dpt.output:nElement() == 4 * 2 or dpt.output:nElement()") is True
    assert prt.eval("s").startswith("DataParallelTable: 2 x nn.Sequential")
    assert prt.eval("okf") is False and "supports only" in prt.eval("errf")
    assert prt.eval("torch.type(out)") == "torch.CudaDoubleTensor"
    assert prt.eval("torch.type(dpt.replicas[2]:get(1).weight)") == "torch.CudaDoubleTensor"


def test_clones_keep_each_replica_on_its_gpu(prt):
    prt.execute("""
       net = nn.Sequential():add(nn.Linear(3, 5)):add(nn.ReLU()):cuda()
       x = torch.CudaTensor(8, 3):uniform()
       dpt = nn.DataParallelTable(1, true):add(net, {1, 2, 3, 4})
       o1 = dpt:forward(x):clone()
       c = dpt:clone()
       o2 = c:forward(x)
       dp = nn.DataParallel(1):add(net:clone()):add(net:clone())
       dp:forward(x)
       dc = dp:clone()
       o3 = dc:forward(x)
    """)
    assert prt.eval("(o2 - o1):abs():max()") == 0
    assert prt.eval("c.replicas[4]:get(1).weight:getDevice()") == 4
    assert prt.eval("dpt.replicas[3]:get(1).weight:getDevice()") == 3
    assert prt.eval("dc:get(2):get(1).weight:getDevice()") == 2
    assert prt.eval("(o3 - o1):abs():max()") == 0


def test_data_parallel_talk_slide_trains_as_one_device(prt):
    prt.execute(CONVNET + """
       single = base:clone()
       features = base:clone()
       model = nn.DataParallel(1)
       model:add(features)
       model:add(features:clone())
       model:add(features:clone())
       model:add(features:clone())
       train(single, 10, false)
       train(model, 10, false)
    """)
    for i in range(1, 5):
        assert prt.eval(f"model:get({i}):get(1).weight:getDevice()") == i
        assert prt.eval(f"maxdiff(single, model:get({i}))") < 1e-5
    assert prt.eval("model.output:getDevice()") == 1


def test_model_parallel_trains_as_the_unsplit_layer(prt):
    prt.execute("""
       torch.manualSeed(4)
       whole = nn.Linear(10, 12):cuda()
       mp = nn.ModelParallel(2)
       for i = 1, 4 do
          local part = nn.Linear(10, 3):cuda()
          part.weight:copy(whole.weight:narrow(1, 3 * i - 2, 3))
          part.bias:copy(whole.bias:narrow(1, 3 * i - 2, 3))
          mp:add(part)
       end
       x = torch.CudaTensor(5, 10):uniform()
       t = torch.CudaTensor(5, 12):uniform()
       crit = nn.MSECriterion():cuda()
       for _, m in ipairs{whole, mp} do
          for _ = 1, 10 do
             m:zeroGradParameters()
             local o = m:forward(x)
             crit:forward(o, t)
             m:backward(x, crit:backward(o, t))
             m:updateParameters(0.2)
          end
       end
       gin1 = whole:backward(x, t):clone()
       gin2 = mp:backward(x, t):clone()
       w = torch.CudaTensor(12, 10)
       b = torch.CudaTensor(12)
       for i = 1, 4 do
          w:narrow(1, 3 * i - 2, 3):copy(mp:get(i).weight)
          b:narrow(1, 3 * i - 2, 3):copy(mp:get(i).bias)
       end
    """)
    for i in range(1, 5):
        assert prt.eval(f"mp:get({i}).weight:getDevice()") == i
    np.testing.assert_allclose(arr(prt, "w:float()"), arr(prt, "whole.weight:float()"), atol=1e-5)
    np.testing.assert_allclose(arr(prt, "b:float()"), arr(prt, "whole.bias:float()"), atol=1e-5)
    np.testing.assert_allclose(arr(prt, "gin2:float()"), arr(prt, "gin1:float()"), atol=1e-5)
    assert prt.eval("gin2:getDevice()") == 1


def test_gpu_runs_its_module_on_its_device(prt):
    prt.execute("""
       torch.manualSeed(5)
       lin = nn.Linear(4, 3):float()
       g = nn.GPU(lin:clone(), 3, 2):cuda()
       x = torch.CudaTensor(2, 4):uniform()        -- on GPU 1
       out = g:forward(x)
       gout = torch.CudaTensor(2, 3):uniform()
       gin = g:backward(x, gout)
       ref = lin:forward(x:float())
       rgin = lin:backward(x:float(), gout:float())
       g:zeroGradParameters()
       g:updateParameters(0.1)
       s = tostring(g)
    """)
    assert prt.eval("g:get(1).weight:getDevice()") == 3
    assert prt.eval("out:getDevice()") == 2
    assert prt.eval("gin:getDevice()") == 1
    assert prt.eval("cutorch.getDevice()") == 1
    np.testing.assert_allclose(arr(prt, "out:float()"), arr(prt, "ref"), atol=1e-6)
    np.testing.assert_allclose(arr(prt, "gin:float()"), arr(prt, "rgin"), atol=1e-6)
    assert prt.eval("s") == "nn.GPU(3) @ nn.Linear(4 -> 3)"


def test_parallel_containers_refuse_bad_input(prt):
    with pytest.raises(LuaError, match="must specify a dimension"):
        prt.execute("nn.DataParallelTable()")
    with pytest.raises(LuaError, match="table of GPU IDs required"):
        prt.execute("nn.DataParallelTable(1):add(nn.Linear(2, 2):cuda(), {})")
    with pytest.raises(LuaError, match="accUpdateGradParameters not supported"):
        prt.execute("nn.DataParallelTable(1):accUpdateGradParameters()")


def _save_dpt(prt, path: str) -> None:
    prt.execute(f"""
       torch.manualSeed(6)
       inner = nn.Sequential():add(nn.Linear(5, 4)):add(nn.Tanh()):cuda()
       model = nn.Sequential():add(nn.DataParallelTable(1, true):add(inner, {{1, 2, 3}}))
          :add(nn.Linear(4, 2):cuda())
       xin = torch.CudaTensor(7, 5):uniform()
       before = model:forward(xin):clone()
       torch.save('{path}', model)
       torch.save('{path}.dpt', model:get(1))
    """)


def test_save_and_load_with_virtual_gpus(prt, tmp_path):
    path = str(tmp_path / "dpt.t7")
    _save_dpt(prt, path)
    prt.execute(f"""
       m2 = torch.load('{path}')
       after = m2:forward(xin)
       d = m2:get(1)
       cutorch.setDevice(2)
       alone = torch.load('{path}.dpt')
       cutorch.setDevice(1)
    """)
    assert prt.eval("torch.type(d)") == "nn.DataParallelTable"
    assert prt.eval("#d.gpuAssignments") == 3
    # the first replica loads on the first GPU, whichever is current
    assert prt.eval("alone:get(1):get(1).weight:getDevice()") == 1
    assert prt.eval("d.replicas[3]:get(1).weight:getDevice()") == 3
    np.testing.assert_allclose(arr(prt, "after:float()"), arr(prt, "before:float()"), atol=1e-6)
    # cunn's deserializeNGPUs loads on fewer GPUs; too many is a one-line error
    prt.execute(f"nn.DataParallelTable.deserializeNGPUs = 2; m3 = torch.load('{path}')"
                "; nn.DataParallelTable.deserializeNGPUs = nil")
    assert prt.eval("#m3:get(1).gpuAssignments") == 2
    np.testing.assert_allclose(arr(prt, "m3:forward(xin):float()"), arr(prt, "before:float()"),
                               atol=1e-6)


def test_load_on_a_cpu_only_runtime(prt, tmp_path, monkeypatch):
    path = str(tmp_path / "dpt.t7")
    _save_dpt(prt, path)
    xin = arr(prt, "xin:float()").copy()
    before = arr(prt, "before:float()").copy()
    monkeypatch.delenv("LUATORCH_VIRTUAL_GPUS", raising=False)
    plain = Runtime()
    plain.require("nn")
    plain.execute(f"m = torch.load('{path}'); xin = torch.FloatTensor(7, 5)")
    np.copyto(arr(plain, "xin"), xin)
    assert plain.eval("torch.type(m:get(1))") == "nn.Sequential"   # the replicated module
    assert plain.eval("torch.type(m:get(1):get(1).weight)") == "torch.FloatTensor"
    np.testing.assert_allclose(arr(plain, "m:forward(xin)"), before, atol=1e-6)


def test_checkpoints_written_by_cunn_load(prt, tmp_path, monkeypatch):
    """cunn writes its dispatcher object (nn.DataParallelTable.Basic) among the fields."""
    path = str(tmp_path / "cunn.t7")
    prt.execute(f"""
       local DPT = nn.DataParallelTable
       local ours = DPT.__write
       DPT.__write = function(self, file)   -- cunn's layout
          file:writeObject(self.gpuAssignments)
          local t = {{}}
          for k, v in pairs(self) do if k ~= 'replicas' then t[k] = v end end
          t.impl = torch.factory('nn.DataParallelTable.Basic')()
          t.impl.dpt = self
          file:writeObject(t)
       end
       torch.manualSeed(7)
       cn = nn.DataParallelTable(1):add(nn.Linear(3, 2):cuda(), {{1, 2}})
       ok, err = pcall(torch.save, '{path}', cn)
       DPT.__write = ours
       assert(ok, err)
       cl = torch.load('{path}')
       cx = torch.CudaTensor(5, 3):uniform()
       cout = cl:forward(cx)
    """)
    assert prt.eval("torch.type(cl)") == "nn.DataParallelTable" and prt.eval("cl.impl") is None
    np.testing.assert_allclose(arr(prt, "cout:float()"), arr(prt, "cn:forward(cx):float()"))
    monkeypatch.delenv("LUATORCH_VIRTUAL_GPUS", raising=False)
    plain = Runtime()
    plain.require("nn")
    assert plain.eval(f"torch.type(torch.load('{path}'))") == "nn.Linear"
