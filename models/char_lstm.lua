-- A character-level LSTM in the style of karpathy/char-rnn, built as an nngraph gModule and
-- unrolled over time by cloning it with shared parameters. It learns models/data/lighthouse.txt
-- (written for this project), shows its progress with xlua.progress, draws its loss curve with
-- gnuplot and ends by sampling a line of text.
require 'nn'
require 'nngraph'
require 'optim'

local cmd = torch.CmdLine()
cmd:text('Train a character-level LSTM built with nngraph')
cmd:option('-data', 'models/data/lighthouse.txt', 'text to learn')
cmd:option('-rnn', 64, 'LSTM state size')
cmd:option('-seq', 16, 'characters per unrolled sequence')
cmd:option('-batch', 16, 'sequences per batch')
cmd:option('-iters', 300, 'training iterations')
cmd:option('-lr', 5e-3, 'Adam learning rate')
cmd:option('-plot', '', 'loss plot file (default: char_lstm_loss.png in the temp dir)')
cmd:option('-seed', 123, 'random seed')
local opt = cmd:parse(arg or {})
torch.manualSeed(opt.seed)

-- xlua and gnuplot come with the distribution; the model trains without them
local hasXlua, xlua = pcall(require, 'xlua')
local hasGnuplot, gnuplot = pcall(require, 'gnuplot')

-- the text as character indices
local f = assert(io.open(opt.data, 'r'))
local text = f:read('*a')
f:close()
local vocab, ivocab = {}, {}
for c in text:gmatch('.') do
   if not vocab[c] then
      table.insert(ivocab, c)
      vocab[c] = #ivocab
   end
end
local V = #ivocab
local data = torch.Tensor(#text)
for i = 1, #text do data[i] = vocab[text:sub(i, i)] end
print(string.format('%d characters, %d distinct', #text, V))

-- one LSTM step: {x, prev_c, prev_h} -> {c, h, log-probabilities}
local function lstm(vocabSize, size)
   local x, prevC, prevH = nn.Identity()(), nn.Identity()(), nn.Identity()()
   local embed = nn.LookupTable(vocabSize, size)(x)
   local i2h = nn.Linear(size, 4 * size)(embed):annotate{name = 'i2h'}
   local h2h = nn.Linear(size, 4 * size)(prevH):annotate{name = 'h2h'}
   local sums = nn.Reshape(4, size)(nn.CAddTable()({i2h, h2h}))
   local n1, n2, n3, n4 = nn.SplitTable(2)(sums):split(4)
   local inGate, forgetGate, outGate = nn.Sigmoid()(n1), nn.Sigmoid()(n2), nn.Sigmoid()(n3)
   local write = nn.Tanh()(n4)
   local c = nn.CAddTable()({nn.CMulTable()({forgetGate, prevC}),
                             nn.CMulTable()({inGate, write})})
   local h = nn.CMulTable()({outGate, nn.Tanh()(c)})
   local logp = h - nn.Linear(size, vocabSize) - nn.LogSoftMax()
   return nn.gModule({x, prevC, prevH}, {c, h, logp})
end

local proto = lstm(V, opt.rnn)
local criterion = nn.ClassNLLCriterion()
local params, grads = proto:getParameters()
params:uniform(-0.08, 0.08)
-- forget gates start open, as char-rnn does
for _, node in ipairs(proto.forwardnodes) do
   if node.data.annotations.name == 'i2h' then
      node.data.module.bias[{{opt.rnn + 1, 2 * opt.rnn}}]:fill(1)
   end
end
local clones = {}
for t = 1, opt.seq do clones[t] = proto:clone('weight', 'bias', 'gradWeight', 'gradBias') end
print(string.format('LSTM with %d parameters, unrolled %d steps', params:nElement(), opt.seq))

local function batch()
   local x, y = torch.Tensor(opt.batch, opt.seq), torch.Tensor(opt.batch, opt.seq)
   for b = 1, opt.batch do
      local s = torch.random(1, #text - opt.seq - 1)
      x[b]:copy(data:narrow(1, s, opt.seq))
      y[b]:copy(data:narrow(1, s + 1, opt.seq))
   end
   return x, y
end

local zero = torch.zeros(opt.batch, opt.rnn)
local function feval()
   grads:zero()
   local x, y = batch()
   local c, h, outs = {[0] = zero}, {[0] = zero}, {}
   local loss = 0
   for t = 1, opt.seq do
      local o = clones[t]:forward({x:select(2, t), c[t - 1], h[t - 1]})
      c[t], h[t], outs[t] = o[1], o[2], o[3]
      loss = loss + criterion:forward(outs[t], y:select(2, t))
   end
   local dc, dh = zero:clone(), zero:clone()
   for t = opt.seq, 1, -1 do
      local dout = criterion:backward(outs[t], y:select(2, t))
      local d = clones[t]:backward({x:select(2, t), c[t - 1], h[t - 1]}, {dc, dh, dout})
      dc:copy(d[2])
      dh:copy(d[3])
   end
   grads:div(opt.seq):clamp(-5, 5)
   return loss / opt.seq, grads
end

local losses = torch.Tensor(opt.iters)
local config = {learningRate = opt.lr}
local timer = torch.Timer()
for it = 1, opt.iters do
   local _, fs = optim.adam(feval, params, config)
   losses[it] = fs[1]
   if hasXlua then xlua.progress(it, opt.iters) end
   if it % 50 == 0 or it == opt.iters then
      print(string.format('iteration %4d  loss %.3f', it, fs[1]))
   end
end
print(string.format('trained in %.1f s', timer:time().real))

-- mean loss over the first and last tenth of the run
local span = math.max(1, math.floor(opt.iters / 10))
local first = losses:narrow(1, 1, span):mean()
local last = losses:narrow(1, opt.iters - span + 1, span):mean()
print(string.format('loss %.3f -> %.3f', first, last))

if hasGnuplot then
   local file = opt.plot ~= '' and opt.plot
      or (os.getenv('TMPDIR') or '/tmp') .. '/char_lstm_loss.png'
   gnuplot.pngfigure(file)
   gnuplot.plot({'training loss', torch.range(1, opt.iters), losses, '-'})
   gnuplot.title('char LSTM (nngraph)')
   gnuplot.xlabel('iteration')
   gnuplot.ylabel('loss (nats per character)')
   gnuplot.plotflush()
else
   print('gnuplot not available: no loss plot')
end

-- sample a line, greedily after a seed word
proto:evaluate()
local cPrev, hPrev = torch.zeros(1, opt.rnn), torch.zeros(1, opt.rnn)
local out = {}
local seed = 'The keeper'
local logp
for i = 1, #seed do
   local o = proto:forward({torch.Tensor{vocab[seed:sub(i, i)]}, cPrev, hPrev})
   cPrev, hPrev, logp = o[1]:clone(), o[2]:clone(), o[3]
end
for _ = 1, 60 do
   local _, idx = logp:max(2)
   local ch = ivocab[idx[1][1]]
   table.insert(out, ch)
   local o = proto:forward({torch.Tensor{idx[1][1]}, cPrev, hPrev})
   cPrev, hPrev, logp = o[1]:clone(), o[2]:clone(), o[3]
end
print('sample: ' .. seed .. table.concat(out):gsub('\n', ' '))

assert(last == last, 'the loss is NaN')
if opt.iters >= 30 then
   assert(last < first, 'the loss did not fall')
end
if opt.iters >= 300 then
   assert(last < 0.6 * first, string.format('the LSTM learned too little: %.3f -> %.3f',
                                            first, last))
else
   print('shortened run: the learning check needs the default -iters 300')
end
