-- nn.Sigmoid: y = 1 / (1 + exp(-x)), element-wise.

local Sigmoid, parent = torch.class('nn.Sigmoid', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.act_sigmoid_fwd, door.act_sigmoid_bwd

function Sigmoid:updateOutput(input)
   k_fwd(H[self.output], H[input] or input)
   return self.output
end

function Sigmoid:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], H[gradOutput] or gradOutput, H[self.output])
   return self.gradInput
end
