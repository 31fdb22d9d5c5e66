"""Convnets against PyTorch eager (CPU build), one thread, float32.

1. LeNet training step at batch 64 on 28x28: SpatialConvolution(1,32,5,5), ReLU,
   SpatialMaxPooling(2,2,2,2), SpatialConvolution(32,64,5,5), ReLU, SpatialMaxPooling(2,2,2,2),
   View(1024), Linear(1024,10), LogSoftMax, ClassNLL; forward, backward, SGD update.
2. ResNet-18 with CIFAR widths (64-128-256-512, basic blocks, shortcut B) forward+backward at
   batch 32 on 32x32.
Prints seconds per step (best of repeats, the two sides timed alternately, with the spread),
the ratio luatorch / PyTorch, and the achieved GFLOP/s of the LeNet step (1.44 GFLOP) and of the
ResNet step (106.7 GFLOP) against NumPy's single-thread matmul peak.
Peak memory: run with --memory to measure each side in its own process (VmHWM).
Run: python bench/bench_conv.py [--memory]
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Callable, Optional

import numpy as np

from luatorch.runtime import Runtime
from luatorch.blas_threads import th_set_num_threads

REPEATS = 3
LENET_GFLOP = 1.44
# ResNet-18 (CIFAR widths) at batch 32: 35.6 GFLOP of convolutions forward, twice that backward
RESNET_GFLOP = 106.7

LENET_LUA = """
require 'nn'
torch.setdefaulttensortype('torch.FloatTensor')
torch.manualSeed(1)
local m = nn.Sequential()
m:add(nn.SpatialConvolution(1, 32, 5, 5)):add(nn.ReLU()):add(nn.SpatialMaxPooling(2, 2, 2, 2))
m:add(nn.SpatialConvolution(32, 64, 5, 5)):add(nn.ReLU()):add(nn.SpatialMaxPooling(2, 2, 2, 2))
m:add(nn.View(1024)):add(nn.Linear(1024, 10)):add(nn.LogSoftMax())
local crit = nn.ClassNLLCriterion()
local p, g = m:getParameters()
local x, y = torch.randn(64, 1, 28, 28), torch.LongTensor(64):random(10)
local function step()
   g:zero()
   local out = m:forward(x)
   crit:forward(out, y)
   m:backward(x, crit:backward(out, y))
   p:add(-0.01, g)
end
for i = 1, 3 do step() end
local t = torch.Timer()
for i = 1, %d do step() end
return t:time().real / %d
"""

RESNET_LUA = """
require 'nn'
torch.setdefaulttensortype('torch.FloatTensor')
torch.manualSeed(1)
local function block(nIn, n, stride)
   local s = nn.Sequential()
   s:add(nn.SpatialConvolution(nIn, n, 3, 3, stride, stride, 1, 1))
   s:add(nn.SpatialBatchNormalization(n))
   s:add(nn.ReLU(true)):add(nn.SpatialConvolution(n, n, 3, 3, 1, 1, 1, 1))
   s:add(nn.SpatialBatchNormalization(n))
   local short = nn.Identity()
   if stride ~= 1 or nIn ~= n then
      short = nn.Sequential():add(nn.SpatialConvolution(nIn, n, 1, 1, stride, stride))
         :add(nn.SpatialBatchNormalization(n))
   end
   return nn.Sequential():add(nn.ConcatTable():add(s):add(short)):add(nn.CAddTable(true))
      :add(nn.ReLU(true))
end
local m = nn.Sequential()
m:add(nn.SpatialConvolution(3, 64, 3, 3, 1, 1, 1, 1)):add(nn.SpatialBatchNormalization(64))
m:add(nn.ReLU(true))
local nIn = 64
for _, cfg in ipairs({{64, 1}, {128, 2}, {256, 2}, {512, 2}}) do
   m:add(block(nIn, cfg[1], cfg[2])):add(block(cfg[1], cfg[1], 1))
   nIn = cfg[1]
end
m:add(nn.SpatialAveragePooling(4, 4, 1, 1)):add(nn.View(512)):add(nn.Linear(512, 10))
local x = torch.randn(32, 3, 32, 32)
local go = torch.randn(32, 10)
local function step()
   m:zeroGradParameters()
   m:forward(x)
   m:backward(x, go)
end
step()
local t = torch.Timer()
for i = 1, %d do step() end
return t:time().real / %d
"""


def lua_time(code: str, n: int) -> float:
    return Runtime().execute(code % (n, n))


def torch_lenet(n: int) -> float:
    import torch
    from torch import nn
    torch.manual_seed(1)
    m = nn.Sequential(nn.Conv2d(1, 32, 5), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Conv2d(32, 64, 5),
                      nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(), nn.Linear(1024, 10),
                      nn.LogSoftmax(dim=1))
    crit = nn.NLLLoss()
    opt = torch.optim.SGD(m.parameters(), lr=0.01)
    x, y = torch.randn(64, 1, 28, 28), torch.randint(0, 10, (64,))

    def step():
        opt.zero_grad()
        crit(m(x), y).backward()
        opt.step()
    for _ in range(3):
        step()
    t = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - t) / n


def torch_resnet(n: int) -> float:
    import torch
    from torch import nn
    torch.manual_seed(1)

    class Block(nn.Module):
        def __init__(self, nin, nout, stride):
            super().__init__()
            self.s = nn.Sequential(nn.Conv2d(nin, nout, 3, stride, 1), nn.BatchNorm2d(nout),
                                   nn.ReLU(inplace=True), nn.Conv2d(nout, nout, 3, 1, 1),
                                   nn.BatchNorm2d(nout))
            self.short = nn.Identity() if stride == 1 and nin == nout else nn.Sequential(
                nn.Conv2d(nin, nout, 1, stride), nn.BatchNorm2d(nout))

        def forward(self, x):
            return torch.relu(self.s(x) + self.short(x))

    layers = [nn.Conv2d(3, 64, 3, 1, 1), nn.BatchNorm2d(64), nn.ReLU(inplace=True)]
    nin = 64
    for nout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
        layers += [Block(nin, nout, stride), Block(nout, nout, 1)]
        nin = nout
    layers += [nn.AvgPool2d(4), nn.Flatten(), nn.Linear(512, 10)]
    m = nn.Sequential(*layers)
    x, go = torch.randn(32, 3, 32, 32), torch.randn(32, 10)

    def step():
        m.zero_grad()
        m(x).backward(go)
    step()
    t = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - t) / n


def numpy_peak() -> float:
    a = np.random.rand(1024, 1024).astype(np.float32)
    c = np.empty_like(a)
    np.matmul(a, a, out=c)
    t = time.perf_counter()
    for _ in range(10):
        np.matmul(a, a, out=c)
    return 2 * 1024 ** 3 / ((time.perf_counter() - t) / 10) / 1e9


MEMORY_CHILD = """
import sys
from luatorch.blas_threads import th_set_num_threads
th_set_num_threads(1)
sys.path.insert(0, 'bench')
import bench_conv as b
if sys.argv[1] == 'luatorch':
    b.lua_time(b.LENET_LUA, 5)
else:
    import torch
    torch.set_num_threads(1)
    b.torch_lenet(5)
with open('/proc/self/status') as f:
    print(next(int(x.split()[1]) for x in f if x.startswith('VmHWM')) // 1024)
"""


def peak_mb(which: str) -> int:
    r = subprocess.run([sys.executable, "-c", MEMORY_CHILD, which], capture_output=True,
                       text=True, check=True)
    return int(r.stdout.strip().splitlines()[-1])


def report(name: str, lt: list, pt: list) -> float:
    if pt[0] is None:
        print(f"{name}: luatorch {lt[0]:.3e} s ({lt[0]:.2e}..{lt[-1]:.2e}); pytorch missing")
        return 0.0
    print(f"{name}: luatorch {lt[0]:.3e} s ({lt[0]:.2e}..{lt[-1]:.2e})  pytorch {pt[0]:.3e} s "
          f"({pt[0]:.2e}..{pt[-1]:.2e})  ratio {lt[0] / pt[0]:.2f}")
    return lt[0] / pt[0]


def interleaved(ours: Callable[[], float], theirs: Optional[Callable[[], float]]) -> tuple:
    """REPEATS timings of each side, taken alternately (the shared machine's slow spells then
    hit both sides alike), each sorted; [None] for a missing side."""
    lt, pt = [], []
    for _ in range(REPEATS):
        lt.append(ours())
        if theirs is not None:
            pt.append(theirs())
    return sorted(lt), sorted(pt) or [None]


def main() -> None:
    th_set_num_threads(1)
    try:
        import torch
        torch.set_num_threads(1)
        have_torch = True
    except ImportError:
        have_torch = False
    lt, pt = interleaved(lambda: lua_time(LENET_LUA, 10),
                         (lambda: torch_lenet(10)) if have_torch else None)
    report("LeNet step, batch 64", lt, pt)
    peak = numpy_peak()
    print(f"  LeNet: {LENET_GFLOP / lt[0]:.1f} GFLOP/s achieved; NumPy single-thread float32 "
          f"matmul peak {peak:.1f} GFLOP/s ({LENET_GFLOP / lt[0] / peak:.0%} of peak)")
    lt, pt = interleaved(lambda: lua_time(RESNET_LUA, 2),
                         (lambda: torch_resnet(2)) if have_torch else None)
    report("ResNet-18 (CIFAR widths) fwd+bwd, batch 32", lt, pt)
    print(f"  ResNet-18: {RESNET_GFLOP / lt[0]:.1f} GFLOP/s achieved "
          f"({RESNET_GFLOP / lt[0] / peak:.0%} of NumPy's peak)"
          + (f"; PyTorch {RESNET_GFLOP / pt[0]:.1f} GFLOP/s" if pt[0] else ""))
    if "--memory" in sys.argv:
        print(f"  LeNet peak memory (whole process): luatorch {peak_mb('luatorch')} MB, "
              f"pytorch {peak_mb('pytorch') if have_torch else 'n/a'} MB")


if __name__ == "__main__":
    main()
