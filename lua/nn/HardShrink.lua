-- nn.HardShrink: y = |x| > lambda ? x : 0 (default lambda 0.5).

local HardShrink, parent = torch.class('nn.HardShrink', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.act_hardshrink_fwd, door.act_hardshrink_bwd

function HardShrink:__init(lam)
   parent.__init(self)
   self.lambda = lam or 0.5
end

function HardShrink:updateOutput(input)
   k_fwd(H[self.output], H[input] or input, self.lambda)
   return self.output
end

function HardShrink:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], H[input] or input, H[gradOutput] or gradOutput, self.lambda)
   return self.gradInput
end
