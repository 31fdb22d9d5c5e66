-- nn.SpatialClassNLLCriterion([weights] [, sizeAverage = true] [, ignoreIndex = -100]):
-- ClassNLLCriterion at every pixel of N x C x H x W log-probabilities, the target holding one
-- class per pixel (N x H x W).  With sizeAverage the sum is divided by the total weight of the
-- counted pixels; targets equal to ignoreIndex are skipped.  (A single C x H x W sample with an
-- H x W target is taken as a batch of one.)

local SpatialClassNLLCriterion, parent =
   torch.class('nn.SpatialClassNLLCriterion', 'nn.Criterion')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.snorm_nll, door.snorm_nll_grad

function SpatialClassNLLCriterion:__init(weights, sizeAverage, ignoreIndex)
   parent.__init(self)
   if sizeAverage ~= nil then
      self.sizeAverage = sizeAverage
   else
      self.sizeAverage = true
   end
   self.ignoreIndex = ignoreIndex or -100
   if weights then
      if not torch.isTensor(weights) or weights:dim() ~= 1 then
         torch._error('weights input should be 1-D Tensor')
      end
      self.weights = weights
   end
   -- backward divides by the total weight of the last forward, which Torch7 starts at 1
   self.total_weight = 1
end

function SpatialClassNLLCriterion:__len()
   if self.weights then return #self.weights end
   return 0
end

function SpatialClassNLLCriterion:updateOutput(input, target)
   local w = self.weights
   local out, tw = k_fwd(H[input], H[target] or target, w and H[w], self.sizeAverage,
      self.ignoreIndex)
   self.output, self.total_weight = out, tw
   return out, tw
end

function SpatialClassNLLCriterion:updateGradInput(input, target)
   local w = self.weights
   k_bwd(H[self.gradInput], H[input], H[target] or target, w and H[w], self.sizeAverage,
      self.ignoreIndex, self.total_weight)
   return self.gradInput
end
