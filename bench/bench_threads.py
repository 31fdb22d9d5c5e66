"""threads: does data loading on 4 worker states overlap training in the main state?

Loader jobs make a batch the way fb.resnet.torch's loader does: decode a 256x256 JPEG
(`image.decompressJPG`, Pillow, which releases the GIL), take a random 224x224 crop and
normalize each channel by mean/std (NumPy).  The JPEGs are made once, in memory, from smooth
random images.  The main state trains an MLP (150528-8-10) on each batch.  Printed: loading
alone, training alone, their serial sum, and the wall time with N workers overlapping
(`python bench/bench_threads.py [workers]`, default 4), with the machine's core count.
"""

from __future__ import annotations

import os
import sys
import time

from luatorch.runtime import Runtime

LUA = r"""
local threads = require 'threads'
require 'image'
threads.serialization('threads.sharedserialize')
local nBatches, bs, nWorkers = ...
-- eight distinct JPEG files, in memory: smooth images compress as photos do
local jpegs = {}
torch.manualSeed(1)
for j = 1, 8 do
   local small = torch.FloatTensor(3, 16, 16):uniform()
   jpegs[j] = image.compressJPG(image.scale(small, 256, 256, 'bilinear'), 90)
end
local function load(seed)
   require 'image'
   torch.manualSeed(seed)
   local batch = torch.FloatTensor(bs, 3, 224, 224)
   local mean, std = {0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}
   for i = 1, bs do
      local img = image.decompressJPG(jpegs[(seed + i) % #jpegs + 1], 3, 'float')
      local x, y = torch.random(1, 33), torch.random(1, 33)
      local crop = img:narrow(2, y, 224):narrow(3, x, 224)
      for c = 1, 3 do
         batch[i][c]:copy(crop[c]):add(-mean[c]):div(std[c])
      end
   end
   return batch
end
require 'nn'
local model = nn.Sequential()
   :add(nn.View(-1):setNumInputDims(3)):add(nn.Linear(3 * 224 * 224, 8)):add(nn.ReLU())
   :add(nn.Linear(8, 10)):float()
local crit = nn.CrossEntropyCriterion():float()
local target = torch.LongTensor(bs):fill(1)
local function train(batch)
   model:zeroGradParameters()
   local out = model:forward(batch)
   crit:forward(out, target)
   model:backward(batch, crit:backward(out, target))
   model:updateParameters(0.01)
end
local t = torch.Timer()
local batches = {}
for b = 1, nBatches do batches[b] = load(b) end
local tLoad = t:time().real
t:reset()
for b = 1, nBatches do train(batches[b]) end
local tTrain = t:time().real
local pool = threads.Threads(nWorkers, function() require 'torch' end)
t:reset()
-- the callback only takes the batch; training happens after the queue is refilled, so the
-- workers load the next batches while the main state trains (training inside the callback
-- would leave the queue short by one job the whole time, and one worker would alternate)
local idx, trained, ready = 1, 0, {}
while trained < nBatches do
   while idx <= nBatches and pool:acceptsjob() do
      pool:addjob(load, function(batch) ready[#ready + 1] = batch end, idx)
      idx = idx + 1
   end
   if #ready == 0 then pool:dojob() end
   local batch = table.remove(ready, 1)
   if batch then
      train(batch)
      trained = trained + 1
   end
end
local tOverlap = t:time().real
pool:terminate()
-- training again: the machine's load changes, and the first pass paid the warm-up
t:reset()
for b = 1, nBatches do train(batches[b]) end
tTrain = math.min(tTrain, t:time().real)
return tLoad, tTrain, tOverlap
"""


def main() -> None:
    """Print loading, training, serial sum and overlapped wall time."""
    workers = int(sys.argv[1]) if len(sys.argv) > 1 else 4
    rt = Runtime()
    t0 = time.perf_counter()
    load, train, overlap = rt.call(rt.lua.eval("loadstring")(LUA, "=bench_threads"), 48, 16,
                                   workers)
    serial = load + train
    print(f"{os.cpu_count()} cores; loading alone {load:.2f} s, training alone {train:.2f} s, "
          f"serial sum {serial:.2f} s")
    ideal = max(load / min(workers, os.cpu_count() or 1), train)
    print(f"{workers} workers overlapping training: {overlap:.2f} s  (serial / overlapped = "
          f"{serial / overlap:.2f}x; ideal max(load / usable workers, train) = {ideal:.2f} s)")
    print(f"total bench time {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
