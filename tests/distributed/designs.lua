-- Under mpiexec (4 nodes; 1 works too): the parameter server with staleness 0 must end equal to
-- synchronous SGD on the whole batch (dedicated servers, and every node both: the Tensor DSM);
-- with staleness k no worker computes on parameters more than k rounds old; gossip on the
-- complete graph with weight 1/N must follow allreduce averaging, and one exchange on the
-- other topologies must apply x_i + w * sum_j (x_j - x_i).
require 'nn'
require 'optim'
local distlearn = require('distlearn')
local tree = distlearn.init()
local N, me = tree.numNodes, tree.nodeIndex
torch.setdefaulttensortype('torch.DoubleTensor')

local STEPS, BATCH = 12, 24
torch.manualSeed(7)
local X, Y = torch.randn(STEPS, BATCH, 6), torch.randn(STEPS, BATCH, 2)

local toy = require 'toy'
local makeModel, grad = toy.makeModel, toy.grad

local function part(t, s, i, n)
   local per = BATCH / n
   return t[s]:narrow(1, (i - 1) * per + 1, per)
end

local function copy(cfg)
   local c = {}
   for k, v in pairs(cfg) do c[k] = v end
   return c
end

-- whole-batch synchronous SGD, computed locally
local function reference(optimFn, config)
   local m, crit = makeModel(1)
   local p, gp = m:getParameters()
   local state = {}
   for s = 1, STEPS do
      optimFn(function() return grad(m, crit, gp, X[s], Y[s]), gp end, p, config, state)
   end
   return p
end

-- the largest difference between this node's p and node 1's
local function spread(p)
   local all = p.new(N * p:nElement())
   tree.allGather(p, all)
   local first, d = all:narrow(1, 1, p:nElement()), 0
   for i = 2, N do
      d = math.max(d, (all:narrow(1, (i - 1) * p:nElement() + 1, p:nElement()) - first):abs()
         :max())
   end
   return d
end

-- parameter server, staleness 0, against synchronous SGD
for _, case in ipairs({{1, 'sgd', {learningRate = 0.1, momentum = 0.9}},
                       {2, 'adam', {learningRate = 0.01}},
                       {N, 'adam', {learningRate = 0.01}}}) do
   local S, name, cfg = case[1], case[2], case[3]
   if S <= N then
      local m, crit = makeModel(me)
      local p, gp = m:getParameters()
      local ps = distlearn.ParameterServer(tree, p, {servers = S, staleness = 0,
         optim = optim[name], config = copy(cfg)})
      local w, W = ps:workerIndex(), ps:numWorkers()
      assert(W == (S == N and N or N - S), 'numWorkers: ' .. W)
      assert(ps:isServer() == (me <= S), 'isServer on node ' .. me)
      if w then
         for s = 1, STEPS do
            local round = ps:pull(p)
            assert(round == s - 1, 'staleness 0: pull ' .. s .. ' returned round ' .. round)
            grad(m, crit, gp, part(X, s, w, W), part(Y, s, w, W))
            ps:push(gp)
         end
         ps:finish()
      else
         ps:serve()
      end
      if ps:isServer() then
         for _, v in pairs(ps.state) do
            if torch.isTensor(v) and v:dim() > 0 then
               assert(v:nElement() < p:nElement() or S == 1,
                  'the optimizer state is not sharded')
            end
         end
      end
      local err = (p - reference(optim[name], copy(cfg))):abs():max()
      assert(err < 1e-10, 'ps ' .. S .. ' ' .. name .. ': differs from synchronous SGD by ' .. err)
      assert(spread(p) == 0, 'ps: nodes ended with different parameters')
      print(string.format('ps servers=%d %s ok', S, name))
   end
end

-- staleness k: the slow first worker holds the others back to at most k rounds ahead
do
   local k = 2
   local p = torch.zeros(4)
   local ps = distlearn.ParameterServer(tree, p, {servers = 1, staleness = k,
      optim = optim.sgd, config = {learningRate = 0.1}})
   local w = ps:workerIndex()
   local ahead = 0
   if w then
      local g = torch.Tensor(4)
      for s = 1, 10 do
         local round = ps:pull(p)
         assert(round >= s - 1 - k, string.format('staleness %d: worker %d at push %d got round %d',
            k, w, s - 1, round))
         ahead = math.max(ahead, s - 1 - round)
         if w == 1 then sys.sleep(0.05) end
         ps:push(g:fill(w))
      end
      ps:finish()
   else
      ps:serve()
   end
   -- every push averaged in: plain SGD moved by lr * (sum of the pushes) / (pushes per step)
   assert(p:eq(p[1]):all() and p[1] < 0, 'staleness: parameters ' .. tostring(p[1]))
   assert(spread(p) == 0, 'staleness: nodes ended with different parameters')
   print(string.format('ps staleness ok (ran ahead by %d)', ahead))
end

-- no bound (Downpour): the fast workers never wait for the slow one
do
   local p = torch.zeros(4)
   local ps = distlearn.ParameterServer(tree, p, {servers = 1, staleness = math.huge})
   local w = ps:workerIndex()
   local ahead = 0
   if w then
      local g = torch.Tensor(4)
      for s = 1, 10 do
         ahead = math.max(ahead, s - 1 - ps:pull(p))
         if w == 1 then sys.sleep(0.05) end
         ps:push(g:fill(w))
      end
      ps:finish()
   else
      ps:serve()
   end
   assert(spread(p) == 0, 'downpour: nodes ended with different parameters')
   print(string.format('ps downpour ok (ran ahead by %d)', ahead))
end

-- gossip that mixes values up to 2 exchanges old still brings the ring to agreement
do
   local g = distlearn.Gossip(tree, {topology = 'ring', staleness = 2})
   local p = torch.Tensor(3):fill(me)
   for _ = 1, 40 do g:average(p) end
   g:finish()
   assert(spread(p) < 1e-3, 'stale gossip: nodes disagree by ' .. spread(p))
   print('gossip stale ok')
end

-- gossip on the complete graph, averaging every step or every 2, against allreduce averaging
for _, every in ipairs({1, 2}) do
   local m, crit = makeModel(1)
   local p, gp = m:getParameters()
   local q = p:clone()
   local g = distlearn.Gossip(tree, {topology = 'complete', every = every})
   for s = 1, STEPS do
      grad(m, crit, gp, part(X, s, me, N), part(Y, s, me, N))
      p:add(-0.1, gp)
      g:step(p)
      -- the same on q, through the tree
      local save = p:clone()
      p:copy(q)
      grad(m, crit, gp, part(X, s, me, N), part(Y, s, me, N))
      q:add(-0.1, gp)
      if s % every == 0 then tree.allReduce(q):div(N) end
      p:copy(save)
   end
   local err = (p - q):abs():max()
   assert(err < 1e-12, 'gossip complete: differs from allreduce averaging by ' .. err)
   assert(spread(p) < 1e-12, 'gossip complete: nodes disagree')
   print('gossip complete every=' .. every .. ' ok')
end

-- one exchange on the other topologies follows the rule; the mean is kept
for _, topology in ipairs({'ring', 'hypercube', 'random'}) do
   local g = distlearn.Gossip(tree, {topology = topology, weight = 0.25})
   local p = torch.randn(5):add(me)
   local all = p.new(N * 5)
   tree.allGather(p, all)
   local before = tree.allReduce(p:clone())
   local mine = p:clone()
   local nbrs = g:neighbours()
   g:average(p)
   if topology ~= 'random' then
      local want = mine:clone()
      for _, j in ipairs(nbrs) do
         want:add(0.25, all:narrow(1, (j - 1) * 5 + 1, 5) - mine)
      end
      local err = (p - want):abs():max()
      assert(err < 1e-12, topology .. ': differs from the rule by ' .. err)
   end
   local after = tree.allReduce(p:clone())
   assert((after - before):abs():max() < 1e-10, topology .. ': the mean moved')
   print(topology .. ' ok')
end
