-- nn.SpatialCrossMapLRN(size [, alpha = 1e-4] [, beta = 0.75] [, k = 1]): local response
-- normalization across feature maps, y = x / (k + alpha/size * sum of x^2 over `size`
-- neighbouring maps)^beta, for C x H x W or N x C x H x W inputs.

local LRN, parent = torch.class('nn.SpatialCrossMapLRN', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.snorm_lrn_fwd, door.snorm_lrn_bwd

function LRN:__init(size, alpha, beta, k)
   parent.__init(self)
   self.size = size
   self.alpha = alpha or 0.0001
   self.beta = beta or 0.75
   self.k = k or 1
end

function LRN:updateOutput(input)
   local scale = self.scale
   if not scale then
      scale = input.new()
      self.scale = scale
   end
   k_fwd(H[self.output], H[scale], H[input], self.size, self.alpha, self.beta, self.k)
   return self.output
end

function LRN:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], H[input], H[gradOutput], H[self.scale], H[self.output], self.size,
      self.alpha, self.beta, self.k)
   return self.gradInput
end

function LRN:clearState()
   nn.utils.clear(self, 'scale', 'paddedRatio', 'accumRatio')
   return parent.clearState(self)
end
