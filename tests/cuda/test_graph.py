"""cutorch.graph: a replayed step gives what the eager step gives.

On virtual GPUs (here) capture is impossible: the step runs eagerly every call, and these tests
check that fallback, the guards deciding when a captured graph may replay (luatorch/capture.py),
and the GPU epoch those guards read.  The `gpu`-marked tests at the end capture and replay on a
real GPU.
"""

from __future__ import annotations

import numpy as np
import pytest

from luatorch import backend
from luatorch.backend import cuda as cuda_backend
from luatorch.capture import CAPTURE, EAGER, REPLAY, StepGraph
from luatorch.runtime import LuaError, Runtime
from luatorch.tensor import GPU_EPOCH

REAL = cuda_backend.device_count() > 0

# Two identical small nets trained side by side: `stepG` through cutorch.graph, `stepE` plainly.
# The step reads no value back from the GPU (the criterion's gradient only), so a real GPU can
# capture it; sgd with momentum takes the fused route there.
TRAIN = """
require 'cunn'
require 'optim'
local function make()
   torch.manualSeed(3)
   local m = nn.Sequential():add(nn.Linear(12, 16)):add(nn.ReLU())
   m:add(nn.Linear(16, 16)):add(nn.Tanh()):add(nn.Linear(16, 3))
   return m:cuda()
end
local function trainer(model)
   local crit = nn.MSECriterion():cuda()
   local params, grads = model:getParameters()
   local config = {learningRate = 0.05, momentum = 0.9, nesterov = true, dampening = 0}
   local function feval() return 0, grads end
   return function()
      grads:zero()
      local out = model:forward(X)
      model:backward(X, crit:updateGradInput(out, Y))
      optim.sgd(feval, params, config)
      return out
   end, params
end
X, Y = torch.CudaTensor(8, 12), torch.CudaTensor(8, 3)
modelG, modelE = make(), make()
local fG, fE
fG, paramsG = trainer(modelG)
fE, paramsE = trainer(modelE)
stepG = cutorch.graph(fG)
stepE = fE
data = torch.FloatTensor(10, 8, 12):uniform(-1, 1)
targets = torch.FloatTensor(10, 8, 3):uniform(-1, 1)
function run(n)
   local outs = {}
   for i = 1, n do
      X:copy(data[i]); Y:copy(targets[i])
      local oG = stepG()
      outs[#outs + 1] = oG:float()
      stepE()
   end
   return outs
end
"""


def _train(virtual: int) -> Runtime:
    backend.configure_gpus(virtual)
    r = Runtime(virtual_gpus=virtual)
    r.execute(TRAIN)
    return r


def _check_ten_steps(r: Runtime) -> None:
    r.execute("outs = run(10)")
    pg = r.eval("torch._handle(paramsG:double())").a.copy()
    pe = r.eval("torch._handle(paramsE:double())").a.copy()
    np.testing.assert_array_equal(pg, pe)
    og = r.eval("torch._handle(modelG.output:double())").a
    oe = r.eval("torch._handle(modelE.output:double())").a
    np.testing.assert_array_equal(og, oe)
    assert r.eval("#outs") == 10


def test_ten_steps_through_cutorch_graph_equal_the_eager_ones_on_a_virtual_gpu():
    r = _train(1)
    _check_ten_steps(r)
    s = r.eval("stepG:stats()")
    assert (s["eager"], s["captures"], s["replays"]) == (10, 0, 0)
    assert s["captured"] is False
    assert "virtual GPU" in s["reason"]
    backend.configure_gpus(0)


def test_the_step_returns_what_the_function_returns_and_passes_arguments():
    backend.configure_gpus(1)
    r = Runtime(virtual_gpus=1)
    r.execute("""
       require 'cutorch'
       t = torch.CudaTensor(3):fill(1)
       step = cutorch.graph(function(a, b) t:add(a); return t, a + b, nil, 'x' end)
    """)
    for i in range(1, 4):
        got = r.eval(f"{{n = select('#', step({i}, 10)), step({i}, 10)}}")
        assert got["n"] == 4
        assert got[2] == i + 10 and got[4] == "x"
    assert r.eval("t[1]") == 1 + 2 * (1 + 2 + 3)
    backend.configure_gpus(0)


def test_bad_arguments_and_errors_inside_the_step_read_as_torch7s():
    backend.configure_gpus(1)
    r = Runtime(virtual_gpus=1)
    r.require("cutorch")
    with pytest.raises(LuaError, match=r"bad argument #1 to 'graph' \(function expected, "
                                       r"got table\)"):
        r.execute("cutorch.graph({})")
    with pytest.raises(LuaError, match=r"bad argument #2 to 'graph'"):
        r.execute("cutorch.graph(function() end, 0)")
    r.execute("""
       calls = 0
       bad = cutorch.graph(function()
          calls = calls + 1
          if calls == 2 then error('boom at two') end
          return calls
       end)
    """)
    assert r.eval("bad()") == 1
    with pytest.raises(LuaError, match="boom at two"):
        r.execute("bad()")
    assert r.eval("bad()") == 3        # still usable after an error
    backend.configure_gpus(0)


# -- the GPU epoch the guards read ---------------------------------------------------------------
def test_gpu_epoch_moves_with_gpu_geometry_only():
    backend.configure_gpus(1)
    r = Runtime(virtual_gpus=1)
    r.execute("require 'cutorch'; g = torch.CudaTensor(4, 5); c = torch.FloatTensor(4, 5)")

    def moved(code: str) -> bool:
        before = GPU_EPOCH[0]
        r.execute(code)
        return GPU_EPOCH[0] != before

    assert moved("g:resize(20)")
    assert not moved("g:resize(20)")                 # same size: nothing changed
    assert not moved("g:fill(1):add(2):mul(3)")      # values only
    assert not moved("local v = g:view(4, 5); local n = g:narrow(1, 2, 3)")  # new views
    assert not moved("c:resize(7, 7); c:set(torch.FloatStorage(3))")        # CPU tensors
    assert moved("g:set(torch.CudaStorage(6))")
    assert moved("g:resize(100)")                   # a larger storage too
    backend.configure_gpus(0)


# -- the guards, decided without a device --------------------------------------------------------
def test_capture_waits_for_steady_warm_up_calls():
    g = StepGraph(warmup=2)
    assert g.decide(True, 0, 0, None) == EAGER
    g.steady = 1
    assert g.decide(True, 0, 0, None) == EAGER
    assert "warming up (1 of 2" in g.reason
    g.steady = 2
    assert g.decide(True, 0, 0, None) == CAPTURE
    # a virtual GPU or the CPU never captures, however steady
    assert g.decide(True, 0, 0, "virtual GPU: the step runs eagerly") == EAGER
    assert g.reason.startswith("virtual GPU")


def test_a_captured_graph_replays_only_while_nothing_moved():
    g = StepGraph(warmup=1)
    g.graph, g.epoch, g.device = object(), 5, 0
    assert g.decide(True, 5, 0, None) == REPLAY
    for same_ups, epoch, device, why in ((True, 6, 0, "epoch"), (False, 5, 0, "upvalues"),
                                         (True, 5, 1, "device")):
        g.graph, g.epoch, g.device, g.steady = object(), 5, 0, 3
        assert g.decide(same_ups, epoch, device, None) != REPLAY, why
        assert g.graph is None and g.steady == 0, why
    assert g.invalidations == 3


def test_done_counts_steady_calls_and_a_failed_capture_disables_the_step():
    g = StepGraph(warmup=2)
    g.mode, g.started = EAGER, GPU_EPOCH[0]
    g.done(True)
    g.done(True)
    assert g.steady == 2 and g.eager_runs == 2
    g.started = GPU_EPOCH[0] - 1     # this call moved the epoch: not steady
    g.done(True)
    assert g.steady == 0
    g.disabled = "the step cannot be captured"
    g.steady = 9
    assert g.decide(True, 0, 0, None) == EAGER
    assert g.reason == "the step cannot be captured"


def test_reset_drops_the_graph_and_lifts_a_refusal():
    backend.configure_gpus(1)
    r = Runtime(virtual_gpus=1)
    r.execute("require 'cutorch'; step = cutorch.graph(function() end); step()")
    g = r.eval("step.g")
    g.disabled = "refused"
    r.execute("step:reset()")
    assert g.disabled == "" and g.graph is None and g.reason == "reset"
    backend.configure_gpus(0)


def test_a_captured_classnll_trusts_its_targets_and_computes_the_same_gradient():
    from luatorch.capture import CAPTURING
    from luatorch.kernels import loss
    from luatorch.tensor import Tensor, TorchError

    rng = np.random.default_rng(4)
    x = Tensor.from_array(rng.standard_normal((6, 5)).astype(np.float32))
    t = Tensor.from_array(np.array([1, 5, 2, 2, 4, 3], np.float32))
    bad = Tensor.from_array(np.array([1, 6, 2, 2, 4, 3], np.float32))

    def grad(target, ignore=-100):
        gi = Tensor.empty((), np.float32)
        loss.loss_nll_grad(gi, x, target, None, True, ignore, 1.0)
        return gi.a.copy()

    eager, eager_ignoring = grad(t), grad(t, ignore=2)
    assert eager_ignoring[2, 1] == 0 and eager_ignoring[3, 1] == 0
    try:
        CAPTURING[0] = True
        np.testing.assert_array_equal(grad(t), eager)
        # the targets are not read back while capturing: a bad one is not even looked at
        idx, valid = loss._indices("nn.ClassNLLCriterion", (6, 5), bad, 5, np, -100)
        assert valid is None and list(idx) == [0, 5, 1, 1, 3, 2]
        # an ignored class among the valid ones needs the targets read: the checked path,
        # which refuses a bad target (and would stop a real capture)
        np.testing.assert_array_equal(grad(t, ignore=2), eager_ignoring)
        with pytest.raises(TorchError, match="out of range"):
            grad(bad, ignore=2)
    finally:
        CAPTURING[0] = False
    with pytest.raises(TorchError, match="out of range"):
        grad(bad)


# -- a real GPU ----------------------------------------------------------------------------------


@pytest.mark.gpu
@pytest.mark.skipif(not REAL, reason="no usable CUDA device (or no CuPy)")
def test_a_captured_step_replays_exactly_the_eager_one_over_ten_steps():
    r = _train(0)
    _check_ten_steps(r)
    s = r.eval("stepG:stats()")
    assert s["captures"] == 1, s["reason"]
    assert s["replays"] >= 5
    # a new input size invalidates the graph: the step runs eagerly again, still right
    r.execute("X:resize(4, 12):uniform(); Y:resize(4, 3):uniform(); stepG(); stepE()")
    s = r.eval("stepG:stats()")
    assert s["invalidations"] == 1 and s["captured"] is False
    np.testing.assert_array_equal(r.eval("torch._handle(paramsG:double())").a,
                                  r.eval("torch._handle(paramsE:double())").a)


@pytest.mark.gpu
@pytest.mark.skipif(not REAL, reason="no usable CUDA device (or no CuPy)")
def test_a_step_reading_its_loss_back_falls_back_to_eager_for_good():
    backend.configure_gpus(0)
    r = Runtime()
    r.execute("""
       require 'cunn'
       local m = nn.Linear(5, 2):cuda()
       local crit = nn.MSECriterion():cuda()
       x, y = torch.CudaTensor(3, 5):uniform(), torch.CudaTensor(3, 2):uniform()
       step = cutorch.graph(function()
          return crit:forward(m:forward(x), y)   -- a number: read back from the GPU
       end)
       losses = {}
       for i = 1, 6 do losses[i] = step() end
    """)
    s = r.eval("step:stats()")
    assert s["captures"] == 0 and s["replays"] == 0 and s["eager"] >= 6
    assert "cannot be captured" in s["reason"]
    losses = [r.eval(f"losses[{i}]") for i in range(1, 7)]
    assert len(set(losses)) == 1 and losses[0] > 0


# -- the optimizers ask the fused route for GPU tensors only --------------------------------------
@pytest.mark.parametrize("algo, config", [("sgd", "{learningRate = 0.1, momentum = 0.9}"),
                                          ("adam", "{learningRate = 0.01}")])
def test_optim_asks_the_fused_route_for_gpu_tensors_and_falls_back_on_virtual_ones(
        monkeypatch, algo, config):
    from luatorch.kernels import fused

    asked = []
    real = fused.EXPORTS[f"optim_{algo}_fused"]

    def spy(x, *rest):
        asked.append(x.storage.device.index)
        return real(x, *rest)

    monkeypatch.setitem(fused.EXPORTS, f"optim_{algo}_fused", spy)
    backend.configure_gpus(1)
    r = Runtime(virtual_gpus=1)
    r.execute(f"""
       require 'cutorch'
       require 'optim'
       function train(ttype)
          torch.manualSeed(2)
          local x = torch.FloatTensor(50):normal():type(ttype)
          local g = x.new(50)
          local function feval(p) g:copy(p):mul(2); return 0, g end
          local config = {config}
          for i = 1, 4 do optim.{algo}(feval, x, config) end
          return x:double()
       end
       cpu, gpu = train('torch.FloatTensor'), train('torch.CudaTensor')
    """)
    # sgd's first step fills its momentum buffer itself; adam asks from the first step
    assert asked == [0] * (3 if algo == "sgd" else 4)
    np.testing.assert_array_equal(r.eval("torch._handle(cpu)").a, r.eval("torch._handle(gpu)").a)
    backend.configure_gpus(0)


@pytest.mark.gpu
@pytest.mark.skipif(not REAL, reason="no usable CUDA device (or no CuPy)")
def test_the_talks_mlp_step_with_classnll_is_captured_and_replays_exactly():
    backend.configure_gpus(0)
    r = Runtime()
    r.execute("""
       require 'cunn'
       require 'optim'
       local function make()
          torch.manualSeed(5)
          local m = nn.Sequential():add(nn.Linear(100, 100)):add(nn.Threshold())
          m:add(nn.Linear(100, 100)):add(nn.Threshold()):add(nn.Linear(100, 10))
          m:add(nn.LogSoftMax())
          return m:cuda()
       end
       x, y = torch.CudaTensor(32, 100), torch.CudaTensor(32)
       local function trainer(model)
          local crit = nn.ClassNLLCriterion():cuda()
          local params, grads = model:getParameters()
          local config = {learningRate = 0.01, momentum = 0.9}
          local function feval() return 0, grads end
          return function()
             grads:zero()
             local out = model:forward(x)
             model:backward(x, crit:updateGradInput(out, y))
             optim.sgd(feval, params, config)
          end, params
       end
       local fG, fE
       fG, pG = trainer(make())
       fE, pE = trainer(make())
       step = cutorch.graph(fG)
       local data = torch.FloatTensor(10, 32, 100):uniform()
       local labels = torch.FloatTensor(10, 32):random(10)
       for i = 1, 10 do
          x:copy(data[i]); y:copy(labels[i])
          step(); fE()
       end
    """)
    s = r.eval("step:stats()")
    assert s["captures"] == 1, s["reason"]
    np.testing.assert_array_equal(r.eval("torch._handle(pG:double())").a,
                                  r.eval("torch._handle(pE:double())").a)
