-- nn.MultiMarginCriterion: multi-class hinge loss sum_{i ~= y} max(0, margin - x[y] + x[i])^p
-- / dim (p = 1 or 2, optional class weights w[y]), averaged over a batch when sizeAverage.

local MultiMarginCriterion, parent = torch.class('nn.MultiMarginCriterion', 'nn.Criterion')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.loss_multimargin, door.loss_multimargin_grad

function MultiMarginCriterion:__init(p, weights, margin)
   if not (p == nil or p == 1 or p == 2) then
      torch._error('only p=1 and p=2 supported')
   end
   self.p = p or 1
   self.margin = margin or 1.0
   parent.__init(self)
   self.sizeAverage = true
   if weights then
      if not torch.isTensor(weights) or weights:dim() ~= 1 then
         torch._error('weights input should be 1-D Tensor')
      end
      self.weights = weights
   end
end

function MultiMarginCriterion:updateOutput(input, target)
   local w = self.weights
   self.output = k_fwd(H[input] or input, H[target] or target, self.p or 1, self.margin or 1,
      w and H[w], self.sizeAverage)
   return self.output
end

function MultiMarginCriterion:updateGradInput(input, target)
   local w = self.weights
   k_bwd(H[self.gradInput], H[input] or input, H[target] or target, self.p or 1,
      self.margin or 1, w and H[w], self.sizeAverage)
   return self.gradInput
end
