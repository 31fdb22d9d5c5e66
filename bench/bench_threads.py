"""threads: does data loading on N worker states overlap training in the main state?

Loader jobs make a batch the way fb.resnet.torch's loader does: decode a JPEG
(`image.decompressJPG`, Pillow, which releases the GIL), take a random 224x224 crop and
normalize each channel by mean/std.  The JPEGs are made once, in memory: by default
500x375 photographs' worth of detail (ImageNet's typical size), with `--small` the 256x256
smooth images of the first version of this benchmark, whose decode is so cheap that the
Python work around it (run one state at a time, under the GIL) dominates.  The main state
trains an MLP (150528-8-10) on each batch.

Printed, each the median of 3 rounds: loading alone and training alone (their sum is the serial
time), the serial loop itself, and the wall time with N workers loading while the main state
trains; then the same overlapped loop in PyTorch eager (a DataLoader with N worker processes
doing the same decode, crop and normalize with Pillow and NumPy), when torch is installed.

    python bench/bench_threads.py [workers] [--small]
"""

from __future__ import annotations

import io
import os
import statistics
import sys
import time

import numpy as np

from luatorch.runtime import Runtime

N_BATCHES, BATCH, ROUNDS = 48, 16, 3
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)

LUA = r"""
local threads = require 'threads'
require 'image'
require 'nn'
threads.serialization('threads.sharedserialize')
local nBatches, bs, nWorkers, small, rounds = ...
-- eight distinct JPEG files, in memory
local jpegs = {}
torch.manualSeed(1)
local W, H = 500, 375
if small then W, H = 256, 256 end
for j = 1, 8 do
   local img
   if small then
      img = image.scale(torch.FloatTensor(3, 16, 16):uniform(), W, H, 'bilinear')
   else
      -- shapes at several scales and a little grain, so the file decodes like a photo
      img = image.scale(torch.FloatTensor(3, 12, 16):uniform(), W, H, 'bicubic')
         :add(0.5, image.scale(torch.FloatTensor(3, 94, 125):uniform(-0.2, 0.2), W, H))
         :add(torch.FloatTensor(3, H, W):uniform(-0.04, 0.04)):clamp(0, 1)
   end
   jpegs[j] = image.compressJPG(img, 90)
end
local function load(seed)
   require 'image'
   torch.manualSeed(seed)
   local batch = torch.FloatTensor(bs, 3, 224, 224)
   local mean, std = {0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}
   for i = 1, bs do
      local img = image.decompressJPG(jpegs[(seed + i) % #jpegs + 1], 3, 'float')
      local x = torch.random(1, img:size(3) - 223)
      local y = torch.random(1, img:size(2) - 223)
      local crop = img:narrow(2, y, 224):narrow(3, x, 224)
      for c = 1, 3 do
         batch[i][c]:copy(crop[c]):add(-mean[c]):div(std[c])
      end
   end
   return batch
end
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
local pool = threads.Threads(nWorkers, function() require 'torch' end)
local blas = torch.getnumthreads()
local kept = {}
for b = 1, 4 do kept[b] = load(b) end
local function loading()
   local t = torch.Timer()
   for b = 1, nBatches do load(b) end
   return t:time().real
end
local function training()
   local t = torch.Timer()
   for b = 1, nBatches do train(kept[(b - 1) % #kept + 1]) end
   return t:time().real
end
local function serial()
   local t = torch.Timer()
   for b = 1, nBatches do train(load(b)) end
   return t:time().real
end
-- the callback only takes the batch; training happens after the queue is refilled, so the
-- workers load the next batches while the main state trains
local function overlapped()
   local t = torch.Timer()
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
   return t:time().real
end
overlapped()   -- warm-up: the workers' first jobs compile and allocate
local res = {}
for r = 1, rounds do
   res[r] = {loading(), training(), serial(), overlapped()}
end
pool:terminate()
return res, blas
"""


def _torch_overlapped(workers: int, small: bool) -> float | None:
    """The same loop in PyTorch eager: a DataLoader with `workers` processes; median wall s."""
    try:
        import torch
        from PIL import Image
    except ImportError:
        return None
    import warnings

    # more workers than cores is the point of the comparison; PyTorch warns about it
    warnings.filterwarnings("ignore", message="This DataLoader will create")
    rng = np.random.default_rng(1)
    w, h = (256, 256) if small else (500, 375)
    jpegs = []
    for _ in range(8):
        im = Image.fromarray((rng.random((12, 16, 3)) * 255).astype(np.uint8)).resize(
            (w, h), Image.BICUBIC)
        a = np.asarray(im, dtype=np.float32)
        if not small:
            a = a + rng.uniform(-10, 10, a.shape)
        buf = io.BytesIO()
        Image.fromarray(np.clip(a, 0, 255).astype(np.uint8)).save(buf, "JPEG", quality=90)
        jpegs.append(buf.getvalue())
    mean = np.array(MEAN, np.float32)[:, None, None]
    std = np.array(STD, np.float32)[:, None, None]

    class Images(torch.utils.data.Dataset):
        def __len__(self) -> int:
            return N_BATCHES * BATCH

        def __getitem__(self, i: int) -> torch.Tensor:
            im = Image.open(io.BytesIO(jpegs[i % 8]))
            a = np.asarray(im.convert("RGB"))
            r = np.random.default_rng(i)
            y, x = r.integers(0, a.shape[0] - 223), r.integers(0, a.shape[1] - 223)
            c = a[y:y + 224, x:x + 224].transpose(2, 0, 1).astype(np.float32) / 255
            return torch.from_numpy((c - mean) / std)

    loader = torch.utils.data.DataLoader(Images(), batch_size=BATCH, num_workers=workers,
                                         persistent_workers=True, prefetch_factor=2)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 224 * 224, 8),
                                torch.nn.ReLU(), torch.nn.Linear(8, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    crit = torch.nn.CrossEntropyLoss()
    target = torch.zeros(BATCH, dtype=torch.long)

    def epoch() -> float:
        t = time.perf_counter()
        for batch in loader:
            opt.zero_grad()
            crit(model(batch), target).backward()
            opt.step()
        return time.perf_counter() - t

    epoch()   # warm-up: starts the worker processes
    return statistics.median(epoch() for _ in range(ROUNDS))


def main() -> None:
    """Print loading, training, serial and overlapped wall times, and PyTorch's overlap."""
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    small = "--small" in sys.argv
    workers = int(args[0]) if args else 4
    rt = Runtime()
    t0 = time.perf_counter()
    res, blas = rt.call(rt.lua.eval("loadstring")(LUA, "=bench_threads"), N_BATCHES, BATCH,
                        workers, small, ROUNDS)
    rows = [list(res[r + 1].values()) for r in range(ROUNDS)]
    load, train, serial, overlap = (statistics.median(col) for col in zip(*rows))
    kind = "256x256 smooth" if small else "500x375 photo-like"
    print(f"{os.cpu_count()} cores, {N_BATCHES} batches of {BATCH} {kind} JPEGs; "
          f"BLAS threads while the pool runs: {blas}; medians of {ROUNDS} rounds")
    print(f"loading alone {load:.2f} s + training alone {train:.2f} s = serial sum "
          f"{load + train:.2f} s (serial loop {serial:.2f} s)")
    print(f"{workers} workers loading while the main state trains: {overlap:.2f} s  "
          f"(serial sum / overlapped = {(load + train) / overlap:.2f}x)")
    print(f"luatorch total {time.perf_counter() - t0:.1f} s")
    pt = _torch_overlapped(workers, small)
    if pt is not None:
        print(f"PyTorch eager, DataLoader with {workers} worker processes: {pt:.2f} s  "
              f"(luatorch / PyTorch = {overlap / pt:.2f}x)")


if __name__ == "__main__":
    main()
