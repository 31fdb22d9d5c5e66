-- Two interleaved spirals, learned by a small MLP with optim.sgd on getParameters():
-- the classic Torch7 training loop, unchanged.
-- `-steps N` shortens the run; the check that every point is classified needs the default.
require 'nn'
require 'optim'
require 'xlua'

local cmd = torch.CmdLine()
cmd:text('Train an MLP on two spirals')
cmd:option('-points', 100, 'points per spiral')
cmd:option('-steps', 3000, 'maximum SGD steps')
cmd:option('-lr', 0.2, 'learning rate')
cmd:option('-seed', 7, 'random seed')
local opt = cmd:parse(arg or {})

torch.manualSeed(opt.seed)

local n = opt.points
local X, Y = torch.Tensor(2 * n, 2), torch.Tensor(2 * n)
for c = 1, 2 do
   for i = 1, n do
      local t = (i - 1) / (n - 1)
      local rad = 2 * (0.15 + 0.85 * t)
      local ang = t * 3 * math.pi + (c - 1) * math.pi
      local k = (c - 1) * n + i
      X[k][1], X[k][2], Y[k] = rad * math.cos(ang), rad * math.sin(ang), c
   end
end

local model = nn.Sequential()
model:add(nn.Linear(2, 64)):add(nn.Tanh())
model:add(nn.Linear(64, 2)):add(nn.LogSoftMax())
local criterion = nn.ClassNLLCriterion()
print(model)

local params, gradParams = model:getParameters()
local config = {learningRate = opt.lr, momentum = 0.9, dampening = 0, nesterov = true}
local function feval()
   gradParams:zero()
   local out = model:forward(X)
   local loss = criterion:forward(out, Y)
   model:backward(X, criterion:backward(out, Y))
   return loss, gradParams
end

local function accuracy()
   local confusion = optim.ConfusionMatrix({'inner', 'outer'})
   confusion:batchAdd(model:forward(X), Y)
   confusion:updateValids()
   return confusion.totalValid, confusion
end

local timer = torch.Timer()
local acc, confusion = 0, nil
local log = {}
for step = 1, opt.steps do
   local _, fs = optim.sgd(feval, params, config)
   if step % 250 == 0 then
      acc, confusion = accuracy()
      log[#log + 1] = string.format('step %4d  loss %.4f  accuracy %.1f%%', step, fs[1], acc * 100)
   end
   -- the bar ends at 100% when the spirals are separated early
   if step % 50 == 0 or acc == 1 then xlua.progress(acc == 1 and opt.steps or step, opt.steps) end
   if acc == 1 then break end
end
-- printed after the loop: a line printed under a running progress bar would join it
for _, line in ipairs(log) do print(line) end
if not confusion then acc, confusion = accuracy() end
print(confusion)
print(string.format('trained in %.2f s', timer:time().real))
if opt.steps >= 3000 then
   assert(acc == 1, 'the MLP did not separate the spirals')
else
   print('shortened run: the separation check needs the default -steps 3000')
end
