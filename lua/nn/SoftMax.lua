-- nn.SoftMax: exp(x_i - max) / sum_j exp(x_j - max) over the feature dimension (1-D: the
-- vector, 2-D: each row, 3-D: dimension 1, 4-D: dimension 2).

local SoftMax, parent = torch.class('nn.SoftMax', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.act_softmax_fwd, door.act_softmax_bwd

function SoftMax:updateOutput(input)
   k_fwd(H[self.output], H[input] or input, false)
   return self.output
end

function SoftMax:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], H[gradOutput] or gradOutput, H[self.output], false)
   return self.gradInput
end
