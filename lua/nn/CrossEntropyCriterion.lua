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
end

function CrossEntropyCriterion:updateOutput(input, target)
   local nll = self.nll
   nll.sizeAverage = self.sizeAverage
   local w = nll.weights
   local out = k_fwd(H[self.lsm.output], H[input] or input, H[target] or target, w and H[w],
      self.sizeAverage, nll.ignoreIndex)
   nll.output = out
   self.output = out
   return out
end

function CrossEntropyCriterion:updateGradInput(input, target)
   local nll = self.nll
   local w = nll.weights
   k_bwd(H[self.gradInput], H[self.lsm.output], H[input] or input, H[target] or target,
      w and H[w], self.sizeAverage, nll.ignoreIndex)
   return self.gradInput
end
