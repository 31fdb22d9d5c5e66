-- TensorDSM checkpoints: `save FILE` runs steps 1-10 of Adam and writes the gathered state from
-- node 1; `resume FILE` (on another node count) loads it, runs steps 11-20, and must end where
-- 20 whole-batch steps on one process end.
require 'nn'
require 'optim'
local distlearn = require('distlearn')
local tree = distlearn.init()
local N, me = tree.numNodes, tree.nodeIndex
local mode, file = arg[1], arg[2]
torch.setdefaulttensortype('torch.DoubleTensor')

torch.manualSeed(3)
local X, Y = torch.randn(20, 12, 4), torch.randn(20, 12, 1)
local function model()
   torch.manualSeed(5)
   local m = nn.Sequential():add(nn.Linear(4, 7)):add(nn.Tanh()):add(nn.Linear(7, 1))
   local p, gp = m:getParameters()
   return m, p, gp
end
local crit = nn.MSECriterion()
local function grad(m, gp, x, y)
   gp:zero()
   local out = m:forward(x)
   m:backward(x, crit:backward(out, y))
end
local per = 12 / N
local m, p, gp = model()
local dsm = distlearn.TensorDSM(tree, p, gp)
local cfg = {learningRate = 0.02}
local first, last = 1, 10
if mode == 'resume' then
   dsm:load(torch.load(file))
   first, last = 11, 20
end
for s = first, last do
   grad(m, gp, X[s]:narrow(1, (me - 1) * per + 1, per), Y[s]:narrow(1, (me - 1) * per + 1, per))
   dsm:step(optim.adam, cfg)
end
local ckpt = dsm:checkpoint()
if mode == 'save' then
   if me == 1 then torch.save(file, ckpt) end
   tree.barrier()
   print('saved on ' .. N)
else
   local rm, rp, rgp = model()
   local state = {}
   for s = 1, 20 do
      optim.adam(function() grad(rm, rgp, X[s], Y[s]) return 0, rgp end, rp, {learningRate = 0.02},
         state)
   end
   local err = (p - rp):abs():max()
   assert(err < 1e-10, 'resumed TensorDSM differs from one process by ' .. err)
   assert((ckpt.state.m - state.m):abs():max() < 1e-10, 'gathered Adam state differs')
   print('resumed on ' .. N .. ' ok')
end
