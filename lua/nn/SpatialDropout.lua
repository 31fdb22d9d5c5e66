-- nn.SpatialDropout(p = 0.5 [, stochasticInference]): in training, zeroes whole feature maps
-- (each with probability p) of C x H x W or N x C x H x W inputs, without rescaling; in
-- evaluation the output is scaled by 1 - p instead.

local SpatialDropout, parent = torch.class('nn.SpatialDropout', 'nn.Module')

local H = torch._H
local door = torch._door
local k_mask = door.snorm_chanmask

function SpatialDropout:__init(p, stochasticInference)
   parent.__init(self)
   self.p = p or 0.5
   self.train = true
   self.stochastic_inference = stochasticInference or false
   self.noise = torch.Tensor()
end

-- the mask shape for `input` (one draw per map), or an error naming the accepted inputs
function SpatialDropout:_noiseShape(input)
   local nd = input:dim()
   if nd == 4 then
      return self.noise:resize(input:size(1), input:size(2), 1, 1)
   elseif nd == 3 then
      return self.noise:resize(input:size(1), 1, 1)
   end
   torch._error('Input must be 4D (nbatch, nfeat, h, w) or 3D (nfeat, h, w)')
end

function SpatialDropout:updateOutput(input)
   if self.train or self.stochastic_inference then
      local noise = self:_noiseShape(input)
      noise:bernoulli(1 - self.p)
      k_mask(H[self.output], H[input], H[noise])
   else
      k_mask(H[self.output], H[input], 1 - self.p)
   end
   return self.output
end

function SpatialDropout:updateGradInput(input, gradOutput)
   if not self.train then
      torch._error('backprop only defined while training')
   end
   k_mask(H[self.gradInput], H[gradOutput], H[self.noise])
   return self.gradInput
end

function SpatialDropout:setp(p)
   self.p = p
end

function SpatialDropout:__tostring__()
   return string.format('%s(%f)', torch.type(self), self.p)
end

function SpatialDropout:clearState()
   if self.noise then self.noise:set() end
   return parent.clearState(self)
end
