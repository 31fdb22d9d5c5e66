-- nn.MSECriterion: mean squared error, sum (x - y)^2 / n over all elements (the
-- division by n is dropped when sizeAverage is false); x and y need the same element count.

local MSECriterion, parent = torch.class('nn.MSECriterion', 'nn.Criterion')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.loss_mse, door.loss_mse_grad

function MSECriterion:__init(sizeAverage)
   parent.__init(self)
   if sizeAverage ~= nil then
      self.sizeAverage = sizeAverage
   else
      self.sizeAverage = true
   end
end

function MSECriterion:updateOutput(input, target)
   self.output = k_fwd(H[input] or input, H[target] or target, self.sizeAverage)
   return self.output
end

function MSECriterion:updateGradInput(input, target)
   k_bwd(H[self.gradInput], H[input] or input, H[target] or target, self.sizeAverage)
   return self.gradInput
end
