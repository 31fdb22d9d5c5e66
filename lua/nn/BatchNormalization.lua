-- nn.BatchNormalization: y = (x - mean) / sqrt(var + eps) * weight + bias over a mini-batch
-- (N x nOutput input).  In training the batch statistics are used and folded into
-- running_mean / running_var (unbiased) with `momentum`; in evaluation the running ones are.
-- nn.BatchNormalization(nOutput [, eps = 1e-5] [, momentum = 0.1] [, affine = true]).

local BN, parent = torch.class('nn.BatchNormalization', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.norm_bn_fwd, door.norm_bn_bwd

BN.__version = 2

-- expected dimension of the input
BN.nDim = 2

function BN:__init(nOutput, eps, momentum, affine)
   parent.__init(self)
   if type(nOutput) ~= 'number' then
      torch._error('Missing argument #1: dimensionality of input. ')
   end
   if nOutput == 0 then
      torch._error('To set affine=false call BatchNormalization(nOutput,  eps, momentum, false) ')
   end
   if affine ~= nil then
      if type(affine) ~= 'boolean' then torch._error('affine has to be true/false') end
      self.affine = affine
   else
      self.affine = true
   end
   self.eps = eps or 1e-5
   self.train = true
   self.momentum = momentum or 0.1
   self.running_mean = torch.zeros(nOutput)
   self.running_var = torch.ones(nOutput)
   if self.affine then
      self.weight = torch.Tensor(nOutput)
      self.bias = torch.Tensor(nOutput)
      self.gradWeight = torch.Tensor(nOutput):zero()
      self.gradBias = torch.Tensor(nOutput):zero()
      self:reset()
   end
end

function BN:reset()
   if self.weight then self.weight:uniform() end
   if self.bias then self.bias:zero() end
   self.running_mean:zero()
   self.running_var:fill(1)
end

function BN:checkInputDim(input)
   if not torch.isTensor(input) then
      torch._error(torch.type(self) .. ': tensor expected, got ' .. torch.type(input))
   end
   local nd = input:dim()
   if not (nd == self.nDim or (nd == self.nDim - 1 and self.train == false)) then
      torch._error(string.format('only mini-batch supported (%dD tensor), got %dD tensor instead',
         self.nDim, nd))
   end
   local fdim = nd == self.nDim - 1 and 1 or 2
   if input:size(fdim) ~= self.running_mean:nElement() then
      torch._error(string.format('got %d-feature tensor, expected %d', input:size(fdim),
         self.running_mean:nElement()))
   end
end

-- One sample in evaluation is seen as a batch of one, so the output is 1 x ... as in Torch7
-- (which reshapes the caller's tensor in place; a view leaves it alone).
function BN.makeBatch(self, t)
   if self.train == false and t:dim() == self.nDim - 1 then
      local sz = t:size():totable()
      table.insert(sz, 1, 1)
      return t:view(torch.LongStorage(sz))
   end
   return t
end

-- Torch7 trains on batch statistics only when there is more than one sample: a batch of one
-- uses, and leaves alone, the running estimates.
function BN.batchStats(self, input)
   return self.train ~= false and input:size(1) > 1
end

function BN:updateOutput(input)
   self:checkInputDim(input)
   input = self:makeBatch(input)
   self.save_mean = self.save_mean or input.new()
   self.save_std = self.save_std or input.new()
   local w, b = self.weight, self.bias
   k_fwd(H[self.output], H[input], w and H[w], b and H[b], H[self.running_mean],
      H[self.running_var], H[self.save_mean], H[self.save_std], self:batchStats(input),
      self.momentum, self.eps)
   return self.output
end

local function backward(self, input, gradOutput, scale, gradInput, gradWeight, gradBias)
   self:checkInputDim(input)
   self:checkInputDim(gradOutput)
   if not (self.save_mean and self.save_std) then
      torch._error('must call :updateOutput() first')
   end
   input, gradOutput = self:makeBatch(input), self:makeBatch(gradOutput)
   local w = self.weight
   k_bwd(H[input], H[gradOutput], gradInput and H[gradInput], gradWeight and H[gradWeight],
      gradBias and H[gradBias], w and H[w], H[self.running_mean], H[self.running_var],
      H[self.save_mean], H[self.save_std], self:batchStats(input), scale or 1, self.eps)
   return self.gradInput
end

function BN:backward(input, gradOutput, scale)
   return backward(self, input, gradOutput, scale, self.gradInput, self.gradWeight,
      self.gradBias)
end

function BN:updateGradInput(input, gradOutput)
   return backward(self, input, gradOutput, 1, self.gradInput)
end

function BN:accGradParameters(input, gradOutput, scale)
   return backward(self, input, gradOutput, scale, nil, self.gradWeight, self.gradBias)
end

function BN:clearState()
   nn.utils.clear(self, {'_input', '_gradOutput', 'save_mean', 'save_std'})
   return parent.clearState(self)
end

function BN:__tostring__()
   return string.format('%s (%dD) (%d)', torch.type(self), self.nDim,
      self.running_mean:nElement())
end
