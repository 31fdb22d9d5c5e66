-- The device API: count, current device, synchronization, properties, memory, random seeds.

local torch = torch
local cutorch = cutorch
local door = torch._door
local H = torch._H

local type, select, pcall, error, unpack = type, select, pcall, error, unpack

local function number(fname, i, v)
   if type(v) ~= 'number' then
      torch._argerror(i, fname, 'number expected, got ' .. torch._typeof(v))
   end
   return v
end

function cutorch.getDeviceCount() return door.gpu_count() end
function cutorch.getDevice() return door.gpu_get() end

function cutorch.setDevice(i)
   door.gpu_set(number('setDevice', 1, i))
end

--- cutorch.withDevice(i, f): run f with device i current, then restore the previous one.
function cutorch.withDevice(i, f)
   local cur = cutorch.getDevice()
   cutorch.setDevice(i)
   local res = {pcall(f)}
   cutorch.setDevice(cur)
   if res[1] then return unpack(res, 2, table.maxn(res)) end
   error(res[2], 0)
end

function cutorch.synchronize() door.gpu_synchronize() end
function cutorch.synchronizeAll() door.gpu_synchronize_all() end

function cutorch.getDeviceProperties(i)
   -- the door hands the fields back as key, value, key, value, ...
   local kv = {door.gpu_properties(number('getDeviceProperties', 1, i))}
   local out = {}
   for j = 1, #kv, 2 do out[kv[j]] = kv[j + 1] end
   return out
end

--- cutorch.getMemoryUsage([i]): free and total bytes of device i (default: the current one).
function cutorch.getMemoryUsage(i)
   return door.gpu_memory(i and number('getMemoryUsage', 1, i))
end

-- each device has its own generator, as in cutorch; tensors on a device draw from it
local gens = {}
local function gen(i)
   i = i or cutorch.getDevice()
   local g = gens[i]
   if not g then
      g = torch.Generator()
      H[g] = door.gpu_generator(i)
      gens[i] = g
   end
   return g
end

function cutorch.manualSeed(s)
   torch.manualSeed(gen(), number('manualSeed', 1, s))
end

function cutorch.manualSeedAll(s)
   number('manualSeedAll', 1, s)
   for i = 1, cutorch.getDeviceCount() do torch.manualSeed(gen(i), s) end
end

function cutorch.seed() return torch.seed(gen()) end

function cutorch.seedAll()
   local s
   for i = 1, cutorch.getDeviceCount() do s = torch.seed(gen(i)) end
   return s
end

function cutorch.initialSeed() return torch.initialSeed(gen()) end
function cutorch.getRNGState() return torch.getRNGState(gen()) end
function cutorch.setRNGState(state) return torch.setRNGState(gen(), state) end

-- random fills of a GPU tensor draw from its device's generator unless one is given
local isgen = function(g) return torch.typename(g) == 'torch.Generator' end
for _, name in ipairs({'uniform', 'normal', 'bernoulli', 'random', 'exponential', 'cauchy',
   'logNormal'}) do
   for mt in pairs(cutorch._mts) do
      local base = rawget(mt, name)
      if base then
         rawset(mt, name, function(self, ...)
            if isgen((...)) then return base(self, ...) end
            return base(self, gen(door.gpu_of(H[self])), ...)
         end)
      end
   end
end

-- NOTE: cutorch's geometric(p) counts trials until the first success of probability p (mean
-- 1/p, curand's), where TH's counts them for probability 1 - p: the same draw with 1 - p
for mt in pairs(cutorch._mts) do
   local base = rawget(mt, 'geometric')
   rawset(mt, 'geometric', function(self, a, b)
      if isgen(a) then return base(self, a, 1 - number('geometric', 2, b)) end
      return base(self, gen(door.gpu_of(H[self])), 1 - number('geometric', 1, a))
   end)
end

-- Streams: cutorch numbers them 0 (the default) .. reserveStreams(n), per device.
-- NOTE: each device runs one stream here, so every stream's work is ordered as stream 0's and
-- waiting on another stream has nothing to wait for; scripts choosing streams run unchanged.
local nstreams, current = 0, {}
function cutorch.reserveStreams(n)
   n = number('reserveStreams', 1, n)
   if n > nstreams then nstreams = n end
end
function cutorch.getNumStreams() return nstreams end
function cutorch.setStream(i)
   i = number('setStream', 1, i)
   if i < 0 or i > nstreams then
      torch._argerror(1, 'setStream', 'invalid stream ' .. i .. ' (reserve it first)')
   end
   current[cutorch.getDevice()] = i
end
function cutorch.getStream() return current[cutorch.getDevice()] or 0 end
function cutorch.streamWaitFor() end
function cutorch.streamWaitForMultiDevice() end
function cutorch.streamBarrier() end
function cutorch.streamSynchronize() cutorch.synchronize() end

return cutorch
