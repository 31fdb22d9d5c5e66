-- nn.CrossEntropyCriterion: LogSoftMax followed by ClassNLLCriterion (class weights and
-- sizeAverage as there), fused into one kernel call per method.  The input is squeezed, so a
-- 1 x n input is one sample.

local CrossEntropyCriterion, parent = torch.class('nn.CrossEntropyCriterion', 'nn.Criterion')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.loss_ce, door.loss_ce_grad

function CrossEntropyCriterion:__init(weights, sizeAverage)
   parent.__init(self)
   self.lsm = nn.LogSoftMax()
   self.nll = nn.ClassNLLCriterion(weights, sizeAverage)
   self.sizeAverage = self.nll.sizeAverage
   self.oldSizeAverage = self.sizeAverage
end

-- self.sizeAverage reaches the inner criterion only when it changed, so that scripts which
-- set nll.sizeAverage directly keep working (Torch7's rule).
local function propagate(self)
   local nll = self.nll
   if self.sizeAverage ~= self.oldSizeAverage then
      nll.sizeAverage = self.sizeAverage
   end
   self.oldSizeAverage = self.sizeAverage
   return nll
end

function CrossEntropyCriterion:updateOutput(input, target)
   local nll = propagate(self)
   local w = nll.weights
   local out, tw = k_fwd(H[self.lsm.output], H[input] or input, H[target] or target,
      w and H[w], nll.sizeAverage, nll.ignoreIndex)
   nll.output, nll.total_weight = out, tw
   self.output = out
   return out
end

function CrossEntropyCriterion:updateGradInput(input, target)
   local nll = propagate(self)
   local w = nll.weights
   k_bwd(H[self.gradInput], H[self.lsm.output], H[input] or input, H[target] or target,
      w and H[w], nll.sizeAverage, nll.ignoreIndex, nll.total_weight)
   return self.gradInput
end
