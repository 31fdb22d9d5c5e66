-- nn.Euclidean(inputSize, outputSize): y_j = || w_j - x || for outputSize learnt centres w_j
-- (the columns of the inputSize x outputSize weight).

local Euclidean, parent = torch.class('nn.Euclidean', 'nn.Module')

function Euclidean:__init(inputSize, outputSize)
   parent.__init(self)
   self.weight = torch.Tensor(inputSize, outputSize)
   self.gradWeight = torch.Tensor(inputSize, outputSize)
   self.gradInput:resize(inputSize)
   self.output:resize(outputSize)
   self.fastBackward = true
   self:reset()
end

function Euclidean:reset(stdv)
   if stdv then
      stdv = stdv * math.sqrt(3)
   else
      stdv = 1 / math.sqrt(self.weight:size(1))
   end
   if nn.oldSeed then
      for i = 1, self.weight:size(2) do
         self.weight:select(2, i):apply(function() return torch.uniform(-stdv, stdv) end)
      end
   else
      self.weight:uniform(-stdv, stdv)
   end
end

-- self._diff = x - w_j for every centre: in x out (one sample) or b x in x out (a batch).
local function differences(self, input)
   local nin, nout = self.weight:size(1), self.weight:size(2)
   self._diff = self._diff or input.new()
   local x = input:contiguous()
   if input:dim() == 1 then
      self._diff:resize(nin, nout):copy(x:view(nin, 1):expand(nin, nout))
      self._diff:add(-1, self.weight)
   elseif input:dim() == 2 then
      local b = input:size(1)
      self._diff:resize(b, nin, nout):copy(x:view(b, nin, 1):expand(b, nin, nout))
      self._diff:add(-1, self.weight:view(1, nin, nout):expand(b, nin, nout))
   else
      torch._error('1D or 2D input expected')
   end
   return self._diff
end
Euclidean._differences = differences

function Euclidean:updateOutput(input)
   local diff = differences(self, input)
   local nout = self.weight:size(2)
   if input:dim() == 1 then
      self.output:norm(diff, 2, 1)
      self.output:resize(nout)
   else
      self.output:norm(diff, 2, 2)
      self.output:resize(input:size(1), nout)
   end
   return self.output
end

-- self._g = gradOutput / y (y nudged away from 0).
local function scaledGrad(self, gradOutput)
   self._g = self._g or gradOutput.new()
   self._g:resizeAs(self.output):copy(self.output):add(1e-7)
   self._g:cdiv(gradOutput, self._g)
   return self._g
end
Euclidean._scaledGrad = scaledGrad

function Euclidean:updateGradInput(input, gradOutput)
   if not self.gradInput then return end
   if not self.fastBackward then self:updateOutput(input) end
   local g = scaledGrad(self, gradOutput)
   local diff = self._diff
   -- dy_j/dx = (x - w_j) / y_j
   if input:dim() == 1 then
      self.gradInput:resize(self.weight:size(1)):mv(diff, g)
   else
      local b, nin, nout = input:size(1), self.weight:size(1), self.weight:size(2)
      self.gradInput:resize(b, nin, 1):bmm(diff, g:view(b, nout, 1))
      self.gradInput:resize(b, nin)
   end
   return self.gradInput
end

function Euclidean:accGradParameters(input, gradOutput, scale)
   scale = scale or 1
   local g = scaledGrad(self, gradOutput)
   local diff = self._diff
   local nin, nout = self.weight:size(1), self.weight:size(2)
   self._prod = self._prod or input.new()
   -- dy_j/dw_j = (w_j - x) / y_j
   if input:dim() == 1 then
      self._prod:cmul(diff, g:view(1, nout):expand(nin, nout))
      self.gradWeight:add(-scale, self._prod)
   else
      local b = input:size(1)
      self._prod:cmul(diff, g:view(b, 1, nout):expand(b, nin, nout))
      self.gradWeight:add(-scale, self._prod:sum(1):view(nin, nout))
   end
end

function Euclidean:type(type, tensorCache)
   if type then self:clearState() end
   return parent.type(self, type, tensorCache)
end

function Euclidean:clearState()
   nn.utils.clear(self, {'_diff', '_g', '_prod'})
   return parent.clearState(self)
end
