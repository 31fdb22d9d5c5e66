-- nn.GatedLinearUnit: splits dimension `dim` (default: the last) into halves a, b and
-- outputs a * sigmoid(b).

local GatedLinearUnit, parent = torch.class('nn.GatedLinearUnit', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.act_glu_fwd, door.act_glu_bwd

function GatedLinearUnit:__init(dim)
   parent.__init(self)
   self.dim = dim
end

function GatedLinearUnit:updateOutput(input)
   k_fwd(H[self.output], H[input] or input, self.dim)
   return self.output
end

function GatedLinearUnit:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], H[input] or input, H[gradOutput] or gradOutput, self.dim)
   return self.gradInput
end
