-- nn.SoftPlus: y = log(1 + exp(beta * x)) / beta, linear where beta * x > threshold.

local SoftPlus, parent = torch.class('nn.SoftPlus', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.act_softplus_fwd, door.act_softplus_bwd

function SoftPlus:__init(beta)
   parent.__init(self)
   self.beta = beta or 1
   self.threshold = 20
end

function SoftPlus:updateOutput(input)
   k_fwd(H[self.output], H[input] or input, self.beta, self.threshold)
   return self.output
end

function SoftPlus:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], H[gradOutput] or gradOutput, H[self.output], self.beta,
      self.threshold)
   return self.gradInput
end
