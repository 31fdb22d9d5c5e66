-- nn.LogSigmoid: y = log(1 / (1 + exp(-x))), element-wise.

local LogSigmoid, parent = torch.class('nn.LogSigmoid', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.act_logsigmoid_fwd, door.act_logsigmoid_bwd

function LogSigmoid:updateOutput(input)
   k_fwd(H[self.output], H[input] or input)
   return self.output
end

function LogSigmoid:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], H[input] or input, H[gradOutput] or gradOutput)
   return self.gradInput
end
