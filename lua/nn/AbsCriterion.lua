-- nn.AbsCriterion: mean absolute error, sum |x - y| / n (no division when
-- sizeAverage is false).

local AbsCriterion, parent = torch.class('nn.AbsCriterion', 'nn.Criterion')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.loss_abs, door.loss_abs_grad

function AbsCriterion:__init(sizeAverage)
   parent.__init(self)
   if sizeAverage ~= nil then
      self.sizeAverage = sizeAverage
   else
      self.sizeAverage = true
   end
end

function AbsCriterion:updateOutput(input, target)
   self.output = k_fwd(H[input] or input, H[target] or target, self.sizeAverage)
   return self.output
end

function AbsCriterion:updateGradInput(input, target)
   k_bwd(H[self.gradInput], H[input] or input, H[target] or target, self.sizeAverage)
   return self.gradInput
end
