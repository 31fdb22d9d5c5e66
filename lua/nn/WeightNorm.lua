-- nn.WeightNorm(module [, outputDim = 1]): re-parametrises module.weight as
-- w = g * v / ||v|| (one norm per output unit, the weight seen as nOut x rest), training
-- v, g (and the module's bias) instead of w.

local WeightNorm, parent = torch.class('nn.WeightNorm', 'nn.Container')

local H = torch._H
local door = torch._door
local k_weight, k_grad, k_rownorm = door.norm_wn_weight, door.norm_wn_grad,
   door.norm_wn_rownorm

function WeightNorm:__init(module, outputDim)
   parent.__init(self)
   if not (module and module.weight) then
      torch._error('nn.WeightNorm: the module has no weight')
   end
   if module.bias then
      self.bias = module.bias
      self.gradBias = module.gradBias
   end
   self.gradWeight = module.gradWeight
   self.weight = module.weight
   self.outputDim = outputDim or 1

   local nOut = self.weight:size(self.outputDim)
   local otherDims = self.weight:nElement() / nOut
   self.viewIn = torch.LongStorage({nOut, otherDims})
   self.v = torch.Tensor(nOut, otherDims)
   self.g = torch.Tensor(nOut)
   self._norm = torch.Tensor(nOut)
   self._scale = torch.Tensor(nOut)
   self.gradG = torch.Tensor(nOut):zero()
   self.gradV = torch.Tensor(nOut, otherDims):zero()
   self.modules[1] = module
   self:resetInit()
end

function WeightNorm:resetInit()
   self.v:normal(0, math.sqrt(2 / self.viewIn[2]))
   k_rownorm(H[self.g], H[self.v])
   if self.bias then self.bias:zero() end
end

function WeightNorm:updateOutput(input)
   k_weight(H[self.weight], H[self.v], H[self.g], H[self._norm], H[self._scale],
      self.outputDim)
   self.output = self.modules[1]:updateOutput(input)
   return self.output
end

function WeightNorm:updateGradInput(input, gradOutput)
   self.gradInput = self.modules[1]:updateGradInput(input, gradOutput)
   return self.gradInput
end

function WeightNorm:accGradParameters(input, gradOutput, scale)
   self.modules[1]:accGradParameters(input, gradOutput, scale or 1)
   k_grad(H[self.gradV], H[self.gradG], H[self.gradWeight], H[self.v], H[self._norm],
      H[self._scale], self.outputDim)
end

function WeightNorm:zeroGradParameters()
   self.modules[1]:zeroGradParameters()
   self.gradV:zero()
   self.gradG:zero()
end

function WeightNorm:updateParameters(lr)
   self.modules[1]:updateParameters(lr)
   self.g:add(-lr, self.gradG)
   self.v:add(-lr, self.gradV)
end

function WeightNorm:parameters()
   if self.bias then
      return {self.v, self.g, self.bias}, {self.gradV, self.gradG, self.gradBias}
   end
   return {self.v, self.g}, {self.gradV, self.gradG}
end

function WeightNorm:__tostring__()
   return 'nn.WeightNorm [' .. tostring(self.modules[1]) .. ']'
end
