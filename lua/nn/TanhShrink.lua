-- nn.TanhShrink: y = x - tanh(x), element-wise.

local TanhShrink, parent = torch.class('nn.TanhShrink', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.act_tanhshrink_fwd, door.act_tanhshrink_bwd

function TanhShrink:updateOutput(input)
   k_fwd(H[self.output], H[input] or input)
   return self.output
end

function TanhShrink:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], H[input] or input, H[gradOutput] or gradOutput)
   return self.gradInput
end
