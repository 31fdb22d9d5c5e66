-- nn.HardTanh: y = clamp(x, min_val, max_val) (default [-1, 1]); optionally in place.

local HardTanh, parent = torch.class('nn.HardTanh', 'nn.Module')

local H = torch._H
local door = torch._door
local k_fwd, k_bwd = door.act_hardtanh_fwd, door.act_hardtanh_bwd

function HardTanh:__init(min_value, max_value, inplace)
   parent.__init(self)
   self.min_val = min_value or -1
   self.max_val = max_value or 1
   if inplace ~= nil and type(inplace) ~= 'boolean' then
      torch._error('in-place flag must be boolean')
   end
   self.inplace = inplace or false
   if not (self.max_val > self.min_val) then
      torch._error('max_value must be larger than min_value')
   end
end

function HardTanh:updateOutput(input)
   k_fwd(H[self.output], H[input] or input, self.min_val, self.max_val, self.inplace)
   return self.output
end

function HardTanh:updateGradInput(input, gradOutput)
   k_bwd(H[self.gradInput], H[input] or input, H[gradOutput] or gradOutput, self.min_val,
         self.max_val, self.inplace)
   return self.gradInput
end
