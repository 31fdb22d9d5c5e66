"""The talk's MLP training step (forward, backward, SGD update) against PyTorch eager.

Linear(100,100), Threshold, Linear(100,100), Threshold, Linear(100,10), LogSoftMax,
ClassNLLCriterion; FloatTensor; one thread; batch 1, 32 and 256.  Prints seconds per step
(best of several repeats, with the spread) and the ratio luatorch / PyTorch.
Run: python bench/bench_mlp.py
"""

from __future__ import annotations

import time

from luatorch.runtime import Runtime
from luatorch.blas_threads import th_set_num_threads

BATCHES = (1, 32, 256)
REPEATS = 5

LUA = """
require 'nn'
torch.setdefaulttensortype('torch.FloatTensor')
torch.manualSeed(1)
local B, steps = %d, %d
local model = nn.Sequential()
model:add(nn.Linear(100, 100)):add(nn.Threshold())
model:add(nn.Linear(100, 100)):add(nn.Threshold())
model:add(nn.Linear(100, 10)):add(nn.LogSoftMax())
local crit = nn.ClassNLLCriterion()
local params, grads = model:getParameters()
local x = torch.randn(B, 100)
local y = torch.LongTensor(B):random(10)
if B == 1 then x = x[1]; y = y[1] end
local function step()
   grads:zero()
   local out = model:forward(x)
   crit:forward(out, y)
   model:backward(x, crit:backward(out, y))
   params:add(-0.01, grads)
end
for i = 1, 20 do step() end
local t = torch.Timer()
for i = 1, steps do step() end
return t:time().real / steps
"""


def luatorch_step(batch: int, steps: int) -> float:
    rt = Runtime()
    return rt.execute(LUA % (batch, steps))


def pytorch_step(batch: int, steps: int):
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    torch.manual_seed(1)
    model = torch.nn.Sequential(
        torch.nn.Linear(100, 100), torch.nn.Threshold(0.0, 0.0),
        torch.nn.Linear(100, 100), torch.nn.Threshold(0.0, 0.0),
        torch.nn.Linear(100, 10), torch.nn.LogSoftmax(dim=-1))
    crit = torch.nn.NLLLoss()
    x = torch.randn(batch, 100)
    y = torch.randint(0, 10, (batch,))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def step():
        opt.zero_grad()
        loss = crit(model(x), y)
        loss.backward()
        opt.step()

    for _ in range(20):
        step()
    t = time.perf_counter()
    for _ in range(steps):
        step()
    return (time.perf_counter() - t) / steps


def main() -> None:
    th_set_num_threads(1)
    print(f"{'batch':>5}  {'luatorch s/step':>26}  {'pytorch s/step':>26}  ratio")
    for b in BATCHES:
        steps = 2000 if b < 256 else 500
        lt = sorted(luatorch_step(b, steps) for _ in range(REPEATS))
        pts = [pytorch_step(b, steps) for _ in range(REPEATS)]
        if pts[0] is None:
            print(f"{b:>5}  {lt[0]:.2e} ({lt[0]:.1e}..{lt[-1]:.1e})  pytorch not installed")
            continue
        pt = sorted(pts)
        print(f"{b:>5}  {lt[0]:.2e} ({lt[0]:.1e}..{lt[-1]:.1e})  "
              f"{pt[0]:.2e} ({pt[0]:.1e}..{pt[-1]:.1e})  {lt[0] / pt[0]:.2f}")


if __name__ == "__main__":
    main()
