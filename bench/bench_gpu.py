"""Training steps on a GPU against PyTorch eager (CUDA build) on the same GPU, in the same run.

Workloads (float32, TF32 off on both sides, SGD with momentum 0.9, one step = forward,
criterion, backward, update):
  resnet50  fb.resnet.torch's ImageNet ResNet-50 (models/resnet), 224x224, batch 64
  mlp       the talk's MLP 100-100-100-10 (Threshold, LogSoftMax, ClassNLL), batch 32
  lenet     LeNet on 28x28 (as bench/bench_conv.py), batch 64
  dpt       LeNet inside nn.DataParallelTable on one GPU against the bare model: the same
            parameters after 3 steps, and the container's overhead
  dpt2      the same with two replicas on the one GPU, flattenParams and useNCCL: each replica
            on a stream of its own, ordered by events (the route, why, and the same checks)
The routes (luatorch/kernels/routes.py), each against PyTorch eager too:
  routes    ResNet-50 and LeNet with convolutions and batch norm on cuDNN (the frontend) and on
            im2col + cuBLAS, timed alternately in one runtime
  graph     the MLP's step (no loss read back) eager and through cutorch.graph, with ClassNLL
            as in the talk and with MSECriterion; the graph's counters and why it ran eagerly
  smallop   x:add(y) on 1,000-element CudaTensors from Lua against x.add_(y) from Python
Prints milliseconds per step (best of repeats, the sides timed alternately), the ratio
luatorch / PyTorch, and the memory each side's allocator held at its peak for the workload.

    python bench/bench_gpu.py [--only resnet50 mlp lenet dpt dpt2 routes graph smallop]
                              [--json F]
    python bench/bench_gpu.py --virtual --small     # the same code paths on a virtual GPU
                                                    # against PyTorch on the CPU (a dry run)
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LUA_COMMON = """
require 'cunn'
torch.manualSeed(1)
cutorch.manualSeedAll(1)
torch.setdefaulttensortype('torch.FloatTensor')
"""

LUA_MODELS = {
    "resnet50": """
      package.path = '%(root)s/models/?.lua;' .. package.path
      local createModel = require 'resnet.resnet'
      model = createModel({depth = 50, dataset = 'imagenet', shortcutType = 'B'})
      crit = nn.CrossEntropyCriterion()
      insize, nclass = {3, %(hw)d, %(hw)d}, 1000
   """,
    "mlp": """
      model = nn.Sequential()
      model:add(nn.Linear(100, 100)):add(nn.Threshold())
      model:add(nn.Linear(100, 100)):add(nn.Threshold())
      model:add(nn.Linear(100, 10)):add(nn.LogSoftMax())
      crit = nn.ClassNLLCriterion()
      insize, nclass = {100}, 10
   """,
    "lenet": """
      model = nn.Sequential()
      model:add(nn.SpatialConvolution(1, 32, 5, 5)):add(nn.ReLU(true))
      model:add(nn.SpatialMaxPooling(2, 2, 2, 2))
      model:add(nn.SpatialConvolution(32, 64, 5, 5)):add(nn.ReLU(true))
      model:add(nn.SpatialMaxPooling(2, 2, 2, 2))
      model:add(nn.View(1024)):add(nn.Linear(1024, 10)):add(nn.LogSoftMax())
      crit = nn.ClassNLLCriterion()
      insize, nclass = {1, 28, 28}, 10
   """,
}

# After a model is built: move it to the GPU, make a batch, and define run(n) doing n steps.
LUA_STEP = """
   require 'optim'
   if wrap_dpt then
      local dpt = nn.DataParallelTable(unpack(dpt_args))
      dpt:add(model, dpt_gpus)
      model = dpt
   end
   model:cuda()
   crit:cuda()
   params, grads = model:getParameters()
   local size = {%(batch)d}
   for _, s in ipairs(insize) do size[#size + 1] = s end
   x = torch.CudaTensor(torch.LongStorage(size)):uniform()
   y = torch.CudaTensor(%(batch)d):random(nclass)
   config = {learningRate = 0.01, momentum = 0.9}
   local function feval()
      grads:zero()
      local out = model:forward(x)
      local loss = crit:forward(out, y)
      model:backward(x, crit:backward(out, y))
      return loss, grads
   end
   function run(n)
      for i = 1, n do optim.sgd(feval, params, config) end
      cutorch.synchronize()
   end
"""


# The step without reading the loss back (a host sync stops CUDA graph capture), eager or
# through cutorch.graph.
LUA_GRAPH_STEP = """
   require 'optim'
   model:cuda()
   crit:cuda()
   params, grads = model:getParameters()
   local size = {%(batch)d}
   for _, s in ipairs(insize) do size[#size + 1] = s end
   x = torch.CudaTensor(torch.LongStorage(size)):uniform()
   if use_mse then
      y = torch.CudaTensor(%(batch)d, nclass):uniform()
   else
      y = torch.CudaTensor(%(batch)d):random(nclass)
   end
   config = {learningRate = 0.01, momentum = 0.9}
   local function feval() return 0, grads end
   local function body()
      grads:zero()
      local out = model:forward(x)
      model:backward(x, crit:updateGradInput(out, y))
      optim.sgd(feval, params, config)
   end
   step = use_graph and cutorch.graph(body) or body
   function run(n)
      for i = 1, n do step() end
      cutorch.synchronize()
   end
"""

LUA_SMALLOP = """
   require 'cutorch'
   x = torch.CudaTensor(1000):fill(1)
   y = torch.CudaTensor(1000):fill(1e-3)
   function run(n)
      for i = 1, n do x:add(y) end
      cutorch.synchronize()
   end
"""


# DataParallelTable set-ups: (constructor arguments, GPUs of the replicas)
DPT = {"dpt": ("{1}", "{1}"), "dpt2": ("{1, true, true}", "{1, 1}")}


def lua_side(name: str, batch: int, hw: int, virtual: bool, dpt: str = "") -> Any:
    """A luatorch runtime holding the workload (inside DataParallelTable set-up `dpt`, if
    given); returns (runtime, run(n))."""
    from luatorch.runtime import Runtime

    rt = Runtime(virtual_gpus=1 if virtual else 0)
    wrap = (f"wrap_dpt = true dpt_args = {DPT[dpt][0]} dpt_gpus = {DPT[dpt][1]}\n" if dpt
            else "wrap_dpt = false\n")
    rt.execute(LUA_COMMON + wrap
               + LUA_MODELS[name] % {"root": ROOT, "hw": hw}
               + LUA_STEP % {"batch": batch})
    return rt, rt.lua.eval("run")


def lua_graph_side(batch: int, virtual: bool, graph: bool, mse: bool) -> Any:
    """The MLP's step through cutorch.graph (or eagerly); returns (runtime, run(n))."""
    from luatorch.runtime import Runtime

    rt = Runtime(virtual_gpus=1 if virtual else 0)
    crit = "crit = nn.MSECriterion()\n" if mse else ""
    rt.execute(LUA_COMMON + f"use_graph = {str(graph).lower()}\nuse_mse = {str(mse).lower()}\n"
               + LUA_MODELS["mlp"] % {"root": ROOT, "hw": 0} + crit
               + LUA_GRAPH_STEP % {"batch": batch})
    return rt, rt.lua.eval("run")


def torch_model(name: str, torch: Any) -> Any:
    """The same architecture in PyTorch (ResNet-50 written out: torchvision is not needed)."""
    nn = torch.nn
    if name == "mlp":
        return nn.Sequential(nn.Linear(100, 100), nn.Threshold(1e-6, 0), nn.Linear(100, 100),
                             nn.Threshold(1e-6, 0), nn.Linear(100, 10), nn.LogSoftmax(1))
    if name == "lenet":
        return nn.Sequential(nn.Conv2d(1, 32, 5), nn.ReLU(True), nn.MaxPool2d(2, 2),
                             nn.Conv2d(32, 64, 5), nn.ReLU(True), nn.MaxPool2d(2, 2),
                             nn.Flatten(), nn.Linear(1024, 10), nn.LogSoftmax(1))

    class Bottleneck(nn.Module):
        def __init__(self, cin: int, n: int, stride: int) -> None:
            super().__init__()
            self.body = nn.Sequential(
                nn.Conv2d(cin, n, 1, bias=False), nn.BatchNorm2d(n), nn.ReLU(True),
                nn.Conv2d(n, n, 3, stride, 1, bias=False), nn.BatchNorm2d(n), nn.ReLU(True),
                nn.Conv2d(n, n * 4, 1, bias=False), nn.BatchNorm2d(n * 4))
            self.short = (nn.Identity() if cin == n * 4 and stride == 1 else
                          nn.Sequential(nn.Conv2d(cin, n * 4, 1, stride, bias=False),
                                        nn.BatchNorm2d(n * 4)))

        def forward(self, x: Any) -> Any:
            return torch.relu(self.body(x) + self.short(x))

    layers: List[Any] = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64),
                         nn.ReLU(True), nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for n, count, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for i in range(count):
            layers.append(Bottleneck(cin, n, stride if i == 0 else 1))
            cin = n * 4
    layers += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(2048, 1000)]
    return nn.Sequential(*layers)


def torch_side(name: str, batch: int, hw: int, dev: str,
               mse: bool = False) -> Callable[[int], None]:
    """PyTorch eager on `dev` doing the same step; returns run(n)."""
    import torch

    torch.manual_seed(1)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    model = torch_model(name, torch).to(dev)
    insize = {"resnet50": (3, hw, hw), "mlp": (100,), "lenet": (1, 28, 28)}[name]
    nclass = 1000 if name == "resnet50" else 10
    x = torch.rand((batch,) + insize, device=dev)
    y = torch.randint(0, nclass, (batch,), device=dev)
    crit = torch.nn.CrossEntropyLoss() if name == "resnet50" else torch.nn.NLLLoss()
    if mse:
        crit = torch.nn.MSELoss()
        y = torch.rand((batch, nclass), device=dev)
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def run(n: int) -> None:
        for _ in range(n):
            opt.zero_grad(set_to_none=False)
            crit(model(x), y).backward()
            opt.step()
        if dev == "cuda":
            torch.cuda.synchronize()

    return run


def timed(run: Callable[[int], None], steps: int) -> float:
    t = time.perf_counter()
    run(steps)
    return (time.perf_counter() - t) / steps


def compare(a: Callable, b: Callable, steps: int, repeats: int) -> Tuple[List[float], List[float]]:
    """Time the two sides alternately (after one warm-up run each); per-step seconds."""
    a(max(2, steps // 4))
    b(max(2, steps // 4))
    ta, tb = [], []
    for _ in range(repeats):
        ta.append(timed(a, steps))
        tb.append(timed(b, steps))
    return ta, tb


def held_memory(virtual: bool) -> Dict[str, float]:
    """Peak bytes each allocator held for the workload since fresh_memory() (CuPy's pool keeps
    what it took, so what it holds now is its peak)."""
    out: Dict[str, float] = {}
    if virtual:
        return out
    import cupy
    import torch

    out["luatorch_MiB"] = cupy.get_default_memory_pool().total_bytes() / 2**20
    out["pytorch_MiB"] = torch.cuda.max_memory_reserved() / 2**20
    return out


def fresh_memory(virtual: bool) -> None:
    """Give back what earlier workloads left in both allocators and restart the peaks."""
    import gc

    gc.collect()
    if virtual:
        return
    import cupy
    import torch

    cupy.get_default_memory_pool().free_all_blocks()
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()


def routes_check(virtual: bool, small: bool) -> Dict[str, Any]:
    """ResNet-50 and LeNet with the cuDNN route on and off (one runtime, timed alternately),
    against PyTorch eager; which route the convolutions took, and the plan cache."""
    from luatorch.kernels import routes

    dev = "cpu" if virtual else "cuda"
    sizes = {"resnet50": (64, 224, 5), "lenet": (64, 28, 30)}
    if small:
        sizes = {"resnet50": (1, 224, 1), "lenet": (8, 28, 3)}
    out: Dict[str, Any] = {}
    for name, (batch, hw, steps) in sizes.items():
        fresh_memory(virtual)
        _, lua_run = lua_side(name, batch, hw, virtual)

        def on(n: int, run: Any = lua_run) -> None:
            routes.flags.cudnn = True
            run(n)

        def off(n: int, run: Any = lua_run) -> None:
            routes.flags.cudnn = False
            run(n)

        torch_run = torch_side(name, batch, hw, dev)
        t_on, t_off = compare(on, off, steps, 3)
        _, t_pt = compare(on, torch_run, steps, 2)
        routes.flags.cudnn = True
        out[name] = {"batch": batch, "cudnn_ms": min(t_on) * 1e3, "im2col_ms": min(t_off) * 1e3,
                     "pytorch_ms": min(t_pt) * 1e3, "cudnn_vs_pytorch": min(t_on) / min(t_pt),
                     "im2col_vs_pytorch": min(t_off) / min(t_pt),
                     "route": routes.describe()["frontend"], **held_memory(virtual)}
    out["plans"] = routes.plans.stats()
    return out


def graph_check(virtual: bool, small: bool) -> Dict[str, Any]:
    """The MLP step eager and through cutorch.graph (ClassNLL, and MSE), against PyTorch."""
    dev = "cpu" if virtual else "cuda"
    batch, steps = 32, 20 if small else 200
    out: Dict[str, Any] = {}
    for mse in (False, True):
        fresh_memory(virtual)
        _, eager = lua_graph_side(batch, virtual, graph=False, mse=mse)
        grt, graph = lua_graph_side(batch, virtual, graph=True, mse=mse)
        torch_run = torch_side("mlp", batch, 0, dev, mse=mse)
        t_graph, t_eager = compare(graph, eager, steps, 3)
        _, t_pt = compare(graph, torch_run, steps, 3)
        stats = grt.eval("step:stats()")
        out["mse" if mse else "classnll"] = {
            "graph_ms": min(t_graph) * 1e3, "eager_ms": min(t_eager) * 1e3,
            "pytorch_ms": min(t_pt) * 1e3, "graph_vs_pytorch": min(t_graph) / min(t_pt),
            "eager_vs_pytorch": min(t_eager) / min(t_pt),
            "captures": stats["captures"], "replays": stats["replays"],
            "reason": stats["reason"]}
    return out


def smallop_check(virtual: bool, small: bool) -> Dict[str, Any]:
    """x:add(y) on 1,000 elements from Lua against x.add_(y) from Python, per call."""
    from luatorch.runtime import Runtime

    import torch

    dev = "cpu" if virtual else "cuda"
    rt = Runtime(virtual_gpus=1 if virtual else 0)
    rt.execute(LUA_SMALLOP)
    lua_run = rt.lua.eval("run")
    tx = torch.ones(1000, device=dev)
    ty = torch.full((1000,), 1e-3, device=dev)

    def torch_run(n: int) -> None:
        for _ in range(n):
            tx.add_(ty)
        if dev == "cuda":
            torch.cuda.synchronize()

    n = 2000 if small else 20000
    ta, tb = compare(lua_run, torch_run, n, 3)
    return {"luatorch_us": min(ta) * 1e6, "pytorch_us": min(tb) * 1e6, "ratio": min(ta) / min(tb)}


def dpt_check(virtual: bool, batch: int, setup: str = "dpt") -> Dict[str, Any]:
    """DataParallelTable on one GPU against the bare model: same parameters, and its cost."""
    bare_rt, bare = lua_side("lenet", batch, 28, virtual)
    dpt_rt, dpt = lua_side("lenet", batch, 28, virtual, dpt=setup)
    bare(3)
    dpt(3)
    pa = bare_rt.eval("torch._handle(params:float())").a
    pb = dpt_rt.eval("torch._handle(params:float())").a
    maxdiff = float(abs(pa - pb).max())
    route, why, streams = dpt_rt.execute("return model:route()")
    ta, tb = compare(dpt, bare, 20, 3)
    return {"max_param_diff_after_3_steps": maxdiff, "dpt_ms": min(ta) * 1e3,
            "bare_ms": min(tb) * 1e3, "overhead": min(ta) / min(tb), "route": route,
            "route_why": why, "replica_streams": bool(streams), "gpus": DPT[setup][1]}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", default=["resnet50", "mlp", "lenet", "dpt", "dpt2",
                                                  "routes", "graph", "smallop"])
    ap.add_argument("--virtual", action="store_true",
                    help="luatorch on a virtual GPU, PyTorch on the CPU (checks the code paths)")
    ap.add_argument("--small", action="store_true", help="tiny sizes and few steps")
    ap.add_argument("--json", help="write the figures here")
    a = ap.parse_args()
    dev = "cpu" if a.virtual else "cuda"
    sizes = {"resnet50": (64, 224, 10), "mlp": (32, 0, 200), "lenet": (64, 28, 50)}
    if a.small:
        sizes = {"resnet50": (1, 224, 1), "mlp": (32, 0, 20), "lenet": (8, 28, 5)}
    results: Dict[str, Any] = {"device": dev}
    if not a.virtual:
        import cupy
        import torch

        props = cupy.cuda.runtime.getDeviceProperties(0)
        results["gpu"] = props["name"].decode()
        results["torch"] = torch.__version__
        results["cupy"] = cupy.__version__
    print(f"# {results.get('gpu', 'virtual GPU vs CPU')}, float32, TF32 off, "
          f"{time.strftime('%Y-%m-%d')}", flush=True)
    from luatorch.kernels import routes

    results["routes"] = routes.describe()
    print(f"# routes: conv/bn {results['routes']['frontend']}, fused kernels "
          f"{'on' if routes.flags.fused else 'off'}", flush=True)
    for name in a.only:
        if name == "routes":
            r = routes_check(a.virtual, a.small)
            results["route_compare"] = r
            for k in ("resnet50", "lenet"):
                v = r[k]
                mem = "".join(f"; {m} {v[m]:.0f}" for m in ("luatorch_MiB", "pytorch_MiB")
                              if m in v)
                print(f"routes   {k:8s} batch {v['batch']:3d}: cuDNN {v['cudnn_ms']:9.3f} ms  "
                      f"im2col {v['im2col_ms']:9.3f} ms  PyTorch {v['pytorch_ms']:9.3f} ms  "
                      f"ratios {v['cudnn_vs_pytorch']:.2f} / {v['im2col_vs_pytorch']:.2f}{mem}",
                      flush=True)
            print(f"routes   plan cache {r['plans']}", flush=True)
            continue
        if name == "graph":
            r = graph_check(a.virtual, a.small)
            results["graph"] = r
            for k, v in r.items():
                print(f"graph    mlp/{k:8s}: graph {v['graph_ms']:8.3f} ms  eager "
                      f"{v['eager_ms']:8.3f} ms  PyTorch {v['pytorch_ms']:8.3f} ms  ratios "
                      f"{v['graph_vs_pytorch']:.2f} / {v['eager_vs_pytorch']:.2f}; captures "
                      f"{v['captures']}, replays {v['replays']} ({v['reason']})", flush=True)
            continue
        if name == "smallop":
            r = smallop_check(a.virtual, a.small)
            results["smallop"] = r
            print(f"smallop  x:add(y), 1,000 elements: luatorch {r['luatorch_us']:.2f} us  "
                  f"PyTorch {r['pytorch_us']:.2f} us  ratio {r['ratio']:.2f}", flush=True)
            continue
        fresh_memory(a.virtual)
        if name in DPT:
            r = dpt_check(a.virtual, 8 if a.small else 64, name)
            results[name] = r
            print(f"{name:8s} DataParallelTable(GPUs {r['gpus']}) {r['dpt_ms']:.3f} ms vs bare "
                  f"{r['bare_ms']:.3f} ms: overhead x{r['overhead']:.2f}; max |param diff| "
                  f"after 3 steps {r['max_param_diff_after_3_steps']:.3g}; route "
                  f"{r['route']} ({r['route_why']}), replica streams "
                  f"{'yes' if r['replica_streams'] else 'no'}", flush=True)
            continue
        batch, hw, steps = sizes[name]
        _, lua_run = lua_side(name, batch, hw, a.virtual)
        torch_run = torch_side(name, batch, hw, dev)
        ta, tb = compare(lua_run, torch_run, steps, 3)
        mem = held_memory(a.virtual)
        r = {"batch": batch, "luatorch_ms": min(ta) * 1e3, "pytorch_ms": min(tb) * 1e3,
             "ratio": min(ta) / min(tb), "luatorch_all_ms": [t * 1e3 for t in ta],
             "pytorch_all_ms": [t * 1e3 for t in tb], **mem}
        if name == "resnet50":
            r["luatorch_img_s"] = batch / min(ta)
            r["pytorch_img_s"] = batch / min(tb)
        results[name] = r
        extra = "".join(f"; {k} {v:.0f}" for k, v in mem.items())
        print(f"{name:8s} batch {batch:3d}: luatorch {r['luatorch_ms']:9.3f} ms  "
              f"PyTorch {r['pytorch_ms']:9.3f} ms  ratio {r['ratio']:.2f}{extra}", flush=True)
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
