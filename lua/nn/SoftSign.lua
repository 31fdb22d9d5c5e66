-- nn.SoftSign: y = x / (1 + |x|), element-wise.

local SoftSign, parent = torch.class('nn.SoftSign', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.act_softsign_fwd, door.act_softsign_bwd

function SoftSign:updateOutput(input)
   k_fwd(H[self.output], H[input] or input)
   return self.output
end

function SoftSign:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], H[input] or input, H[gradOutput] or gradOutput)
   return self.gradInput
end
