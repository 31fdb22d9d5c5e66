-- LeNet on the UCI digits across processes: `luatorch run --np 2 models/lenet_digits_dist.lua`.
-- Each node takes its share of every mini-batch, the gradients are averaged with distlearn's
-- AllReduceSGD, and every node must end with the same weights and >= 95% held-out accuracy
-- (-minAccuracy, checked with the default -epochs 30). One process without --np runs the same
-- script unchanged.
-- -design ps trains through distlearn.ParameterServer (node 1 serves, the others push and
-- pull with bounded staleness); -design gossip lets every node step on its own share and
-- average with its neighbours (distlearn.Gossip), ending at the mean of every node's weights.
require 'nn'
require 'optim'
require 'xlua'
local distlearn = require('distlearn')
local digits = require 'lenet.digits'

local cmd = torch.CmdLine()
cmd:text('LeNet on the UCI handwritten digits, data-parallel over processes')
cmd:option('-epochs', 30, 'training epochs')
cmd:option('-batch', 32, 'global mini-batch size (split over the nodes)')
cmd:option('-lr', 0.1, 'learning rate')
cmd:option('-lrDecay', 1e-3, 'learning rate decay per step')
cmd:option('-seed', 1, 'random seed')
cmd:option('-optim', 'sgd', 'optim function: sgd (momentum 0.9) or adam')
cmd:option('-design', 'allreduce', 'allreduce (synchronous SGD), ps (parameter server) or gossip')
cmd:option('-servers', 1, 'ps: parameter server nodes (the number of nodes: every node both)')
cmd:option('-staleness', 4, 'ps: how many pushes a worker may run ahead of the slowest')
cmd:option('-topology', 'ring', 'gossip: ring, hypercube, random or complete')
cmd:option('-every', 1, 'gossip: average with the neighbours every this many steps')
cmd:option('-minAccuracy', 0.95, 'fail below this held-out accuracy')
cmd:option('-save', '', 'rank 1 writes the model here (atomically) at the end')
local opt = cmd:parse(arg or {})

local tree = distlearn.init()
local me, N = tree.nodeIndex, tree.numNodes
torch.setdefaulttensortype('torch.FloatTensor')
-- the same shuffle on every node; different initial weights, made equal below
torch.manualSeed(opt.seed)

local here = arg and arg[0] and arg[0]:match('^(.*)[/\\]') or '.'
local trainX, trainY, testX, testY = digits.split(here)
local nTrain = trainX:size(1)

torch.manualSeed(opt.seed * 1000 + me)
local model = digits.model()
local criterion = nn.ClassNLLCriterion()

local params, gradParams = model:getParameters()
local sgd = distlearn.AllReduceSGD(tree)
local config = {learningRate = opt.lr, momentum = 0.9, learningRateDecay = opt.lrDecay}
-- the nodes that train, and this node's place among them (a parameter server only serves)
local trainers, mine = N, me
local ps, gossip
if opt.design == 'ps' then
   ps = distlearn.ParameterServer(tree, params, {servers = opt.servers,
      staleness = opt.staleness, optim = optim[opt.optim], config = config})
   trainers, mine = ps:numWorkers(), ps:workerIndex()
elseif opt.design == 'gossip' then
   sgd.synchronizeParameters(params)
   gossip = distlearn.Gossip(tree, {topology = opt.topology, every = opt.every})
elseif opt.design == 'allreduce' then
   sgd.synchronizeParameters(params)
else
   error("-design must be allreduce, ps or gossip, got '" .. opt.design .. "'")
end

local function accuracy(X, Y)
   model:evaluate()
   local confusion = optim.ConfusionMatrix(10)
   confusion:batchAdd(model:forward(X), Y)
   confusion:updateValids()
   model:training()
   return confusion.totalValid
end

-- the gradient of this node's contiguous share of one global batch; allreduce and the
-- parameter server scale it so that the average over the trainers is the batch's mean
local function shareGradient(order, start, len)
   local per = math.ceil(len / trainers)
   local first = (mine - 1) * per + 1
   local count = math.max(0, math.min(per, len - first + 1))
   gradParams:zero()
   if count == 0 then return 0 end
   local idx = order:narrow(1, start + first - 1, count)
   local x, y = trainX:index(1, idx), trainY:index(1, idx)
   local out = model:forward(x)
   local loss = criterion:forward(out, y) * count
   local scale = gossip and 1 or count * trainers / len
   model:backward(x, criterion:backward(out, y):mul(scale))
   return loss
end

torch.manualSeed(opt.seed)
local timer = torch.Timer()
-- the node that prints the epoch lines also shows the progress through each epoch
local reporter = (opt.design == 'allreduce' and me == 1)
   or (opt.design ~= 'allreduce' and mine == 1)
for epoch = 1, opt.epochs do
   local order = torch.randperm(nTrain):long()
   local total = 0
   for start = 1, nTrain, opt.batch do
      local len = math.min(opt.batch, nTrain - start + 1)
      if ps then
         if mine then
            ps:pull(params)
            total = total + shareGradient(order, start, len)
            ps:push(gradParams)
         end
      else
         local _, fs = optim[opt.optim](function()
            local loss = shareGradient(order, start, len)
            if not gossip then sgd.sumAndNormalizeGradients(gradParams) end
            return loss, gradParams
         end, params, config)
         total = total + fs[1]
         if gossip then gossip:step(params) end
      end
      if reporter then xlua.progress(start + len - 1, nTrain) end
   end
   if opt.design == 'allreduce' then
      total = tree.allReduce(total)
      if me == 1 then
         print(string.format('epoch %2d  loss %.4f  test accuracy %.2f%%  (%d processes, %.1fs)',
            epoch, total / nTrain, accuracy(testX, testY) * 100, N, timer:time().real))
      end
   elseif mine == 1 then
      -- no collective here: the first trainer reports its own share and its own weights
      print(string.format('epoch %2d  loss %.4f  test accuracy %.2f%%  (%s, trainer 1 of %d, '
         .. '%.1fs)', epoch, total / nTrain * trainers, accuracy(testX, testY) * 100,
         opt.design, trainers, timer:time().real))
   end
end

if ps then
   -- every node ends with the servers' final parameters
   if mine then ps:finish() else ps:serve() end
elseif gossip then
   gossip:finish()
   -- the consensus point: the mean of every node's weights
   tree.allReduce(params):div(N)
else
   sgd.synchronizeParameters(params)
end
local all = params.new(N * params:nElement())
tree.allGather(params, all)
for i = 2, N do
   local d = (all:narrow(1, (i - 1) * params:nElement() + 1, params:nElement())
      - all:narrow(1, 1, params:nElement())):abs():max()
   assert(d == 0, 'node ' .. i .. ' ended with different weights than node 1 (' .. d .. ')')
end
local acc = accuracy(testX, testY)
if opt.epochs >= 30 then
   assert(acc >= opt.minAccuracy, string.format('test accuracy %.2f%% below %.2f%%', acc * 100,
      opt.minAccuracy * 100))
elseif me == 1 then
   print('shortened run: the accuracy check needs the default -epochs 30')
end
if me == 1 then
   if opt.save ~= '' then
      -- write then rename: a rank dying mid-write leaves the old file, never half a new one
      torch.save(opt.save .. '.tmp', model:clearState())
      assert(os.rename(opt.save .. '.tmp', opt.save))
   end
   print(string.format('final test accuracy %.2f%% (%d processes, %s)', acc * 100, N, opt.design))
end
