-- nn.SpatialBatchNormalization(nFeature [, eps = 1e-5] [, momentum = 0.1] [, affine = true]):
-- BatchNormalization of N x C x H x W inputs per feature plane (statistics over N, H and W).
-- Training uses the batch statistics and folds them into running_mean / running_var with
-- `momentum`; evaluation uses the running estimates and also accepts one C x H x W sample.
-- VolumetricBatchNormalization reuses these methods for N x C x T x H x W inputs.

local BN, parent = torch.class('nn.SpatialBatchNormalization', 'nn.BatchNormalization')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.snorm_bn_fwd, door.snorm_bn_bwd

BN.__version = 2

-- expected dimension of the input
BN.nDim = 4

function BN:updateOutput(input)
   -- the kernel checks the input's dimensions and feature count itself
   input = self:makeBatch(input)
   local sm, ss = self.save_mean, self.save_std
   if not sm then
      sm = input.new()
      ss = input.new()
      self.save_mean, self.save_std = sm, ss
   end
   local w, b = self.weight, self.bias
   k_fwd(H[self.output], H[input], w and H[w], b and H[b], H[self.running_mean],
      H[self.running_var], H[sm], H[ss], self:batchStats(input), self.momentum, self.eps, self.nDim)
   return self.output
end

local function backward(self, input, gradOutput, scale, gradInput, gradWeight, gradBias)
   if not (self.save_mean and self.save_std) then
      torch._error('must call :updateOutput() first')
   end
   input, gradOutput = self:makeBatch(input), self:makeBatch(gradOutput)
   local w = self.weight
   k_bwd(H[input], H[gradOutput], gradInput and H[gradInput], gradWeight and H[gradWeight],
      gradBias and H[gradBias], w and H[w], H[self.running_mean], H[self.running_var],
      H[self.save_mean], H[self.save_std], self:batchStats(input), scale or 1, self.eps,
      self.nDim)
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
