-- A LeNet-style convnet learns real handwritten digits (the UCI 8x8 digits, stored in
-- models/data/digits.t7) and must reach at least 95% accuracy on held-out digits.
-- `-epochs N` shortens the run; the 95% check needs the default 30 epochs.
require 'nn'
require 'optim'
require 'xlua'

local cmd = torch.CmdLine()
cmd:text('LeNet on the UCI handwritten digits')
cmd:option('-epochs', 30, 'training epochs')
cmd:option('-batch', 32, 'mini-batch size')
cmd:option('-lr', 0.1, 'learning rate')
cmd:option('-lrDecay', 1e-3, 'learning rate decay per step')
cmd:option('-seed', 1, 'random seed')
cmd:option('-threads', 1, 'BLAS threads')
local opt = cmd:parse(arg or {})

torch.manualSeed(opt.seed)
torch.setnumthreads(opt.threads)
torch.setdefaulttensortype('torch.FloatTensor')

local digits = require 'lenet.digits'
local here = arg and arg[0] and arg[0]:match('^(.*)[/\\]') or '.'
-- a fixed shuffle, then 1500 digits to train on and the rest held out
local trainX, trainY, testX, testY = digits.split(here)
local nTrain = trainX:size(1)
local model = digits.model()
local criterion = nn.ClassNLLCriterion()
print(model)

local params, gradParams = model:getParameters()
local config = {learningRate = opt.lr, momentum = 0.9, learningRateDecay = opt.lrDecay}

local function evaluate(X, Y)
   model:evaluate()
   local confusion = optim.ConfusionMatrix(10)
   confusion:batchAdd(model:forward(X), Y)
   confusion:updateValids()
   model:training()
   return confusion.totalValid, confusion
end

local timer = torch.Timer()
for epoch = 1, opt.epochs do
   local order = torch.randperm(nTrain):long()
   local total = 0
   for start = 1, nTrain, opt.batch do
      local idx = order:narrow(1, start, math.min(opt.batch, nTrain - start + 1))
      local x, y = trainX:index(1, idx), trainY:index(1, idx)
      local _, fs = optim.sgd(function()
         gradParams:zero()
         local out = model:forward(x)
         local loss = criterion:forward(out, y)
         model:backward(x, criterion:backward(out, y))
         return loss, gradParams
      end, params, config)
      total = total + fs[1] * idx:size(1)
      xlua.progress(start + idx:size(1) - 1, nTrain)
   end
   local acc = evaluate(testX, testY)
   print(string.format('epoch %2d  loss %.4f  test accuracy %.2f%%', epoch, total / nTrain,
      acc * 100))
end

local acc, confusion = evaluate(testX, testY)
print(confusion)
print(string.format('trained in %.1f s; test accuracy %.2f%%', timer:time().real, acc * 100))
if opt.epochs >= 30 then
   assert(acc >= 0.95, string.format('test accuracy %.2f%% is below 95%%', acc * 100))
else
   print('shortened run: the 95% accuracy check needs the default -epochs 30')
end
