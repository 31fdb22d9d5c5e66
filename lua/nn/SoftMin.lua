-- nn.SoftMin: the SoftMax of -x.

local SoftMin, parent = torch.class('nn.SoftMin', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.act_softmax_fwd, door.act_softmax_bwd

function SoftMin:updateOutput(input)
   k_fwd(H[self.output], H[input] or input, true)
   return self.output
end

function SoftMin:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], H[gradOutput] or gradOutput, H[self.output], true)
   return self.gradInput
end
