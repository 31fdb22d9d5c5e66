-- nn.CMul(sizes): y = w .* x with a learnt tensor w of the given sizes; dimensions of size 1
-- spread over the input, and an input with an extra leading dimension is a batch.

local CMul, parent = torch.class('nn.CMul', 'nn.Module')

function CMul:__init(...)
   parent.__init(self)
   local arg = {...}
   self.size = torch.LongStorage()
   local n = #arg
   if n == 1 and torch.type(arg[1]) == 'torch.LongStorage' then
      self.size:resize(#arg[1]):copy(arg[1])
   else
      self.size:resize(n)
      for i = 1, n do self.size[i] = arg[i] end
   end
   self.weight = torch.Tensor(self.size)
   self.gradWeight = torch.Tensor(self.size)
   self.output:resize(self.size)
   self:reset()
end

function CMul:reset(stdv)
   if stdv then
      stdv = stdv * math.sqrt(3)
   else
      stdv = 1 / math.sqrt(self.weight:nElement())
   end
   self.weight:uniform(-stdv, stdv)
end

-- The weight seen with the input's shape (expanded, not copied), the input's shape seen so
-- that the weight spreads over it, and the weight as it lines up with that view: all views.
local function shapes(self, w, x)
   if x:nElement() == w:nElement() then
      return w:view(x:size()), x, w
   elseif w:dim() == x:dim() then
      return w:expandAs(x), x, w
   end
   local batchSize = x:size(1)
   local xv = x:contiguous():view(batchSize, -1)
   local wv = w:view(1, -1)
   return wv:expandAs(xv), xv, wv
end

-- Sum `src` over the dimensions where `like` (the weight lined up with src, as shapes gives
-- it) has size 1, then add scale * that to `into`.
local function accumulateInto(self, into, src, scale, like)
   if src:nElement() == into:nElement() then
      into:add(scale, src:contiguous():view(into:size()))
      return
   end
   local cur = src
   for d = 1, cur:dim() do
      if like:size(d) == 1 and cur:size(d) ~= 1 then cur = cur:sum(d) end
   end
   into:add(scale, cur:contiguous():view(into:size()))
end
CMul._accumulateInto = accumulateInto
CMul._shapes = shapes

function CMul:updateOutput(input)
   local w, x = shapes(self, self.weight, input)
   self.output:resizeAs(input)
   local out = self.output:view(x:size())
   out:cmul(x, w)
   return self.output
end

function CMul:updateGradInput(input, gradOutput)
   if not self.gradInput then return end
   local w, x = shapes(self, self.weight, input)
   self.gradInput:resizeAs(input)
   local gi = self.gradInput:view(x:size())
   gi:cmul(gradOutput:contiguous():view(x:size()), w)
   return self.gradInput
end

function CMul:accGradParameters(input, gradOutput, scale)
   scale = scale or 1
   local _, x, like = shapes(self, self.weight, input)
   self._prod = self._prod or input.new()
   self._prod:cmul(x, gradOutput:contiguous():view(x:size()))
   accumulateInto(self, self.gradWeight, self._prod, scale, like)
end

function CMul:type(type, tensorCache)
   if type then self:clearState() end
   return parent.type(self, type, tensorCache)
end

function CMul:clearState()
   nn.utils.clear(self, '_prod')
   return parent.clearState(self)
end
