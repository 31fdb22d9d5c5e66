-- nn.L1Cost: sum |x| of the input (no target); the gradient is sign(x).

local L1Cost, parent = torch.class('nn.L1Cost', 'nn.Criterion')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.loss_l1cost, door.loss_l1cost_grad

function L1Cost:updateOutput(input)
   self.output = k_fwd(H[input] or input)
   return self.output
end

function L1Cost:updateGradInput(input)
   k_bwd(H[self.gradInput], H[input] or input)
   return self.gradInput
end
