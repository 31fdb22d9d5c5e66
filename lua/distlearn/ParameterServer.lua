-- distlearn.ParameterServer(tree, params, opts): a Downpour-style parameter server (Dean et al.,
-- NIPS 2012) over point-to-point messages, with stale-synchronous bounds (Ho et al., 2013).
--
-- opts.servers = S: nodes 1..S hold shards of the flat parameters and of the optimizer state,
-- nodes S+1..N are workers; S = N makes every node both (the talk's Tensor DSM).
-- A server steps its optimizer on the average of the gradients as they arrive, once as many
-- have come from the workers still training as there are such workers (as often as
-- synchronous SGD would).
-- opts.staleness = k: a worker at its c-th push waits in pull until every other worker has
-- pushed at least c - k times, and the parameters it gets include every gradient of those
-- rounds, so it computes on parameters that miss at most k rounds of the others' gradients.
-- k = 0 is synchronous SGD: each step averages one push from every worker, and a pull
-- returns parameters that include that round. k = math.huge never waits (Downpour).
-- A worker pulls before each push.
-- opts.optim (default optim.sgd) and opts.config run on each server's shard.
-- opts.timeout (default LUATORCH_DIST_TIMEOUT): a worker silent that long while a server waits
-- is dropped (and told so); a server that does not answer within twice that is an error.
require 'torch'

local door = torch._door
local H = torch._H
local p_open, p_send, p_poll, p_take, p_flush = door.p2p_open, door.p2p_send, door.p2p_poll,
   door.p2p_take, door.p2p_flush
local now = door.sys_time

local PUSH, PULL, PARAMS, FINISH, DROPPED, FINAL, ALIVE = 1, 2, 3, 4, 5, 6, 7
-- seconds a waiting node sleeps in one poll before it checks its timeouts
local TICK = 0.05

local ParameterServer = {}
ParameterServer.__index = ParameterServer

local function new(tree, params, opts)
   opts = opts or {}
   assert(torch.isTensor(params) and params:dim() == 1 and params:isContiguous(),
      'ParameterServer: params must be one flat contiguous tensor (model:getParameters())')
   local self = setmetatable({}, ParameterServer)
   local N, me = tree.numNodes, tree.nodeIndex
   local S = opts.servers or 1
   if type(S) ~= 'number' or S % 1 ~= 0 or S < 1 or S > N then
      error('ParameterServer: servers must be a whole number from 1 to ' .. N .. ', got '
         .. tostring(S), 2)
   end
   local k = opts.staleness or 0
   if type(k) ~= 'number' or k < 0 or (k % 1 ~= 0 and k ~= math.huge) then
      error('ParameterServer: staleness must be a whole number >= 0 or math.huge, got '
         .. tostring(k), 2)
   end
   local n = params:nElement()
   if n < S then
      error('ParameterServer: ' .. n .. ' parameters cannot be split over ' .. S
         .. ' servers', 2)
   end
   self.tree, self.params, self.me, self.S, self.k = tree, params, me, S, k
   self.optim = opts.optim or require('optim').sgd
   self.config = opts.config or {}
   self.timeout = opts.timeout or door.dist_timeout()
   self.both = S == N
   self.workers, self.workerOf = {}, {}
   for node = (self.both and 1 or S + 1), N do
      self.workers[#self.workers + 1] = node
      self.workerOf[node] = #self.workers
   end
   self.server = me <= S
   self.worker = self.workerOf[me]
   if #self.workers == 0 then
      error('ParameterServer: ' .. S .. ' servers on ' .. N .. ' nodes leave no worker '
         .. '(use servers = ' .. N .. ' to make every node both)', 2)
   end
   -- contiguous shards, the first n % S one element longer
   self.first, self.len = {}, {}
   local base, extra, at = math.floor(n / S), n % S, 1
   for s = 1, S do
      self.first[s], self.len[s] = at, base + (s <= extra and 1 or 0)
      at = at + self.len[s]
   end
   tree.scatter(params)
   self.chan = p_open()
   self.dummy = params.new(1):zero()
   self.gotFinal = 0
   if self.worker then
      self.clock = 0
   end
   if self.server then
      local W = #self.workers
      self.shard = params:narrow(1, self.first[me], self.len[me]):clone()
      self.state = {}
      self.clocks, self.finished, self.dropped, self.heard, self.inAcc = {}, {}, {}, {}, {}
      local t = now()
      for w = 1, W do
         self.clocks[w], self.finished[w], self.dropped[w], self.heard[w] = 0, false, false, t
         self.inAcc[w] = 0
      end
      self.pulls, self.updates = {}, 0
      self.acc, self.incoming = self.shard:clone():zero(), self.shard:clone()
      self.accCount, self.accOldest = 0, math.huge
   end
   return self
end

function ParameterServer:isServer() return self.server end
function ParameterServer:workerIndex() return self.worker end
function ParameterServer:numWorkers() return #self.workers end

-- server side ------------------------------------------------------------------------------

-- workers neither finished nor dropped
function ParameterServer:_training()
   local c = 0
   for w = 1, #self.workers do
      if not self.finished[w] and not self.dropped[w] then c = c + 1 end
   end
   return c
end

-- one optimizer step on the average of the gradients accumulated so far
function ParameterServer:_apply()
   local grad = self.acc:div(self.accCount)
   self.optim(function() return 0, grad end, self.shard, self.config, self.state)
   self.updates = self.updates + 1
   self.acc:zero()
   self.accCount, self.accOldest = 0, math.huge
   for w = 1, #self.workers do self.inAcc[w] = 0 end
end

-- the gradients waiting in the accumulator from workers still training
function ParameterServer:_fromTraining()
   local c = 0
   for w = 1, #self.workers do
      if not self.finished[w] and not self.dropped[w] then c = c + self.inAcc[w] end
   end
   return c
end

-- the slowest training worker's push count: every round up to it has arrived
function ParameterServer:_done()
   local low = math.huge
   for w = 1, #self.workers do
      if not self.finished[w] and not self.dropped[w] then
         low = math.min(low, self.clocks[w])
      end
   end
   return low
end

function ParameterServer:_answerPulls()
   local done, kept = self:_done(), {}
   for _, p in ipairs(self.pulls) do
      if not self.dropped[p[1]] then
         local need = p[2] - self.k
         if done >= need then
            -- the parameters must include every gradient of the rounds up to `need`
            if self.accCount > 0 and self.accOldest <= need then self:_apply() end
            p_send(self.chan, H[self.shard], self.workers[p[1]], PARAMS, done)
         else
            kept[#kept + 1] = p
         end
      end
   end
   self.pulls = kept
end

function ParameterServer:_advance()
   local training = self:_training()
   -- a finished worker's last gradients join the round of the workers still training
   if self.accCount > 0 and self:_fromTraining() >= training then self:_apply() end
   self:_answerPulls()
   if not self.served and training == 0 and #self.pulls == 0 then
      -- every worker is done: hand the final shard to the finished workers and the servers
      local me = self.me
      for w, node in ipairs(self.workers) do
         if self.finished[w] and not self.dropped[w] then
            p_send(self.chan, H[self.shard], node, FINAL, self.updates)
         end
      end
      for s = 1, self.S do
         if s ~= me and not self.workerOf[s] then
            p_send(self.chan, H[self.shard], s, FINAL, self.updates)
         end
      end
      if not self.worker then
         self.params:narrow(1, self.first[me], self.len[me]):copy(self.shard)
      end
      self.served = true
   end
end

function ParameterServer:_drop(w, silent)
   self.dropped[w] = true
   local node = self.workers[w]
   io.stderr:write(string.format('distlearn.ParameterServer: server node %d dropped worker %d '
      .. '(node %d): silent for %.1f s\n', self.me, w, node, silent))
   io.stderr:flush()
   p_send(self.chan, H[self.dummy], node, DROPPED, 0)
end

-- drop training workers silent for longer than the timeout (this node is waiting on them);
-- a worker waiting in pull is waiting on the servers, not silent
function ParameterServer:_dropSilent()
   local t = now()
   local pulling = {}
   for _, p in ipairs(self.pulls) do pulling[p[1]] = true end
   for w = 1, #self.workers do
      if not self.finished[w] and not self.dropped[w] and not pulling[w]
         and t - self.heard[w] > self.timeout then
         self:_drop(w, t - self.heard[w])
      end
   end
   self:_advance()
end

function ParameterServer:_fromWorker(w, tag, header)
   if self.dropped[w] then return end
   self.heard[w] = now()
   if tag == PUSH then
      p_take(self.chan, H[self.incoming])
      self.acc:add(self.incoming)
      self.accCount = self.accCount + 1
      self.inAcc[w] = self.inAcc[w] + 1
      self.accOldest = math.min(self.accOldest, header)
      self.clocks[w] = header
   elseif tag == PULL then
      self.pulls[#self.pulls + 1] = {w, header}
   elseif tag == FINISH then
      self.finished[w] = true
   end
end

-- worker side ------------------------------------------------------------------------------

-- NOTE: a finished worker may wait long for the others; a server that waits too tells it now
-- and then that it is alive, so the worker can tell a long wait from a lost server
function ParameterServer:_reassure()
   local t = now()
   if t - (self.reassured or 0) < self.timeout / 4 then return end
   self.reassured = t
   for w, node in ipairs(self.workers) do
      if self.finished[w] and not self.dropped[w] and node ~= self.me then
         p_send(self.chan, H[self.dummy], node, ALIVE, 0)
      end
   end
end

function ParameterServer:_fromServer(s, tag, header)
   self.heardServer = now()
   if tag == PARAMS then
      p_take(self.chan, H[self.target:narrow(1, self.first[s], self.len[s])])
      self.got = self.got + 1
      self.round = math.min(self.round, header)
   elseif tag == FINAL then
      p_take(self.chan, H[self.params:narrow(1, self.first[s], self.len[s])])
      self.gotFinal = self.gotFinal + 1
   elseif tag == DROPPED then
      self.droppedMe = true
   end
end

-- handle one message, waiting up to `wait` seconds for it; false when none came
function ParameterServer:_progress(wait)
   local src, tag, header = p_poll(self.chan, wait)
   if not src then
      if self.server and wait > 0 then
         self:_dropSilent()
         self:_reassure()
      end
      return false
   end
   if tag == PUSH or tag == PULL or tag == FINISH then
      self:_fromWorker(self.workerOf[src], tag, header)
   else
      self:_fromServer(src, tag, header)
   end
   if self.server then self:_advance() end
   return true
end

-- serve and receive until cond() holds; false after `limit` seconds
function ParameterServer:_waitFor(cond, limit)
   local start = now()
   while not cond() do
      if not self:_progress(TICK) and now() - start > limit then return false end
   end
   return true
end

function ParameterServer:_checkWorker(what)
   if not self.worker then
      error('ParameterServer: ' .. what .. ' is for workers; node ' .. self.me
         .. ' is a server only (call serve())', 3)
   end
   while self:_progress(0) do end
   if self.droppedMe then
      error('ParameterServer: the servers dropped this worker (node ' .. self.me
         .. '): it was silent for more than ' .. self.timeout .. ' s', 3)
   end
end

-- send a gradient (the flat gradParams) to the servers
function ParameterServer:push(gradParams)
   self:_checkWorker('push')
   if not torch.isTensor(gradParams) or gradParams:nElement() ~= self.params:nElement() then
      error('ParameterServer: push needs a gradient of ' .. self.params:nElement()
         .. ' elements', 2)
   end
   local g = gradParams:contiguous()
   self.clock = self.clock + 1
   for s = 1, self.S do
      p_send(self.chan, H[g:narrow(1, self.first[s], self.len[s])], s, PUSH, self.clock)
   end
   -- a node that also serves handles what has arrived, without waiting
   while self:_progress(0) do end
end

-- fill params with the servers' parameters, waiting while this worker is more than k pushes
-- ahead of the slowest; returns the round the parameters include
function ParameterServer:pull(params)
   self:_checkWorker('pull')
   params = params or self.params
   self.target, self.got, self.round = params, 0, math.huge
   for s = 1, self.S do
      p_send(self.chan, H[self.dummy], s, PULL, self.clock)
   end
   local ok = self:_waitFor(function() return self.got == self.S or self.droppedMe end,
      2 * self.timeout)
   if self.droppedMe then self:_checkWorker('pull') end
   if not ok then
      error(string.format('ParameterServer: pull on node %d: the servers did not answer '
         .. 'within %g s', self.me, 2 * self.timeout), 2)
   end
   return self.round
end

-- this worker is done; returns once every worker is, with the final parameters in params
function ParameterServer:finish()
   self:_checkWorker('finish')
   for s = 1, self.S do
      p_send(self.chan, H[self.dummy], s, FINISH, self.clock)
   end
   self:_end('finish')
   return self.params
end

-- apply gradients as they arrive; returns once every worker has finished (or was dropped),
-- with the final parameters in params
function ParameterServer:serve()
   if self.worker then return self:finish() end
   self:_end('serve')
   return self.params
end

function ParameterServer:_end(what)
   -- every worker has to finish first, however long that takes: the servers drop silent ones
   -- and reassure the finished ones, so the wait is bounded by a silence of 2 x timeout
   self.heardServer = now()
   local lost = false
   if self.server then
      self:_waitFor(function() return self.served end, math.huge)
   end
   -- then the final shards come from every server (a server only: from the others)
   local want = self.worker and self.S or self.S - 1
   while self.gotFinal < want and not lost do
      if not self:_progress(TICK) then
         lost = now() - self.heardServer > 2 * self.timeout
      end
   end
   if lost then
      error(string.format('ParameterServer: %s on node %d: no word from the servers for %g s',
         what, self.me, 2 * self.timeout), 3)
   end
   -- let the last messages reach their nodes before this one may leave
   p_flush(self.chan, self.timeout)
end

return new
