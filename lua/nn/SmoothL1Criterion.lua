-- nn.SmoothL1Criterion: Huber loss: 0.5 d^2 where |d| < 1, |d| - 0.5 elsewhere
-- (d = x - y), summed over all elements and divided by n when sizeAverage.

local SmoothL1Criterion, parent = torch.class('nn.SmoothL1Criterion', 'nn.Criterion')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.loss_smoothl1, door.loss_smoothl1_grad

function SmoothL1Criterion:__init(sizeAverage)
   parent.__init(self)
   if sizeAverage ~= nil then
      self.sizeAverage = sizeAverage
   else
      self.sizeAverage = true
   end
end

function SmoothL1Criterion:updateOutput(input, target)
   self.output = k_fwd(H[input] or input, H[target] or target, self.sizeAverage)
   return self.output
end

function SmoothL1Criterion:updateGradInput(input, target)
   k_bwd(H[self.gradInput], H[input] or input, H[target] or target, self.sizeAverage)
   return self.gradInput
end
