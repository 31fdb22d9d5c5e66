-- A VGG built the cifar.torch way (3x3 convolutions with batch normalization, ReLU in place,
-- dropout, ceil-mode max-pooling, a batch-normalized classifier), widths divided by 8, trains
-- with optim.sgd (momentum, weight decay) to tell where a bright blob sits in noisy 16x16
-- images, and must reach at least 90% accuracy on held-out images in evaluation mode
-- (checked with the default -steps; `-steps N` shorter only runs).
require 'nn'
require 'optim'
require 'xlua'

local cmd = torch.CmdLine()
cmd:text('A small cifar.torch-style VGG on synthetic blob images')
cmd:option('-steps', 40, 'training steps')
cmd:option('-batch', 32, 'mini-batch size')
cmd:option('-seed', 3, 'random seed')
local opt = cmd:parse(arg or {})

torch.manualSeed(opt.seed)
torch.setdefaulttensortype('torch.FloatTensor')

local vgg = nn.Sequential()
local function convBNReLU(nIn, nOut)
   vgg:add(nn.SpatialConvolution(nIn, nOut, 3, 3, 1, 1, 1, 1))
   vgg:add(nn.SpatialBatchNormalization(nOut, 1e-3))
   vgg:add(nn.ReLU(true))
   return vgg
end
local function pool()
   vgg:add(nn.SpatialMaxPooling(2, 2, 2, 2):ceil())
end
convBNReLU(3, 8):add(nn.Dropout(0.3))
convBNReLU(8, 8)
pool()
convBNReLU(8, 16):add(nn.Dropout(0.4))
convBNReLU(16, 16)
pool()
convBNReLU(16, 32):add(nn.Dropout(0.4))
convBNReLU(32, 32)
pool()
convBNReLU(32, 64)
pool()
vgg:add(nn.View(64))
local classifier = nn.Sequential()
classifier:add(nn.Dropout(0.5))
classifier:add(nn.Linear(64, 64))
classifier:add(nn.BatchNormalization(64))
classifier:add(nn.ReLU(true))
classifier:add(nn.Dropout(0.5))
classifier:add(nn.Linear(64, 2))
vgg:add(classifier)
local model = nn.Sequential():add(vgg):add(nn.LogSoftMax())
local criterion = nn.ClassNLLCriterion()

-- class 1: the blob in the top-left quarter; class 2: in the bottom-right one
local function batch(n)
   local x = torch.randn(n, 3, 16, 16):mul(0.5)
   local y = torch.LongTensor(n):random(1, 2)
   for i = 1, n do
      local o = y[i] == 1 and 1 or 9
      x[i]:narrow(2, o, 8):narrow(3, o, 8):add(1)
   end
   return x, y
end

local params, grads = model:getParameters()
local state = {learningRate = 0.05, momentum = 0.9, weightDecay = 5e-4}
local first, last
for step = 1, opt.steps do
   local x, y = batch(opt.batch)
   local function feval()
      grads:zero()
      local out = model:forward(x)
      local loss = criterion:forward(out, y)
      model:backward(x, criterion:backward(out, y))
      return loss, grads
   end
   local _, fs = optim.sgd(feval, params, state)
   first = first or fs[1]
   last = fs[1]
   xlua.progress(step, opt.steps)
end

model:evaluate()
local x, y = batch(256)
local _, pred = model:forward(x):max(2)
local accuracy = pred:view(-1):eq(y):sum() / y:size(1)
print(string.format('training loss %.3f -> %.3f, held-out accuracy %.1f%%', first, last,
   100 * accuracy))
if opt.steps >= 40 then
   assert(last < first / 2, 'the training loss did not halve')
   assert(accuracy >= 0.9, string.format('held-out accuracy %.3f is below 0.9', accuracy))
else
   print('shortened run: the loss and accuracy checks need the default -steps 40')
end
