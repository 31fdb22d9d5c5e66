-- nn.Cosine(inputSize, outputSize): y_j = (w_j . x) / (|w_j| |x|) for outputSize learnt vectors
-- w_j (the rows of the weight).

local Cosine, parent = torch.class('nn.Cosine', 'nn.Module')

function Cosine:__init(inputSize, outputSize)
   parent.__init(self)
   self.weight = torch.Tensor(outputSize, inputSize)
   self.gradWeight = torch.Tensor(outputSize, inputSize)
   self:reset()
end

function Cosine:reset(stdv)
   if stdv then
      stdv = stdv * math.sqrt(3)
   else
      stdv = 1 / math.sqrt(self.weight:size(1))
   end
   self.weight:uniform(-stdv, stdv)
end

function Cosine:updateOutput(input)
   local nout = self.weight:size(1)
   self._weightNorm = self._weightNorm or self.weight.new()
   self._weightNorm:norm(self.weight, 2, 2):add(1e-12)
   if input:dim() == 1 then
      self.output:resize(nout):mv(self.weight, input)
      self.__norm = input:norm() + 1e-12
      self.output:cdiv(self._weightNorm:view(nout)):div(self.__norm)
   elseif input:dim() == 2 then
      local b = input:size(1)
      self.output:resize(b, nout):mm(input, self.weight:t())
      self._inputNorm = self._inputNorm or self.weight.new()
      self._inputNorm:norm(input, 2, 2):add(1e-12)
      self.output:cdiv(self._weightNorm:view(1, nout):expand(b, nout))
      self.output:cdiv(self._inputNorm:expand(b, nout))
   else
      torch._error('input must be vector or matrix')
   end
   return self.output
end

-- self._g = gradOutput ./ |w|, and self._gy = gradOutput .* y.
local function grads(self, gradOutput)
   local nout = self.weight:size(1)
   self._g = self._g or gradOutput.new()
   self._gy = self._gy or gradOutput.new()
   if gradOutput:dim() == 1 then
      self._g:cdiv(gradOutput, self._weightNorm:view(nout))
   else
      self._g:cdiv(gradOutput, self._weightNorm:view(1, nout):expandAs(gradOutput))
   end
   self._gy:cmul(gradOutput, self.output)
   return self._g, self._gy
end

function Cosine:updateGradInput(input, gradOutput)
   if not self.gradInput then return end
   local g, gy = grads(self, gradOutput)
   -- dy_j/dx = w_j / (|w_j| |x|) - y_j x / |x|^2
   if input:dim() == 1 then
      local xn = self.__norm
      self.gradInput:resize(input:size(1)):mv(self.weight:t(), g):div(xn)
      self.gradInput:add(-gy:sum() / (xn * xn), input)
   else
      local b, nin = input:size(1), input:size(2)
      local xn = self._inputNorm:expand(b, nin)
      self.gradInput:resize(b, nin):mm(g, self.weight):cdiv(xn)
      self._s = self._s or input.new()
      self._s:sum(gy, 2):cdiv(self._inputNorm):cdiv(self._inputNorm)
      self.gradInput:addcmul(-1, input, self._s:expand(b, nin))
   end
   return self.gradInput
end

function Cosine:accGradParameters(input, gradOutput, scale)
   scale = scale or 1
   local g, gy = grads(self, gradOutput)
   local nout, nin = self.weight:size(1), self.weight:size(2)
   -- dy_j/dw_j = x / (|w_j| |x|) - y_j w_j / |w_j|^2; the second term is read from the weight
   -- first (in accUpdateGradParameters the gradient is the weight itself)
   self._t = self._t or input.new()
   if input:dim() == 1 then
      self._t:resize(nout, 1):copy(gy)
   else
      self._t:sum(gy, 1)
      self._t:resize(nout, 1)
   end
   self._t:cdiv(self._weightNorm):cdiv(self._weightNorm)
   self._w = self._w or self.weight.new()
   self._w:cmul(self.weight, self._t:expand(nout, nin))
   if input:dim() == 1 then
      self.gradWeight:addr(scale / self.__norm, g, input)
   else
      local b = input:size(1)
      self._xs = self._xs or input.new()
      self._xs:cdiv(input, self._inputNorm:expand(b, nin))
      self.gradWeight:addmm(scale, g:t(), self._xs)
   end
   self.gradWeight:add(-scale, self._w)
end

function Cosine:type(type, tensorCache)
   if type then self:clearState() end
   return parent.type(self, type, tensorCache)
end

function Cosine:clearState()
   nn.utils.clear(self, {'_weightNorm', '_inputNorm', '_g', '_gy', '_s', '_t', '_xs', '_w'})
   return parent.clearState(self)
end
