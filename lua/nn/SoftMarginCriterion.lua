-- nn.SoftMarginCriterion: two-class logistic loss, sum log(1 + exp(-y x)) / n
-- (labels y are 1 or -1).

local SoftMarginCriterion, parent = torch.class('nn.SoftMarginCriterion', 'nn.Criterion')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.loss_softmargin, door.loss_softmargin_grad

function SoftMarginCriterion:__init(sizeAverage)
   parent.__init(self)
   if sizeAverage ~= nil then
      self.sizeAverage = sizeAverage
   else
      self.sizeAverage = true
   end
end

function SoftMarginCriterion:updateOutput(input, target)
   self.output = k_fwd(H[input] or input, H[target] or target, self.sizeAverage)
   return self.output
end

function SoftMarginCriterion:updateGradInput(input, target)
   k_bwd(H[self.gradInput], H[input] or input, H[target] or target, self.sizeAverage)
   return self.gradInput
end
