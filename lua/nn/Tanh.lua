-- nn.Tanh: y = tanh(x), element-wise.

local Tanh, parent = torch.class('nn.Tanh', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.act_tanh_fwd, door.act_tanh_bwd

function Tanh:updateOutput(input)
   k_fwd(H[self.output], H[input] or input)
   return self.output
end

function Tanh:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], H[gradOutput] or gradOutput, H[self.output])
   return self.gradInput
end
