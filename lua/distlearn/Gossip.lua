-- distlearn.Gossip(tree, opts): consensus averaging with neighbours only (Kar & Moura, IEEE
-- Trans. Signal Processing 57(1), 2009): no global barrier, links that may fail.
--
-- g:average(params) sends params to the neighbours and sets
--    x_i <- x_i + w * sum over neighbours j of (x_j - x_i)
-- (with w = 1/N on the complete graph every node ends at the exact mean); g:step(params),
-- called every training step, averages every opts.every steps.
-- opts.topology: 'ring' (default), 'hypercube', 'random' (a fresh random pairing every
-- exchange, the same on every node) or 'complete'. opts.weight: w (default 1 / (1 + the
-- largest degree), which keeps every node's own share positive).
-- opts.staleness = s (ring, hypercube, complete): 0 exchanges in lockstep; s > 0 mixes the
-- newest value each neighbour has sent, waiting only when it is more than s exchanges old.
-- opts.timeout (default LUATORCH_DIST_TIMEOUT): a neighbour that does not answer within it
-- loses its link (both ends are told, and the log says which); averaging goes on over the
-- remaining graph, and the nodes still agree when that graph stays connected.
require 'torch'

local door = torch._door
local H = torch._H
local p_open, p_send, p_poll, p_take = door.p2p_open, door.p2p_send, door.p2p_poll,
   door.p2p_take
local now = door.sys_time

local bxor = require('bit').bxor

local VALUE, DROP, BYE, ALIVE = 1, 2, 3, 4
local TICK = 0.05

local Gossip = {}
Gossip.__index = Gossip

local function hypercube(me, N)
   local out, mask = {}, 1
   while mask < N do
      -- nodes are 1-based; the cube is over 0-based indices
      local other = bxor(me - 1, mask) + 1
      if other <= N then out[#out + 1] = other end
      mask = mask * 2
   end
   return out
end

local function staticNeighbours(topology, me, N)
   local out = {}
   if topology == 'ring' then
      if N == 2 then
         out[1] = 3 - me
      elseif N > 2 then
         out[1] = (me - 2) % N + 1
         out[2] = me % N + 1
      end
   elseif topology == 'complete' then
      for j = 1, N do
         if j ~= me then out[#out + 1] = j end
      end
   elseif topology == 'hypercube' then
      out = hypercube(me, N)
   end
   return out
end

local function new(tree, opts)
   opts = opts or {}
   local self = setmetatable({}, Gossip)
   local N, me = tree.numNodes, tree.nodeIndex
   local topology = opts.topology or 'ring'
   if topology ~= 'ring' and topology ~= 'hypercube' and topology ~= 'random'
      and topology ~= 'complete' then
      error("Gossip: topology must be 'ring', 'hypercube', 'random' or 'complete', got '"
         .. tostring(topology) .. "'", 2)
   end
   local every = opts.every or 1
   if type(every) ~= 'number' or every < 1 or every % 1 ~= 0 then
      error('Gossip: every must be a whole number >= 1, got ' .. tostring(every), 2)
   end
   local s = opts.staleness or 0
   if type(s) ~= 'number' or s < 0 or (s % 1 ~= 0 and s ~= math.huge) then
      error('Gossip: staleness must be a whole number >= 0 or math.huge, got ' .. tostring(s), 2)
   end
   if s > 0 and topology == 'random' then
      error('Gossip: the random topology exchanges in lockstep (staleness 0)', 2)
   end
   self.tree, self.me, self.N, self.topology, self.every, self.staleness = tree, me, N,
      topology, every, s
   self.timeout = opts.timeout or door.dist_timeout()
   self.seed = opts.seed or 1
   if topology ~= 'random' then self.fixed = staticNeighbours(topology, me, N) end
   local degree = 1
   if topology == 'ring' then degree = math.min(2, N - 1)
   elseif topology == 'complete' then degree = N - 1
   elseif topology == 'hypercube' then
      for j = 1, N do degree = math.max(degree, #hypercube(j, N)) end
   end
   self.weight = opts.weight or 1 / (1 + math.max(degree, 1))
   if type(self.weight) ~= 'number' or self.weight <= 0 then
      error('Gossip: weight must be a positive number, got ' .. tostring(opts.weight), 2)
   end
   self.live, self.inbox, self.spare, self.heard = {}, {}, {}, {}
   for j = 1, N do
      self.live[j] = j ~= me
      self.inbox[j] = {}
      self.heard[j] = 0
   end
   self.ping = torch.DoubleTensor(1):zero()
   self.round, self.steps = 0, 0
   self.chan = p_open()
   return self
end

-- a random pairing of the nodes for this round (the same on every node, without touching
-- torch's generator): Fisher-Yates with Park-Miller draws seeded by the round
function Gossip:_pairing(r)
   local N = self.N
   local order = {}
   for i = 1, N do order[i] = i end
   local x = (self.seed * 7919 + r * 104729) % 2147483646 + 1
   for i = N, 2, -1 do
      x = (x * 16807) % 2147483647
      local j = x % i + 1
      order[i], order[j] = order[j], order[i]
   end
   for i = 1, N - 1, 2 do
      if order[i] == self.me then return {order[i + 1]} end
      if order[i + 1] == self.me then return {order[i]} end
   end
   return {}
end

function Gossip:_neighbours(r)
   local all = self.fixed or self:_pairing(r)
   local out = {}
   for _, j in ipairs(all) do
      if self.live[j] then out[#out + 1] = j end
   end
   return out
end

function Gossip:_log(msg)
   io.stderr:write('distlearn.Gossip: ' .. msg .. '\n')
   io.stderr:flush()
end

function Gossip:_lose(j, why)
   if not self.live[j] then return end
   self.live[j] = false
   -- not recycled: a value already taken for this round may be among them
   self.inbox[j] = {}
   if not why then return end
   self:_log(why)
   for _, k in ipairs(self.fixed or {}) do
      if self.live[k] then return end
   end
   if self.fixed and #self.fixed > 0 then
      self:_log(string.format('node %d has no neighbours left; it goes on alone', self.me))
   end
end

-- handle one message, waiting up to `wait` seconds; false when none came
function Gossip:_progress(wait, like)
   local src, tag, header = p_poll(self.chan, wait)
   if not src then return false end
   self.heard[src] = now()
   if tag == VALUE then
      if self.live[src] then
         local t = table.remove(self.spare) or like:clone()
         p_take(self.chan, H[t])
         local box = self.inbox[src]
         box[#box + 1] = {header, t}
      end
   elseif self.awaiting and (tag == BYE or tag == DROP) then
      self.awaiting[src] = nil
   elseif tag == DROP then
      self:_lose(src, string.format('node %d: node %d dropped the link between them (no '
         .. 'answer within %g s)', self.me, src, header))
   elseif tag == BYE then
      -- answered, so that the leaving node knows nothing more comes from here
      if self.live[src] then p_send(self.chan, H[self.ping], src, BYE, self.round) end
      self:_lose(src)
   end
   return true
end

-- the value neighbour j gives to round r, or nil while it has none recent enough
function Gossip:_valueFor(j, r)
   local box = self.inbox[j]
   if self.staleness == 0 then
      while box[1] and box[1][1] < r do
         self.spare[#self.spare + 1] = table.remove(box, 1)[2]
      end
      if box[1] and box[1][1] == r then return table.remove(box, 1)[2], true end
      return nil
   end
   -- keep only the newest
   while #box > 1 do
      self.spare[#self.spare + 1] = table.remove(box, 1)[2]
   end
   if box[1] and box[1][1] >= r - self.staleness then return box[1][2], false end
   return nil
end

-- one exchange with the neighbours; returns params
function Gossip:average(params)
   if not torch.isTensor(params) or not params:isContiguous() then
      error('Gossip: average needs one contiguous tensor (model:getParameters())', 2)
   end
   self.round = self.round + 1
   local r = self.round
   local nbrs = self:_neighbours(r)
   for _, j in ipairs(nbrs) do
      p_send(self.chan, H[params], j, VALUE, r)
   end
   local start = now()
   local pinged = start
   local got, used = {}, 0
   while true do
      while self:_progress(0, params) do end
      local missing = {}
      for _, j in ipairs(nbrs) do
         if self.live[j] and not got[j] then
            local v = self:_valueFor(j, r)
            if v then got[j] = v; used = used + 1 else missing[#missing + 1] = j end
         end
      end
      if #missing == 0 then break end
      local t = now()
      -- NOTE: a node that waits tells its neighbours it is alive, so that a node waiting on
      -- it does not take it for lost while it waits out a lost link of its own
      if t - pinged > self.timeout / 4 then
         for _, j in ipairs(self:_neighbours(r)) do
            p_send(self.chan, H[self.ping], j, ALIVE, r)
         end
         pinged = t
      end
      for _, j in ipairs(missing) do
         if t - math.max(start, self.heard[j]) > self.timeout then
            p_send(self.chan, H[self.ping], j, DROP, self.timeout)
            self:_lose(j, string.format('node %d dropped its link to node %d (no answer '
               .. 'within %g s)', self.me, j, self.timeout))
         end
      end
      self:_progress(TICK, params)
   end
   if used > 0 then
      local w = self.weight
      -- x_i + w * sum_j (x_j - x_i) = (1 - w d) x_i + w sum_j x_j
      local acc
      for _, j in ipairs(nbrs) do
         local v = got[j]
         if v then
            if acc then acc:add(v) else acc = v:clone() end
         end
      end
      params:mul(1 - w * used):add(w, acc)
      if self.staleness == 0 then
         for _, v in pairs(got) do self.spare[#self.spare + 1] = v end
      end
   end
   return params
end

-- call every training step: averages every `every` steps
function Gossip:step(params)
   self.steps = self.steps + 1
   if self.steps % self.every == 0 then return self:average(params) end
   return params
end

-- this node leaves: its neighbours stop waiting for it. It returns once each of them has said
-- goodbye too (or dropped the link, or stayed silent past the timeout), so that every value
-- sent either way has been received before a node may leave.
function Gossip:finish()
   local waiting = {}
   for j = 1, self.N do
      if self.live[j] then
         p_send(self.chan, H[self.ping], j, BYE, self.round)
         self.live[j] = false
         waiting[j] = true
      end
   end
   self.awaiting = waiting
   local start = now()
   while next(waiting) do
      self:_progress(TICK, self.ping)
      local t = now()
      for j in pairs(waiting) do
         if t - math.max(start, self.heard[j]) > self.timeout then waiting[j] = nil end
      end
   end
   self.awaiting = nil
end

-- neighbours this node still exchanges with (fixed topologies), for logs and tests
function Gossip:neighbours()
   return self.fixed and self:_neighbours(self.round) or {}
end

return new
