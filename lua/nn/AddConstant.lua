-- nn.AddConstant(c [, inplace]): y = x + c (c a number, or a vector added to every row).

local AddConstant, parent = torch.class('nn.AddConstant', 'nn.Module')

function AddConstant:__init(constant_scalar, ip)
   parent.__init(self)
   self.constant_scalar = constant_scalar
   self.inplace = ip or false
   if ip and type(ip) ~= 'boolean' then torch._error('in-place flag must be boolean') end
end

-- The constant shaped for this input (a vector constant spreads over a batch's rows).
local function constant(self, input)
   local c = self.constant_scalar
   assert(type(c) == 'number' or (torch.isTensor(c) and input:nDimension() <= 2
         and input:size(input:nDimension()) == c:size(1)),
      'input is not scalar or doesn\'t match with the dimension of constant!')
   if torch.isTensor(c) and input:nDimension() == 2 then
      return c:view(1, c:size(1)):expand(input:size(1), c:size(1))
   end
   return c
end

function AddConstant:updateOutput(input)
   local c = constant(self, input)
   if self.inplace then
      input:add(c)
      self.output:set(input)
   else
      self.output:resizeAs(input):copy(input):add(c)
   end
   return self.output
end

function AddConstant:updateGradInput(input, gradOutput)
   if self.inplace then
      self.gradInput:set(gradOutput)
      -- give the input its value back
      local c = constant(self, input)
      if type(c) == 'number' then input:add(-c) else input:add(-1, c) end
   else
      self.gradInput:resizeAs(gradOutput):copy(gradOutput)
   end
   return self.gradInput
end
