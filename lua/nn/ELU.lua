-- nn.ELU: y = x > 0 ? x : alpha * (exp(x) - 1) (default alpha 1); optionally in place.

local ELU, parent = torch.class('nn.ELU', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.act_elu_fwd, door.act_elu_bwd

function ELU:__init(alpha, inplace)
   parent.__init(self)
   self.alpha = alpha or 1
   if inplace ~= nil and type(inplace) ~= 'boolean' then
      torch._error('in-place flag must be boolean')
   end
   self.inplace = inplace or false
end

function ELU:updateOutput(input)
   k_fwd(H[self.output], H[input] or input, self.alpha, self.inplace)
   return self.output
end

function ELU:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], H[self.output], H[gradOutput] or gradOutput, self.alpha,
      self.inplace)
   return self.gradInput
end

function ELU:__tostring__()
   return torch.type(self) .. string.format(' (alpha:%f)', self.alpha)
end
