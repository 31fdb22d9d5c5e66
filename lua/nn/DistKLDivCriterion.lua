-- nn.DistKLDivCriterion: Kullback-Leibler divergence, sum y (log y - x) over
-- y > 0 (x holds log-probabilities), divided by n when sizeAverage.

local DistKLDivCriterion, parent = torch.class('nn.DistKLDivCriterion', 'nn.Criterion')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.loss_kldiv, door.loss_kldiv_grad

function DistKLDivCriterion:__init(sizeAverage)
   parent.__init(self)
   if sizeAverage ~= nil then
      self.sizeAverage = sizeAverage
   else
      self.sizeAverage = true
   end
end

function DistKLDivCriterion:updateOutput(input, target)
   self.output = k_fwd(H[input] or input, H[target] or target, self.sizeAverage)
   return self.output
end

function DistKLDivCriterion:updateGradInput(input, target)
   k_bwd(H[self.gradInput], H[input] or input, H[target] or target, self.sizeAverage)
   return self.gradInput
end
