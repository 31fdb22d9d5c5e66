-- nn.LeakyReLU: y = x > 0 ? x : negval * x (default negval 1/100); optionally in place.

local LeakyReLU, parent = torch.class('nn.LeakyReLU', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.act_leaky_fwd, door.act_leaky_bwd

function LeakyReLU:__init(negval, ip)
   parent.__init(self)
   if type(negval) == 'boolean' then
      ip, negval = negval, nil
   end
   self.negval = negval or 1 / 100
   if ip ~= nil and type(ip) ~= 'boolean' then
      torch._error('in-place flag must be boolean')
   end
   self.inplace = ip or false
   if self.negval < 0 then
      self.inplace = false
   end
end

function LeakyReLU:updateOutput(input)
   k_fwd(H[self.output], H[input] or input, self.negval, self.inplace)
   return self.output
end

function LeakyReLU:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], H[input] or input, H[gradOutput] or gradOutput, self.negval,
         self.inplace)
   return self.gradInput
end

function LeakyReLU:__tostring__()
   return torch.type(self) .. string.format('(%g)', self.negval)
end
