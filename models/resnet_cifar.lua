-- A ResNet-20 (fb.resnet.torch's CIFAR recipe, shortcut type A) takes a few SGD steps on
-- random 32x32 images and must lower its loss on them; also builds the ImageNet ResNet-18.
-- `-steps N` changes the number of steps; the loss must go down whenever N >= 2.
require 'nn'
require 'optim'
require 'xlua'

local cmd = torch.CmdLine()
cmd:text('A few SGD steps of ResNet-20 on random CIFAR-sized images')
cmd:option('-steps', 10, 'SGD steps')
cmd:option('-batch', 8, 'images per step')
local opt = cmd:parse(arg or {})
local createModel = require 'resnet.resnet'

torch.manualSeed(1)
torch.setdefaulttensortype('torch.FloatTensor')

local model = createModel({depth = 20, dataset = 'cifar10', shortcutType = 'A'})
local criterion = nn.CrossEntropyCriterion()
local params, grads = model:getParameters()
print(string.format('ResNet-20 (CIFAR): %d parameters', params:nElement()))

local x = torch.randn(opt.batch, 3, 32, 32)
local y = torch.LongTensor(opt.batch):random(10)
local config = {learningRate = 0.05, momentum = 0.9}
local first, last
local losses = {}
for step = 1, opt.steps do
   local _, fs = optim.sgd(function()
      grads:zero()
      local out = model:forward(x)
      local loss = criterion:forward(out, y)
      model:backward(x, criterion:backward(out, y))
      return loss, grads
   end, params, config)
   first = first or fs[1]
   last = fs[1]
   losses[step] = fs[1]
   xlua.progress(step, opt.steps)
end
-- printed after the loop: a line printed under a running progress bar would join it
for step, loss in ipairs(losses) do print(string.format('step %2d  loss %.4f', step, loss)) end
if opt.steps >= 10 then
   assert(last < first, 'the loss did not go down')
end

local r18 = createModel({depth = 18, dataset = 'imagenet', shortcutType = 'B'})
local p18 = r18:getParameters()
print(string.format('ResNet-18 (ImageNet): %d parameters', p18:nElement()))
-- torchvision's 11,689,512 plus the 4,800 convolution biases fb.resnet.torch's layers carry
assert(p18:nElement() == 11694312, 'ResNet-18 should have 11,694,312 parameters')
print('ok')
