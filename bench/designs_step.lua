-- One rank of bench/bench_designs.py: LeNet steps on the digits under one distributed design,
-- with node -slow (0: none) taking twice as long per step. Every node that trains prints its
-- own steps per second.
require 'nn'
require 'optim'
local distlearn = require('distlearn')

local cmd = torch.CmdLine()
cmd:option('-design', 'allreduce', 'allreduce, ps, downpour, dsm, gossip or gossip-async')
cmd:option('-steps', 60, 'steps each trainer takes')
cmd:option('-batch', 16, 'examples per trainer and step')
cmd:option('-work', 0.02, 'seconds of simulated device work per step (a sleep, not the CPU)')
cmd:option('-slow', 0, 'the node that takes twice as long per step (0: none)')
local opt = cmd:parse(arg or {})

local tree = distlearn.init()
local me = tree.nodeIndex
torch.setdefaulttensortype('torch.FloatTensor')
torch.manualSeed(me)
local here = arg and arg[0] and arg[0]:match('^(.*)[/\\]') or '.'
local data = torch.load(here .. '/../models/data/digits.t7')
local images = data.images:float():div(16):view(-1, 1, 8, 8)
local labels = data.labels:long()

local model = nn.Sequential()
model:add(nn.SpatialConvolution(1, 16, 3, 3, 1, 1, 1, 1)):add(nn.ReLU())
model:add(nn.SpatialMaxPooling(2, 2, 2, 2))
model:add(nn.SpatialConvolution(16, 32, 3, 3, 1, 1, 1, 1)):add(nn.ReLU())
model:add(nn.SpatialMaxPooling(2, 2, 2, 2))
model:add(nn.View(32 * 2 * 2)):add(nn.Linear(128, 64)):add(nn.ReLU())
model:add(nn.Linear(64, 10)):add(nn.LogSoftMax())
local criterion = nn.ClassNLLCriterion()
local params, gradParams = model:getParameters()
local config = {learningRate = 0.01}

local sgd, ps, gossip
local trains = true
if opt.design == 'allreduce' then
   sgd = distlearn.AllReduceSGD(tree)
   sgd.synchronizeParameters(params)
elseif opt.design == 'ps' or opt.design == 'downpour' or opt.design == 'dsm' then
   ps = distlearn.ParameterServer(tree, params, {
      servers = opt.design == 'dsm' and tree.numNodes or 1,
      staleness = opt.design == 'downpour' and math.huge or 4,
      optim = optim.adam, config = config})
   trains = ps:workerIndex() ~= nil
elseif opt.design == 'gossip' or opt.design == 'gossip-async' then
   distlearn.AllReduceSGD(tree).synchronizeParameters(params)
   gossip = distlearn.Gossip(tree, {topology = 'ring',
      staleness = opt.design == 'gossip-async' and math.huge or 0})
else
   error('unknown design ' .. opt.design)
end

local state = {}
local timer = torch.Timer()
local function computeGradient()
   local start = timer:time().real
   local idx = torch.LongTensor(opt.batch):random(1, images:size(1))
   local x, y = images:index(1, idx), labels:index(1, idx)
   gradParams:zero()
   local loss = criterion:forward(model:forward(x), y)
   model:backward(x, criterion:backward(model.output, y))
   sys.sleep(opt.work)
   -- the slow node computes twice as long
   if me == opt.slow then sys.sleep(timer:time().real - start) end
   return loss
end

local function step()
   if ps then
      ps:pull(params)
      computeGradient()
      ps:push(gradParams)
   else
      optim.adam(function()
         local loss = computeGradient()
         if sgd then sgd.sumAndNormalizeGradients(gradParams) end
         return loss, gradParams
      end, params, config, state)
      if gossip then gossip:step(params) end
   end
end

if trains then
   local warm = 5
   local t0
   for s = 1, opt.steps do
      if s == warm + 1 then t0 = timer:time().real end
      step()
   end
   local rate = (opt.steps - warm) / (timer:time().real - t0)
   print(string.format('node %d steps/s %.3f', me, rate))
   io.stdout:flush()
end
if ps then
   if trains then ps:finish() else ps:serve() end
elseif gossip then
   gossip:finish()
end
