-- nn.ClassNLLCriterion: negative log-likelihood of the target class, -w[y] x[y], for a vector of
-- log-probabilities (target: a class number) or a batch (target: one class per row).  With
-- sizeAverage the sum is divided by the total weight of the counted targets; targets equal
-- to ignoreIndex are skipped.

local ClassNLLCriterion, parent = torch.class('nn.ClassNLLCriterion', 'nn.Criterion')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.loss_nll, door.loss_nll_grad

function ClassNLLCriterion:__init(weights, sizeAverage, ignoreIndex)
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

function ClassNLLCriterion:__len()
   if self.weights then return #self.weights end
   return 0
end

function ClassNLLCriterion:updateOutput(input, target)
   local w = self.weights
   local out, tw = k_fwd(H[input] or input, H[target] or target, w and H[w], self.sizeAverage,
      self.ignoreIndex)
   self.output, self.total_weight = out, tw
   return out, tw
end

function ClassNLLCriterion:updateGradInput(input, target)
   local w = self.weights
   k_bwd(H[self.gradInput], H[input] or input, H[target] or target, w and H[w],
      self.sizeAverage, self.ignoreIndex, self.total_weight)
   return self.gradInput
end
