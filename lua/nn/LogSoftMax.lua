-- nn.LogSoftMax: x_i - log(sum_j exp(x_j)) over the feature dimension (as nn.SoftMax).

local LogSoftMax, parent = torch.class('nn.LogSoftMax', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.act_logsoftmax_fwd, door.act_logsoftmax_bwd

function LogSoftMax:updateOutput(input)
   k_fwd(H[self.output], H[input] or input)
   return self.output
end

function LogSoftMax:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], H[gradOutput] or gradOutput, H[self.output])
   return self.gradInput
end
