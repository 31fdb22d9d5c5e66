-- cutorch.graph(f [, warmup = 2]): a step that runs f and, on a real GPU, captures f's kernels
-- once as a CUDA graph and replays them on later calls.
--
--    local step = cutorch.graph(function()
--       model:zeroGradParameters()
--       local out = model:forward(x)
--       model:backward(x, crit:updateGradInput(out, y))
--       optim.sgd(feval, params, config)
--    end)
--    for i = 1, n do x:copy(batch(i)); step() end
--
-- The graph replays the same kernels on the same buffers with the same numbers: feed new data
-- by copying it into the tensors f reads.  A call replays only while no GPU tensor changed its
-- size or storage since the capture and f's upvalues are the same objects; otherwise f runs
-- eagerly and is captured again once steady.  f runs eagerly on virtual GPUs, and for good
-- once a capture failed (f read a value back from the GPU, e.g. a criterion's loss).
-- Numbers f takes from Lua (learning rates, counters) are frozen into the graph: call
-- step:reset() after changing them.  step:stats() gives the counters and the reason f ran
-- eagerly last.  luatorch/capture.py has the rules.

local torch = torch
local cutorch = cutorch
local door = torch._door

local graph_new, graph_plan, graph_done = door.graph_new, door.graph_plan, door.graph_done
local getupvalue, pcall, select, error, unpack = debug.getupvalue, pcall, select, error, unpack
local rawequal, setmetatable, type = rawequal, setmetatable, type

local EAGER, CAPTURE, REPLAY = 0, 1, 2

local Graph = {}
Graph.__index = Graph

local function pack(...) return {n = select('#', ...), ...} end

-- whether f's upvalues are the objects they were on the last call (remembering them now)
local function sameUpvalues(self)
   local ups, same, i = self.ups, true, 1
   while true do
      local name, v = getupvalue(self.f, i)
      if name == nil then break end
      if not rawequal(ups[i], v) then
         same = false
         ups[i] = v
      end
      i = i + 1
   end
   return same
end

function cutorch.graph(f, warmup)
   if type(f) ~= 'function' then
      torch._argerror(1, 'graph', 'function expected, got ' .. torch._typeof(f))
   end
   if warmup ~= nil and (type(warmup) ~= 'number' or warmup < 1) then
      torch._argerror(2, 'graph', 'a number of warm-up calls >= 1 expected')
   end
   local self = setmetatable({f = f, g = graph_new(warmup), ups = {}, results = {n = 0}},
      Graph)
   sameUpvalues(self)
   return self
end

local function eager(self, ...)
   local res = pack(pcall(self.f, ...))
   graph_done(self.g, res[1])
   if not res[1] then error(res[2], 0) end
   self.results = res
   return unpack(res, 2, res.n)
end

function Graph:__call(...)
   local action = graph_plan(self.g, sameUpvalues(self))
   if action == REPLAY then
      local res = self.results
      return unpack(res, 2, res.n)
   end
   if action == CAPTURE then
      local res = pack(pcall(self.f, ...))
      if graph_done(self.g, res[1]) then
         self.results = res
         return unpack(res, 2, res.n)
      end
      -- refused: this call runs again, eagerly (and so do the next ones)
      graph_plan(self.g, true)
   end
   return eager(self, ...)
end

--- step:reset(): forget the captured graph; the step warms up and captures again.
function Graph:reset() door.graph_reset(self.g) end

--- step:stats(): {eager, captures, replays, invalidations, captured, reason}.
function Graph:stats()
   local kv = {door.graph_stats(self.g)}
   local out = {}
   for i = 1, #kv, 2 do out[kv[i]] = kv[i + 1] end
   return out
end

return cutorch
