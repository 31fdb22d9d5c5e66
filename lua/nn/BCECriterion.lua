-- nn.BCECriterion: binary cross-entropy -sum w (t log(o) + (1 - t) log(1 - o)) / n between
-- probabilities o and targets t (eps 1e-12 inside the logs); 1-D weights apply per element
-- of a vector or per column of a batch.

local BCECriterion, parent = torch.class('nn.BCECriterion', 'nn.Criterion')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.loss_bce, door.loss_bce_grad

function BCECriterion:__init(weights, sizeAverage)
   parent.__init(self)
   if sizeAverage ~= nil then
      self.sizeAverage = sizeAverage
   else
      self.sizeAverage = true
   end
   if weights ~= nil then
      if not torch.isTensor(weights) or weights:dim() ~= 1 then
         torch._error('weights input should be 1-D Tensor')
      end
      self.weights = weights
   end
end

function BCECriterion:__len()
   if self.weights then return #self.weights end
   return 0
end

function BCECriterion:updateOutput(input, target)
   if H[input] == nil or H[target] == nil then
      nn.Criterion._tensorargs('forward', H[input], H[target], input, target)
   end
   local w = self.weights
   self.output = k_fwd(H[input] or input, H[target] or target, w and H[w], self.sizeAverage)
   return self.output
end

function BCECriterion:updateGradInput(input, target)
   if H[input] == nil or H[target] == nil then
      nn.Criterion._tensorargs('backward', H[input], H[target], input, target)
   end
   local w = self.weights
   k_bwd(H[self.gradInput], H[input] or input, H[target] or target, w and H[w],
      self.sizeAverage)
   return self.gradInput
end
