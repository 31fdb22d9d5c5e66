-- nn.SoftShrink: y = x - lambda (x > lambda), x + lambda (x < -lambda), 0 otherwise.

local SoftShrink, parent = torch.class('nn.SoftShrink', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.act_softshrink_fwd, door.act_softshrink_bwd

function SoftShrink:__init(lam)
   parent.__init(self)
   self.lambda = lam or 0.5
end

function SoftShrink:updateOutput(input)
   k_fwd(H[self.output], H[input] or input, self.lambda)
   return self.output
end

function SoftShrink:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], H[input] or input, H[gradOutput] or gradOutput, self.lambda)
   return self.gradInput
end
