-- Run under mpiexec: each rank takes 1/N of every batch; its parameters after 20 steps must
-- equal a whole-batch reference computed locally, and every rank must hold the same values.
require 'nn'
require 'optim'
local distlearn = require('distlearn')
local tree = distlearn.init()
local N, me = tree.numNodes, tree.nodeIndex
torch.setdefaulttensortype('torch.DoubleTensor')

local function data()
   torch.manualSeed(7)
   return torch.randn(20, 16, 6), torch.randn(20, 16, 2)
end

local toy = require 'toy'
local makeModel, grad = toy.makeModel, toy.grad

local function check(name, p, ref)
   local err = (p - ref):abs():max()
   assert(err < 1e-10, name .. ': differs from the whole-batch run by ' .. err)
   local all = p.new(N * p:nElement())
   tree.allGather(p, all)
   for i = 2, N do
      local d = (all:narrow(1, (i - 1) * p:nElement() + 1, p:nElement()) - all:narrow(1, 1,
         p:nElement())):abs():max()
      assert(d == 0, name .. ': rank ' .. i .. ' differs from rank 1 by ' .. d)
   end
   print(name .. ' ok')
end

local X, Y = data()
local per = 16 / N
local function myPart(t, s) return t[s]:narrow(1, (me - 1) * per + 1, per) end

-- whole-batch reference with an optim function
local function reference(optimFn, config)
   local m, crit = makeModel(1)
   local p, gp = m:getParameters()
   local state = {}
   for s = 1, 20 do
      optimFn(function() return grad(m, crit, gp, X[s], Y[s]), gp end, p, config, state)
   end
   return p
end

-- AllReduceSGD from different starting weights
do
   local m, crit = makeModel(me)
   local p, gp = m:getParameters()
   local sgd = distlearn.AllReduceSGD(tree)
   sgd.synchronizeParameters(p)
   for s = 1, 20 do
      grad(m, crit, gp, myPart(X, s), myPart(Y, s))
      sgd.sumAndNormalizeGradients(gp)
      p:add(-0.1, gp)
   end
   sgd.synchronizeParameters(p)
   check('AllReduceSGD', p, reference(optim.sgd, {learningRate = 0.1}))
end

-- TensorDSM with optim.sgd (momentum) and optim.adam
for _, case in ipairs({{'sgd', {learningRate = 0.1, momentum = 0.9}},
                       {'adam', {learningRate = 0.01}}}) do
   local name, cfg = case[1], case[2]
   local m, crit = makeModel(me)
   local p, gp = m:getParameters()
   local dsm = distlearn.TensorDSM(tree, p, gp)
   for s = 1, 20 do
      grad(m, crit, gp, myPart(X, s), myPart(Y, s))
      dsm:step(optim[name], cfg)
   end
   local copy = {}
   for k, v in pairs(cfg) do copy[k] = v end
   check('TensorDSM ' .. name, p, reference(optim[name], copy))
   for _, v in pairs(dsm.state) do
      if torch.isTensor(v) then assert(v:nElement() == math.ceil(p:nElement() / N)) end
   end
end

-- AllReduceEA against its rule, replayed locally for every rank
do
   local tau, alpha, lr = 2, 0.3, 0.05
   local m, crit = makeModel(1)
   local p, gp = m:getParameters()
   local ea = distlearn.AllReduceEA(tree, tau, alpha)
   ea.synchronizeParameters(p)
   -- the reference: every rank's model, simulated here, stepping on its own part
   local xs, cs = {}, nil
   local refM, refC = makeModel(1)
   local rp, rgp = refM:getParameters()
   for r = 1, N do xs[r] = rp:clone() end
   cs = rp:clone()
   for s = 1, 20 do
      grad(m, crit, gp, myPart(X, s), myPart(Y, s))
      p:add(-lr, gp)
      ea.averageParameters(p)
      local deltaSum = cs:clone():zero()
      for r = 1, N do
         rp:copy(xs[r])
         grad(refM, refC, rgp, X[s]:narrow(1, (r - 1) * per + 1, per),
            Y[s]:narrow(1, (r - 1) * per + 1, per))
         xs[r]:add(-lr, rgp)
         if s % tau == 0 then
            local d = (xs[r] - cs):mul(alpha)
            xs[r]:add(-1, d)
            deltaSum:add(d)
         end
      end
      cs:add(deltaSum)
   end
   local err = (p - xs[me]):abs():max()
   assert(err < 1e-10, 'AllReduceEA: rank ' .. me .. ' differs from its rule by ' .. err)
   print('AllReduceEA ok')
end

-- uneven epochs: node 1 takes one step more; its last step averages over itself alone and
-- synchronizeParameters gives every node its weights
do
   local p, g = torch.zeros(3), torch.zeros(3)
   local sgd = distlearn.AllReduceSGD(tree)
   local counts = {}
   for s = 1, (me == 1 and 3 or 2) do
      g:fill(me)
      local _, n = sgd.sumAndNormalizeGradients(g)
      counts[s] = n
      p:add(-1, g)
   end
   assert(counts[1] == N and counts[2] == N, 'uneven: ' .. N .. ' nodes should contribute')
   if me == 1 then assert(counts[3] == 1, 'uneven: only node 1 takes step 3, got ' .. counts[3]) end
   sgd.synchronizeParameters(p)
   local want = -2 * (N + 1) / 2 - 1
   assert(math.abs(p[1] - want) < 1e-12 and p:eq(p[1]):all(),
      'uneven: expected ' .. want .. ', got ' .. p[1])
   print('uneven ok')
end
