-- Gradient checks for nn layers, run inside a test runtime (tests/nn/test_layers.py and
-- test_containers.py load this file once per runtime).
--   jaccheck(m, x, T, opts): nn.Jacobian on a tensor-in, tensor-out module: the input, then every
--     parameter (testJacobianParameters and testJacobianUpdateParameters).
--   projcheck(m, x, T, opts): for any nesting of tables: <forward(x), g> against backward(x, g)
--     by central differences, for every input tensor and every parameter.
-- Both return the largest error found and a text naming where it was.

require 'nn'

local STEP = {['torch.DoubleTensor'] = 1e-6, ['torch.FloatTensor'] = 1e-3}

local function flat(x, list)
   list = list or {}
   if torch.isTensor(x) then
      list[#list + 1] = x
   elseif type(x) == 'table' then
      for _, v in ipairs(x) do flat(v, list) end
   end
   return list
end
checks_flat = flat

-- A copy of `x` (tensors or nested tables) converted to tensor type T.
function checks_cast(x, T)
   if torch.isTensor(x) then
      if torch.type(x) == 'torch.LongTensor' or torch.type(x) == 'torch.ByteTensor' then
         return x
      end
      return x:type(T)
   elseif type(x) == 'table' then
      local out = {}
      for k, v in pairs(x) do out[k] = checks_cast(v, T) end
      return out
   end
   return x
end

local function scaleOf(t)
   if t:nElement() == 0 then return 1 end
   return math.max(1, t:clone():abs():max())
end

function jaccheck(m, x, T, opts)
   opts = opts or {}
   local step = opts.step or STEP[T]
   local lo, hi = opts.min or -2, opts.max or 2
   m = m:type(T)
   x = x:type(T)
   local worst, where = 0, 'none'
   local function note(err, what)
      if err > worst then worst, where = err, what end
   end
   note(nn.Jacobian.testJacobian(m, x, lo, hi, step), 'input')
   if not opts.noparams then
      local params, grads = m:parameters()
      for i = 1, params and #params or 0 do
         note(nn.Jacobian.testJacobianParameters(m, x, params[i], grads[i], lo, hi, step),
            'parameter ' .. i)
         if not opts.noupdate then
            note(nn.Jacobian.testJacobianUpdateParameters(m, x, params[i], lo, hi, step),
               'update of parameter ' .. i)
         end
      end
   end
   return worst, where
end

-- <forward(x), g> as a number.
local function objective(m, x, gs)
   local out = m:forward(x)
   if type(out) == 'number' then return out end
   local s = 0
   for i, t in ipairs(flat(out)) do s = s + t:double():dot(gs[i]) end
   return s
end

-- Largest |analytic - numeric| over the elements of `t` (perturbed in place), relative to the
-- numeric gradient's scale.
local function compare(m, x, gs, t, analytic, step)
   local worst = 0
   local v = t:view(-1)
   local a = analytic:contiguous():view(-1):double()
   local numeric = torch.DoubleTensor(v:nElement())
   for i = 1, v:nElement() do
      local orig = v[i]
      v[i] = orig + step
      local fp = objective(m, x, gs)
      v[i] = orig - step
      local fm = objective(m, x, gs)
      v[i] = orig
      numeric[i] = (fp - fm) / (2 * step)
   end
   local err = (numeric - a):abs():max()
   return err / scaleOf(numeric)
end

function projcheck(m, x, T, opts)
   opts = opts or {}
   local step = opts.step or STEP[T]
   m = m:type(T)
   x = checks_cast(x, T)
   local out = m:forward(x)
   local gs, go
   if type(out) == 'number' then
      gs, go = {}, nil
   else
      torch.manualSeed(opts.seed or 1)
      go = checks_cast(nn.utils.recursiveCopy(nil, out), T)
      local list = flat(go)
      gs = {}
      for i, t in ipairs(list) do
         t:copy(torch.randn(t:nElement()))
         gs[i] = t:double():view(-1)
      end
   end
   m:zeroGradParameters()
   local gi = m:backward(x, go)
   -- copy what backward gave before more forwards run
   local gis = {}
   for i, t in ipairs(flat(gi)) do gis[i] = t:clone() end
   local params, grads = m:parameters()
   local gps = {}
   for i = 1, params and #params or 0 do gps[i] = grads[i]:clone() end
   local worst, where = 0, 'none'
   local inputs = flat(x)
   local skip = opts.skip or {}
   for i, t in ipairs(inputs) do
      if not skip[i] and torch.type(t) == T then
         local err = compare(m, x, gs, t, gis[i], step)
         if err > worst then worst, where = err, 'input ' .. i end
      end
   end
   if not opts.noparams then
      for i = 1, params and #params or 0 do
         local err = compare(m, x, gs, params[i], gps[i], step)
         if err > worst then worst, where = err, 'parameter ' .. i end
      end
   end
   return worst, where
end
