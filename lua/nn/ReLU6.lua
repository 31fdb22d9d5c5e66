-- nn.ReLU6: y = min(max(0, x), 6), element-wise; optionally in place.

local ReLU6, parent = torch.class('nn.ReLU6', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.act_hardtanh_fwd, door.act_hardtanh_bwd

function ReLU6:__init(inplace)
   parent.__init(self)
   if inplace ~= nil and type(inplace) ~= 'boolean' then
      torch._error('in-place flag must be boolean')
   end
   self.inplace = inplace or false
end

function ReLU6:updateOutput(input)
   k_fwd(H[self.output], H[input] or input, 0, 6, self.inplace)
   return self.output
end

function ReLU6:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], H[input] or input, H[gradOutput] or gradOutput, 0, 6, self.inplace)
   return self.gradInput
end
