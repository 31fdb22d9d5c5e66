-- nn.WeightedEuclidean(inputSize, outputSize): y_j = || c_j .* (w_j - x) || with learnt centres w_j
-- and learnt diagonal scalings c_j (columns of two inputSize x outputSize tensors).

local WeightedEuclidean, parent = torch.class('nn.WeightedEuclidean', 'nn.Module')

function WeightedEuclidean:__init(inputSize, outputSize)
   parent.__init(self)
   self.weight = torch.Tensor(inputSize, outputSize)
   self.gradWeight = torch.Tensor(inputSize, outputSize)
   self.diagCov = torch.Tensor(inputSize, outputSize)
   self.gradDiagCov = torch.Tensor(inputSize, outputSize)
   self.fastBackward = true
   self:reset()
end

function WeightedEuclidean:reset(stdv)
   if stdv then
      stdv = stdv * math.sqrt(3)
   else
      stdv = 1 / math.sqrt(self.weight:size(1))
   end
   self.weight:uniform(-stdv, stdv)
   self.diagCov:fill(1)
end

-- c seen with the shape of the differences.
local function cov(self, input)
   if input:dim() == 1 then return self.diagCov end
   local b, nin, nout = input:size(1), self.weight:size(1), self.weight:size(2)
   return self.diagCov:view(1, nin, nout):expand(b, nin, nout)
end

function WeightedEuclidean:updateOutput(input)
   local diff = nn.Euclidean._differences(self, input)
   self._z = self._z or input.new()
   self._z:cmul(diff, cov(self, input))
   local nout = self.weight:size(2)
   if input:dim() == 1 then
      self.output:norm(self._z, 2, 1)
      self.output:resize(nout)
   else
      self.output:norm(self._z, 2, 2)
      self.output:resize(input:size(1), nout)
   end
   return self.output
end

-- self._cg = c .* c .* (x - w) .* (gradOutput / y) spread over the input dimension.
local function weightedGrad(self, input, gradOutput)
   local g = nn.Euclidean._scaledGrad(self, gradOutput)
   local nin, nout = self.weight:size(1), self.weight:size(2)
   local gx
   if input:dim() == 1 then
      gx = g:view(1, nout):expand(nin, nout)
   else
      local b = input:size(1)
      gx = g:view(b, 1, nout):expand(b, nin, nout)
   end
   self._cg = self._cg or input.new()
   self._cg:cmul(self._z, cov(self, input)):cmul(gx)
   return self._cg, gx
end

function WeightedEuclidean:updateGradInput(input, gradOutput)
   if not self.gradInput then return end
   if not self.fastBackward then self:updateOutput(input) end
   local cg = weightedGrad(self, input, gradOutput)
   local nin = self.weight:size(1)
   if input:dim() == 1 then
      self.gradInput:sum(cg, 2)
      self.gradInput:resize(nin)
   else
      self.gradInput:sum(cg, 3)
      self.gradInput:resize(input:size(1), nin)
   end
   return self.gradInput
end

function WeightedEuclidean:accGradParameters(input, gradOutput, scale)
   scale = scale or 1
   local cg, gx = weightedGrad(self, input, gradOutput)
   local nin, nout = self.weight:size(1), self.weight:size(2)
   -- dy/dc = c (w - x)^2 / y
   self._dc = self._dc or input.new()
   self._dc:cmul(self._z, self._diff):cmul(gx)
   if input:dim() == 1 then
      self.gradWeight:add(-scale, cg)
      self.gradDiagCov:add(scale, self._dc)
   else
      self.gradWeight:add(-scale, cg:sum(1):view(nin, nout))
      self.gradDiagCov:add(scale, self._dc:sum(1):view(nin, nout))
   end
end

function WeightedEuclidean:parameters()
   return {self.weight, self.diagCov}, {self.gradWeight, self.gradDiagCov}
end

function WeightedEuclidean:accUpdateGradParameters(input, gradOutput, lr)
   local gradWeight, gradDiagCov = self.gradWeight, self.gradDiagCov
   self.gradWeight, self.gradDiagCov = self.weight, self.diagCov
   self:accGradParameters(input, gradOutput, -lr)
   self.gradWeight, self.gradDiagCov = gradWeight, gradDiagCov
end

function WeightedEuclidean:type(type, tensorCache)
   if type then self:clearState() end
   return parent.type(self, type, tensorCache)
end

function WeightedEuclidean:clearState()
   nn.utils.clear(self, {'_diff', '_g', '_z', '_cg', '_dc'})
   return parent.clearState(self)
end
